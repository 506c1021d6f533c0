import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

/**
 * The table a store works on: its client and name. The store's parts (records, transactions)
 * take this small handle, not the store, so nothing below the store imports it back.
 */
export interface TableHandle {
  readonly client: DynamoDBDocumentClient;
  readonly tableName: string;
}
