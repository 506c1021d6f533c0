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

/**
 * A store whose every request fails before it leaves the process: offline tests run the
 * handlers over it to show what they decide without the database. `reached` lists the
 * commands that tried, in order; each one fails as a bug would (a 500).
 */
export function unreachableStore(): { store: Store; reached: string[] } {
  const reached: string[] = [];
  // A local endpoint with fake credentials, so that not even a credential lookup goes out.
  const client = createDocumentClient({ endpoint: 'http://127.0.0.1:9', maxAttempts: 1 });
  client.middlewareStack.add(
    (_next, context) => async () => {
      const command = (context as { commandName?: string }).commandName ?? '';
      reached.push(command);
      throw new Error(`offline: ${command} must not reach the database`);
    },
    { step: 'initialize', name: 'unreachable' },
  );
  return { store: new Store(client, 'shellgate-offline'), reached };
}
