import { randomUUID } from 'node:crypto';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { keys } from '#lib/domain/keys.ts';
import { REF_COUNT, recordListingOps } from '#lib/domain/provider-refs.ts';
import type { SandboxData } from '#lib/domain/types.ts';
import { recordProviderRefs } from '#lib/jobs/provider-refs.ts';
import { createDocumentClient } from '#lib/store/client.ts';
import { Store } from '#lib/store/store.ts';
import { providerRefsBackfill } from '#migrations/006-provider-refs.ts';
import { migrationStatus, runMigration } from '#migrations/runner.ts';
import type { MigrationRecord } from '#migrations/state.ts';
import { type Call, createTestApi } from '#test/support/api.ts';
import { itemsByKey, putLegacySandboxes, scanAll } from '#test/support/legacy-items.ts';
import { createTestStore, dynamoEndpoint } from '#test/support/store.ts';

const ID = providerRefsBackfill.id;

/** Another process's view of the same table: its own client, so middleware stays apart. */
function otherStore(store: Store): Store {
  return new Store(createDocumentClient({ endpoint: dynamoEndpoint() }), store.tableName);
}

/** A table with an API over it whose requests do not pass the job's client middleware. */
async function setup() {
  const store = await createTestStore();
  const { call } = await createTestApi(otherStore(store));
  return { store, call };
}

async function createProviders(call: Call, names: string[]) {
  for (const name of names) {
    const res = await call('POST', '/v1/providers', {
      body: { name, type: 'github', credentials: { TOKEN: `t-${name}` } },
    });
    expect(res.status).toBe(201);
  }
}

/** The provider's bookkeeping next to the sandboxes that really list it. */
async function refState(store: Store, provider: string) {
  const refs = await store.records.get(keys.providerRefs(provider));
  const named = await store.records.query(keys.providerRefs(provider).pk, 'ref#');
  const listing = (await scanAll(store))
    .filter((item) => item.kind === 'Sandbox' && item.tombstone !== true)
    .filter((item) => (item.data as SandboxData).spec.providers.includes(provider))
    .map((item) => String(item.name))
    .sort();
  return {
    count: Number(refs?.[REF_COUNT] ?? 0),
    refs: named.map((r) => String(r.sandbox)).sort(),
    listing,
  };
}

/** count == number of ref records == number of sandboxes listing it, and the same names. */
async function expectConsistent(store: Store, provider: string) {
  const state = await refState(store, provider);
  expect(state.refs, provider).toEqual(state.listing);
  expect(state.count, provider).toBe(state.listing.length);
  return state;
}

type Input = { TransactItems?: Array<Record<string, { Item?: Record<string, unknown> }>> };
const text = (v: unknown) => (typeof v === 'string' ? v : (v as { S?: string } | undefined)?.S);

/** The listing a migration transaction records (its ref put), if `input` is one. */
function recordedListing(input: Input): { sandbox: string; provider: string } | undefined {
  const put = input.TransactItems?.[1]?.Put?.Item;
  const sk = text(put?.sk);
  if (!put || !sk?.startsWith('ref#')) return undefined;
  return { sandbox: sk.slice('ref#'.length), provider: text(put.pk)!.slice('provider#'.length) };
}

/** Runs `before` ahead of each TransactWriteItems the client sends, inside the request's path. */
function beforeTransactions(
  client: DynamoDBDocumentClient,
  before: (input: Input) => Promise<void>,
): () => void {
  const name = `before-${randomUUID()}`;
  client.middlewareStack.add(
    (next, context) => async (args) => {
      if ((context as { commandName?: string }).commandName === 'TransactWriteItemsCommand') {
        await before(args.input as Input);
      }
      return next(args);
    },
    { step: 'build', name },
  );
  return () => client.middlewareStack.remove(name);
}

const range = (n: number, f: (i: number) => string) => Array.from({ length: n }, (_, i) => f(i));

