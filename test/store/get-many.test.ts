import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Store } from '#lib/store/store.ts';
import type { ItemKey } from '#lib/store/types.ts';
import { createTestStore } from '#test/support/store.ts';

let store: Store;
beforeAll(async () => {
  store = await createTestStore();
});

const key = (i: number): ItemKey => ({ pk: `many#${i}`, sk: '@' });

async function put(i: number) {
  await store.create(
    { key: key(i), kind: 'Thing', name: `thing-${i}`, data: { i } },
    { requestId: randomUUID() },
  );
}

describe('getMany', () => {
  it('answers in the order asked, undefined for absent and deleted items, duplicates alike', async () => {
    await Promise.all([1, 2, 3].map(put));
    await store.delete(key(2), { kind: 'Thing', name: 'thing-2' }, { requestId: randomUUID() });
    const got = await store.getMany<{ i: number }>([key(3), key(2), key(9), key(1), key(3)]);
    expect(got.map((o) => o?.data.i)).toEqual([3, undefined, undefined, 1, 3]);
    expect(got[0]?.resourceVersion).toBe(1);
  });

  it('reads more than one request holds, in as many requests as it must', async () => {
    const ids = Array.from({ length: 130 }, (_, i) => 1000 + i);
    await Promise.all(ids.map(put));
    const sent: string[] = [];
    store.client.middlewareStack.add(
      (next, context) => (args) => {
        sent.push((context as { commandName?: string }).commandName ?? '');
        return next(args);
      },
      { step: 'initialize', name: 'countGetMany' },
    );
    const got = await store.getMany<{ i: number }>(ids.map(key));
    store.client.middlewareStack.remove('countGetMany');
    expect(got.map((o) => o?.data.i)).toEqual(ids);
    expect(sent).toEqual(['BatchGetItemCommand', 'BatchGetItemCommand']);
  });
});
