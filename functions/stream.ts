import { createDocumentClient } from '#lib/store/client.ts';
import type { TableHandle } from '#lib/store/handle.ts';
import { consumeStreamRecords, type StreamRecord } from '#lib/watch/stream.ts';

/**
 * The table stream's consumer (`lib/watch/stream.ts`): each batch of the event source mapping
 * into the watch feed. A failed batch fails the invocation and is retried whole; what it had
 * appended is not appended again. Environment: `SHELLGATE_TABLE`, `DYNAMODB_ENDPOINT` (local).
 */
let table: TableHandle | undefined;

function requireTable(): TableHandle {
  if (table) return table;
  const tableName = process.env.SHELLGATE_TABLE;
  if (!tableName) throw new Error('SHELLGATE_TABLE is not set');
  table = { client: createDocumentClient(), tableName };
  return table;
}

/** A `DynamoDBStreamEvent`: its records carry the images in the stream's wire form. */
export const handler = (event: { Records: StreamRecord[] }) =>
  consumeStreamRecords(requireTable(), event.Records);
