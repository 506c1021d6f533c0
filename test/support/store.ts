import { randomUUID } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { inject } from 'vitest';
import { ensureTable } from '#lib/store/admin.ts';
import { createDocumentClient } from '#lib/store/client.ts';
import { Store } from '#lib/store/store.ts';

export function dynamoEndpoint(): string {
  return inject('dynamoEndpoint');
}

/** A fresh table of its own on the run's DynamoDB Local, and a store over it. */
export async function createTestStore(options: { maxAttempts?: number } = {}): Promise<Store> {
  const endpoint = dynamoEndpoint();
  const tableName = `shellgate-test-${randomUUID().slice(0, 8)}`;
  const admin = new DynamoDBClient({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  await ensureTable(admin, tableName);
  admin.destroy();
  return new Store(createDocumentClient({ endpoint, maxAttempts: options.maxAttempts }), tableName);
}
