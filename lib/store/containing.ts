import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { A } from './attributes.ts';
import type { TableHandle } from './handle.ts';
import { translateSdkError } from './sdk-errors.ts';
import { tableDefinition } from './table.ts';

/**
 * Names of the live objects of one `byKind` partition whose list at `path` (inside `data`)
 * contains `value`, e.g. the sandboxes that list a provider, in name order. DynamoDB applies the
 * filter, so only names come back, but it reads every object of the kind to do so: this is for
 * rare operations, not for request paths that run often. The index is eventually consistent.
 */
export async function namesContaining(
  store: TableHandle,
  gsi1pk: string,
  path: readonly string[],
  value: string,
): Promise<string[]> {
  const names: Record<string, string> = {
    '#gpk': A.gsi1pk,
    '#data': A.data,
    '#name': A.name,
    '#tomb': A.tombstone,
  };
  path.forEach((segment, i) => {
    names[`#p${i}`] = segment;
  });
  const list = ['#data', ...path.map((_, i) => `#p${i}`)].join('.');
  const out: string[] = [];
  let start: Record<string, unknown> | undefined;
  try {
    do {
      const res = await store.client.send(
        new QueryCommand({
          TableName: store.tableName,
          IndexName: tableDefinition.indexes[0].name,
          KeyConditionExpression: '#gpk = :gpk',
          FilterExpression: `contains(${list}, :value) AND attribute_not_exists(#tomb)`,
          ProjectionExpression: '#name',
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: { ':gpk': gsi1pk, ':value': value },
          ExclusiveStartKey: start,
        }),
      );
      for (const item of res.Items ?? []) out.push(String(item[A.name]));
      start = res.LastEvaluatedKey;
    } while (start);
  } catch (err) {
    translateSdkError(err);
  }
  return out;
}
