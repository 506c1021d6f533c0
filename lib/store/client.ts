import { DynamoDBClient, type DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

export interface ClientSettings {
  /** e.g. `http://127.0.0.1:8000` for DynamoDB Local; absent on AWS. */
  endpoint?: string;
  region?: string;
  /** @default 4 — the SDK retries throttling and transient errors with backoff. */
  maxAttempts?: number;
}

/**
 * How every value the store writes is marshalled, by the document client or by the store
 * itself. The document client is given a copy: it sets `convertTopLevelContainer` on the object
 * it holds, which would wrap the store's own top-level maps.
 */
export const MARSHALL_OPTIONS = Object.freeze({
  removeUndefinedValues: true,
  convertClassInstanceToMap: false,
});

/** Builds a document client; on a local endpoint with fake credentials so nothing probes the network. */
export function createDocumentClient(settings: ClientSettings = {}): DynamoDBDocumentClient {
  const endpoint = settings.endpoint ?? process.env.DYNAMODB_ENDPOINT;
  const config: DynamoDBClientConfig = {
    region: settings.region ?? process.env.AWS_REGION ?? 'us-east-1',
    maxAttempts: settings.maxAttempts ?? 4,
  };
  if (endpoint) {
    config.endpoint = endpoint;
    config.credentials = { accessKeyId: 'local', secretAccessKey: 'local' };
  }
  return DynamoDBDocumentClient.from(new DynamoDBClient(config), {
    marshallOptions: { ...MARSHALL_OPTIONS },
  });
}
