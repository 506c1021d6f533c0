import { randomUUID } from 'node:crypto';
import { GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import { Aborted, AlreadyExists, FailedPrecondition, NotFound } from '#lib/errors.ts';
import { change, field, where } from '#lib/store/expression.ts';
import type { Store } from '#lib/store/store.ts';
import type { TransactOp } from '#lib/store/transact.ts';
import type { Mutation, Page, StoredObject } from '#lib/store/types.ts';
import { loseResponses } from '#test/support/faults.ts';
import { createTestStore } from '#test/support/store.ts';

type Widget = { entries: Record<string, string>; tags: string[] };

let store: Store;
beforeAll(async () => {
  store = await createTestStore();
});

const key = (name: string) => ({ pk: `widget#${name}`, sk: '@' });
const subject = (name: string) => ({ kind: 'Widget', name });
const rid = () => randomUUID();
let counter = 0;
const fresh = () => `w${++counter}-${randomUUID().slice(0, 6)}`;

async function createWidget(name: string, labels: Record<string, string> = {}) {
  return store.create<Widget>(
    {
      key: key(name),
      kind: 'Widget',
      name,
      labels,
      data: { entries: {}, tags: [] },
      index: { gsi1pk: 'Widget', gsi1sk: name },
    },
    { requestId: rid() },
  );
}

async function rawItem(name: string) {
  const res = await store.client.send(
    new GetCommand({ TableName: store.tableName, Key: key(name), ConsistentRead: true }),
  );
  return res.Item;
}

/** Sets one entry; a no-op when the entry already has the value. */
function setEntry(k: string, v: string): Mutation<Widget> {
  return {
    apply: (cur) =>
      cur.data.entries[k] === v
        ? undefined
        : { ...cur.data, entries: { ...cur.data.entries, [k]: v } },
  };
}

/** Appends a tag with one structured change, at most 3 tags and no duplicates. */
function addTag(tag: string): Mutation<Widget> {
  return {
    apply: (cur) => {
      if (cur.data.tags.includes(tag)) return undefined;
      if (cur.data.tags.length >= 3) throw new FailedPrecondition('too many tags');
      return { ...cur.data, tags: [...cur.data.tags, tag] };
    },
    blind: {
      changes: [change.append(['tags'], [tag])],
      requires: where.and(where.excludes(field('tags'), tag), where.sizeBelow(field('tags'), 3)),
    },
  };
}

describe('create', () => {
  it('creates at version 1; a duplicate create is ALREADY_EXISTS and leaves the winner intact', async () => {
    const name = fresh();
    const first = await createWidget(name);
    expect(first.object.resourceVersion).toBe(1);

    await expect(createWidget(name)).rejects.toBeInstanceOf(AlreadyExists);

    const item = await rawItem(name);
    expect(item?.resource_version).toBe(1);
    expect(item?.id).toBe(first.object.id);
  });

  it('two concurrent creates of one name: exactly one wins', async () => {
    const name = fresh();
    const results = await Promise.allSettled([createWidget(name), createWidget(name)]);
    const won = results.filter((r) => r.status === 'fulfilled');
    expect(won).toHaveLength(1);
    const item = await rawItem(name);
    expect(item?.id).toBe(
      (won[0] as PromiseFulfilledResult<{ object: StoredObject }>).value.object.id,
    );
  });
});

describe('client-driven update', () => {
  it('advances 1 → 2 → 3 → 4 with the right version', async () => {
    const name = fresh();
    await createWidget(name);
    for (let v = 1; v <= 3; v++) {
      const res = await store.update(key(name), subject(name), setEntry(`k${v}`, 'x'), {
        requestId: rid(),
        expectedResourceVersion: v,
      });
      expect(res.object.resourceVersion).toBe(v + 1);
    }
    expect((await rawItem(name))?.resource_version).toBe(4);
  });

  it('a stale version is ABORTED with the current version and object; nothing changes', async () => {
    const name = fresh();
    await createWidget(name);
    await store.update(key(name), subject(name), setEntry('a', '1'), {
      requestId: rid(),
      expectedResourceVersion: 1,
    });

    const err = await store
      .update(key(name), subject(name), setEntry('b', '2'), {
        requestId: rid(),
        expectedResourceVersion: 1,
      })
      .catch((e) => e);

    expect(err).toBeInstanceOf(Aborted);
    expect(err.currentResourceVersion).toBe(2);
    expect((err.current as StoredObject<Widget>).data.entries).toEqual({ a: '1' });
    const item = await rawItem(name);
    expect(item?.resource_version).toBe(2);
    expect(item?.data.entries).toEqual({ a: '1' });
  });

  it('a missing object is NOT_FOUND', async () => {
    await expect(
      store.update(key('missing'), subject('missing'), setEntry('a', '1'), {
        requestId: rid(),
        expectedResourceVersion: 1,
      }),
    ).rejects.toBeInstanceOf(NotFound);
    await expect(
      store.update(key('missing'), subject('missing'), addTag('t'), {
        requestId: rid(),
        expectedResourceVersion: 3,
      }),
    ).rejects.toBeInstanceOf(NotFound);
    expect(await rawItem('missing')).toBeUndefined();
  });

  it('an expression mutation is one write; its failed extra condition is explained by apply', async () => {
    const name = fresh();
    await createWidget(name);
    const r1 = await store.update(key(name), subject(name), addTag('a'), {
      requestId: rid(),
      expectedResourceVersion: 1,
    });
    expect(r1.object.data.tags).toEqual(['a']);
    expect(r1.object.resourceVersion).toBe(2);

    // Already present: a no-op that keeps the version.
    const r2 = await store.update(key(name), subject(name), addTag('a'), {
      requestId: rid(),
      expectedResourceVersion: 2,
    });
    expect(r2.changed).toBe(false);
    expect(r2.object.resourceVersion).toBe(2);

    // The precondition is still checked for a no-op.
    await expect(
      store.update(key(name), subject(name), addTag('a'), {
        requestId: rid(),
        expectedResourceVersion: 1,
      }),
    ).rejects.toBeInstanceOf(Aborted);

    await store.update(key(name), subject(name), addTag('b'), {
      requestId: rid(),
      expectedResourceVersion: 2,
    });
    await store.update(key(name), subject(name), addTag('c'), {
      requestId: rid(),
      expectedResourceVersion: 3,
    });
    await expect(
      store.update(key(name), subject(name), addTag('d'), {
        requestId: rid(),
        expectedResourceVersion: 4,
      }),
    ).rejects.toBeInstanceOf(FailedPrecondition);
    const item = await rawItem(name);
    expect(item?.data.tags).toEqual(['a', 'b', 'c']);
    expect(item?.resource_version).toBe(4);
  });

  it('an expected id that does not match is ABORTED', async () => {
    const name = fresh();
    await createWidget(name);
    await expect(
      store.update(key(name), subject(name), addTag('a'), {
        requestId: rid(),
        expectedResourceVersion: 1,
        expectedId: randomUUID(),
      }),
    ).rejects.toBeInstanceOf(Aborted);
    expect((await rawItem(name))?.resource_version).toBe(1);
  });

  it('10 concurrent updates from version 1: exactly one wins, final version 2', async () => {
    const name = fresh();
    await createWidget(name);
    const results = await Promise.allSettled(
      Array.from({ length: 10 }, (_, i) =>
        store.update(key(name), subject(name), setEntry(`k${i}`, 'v'), {
          requestId: rid(),
          expectedResourceVersion: 1,
        }),
      ),
    );
    const ok = results.filter((r) => r.status === 'fulfilled');
    const aborted = results.filter((r) => r.status === 'rejected' && r.reason instanceof Aborted);
    expect(ok).toHaveLength(1);
    expect(aborted).toHaveLength(9);
    const item = await rawItem(name);
    expect(item?.resource_version).toBe(2);
    expect(Object.keys(item?.data.entries)).toHaveLength(1);
  });
});

describe('server-driven update', () => {
  it('20 concurrent writers of distinct keys lose no update', async () => {
    const name = fresh();
    await createWidget(name);
    const results = await Promise.allSettled(
      Array.from({ length: 20 }, (_, i) =>
        store.update(key(name), subject(name), setEntry(`k${i}`, 'v'), { requestId: rid() }),
      ),
    );
    const succeeded = results
      .map((r, i) => (r.status === 'fulfilled' ? i : -1))
      .filter((i) => i >= 0);
    for (const r of results) {
      if (r.status === 'rejected') expect(r.reason).toBeInstanceOf(Aborted);
    }
    const item = await rawItem(name);
    for (const i of succeeded) expect(item?.data.entries[`k${i}`]).toBe('v');
    expect(Object.keys(item?.data.entries)).toHaveLength(succeeded.length);
    expect(item?.resource_version).toBe(1 + succeeded.length);
    expect(succeeded.length).toBeGreaterThan(0);
  });

  it('a no-op keeps the version and writes nothing', async () => {
    const name = fresh();
    await createWidget(name);
    await store.update(key(name), subject(name), setEntry('a', '1'), { requestId: rid() });
    const res = await store.update(key(name), subject(name), setEntry('a', '1'), {
      requestId: rid(),
    });
    expect(res.changed).toBe(false);
    expect(res.object.resourceVersion).toBe(2);
    expect((await rawItem(name))?.resource_version).toBe(2);
  });
});

describe('legacy items', () => {
  it('read as version 1 and accept a write conditioned on 1, which leaves them at 2', async () => {
    const name = fresh();
    await store.client.send(
      new PutCommand({
        TableName: store.tableName,
        Item: {
          ...key(name),
          kind: 'Widget',
          name,
          id: randomUUID(),
          labels: {},
          data: { entries: {}, tags: [] },
          gsi1pk: 'Widget',
          gsi1sk: name,
        },
      }),
    );
    const got = await store.get<Widget>(key(name));
    expect(got?.resourceVersion).toBe(1);

    const res = await store.update(key(name), subject(name), addTag('a'), {
      requestId: rid(),
      expectedResourceVersion: 1,
    });
    expect(res.object.resourceVersion).toBe(2);
    expect((await rawItem(name))?.resource_version).toBe(2);
  });
});

describe('delete', () => {
  it('a stale version is ABORTED and the item stays; the right version deletes it', async () => {
    const name = fresh();
    await createWidget(name);
    await store.update(key(name), subject(name), setEntry('a', '1'), { requestId: rid() });

    await expect(
      store.delete(key(name), subject(name), { requestId: rid(), expectedResourceVersion: 1 }),
    ).rejects.toBeInstanceOf(Aborted);
    expect(await store.get(key(name))).toBeDefined();

    const res = await store.delete(key(name), subject(name), {
      requestId: rid(),
      expectedResourceVersion: 2,
    });
    expect(res.object.resourceVersion).toBe(2);
    expect(await store.get(key(name))).toBeUndefined();
    await expect(
      store.delete(key(name), subject(name), { requestId: rid(), expectedResourceVersion: 2 }),
    ).rejects.toBeInstanceOf(NotFound);
  });

  it('a deleted name can be created again, with a new id', async () => {
    const name = fresh();
    const first = await createWidget(name);
    await store.delete(key(name), subject(name), { requestId: rid() });
    const second = await createWidget(name);
    expect(second.object.id).not.toBe(first.object.id);
    expect(second.object.resourceVersion).toBe(1);
  });
});

describe('transactions', () => {
  it('one failing condition writes nothing and names the failing item', async () => {
    const a = fresh();
    const b = fresh();
    const created = await createWidget(a);
    await createWidget(b);

    const err = await store
      .transact(
        [
          {
            type: 'update',
            subject: subject(a),
            base: created.object,
            data: { entries: { x: '1' }, tags: [] },
          },
          {
            type: 'create',
            object: { key: key(b), kind: 'Widget', name: b, data: { entries: {}, tags: [] } },
          },
        ],
        { requestId: rid() },
      )
      .catch((e) => e);

    expect(err).toBeInstanceOf(AlreadyExists);
    expect(err.objectName).toBe(b);
    const item = await rawItem(a);
    expect(item?.resource_version).toBe(1);
    expect(item?.data.entries).toEqual({});
  });

  it('an object deleted and created again at the same version is another one: ABORTED, untouched', async () => {
    // arrange: the base read at version 1; the name deleted and created again, at 1 too
    const a = fresh();
    const { object: base } = await createWidget(a);
    await store.delete(key(a), subject(a), { requestId: rid(), expectedResourceVersion: 1 });
    await createWidget(a);
    // act
    const results = await Promise.allSettled([
      store.transact(
        [{ type: 'update', subject: subject(a), base, data: { entries: {}, tags: ['x'] } }],
        {
          requestId: rid(),
        },
      ),
      store.transact([{ type: 'delete', subject: subject(a), base }], { requestId: rid() }),
    ]);
    // assert
    for (const r of results) {
      expect(r.status).toBe('rejected');
      expect((r as PromiseRejectedResult).reason).toBeInstanceOf(Aborted);
    }
    const item = await rawItem(a);
    expect(item).toMatchObject({ resource_version: 1, data: { tags: [] } });
    expect(item?.id).not.toBe(base.id);
  });

  it('a stale version inside a transaction is ABORTED with the current version', async () => {
    const a = fresh();
    const created = await createWidget(a);
    await store.update(key(a), subject(a), setEntry('k', 'v'), { requestId: rid() });
    const err = await store
      .transact(
        [
          {
            type: 'update',
            subject: subject(a),
            base: created.object,
            data: { entries: {}, tags: ['z'] },
          },
        ],
        { requestId: rid() },
      )
      .catch((e) => e);
    expect(err).toBeInstanceOf(Aborted);
    expect(err.currentResourceVersion).toBe(2);
  });
});

describe('transaction writes at any version', () => {
  /** Appends tag `reviewed` at any version, on the condition that the widget has no tag. */
  const reviewTag = (a: string, base: StoredObject<Widget>): TransactOp => ({
    type: 'update',
    subject: subject(a),
    base,
    changes: [change.append(['tags'], ['reviewed'])],
    anyVersion: true,
    condition: where.sizeBelow(field('tags'), 1),
  });

  it('an update lands on a version moved meanwhile, moves it by one, and keeps what commuted', async () => {
    // arrange: the base read at 1; a commuting write moves the object to 2
    const a = fresh();
    const { object: base } = await createWidget(a);
    await store.update(key(a), subject(a), setEntry('hit', '1'), { requestId: rid() });
    // act
    const res = await store.transact([reviewTag(a, base)], { requestId: rid() });
    // assert: unknown without a read, so no object is answered
    expect(res.objects).toEqual([undefined]);
    const item = await rawItem(a);
    expect(item?.resource_version).toBe(3);
    expect(item?.data).toEqual({ entries: { hit: '1' }, tags: ['reviewed'] });
  });

  it('its own condition failing is ABORTED with the current object, and nothing changes', async () => {
    const a = fresh();
    const { object: base } = await createWidget(a);
    await store.update(key(a), subject(a), addTag('t'), { requestId: rid() });
    const err = await store.transact([reviewTag(a, base)], { requestId: rid() }).catch((e) => e);
    expect(err).toBeInstanceOf(Aborted);
    expect(err.currentResourceVersion).toBe(2);
    expect((await rawItem(a))?.data.tags).toEqual(['t']);
  });

  it('the object deleted and created again under its name (a new id) is ABORTED', async () => {
    const a = fresh();
    const { object: base } = await createWidget(a);
    await store.delete(key(a), subject(a), { requestId: rid(), expectedResourceVersion: 1 });
    await createWidget(a);
    const err = await store.transact([reviewTag(a, base)], { requestId: rid() }).catch((e) => e);
    expect(err).toBeInstanceOf(Aborted);
    expect((await rawItem(a))?.data.tags).toEqual([]);
  });

  it('a delete makes the tombstone in place, at the version the object is at', async () => {
    const a = fresh();
    const { object: base } = await createWidget(a, { team: 'x' });
    await store.update(key(a), subject(a), setEntry('hit', '1'), { requestId: rid() });
    await store.transact([{ type: 'delete', subject: subject(a), base, anyVersion: true }], {
      requestId: rid(),
    });
    const item = await rawItem(a);
    expect(item).toMatchObject({ tombstone: true, resource_version: 2, id: base.id });
    expect(item).not.toHaveProperty('data');
    expect(item).not.toHaveProperty('labels');
    expect(await store.get(key(a))).toBeUndefined();
  });

  it('an update at any version writes structured changes, never the whole data', async () => {
    const a = fresh();
    const { object: base } = await createWidget(a);
    await expect(
      store.transact(
        [{ type: 'update', subject: subject(a), base, data: base.data, anyVersion: true }],
        { requestId: rid() },
      ),
    ).rejects.toThrow(/structured changes/);
    expect((await rawItem(a))?.resource_version).toBe(1);
  });
});

describe('ambiguous writes', () => {
  it('an update whose response was lost succeeds once on the retry, not as a conflict', async () => {
    const name = fresh();
    await createWidget(name);
    const faults = loseResponses(store.client, (cmd) => cmd === 'UpdateItemCommand');
    try {
      const res = await store.update(key(name), subject(name), addTag('once'), {
        requestId: rid(),
        expectedResourceVersion: 1,
      });
      expect(res.object.resourceVersion).toBe(2);
      expect(res.resolvedByReceipt).toBe(true);
      const server = await store.update(key(name), subject(name), setEntry('s', '1'), {
        requestId: rid(),
      });
      expect(server.object.resourceVersion).toBe(3);
      expect(server.resolvedByReceipt).toBe(true);
    } finally {
      faults.remove();
    }
    expect(faults.injected).toBe(2);
    const item = await rawItem(name);
    expect(item?.data.tags).toEqual(['once']);
    expect(item?.data.entries).toEqual({ s: '1' });
    expect(item?.resource_version).toBe(3);
  });

  it('a create whose response was lost succeeds with version 1', async () => {
    const name = fresh();
    const faults = loseResponses(store.client, (cmd) => cmd === 'PutItemCommand');
    try {
      const res = await createWidget(name);
      expect(res.object.resourceVersion).toBe(1);
      expect(res.resolvedByReceipt).toBe(true);
    } finally {
      faults.remove();
    }
    expect(faults.injected).toBe(1);
    expect((await rawItem(name))?.resource_version).toBe(1);
  });

  it('a delete whose response was lost succeeds, not NOT_FOUND', async () => {
    const name = fresh();
    await createWidget(name);
    const faults = loseResponses(store.client, (cmd) => cmd === 'PutItemCommand');
    try {
      const res = await store.delete(key(name), subject(name), {
        requestId: rid(),
        expectedResourceVersion: 1,
      });
      expect(res.resolvedByReceipt).toBe(true);
    } finally {
      faults.remove();
    }
    expect(await store.get(key(name))).toBeUndefined();
  });

  it('a transaction whose response was lost is applied exactly once', async () => {
    const name = fresh();
    const created = await createWidget(name);
    const faults = loseResponses(store.client, (cmd) => cmd === 'TransactWriteItemsCommand');
    try {
      await store.transact(
        [
          {
            type: 'update',
            subject: subject(name),
            base: created.object,
            data: { entries: { t: '1' }, tags: [] },
          },
        ],
        { requestId: rid() },
      );
    } finally {
      faults.remove();
    }
    expect(faults.injected).toBe(1);
    expect((await rawItem(name))?.resource_version).toBe(2);
  });
});

describe('list', () => {
  it('reports stored versions, pages through every item once, and filters by labels', async () => {
    const kind = `Gadget${randomUUID().slice(0, 4)}`;
    const names = Array.from({ length: 25 }, (_, i) => `g${String(i).padStart(2, '0')}`);
    await Promise.all(
      names.map((name, i) =>
        store.create(
          {
            key: { pk: `${kind}#${name}`, sk: '@' },
            kind,
            name,
            labels: { team: i % 2 ? 'odd' : 'even' },
            data: {},
            index: { gsi1pk: kind, gsi1sk: name },
          },
          { requestId: rid() },
        ),
      ),
    );
    await store.update(
      { pk: `${kind}#g03`, sk: '@' },
      { kind, name: 'g03' },
      { apply: () => ({ x: 1 }) },
      { requestId: rid() },
    );

    const seen: StoredObject[] = [];
    let token: string | undefined;
    let pages = 0;
    do {
      const page: Page<StoredObject> = await store.list(kind, { pageSize: 7, pageToken: token });
      seen.push(...page.items);
      token = page.nextPageToken;
      pages++;
    } while (token);
    expect(pages).toBe(4);
    expect(seen.map((o) => o.name)).toEqual(names);
    expect(seen.find((o) => o.name === 'g03')?.resourceVersion).toBe(2);

    const odd: StoredObject[] = [];
    token = undefined;
    do {
      const page: Page<StoredObject> = await store.list(kind, {
        pageSize: 5,
        pageToken: token,
        labelSelector: { team: 'odd' },
      });
      odd.push(...page.items);
      token = page.nextPageToken;
    } while (token);
    expect(odd.map((o) => o.name)).toEqual(names.filter((_, i) => i % 2));
  });
});

describe('blind writes: changes that commute are one UpdateItem and never conflict', () => {
  type Counted = Widget & { hits?: number };
  const hit = (): Mutation<Counted> => ({
    apply: (cur) => ({ ...cur.data, hits: (cur.data.hits ?? 0) + 1 }),
    blind: { changes: [change.increment(['hits'])] },
  });

  it('32 concurrent server-driven increments of one counter: none aborted, none lost', async () => {
    // arrange
    const name = fresh();
    await createWidget(name);
    const sent: string[] = [];
    const watch = `count-${name}`;
    store.client.middlewareStack.add(
      (next, context) => async (args) => {
        sent.push((context as { commandName?: string }).commandName ?? '');
        return next(args);
      },
      { step: 'initialize', name: watch },
    );
    // act
    const results = await Promise.allSettled(
      Array.from({ length: 32 }, () =>
        store.update<Counted>(key(name), subject(name), hit(), { requestId: rid() }),
      ),
    );
    store.client.middlewareStack.remove(watch);
    // assert
    expect(results.filter((r) => r.status === 'rejected')).toEqual([]);
    expect(sent).toEqual(Array(32).fill('UpdateItemCommand'));
    const final = await store.get<Counted>(key(name));
    expect(final?.data.hits).toBe(32);
    expect(final?.resourceVersion).toBe(33);
    const versions = results.map((r) =>
      r.status === 'fulfilled' ? r.value.object.resourceVersion : 0,
    );
    expect(new Set(versions).size).toBe(32);
  });

  it('a blind write that changes nothing keeps the version; a client-driven one checks it', async () => {
    const name = fresh();
    await createWidget(name);
    const set = (v: string): Mutation<Widget> => ({
      ...setEntry('k', v),
      blind: { changes: [change.set(['entries', 'k'], v)] },
    });
    const first = await store.update(key(name), subject(name), set('a'), { requestId: rid() });
    expect(first).toMatchObject({ changed: true, object: { resourceVersion: 2 } });
    const again = await store.update(key(name), subject(name), set('a'), { requestId: rid() });
    expect(again).toMatchObject({ changed: false, object: { resourceVersion: 2 } });
    await expect(
      store.update(key(name), subject(name), set('b'), {
        requestId: rid(),
        expectedResourceVersion: 1,
      }),
    ).rejects.toBeInstanceOf(Aborted);
    const b = await store.update(key(name), subject(name), set('b'), {
      requestId: rid(),
      expectedResourceVersion: 2,
    });
    expect(b.object).toMatchObject({ resourceVersion: 3, data: { entries: { k: 'b' } } });
  });

  it('a blind increment whose response was lost is applied once', async () => {
    const name = fresh();
    await createWidget(name);
    const faults = loseResponses(store.client, (cmd) => cmd === 'UpdateItemCommand');
    const res = await store.update<Counted>(key(name), subject(name), hit(), { requestId: rid() });
    faults.remove();
    expect(faults.injected).toBe(1);
    expect(res.resolvedByReceipt).toBe(true);
    const final = await store.get<Counted>(key(name));
    expect(final?.data.hits).toBe(1);
    expect(final?.resourceVersion).toBe(2);
  });

  it('a frozen object accepts no write, blind or read-apply', async () => {
    const name = fresh();
    await createWidget(name);
    await store.transact([{ type: 'freeze', key: key(name) }], { requestId: rid() });
    const refuse: Mutation<Widget> = {
      apply: (cur) => {
        if (cur.frozen) throw new FailedPrecondition('frozen');
        return { ...cur.data, tags: ['x'] };
      },
    };
    await expect(
      store.update(
        key(name),
        subject(name),
        { ...refuse, blind: { changes: [change.set(['tags'], ['x'])] } },
        { requestId: rid() },
      ),
    ).rejects.toBeInstanceOf(FailedPrecondition);
    await expect(
      store.update(key(name), subject(name), refuse, { requestId: rid() }),
    ).rejects.toBeInstanceOf(FailedPrecondition);
    expect((await store.get<Widget>(key(name)))?.resourceVersion).toBe(1);
  });
});
