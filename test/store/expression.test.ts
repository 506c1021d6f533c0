import { randomUUID } from 'node:crypto';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import { type Condition, field, holds, record, where } from '#lib/store/expression.ts';
import type { Store } from '#lib/store/store.ts';
import { createTestStore } from '#test/support/store.ts';

let store: Store;
beforeAll(async () => {
  store = await createTestStore();
});

class Failed extends Error {}

/** What DynamoDB says of `condition` on the item at `key`: a ConditionCheck in a transaction. */
async function dynamoSays(key: { pk: string; sk: string }, condition: Condition) {
  try {
    await store.transact([{ type: 'check', key, condition, failure: () => new Failed() }], {
      requestId: randomUUID(),
    });
    return true;
  } catch (err) {
    if (err instanceof Failed) return false;
    throw err;
  }
}

const items: Record<string, Record<string, unknown> | undefined> = {
  object: {
    resource_version: 3,
    id: 'id-1',
    data: { phase: 'READY', settings: { a: 1, b: 'x' }, spec: { providers: ['p1', 'p2'] } },
    sandbox: 'box',
    ref_count: 2,
  },
  legacy: { data: { phase: 'DELETING', settings: {} } },
  tombstone: { tombstone: true, resource_version: 4, last_request_id: 'r-1' },
  frozen: { resource_version: 1, frozen: true, data: { settings: { a: 1 } }, ref_count: 0 },
  missing: undefined,
};

const conditions: Record<string, Condition> = {
  live: where.live(),
  absent: where.absent(),
  'version 3': where.version(3),
  'version 1': where.version(1),
  'id id-1': where.id('id-1'),
  notFrozen: where.notFrozen(),
  'notReceipt r-1': where.notReceipt('r-1'),
  'phase = READY': where.equals(field('phase'), 'READY'),
  'phase differs DELETING': where.differs(field('phase'), 'DELETING'),
  'phase in READY, ERROR': where.oneOf(field('phase'), ['READY', 'ERROR']),
  'settings.a present': where.present(field('settings', 'a')),
  'settings.z missing': where.missing(field('settings', 'z')),
  'providers contains p2': where.contains(field('spec', 'providers'), 'p2'),
  'providers excludes p3': where.excludes(field('spec', 'providers'), 'p3'),
  'settings size < 2': where.sizeBelow(field('settings'), 2),
  'record sandbox = box': where.equals(record('sandbox'), 'box'),
  'counter ≤ 0': where.counterAtMost(0),
  'version field below 4': where.below(field('version'), 4),
  'phase below 4': where.below(field('phase'), 4),
  'settings.a below 1': where.below(field('settings', 'a'), 1),
  'settings.a below 2': where.below(field('settings', 'a'), 2),
  'live and (ready or settings.b = x)': where.and(
    where.live(),
    where.or(where.equals(field('phase'), 'READY'), where.equals(field('settings', 'b'), 'x')),
  ),
  'nested ands flatten': where.and(where.and(where.live(), where.notFrozen()), where.version(1)),
};

describe('conditions: rendered for DynamoDB and evaluated in memory, the two agree', () => {
  it('on every item shape, for every condition', async () => {
    const disagreements: string[] = [];
    for (const [itemName, item] of Object.entries(items)) {
      const key = { pk: `cond#${itemName}#${randomUUID()}`, sk: '@' };
      const stored = item ? { ...item, ...key } : undefined;
      if (stored) {
        await store.client.send(new PutCommand({ TableName: store.tableName, Item: stored }));
      }
      for (const [conditionName, condition] of Object.entries(conditions)) {
        const dynamo = await dynamoSays(key, condition);
        const memory = holds(condition, stored);
        if (dynamo !== memory) {
          disagreements.push(
            `${conditionName} on ${itemName}: DynamoDB ${dynamo}, memory ${memory}`,
          );
        }
      }
    }
    expect(disagreements).toEqual([]);
  });
});
