import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { TableHandle } from '#lib/store/handle.ts';
import { type ConsumeResult, consumeChanges } from './consumer.ts';
import type { ItemChange } from './events.ts';

/**
 * A record of the table's stream as both sources give it: the Lambda event source mapping's
 * `Records[]` and the Streams API's `GetRecords` (DynamoDB Local's, for the dev server).
 */
export interface StreamRecord {
  eventName?: string;
  dynamodb?: {
    OldImage?: Record<string, AttributeValue>;
    NewImage?: Record<string, AttributeValue>;
    SequenceNumber?: string;
  };
}

const image = (i: Record<string, AttributeValue> | undefined) => (i ? unmarshall(i) : undefined);

/** The stream consumer: one batch of stream records into the watch feed, in the stream's order. */
export function consumeStreamRecords(
  table: TableHandle,
  records: readonly StreamRecord[],
): Promise<ConsumeResult> {
  const changes: ItemChange[] = records.map((r) => ({
    old: image(r.dynamodb?.OldImage),
    new: image(r.dynamodb?.NewImage),
  }));
  return consumeChanges(table, changes);
}