describe('migration 006-provider-refs', () => {
  it('records every legacy listing once with its count, leaves recorded ones alone, and a second run writes nothing', async () => {
    // arrange: 60 legacy sandboxes over three pages, two of today's, one listing a gone provider
    const { store, call } = await setup();
    const providers = ['p0', 'p1', 'p2', 'p3'];
    await createProviders(call, providers);
    const legacy: Record<string, string[]> = {};
    for (let i = 0; i < 60; i++) legacy[`old-${i}`] = providers.filter((_, j) => (i + j) % 3 !== 0);
    legacy['old-gone'] = ['p0', 'gone'];
    await putLegacySandboxes(store, legacy);
    for (const name of ['new-a', 'new-b']) {
      const res = await call('POST', '/v1/sandboxes', { body: { name, spec: { providers } } });
      expect(res.status).toBe(201);
    }
    const legacyListings = Object.values(legacy).flat().length;

    // act
    const first = await runMigration(store, providerRefsBackfill, { rate: 0 });

    // assert
    expect(first).toMatchObject({ id: ID, status: 'done', remaining: 0, resumed: false });
    expect(first.counts).toMatchObject({
      scanned: 63,
      listings: legacyListings + 8,
      recorded: legacyListings,
      skipped: 8,
      conflicts: 0,
    });
    for (const p of [...providers, 'gone']) await expectConsistent(store, p);
    expect((await refState(store, 'gone')).refs).toEqual(['old-gone']);
    const [, status] = await migrationStatus(store);
    expect(status).toMatchObject({ id: ID, status: 'done', remaining: 0, lease: undefined });
    expect(status?.totals).toMatchObject({ recorded: legacyListings, skipped: 8, scanned: 63 });

    // act: the job again, past the record that says it is done, and the runner again
    const before = await itemsByKey(store);
    const again = await recordProviderRefs(store, { rate: 0 });
    const rerun = await runMigration(store, providerRefsBackfill, { rate: 0 });

    // assert
    expect(again.outcome).toBe('done');
    expect(again.counts).toMatchObject({ recorded: 0, skipped: legacyListings + 8, conflicts: 0 });
    expect(await itemsByKey(store)).toEqual(before);
    expect(rerun.status).toBe('already-done');
  });

  it('a dry run counts the unrecorded listings and writes nothing; verify finds restored ones', async () => {
    // arrange
    const { store, call } = await setup();
    await createProviders(call, ['p']);
    await putLegacySandboxes(store, { a: ['p'], b: ['p', 'x'] });
    const before = await itemsByKey(store);

    // act
    const dry = await runMigration(store, providerRefsBackfill, { dryRun: true, rate: 0 });

    // assert
    expect(dry).toMatchObject({ status: 'dry-run', remaining: 3 });
    expect(dry.counts).toMatchObject({ unrecorded: 3, recorded: 0 });
    expect(await itemsByKey(store)).toEqual(before);

    // act: done, then a sandbox from an old backup comes back, and `migrate run` rechecks
    await runMigration(store, providerRefsBackfill, { rate: 0 });
    await putLegacySandboxes(store, { restored: ['p'] });
    const recheck = await runMigration(store, providerRefsBackfill, { rate: 0, recheck: true });

    // assert
    expect(recheck).toMatchObject({ status: 'done' });
    expect(recheck.counts).toMatchObject({ recorded: 1, skipped: 3 });
    const state = await expectConsistent(store, 'p');
    expect(state.refs).toEqual(['a', 'b', 'restored']);
  });

  it('a stopped run resumes from its checkpoint: every listing is recorded exactly once', async () => {
    // arrange: 100 legacy sandboxes (four pages) listing 2 providers each
    const { store, call } = await setup();
    await createProviders(call, ['p', 'q', 'r']);
    const legacy = Object.fromEntries(
      range(100, (i) => `old-${String(i).padStart(3, '0')}`).map((name, i) => [
        name,
        i % 2 ? ['p', 'q'] : ['q', 'r'],
      ]),
    );
    await putLegacySandboxes(store, legacy);
    const stop = new AbortController();
    let transactions = 0;
    const remove = beforeTransactions(store.client, async (input) => {
      if (recordedListing(input) && ++transactions === 90) stop.abort();
    });

    // act
    let first: Awaited<ReturnType<typeof runMigration>>;
    try {
      first = await runMigration(store, providerRefsBackfill, { rate: 0, signal: stop.signal });
    } finally {
      remove();
    }
    const paused = await store.get<MigrationRecord>(keys.migration(ID));
    const second = await runMigration(store, providerRefsBackfill, { rate: 0 });

    // assert
    expect(first.status).toBe('stopped');
    expect(paused?.data).toMatchObject({ status: 'pending', lease: null });
    expect(second).toMatchObject({ status: 'done', resumed: true });
    expect(first.counts.recorded).toBeGreaterThanOrEqual(90);
    expect(first.counts.recorded! + second.counts.recorded!).toBe(200);
    // It went on from the checkpoint rather than reading every sandbox again.
    expect(second.counts.scanned).toBeLessThan(100);
    expect(second.totals.recorded).toBe(200);
    for (const p of ['p', 'q', 'r']) await expectConsistent(store, p);
  });

  it('a detach or sandbox delete between its read and its write wins: the listing is not counted', async () => {
    // arrange: just before the job records a listing, the API detaches it or deletes the sandbox
    const { store, call } = await setup();
    await createProviders(call, ['p', 'q']);
    const names = range(12, (i) => `old-${i}`);
    await putLegacySandboxes(store, Object.fromEntries(names.map((n) => [n, ['p', 'q']])));
    const raced = new Set<string>();
    const remove = beforeTransactions(store.client, async (input) => {
      const listing = recordedListing(input);
      if (listing?.provider !== 'p' || raced.has(listing.sandbox)) return;
      raced.add(listing.sandbox);
      const i = Number(listing.sandbox.slice('old-'.length));
      const res =
        i % 3 === 0
          ? await call('DELETE', `/v1/sandboxes/${listing.sandbox}`)
          : i % 3 === 1
            ? await call('DELETE', `/v1/sandboxes/${listing.sandbox}/providers/p`)
            : undefined;
      if (res) expect(res.status).toBe(200);
    });

    // act
    let result: Awaited<ReturnType<typeof runMigration>>;
    try {
      result = await runMigration(store, providerRefsBackfill, { rate: 0 });
    } finally {
      remove();
    }

    // assert: 4 deleted (their q listing goes too), 4 detached, 4 recorded
    expect(result.status).toBe('done');
    expect(raced.size).toBe(12);
    expect(result.counts.conflicts).toBe(8 + 4);
    const p = await expectConsistent(store, 'p');
    const q = await expectConsistent(store, 'q');
    expect(p.refs).toEqual(['old-11', 'old-2', 'old-5', 'old-8']);
    expect(q.count).toBe(8);
  });

  it('a listing recorded between the read and the write of a legacy detach or delete is undone with it', async () => {
    // arrange: the API's detach and delete find no ref, then the job records the listing just
    // before their transaction (the one that checks the ref is still absent) is sent
    const store = await createTestStore();
    const api = otherStore(store);
    const { call } = await createTestApi(api);
    await createProviders(call, ['p']);
    await putLegacySandboxes(store, { detached: ['p'], deleted: ['p'], kept: ['p'] });
    const recorded: string[] = [];
    const remove = beforeTransactions(api.client, async (input) => {
      const checks = (input.TransactItems ?? []).flatMap((t) => {
        const key = (t.ConditionCheck as { Key?: Record<string, unknown> } | undefined)?.Key;
        const sk = text(key?.sk);
        return sk?.startsWith('ref#') ? [sk.slice('ref#'.length)] : [];
      });
      for (const sandbox of checks) {
        if (recorded.includes(sandbox)) continue;
        recorded.push(sandbox);
        await store.transact(recordListingOps(sandbox, 'p'), { requestId: randomUUID() });
      }
    });

    // act
    let detach: Awaited<ReturnType<Call>>;
    let del: Awaited<ReturnType<Call>>;
    try {
      detach = await call('DELETE', '/v1/sandboxes/detached/providers/p');
      del = await call('DELETE', '/v1/sandboxes/deleted');
    } finally {
      remove();
    }

    // assert
    expect(recorded).toEqual(['detached', 'deleted']);
    expect(detach.status).toBe(200);
    expect(detach.body.detached).toBe(true);
    expect(del.status).toBe(200);
    // What the job recorded went with the listing; `kept` is still to be recorded.
    expect(await refState(store, 'p')).toEqual({ count: 0, refs: [], listing: ['kept'] });
    await runMigration(store, providerRefsBackfill, { rate: 0 });
    expect((await expectConsistent(store, 'p')).refs).toEqual(['kept']);
  });

  it('concurrent attach, detach and sandbox deletes: count == ref records == sandboxes listing, then delete is 409 until detached', async () => {
    // arrange
    const { store, call } = await setup();
    await createProviders(call, ['p', 'q']);
    const legacy = Object.fromEntries(
      range(80, (i) => `old-${String(i).padStart(2, '0')}`).map((name, i) => [
        name,
        i % 2 ? ['p', 'q'] : ['q'],
      ]),
    );
    await putLegacySandboxes(store, legacy);
    const names = Object.keys(legacy);
    const api = async () => {
      for (const [i, name] of names.entries()) {
        if (i % 4 === 0) await call('PUT', `/v1/sandboxes/${name}/providers/p`);
        else if (i % 4 === 1) await call('DELETE', `/v1/sandboxes/${name}/providers/p`);
        else if (i % 8 === 2) await call('DELETE', `/v1/sandboxes/${name}`);
        if (i % 10 === 0) {
          await call('POST', '/v1/sandboxes', {
            body: { name: `new-${i}`, spec: { providers: ['p'] } },
          });
        }
      }
    };

    // act
    const [result] = await Promise.all([
      runMigration(store, providerRefsBackfill, { rate: 0 }),
      api(),
      api(),
    ]);

    // assert
    expect(result.status).toBe('done');
    const p = await expectConsistent(store, 'p');
    await expectConsistent(store, 'q');
    expect(p.count).toBeGreaterThan(0);

    // act: provider delete is refused naming exactly the sandboxes, then works once they detach
    const refused = await call('DELETE', '/v1/providers/p');
    expect(refused.status).toBe(409);
    expect(refused.body.code).toBe('FAILED_PRECONDITION');
    expect(refused.body.details.sandboxes).toEqual(p.listing);
    for (const name of p.listing) {
      expect((await call('DELETE', `/v1/sandboxes/${name}/providers/p`)).status).toBe(200);
    }
    expect((await call('DELETE', '/v1/providers/p')).status).toBe(200);
    expect(await refState(store, 'p')).toEqual({ count: 0, refs: [], listing: [] });
  });
});
