import { describe, expect, it } from 'vitest';
import { keys } from '#lib/domain/keys.ts';
import { REF_COUNT } from '#lib/domain/provider-refs.ts';
import type { Store } from '#lib/store/store.ts';
import { providerRefsBackfill } from '#migrations/006-provider-refs.ts';
import { runMigration } from '#migrations/runner.ts';
import { type Call, createTestApi } from '#test/support/api.ts';
import { putLegacySandboxes } from '#test/support/legacy-items.ts';
import { requestKey } from '#test/support/request-key.ts';

/** A table with one provider `gh` and the API over it. */
async function setup() {
  const api = await createTestApi();
  const created = await api.call('POST', '/v1/providers', {
    body: { name: 'gh', type: 'github', credentials: { TOKEN: 't' } },
  });
  expect(created.status).toBe(201);
  return api;
}

async function expectRefused(call: Call, sandboxes: string[]) {
  const res = await call('DELETE', '/v1/providers/gh');
  expect(res.status).toBe(409);
  expect(res.body.code).toBe('FAILED_PRECONDITION');
  expect(res.body.details).toEqual({ sandboxes });
  expect(res.body.detail).toBe(`provider gh is attached to sandboxes: ${sandboxes.join(', ')}`);
  expect((await call('GET', '/v1/providers/gh')).status).toBe(200);
}

/** Counts the index queries and migration-record reads the store's client sends. */
function countReads(store: Store) {
  const seen = { indexQueries: 0, migrationReads: 0 };
  store.client.middlewareStack.add(
    (next, context) => async (args) => {
      const command = (context as { commandName?: string }).commandName;
      const input = args.input as { IndexName?: string; Key?: Record<string, unknown> };
      if (command === 'QueryCommand' && input.IndexName) seen.indexQueries++;
      const key = requestKey(input.Key)?.pk;
      if (command === 'GetItemCommand' && key?.startsWith('migration#')) seen.migrationReads++;
      return next(args);
    },
    { step: 'build', name: 'count-reads' },
  );
  return seen;
}

describe('provider delete with sandboxes written before provider refs', () => {
  it('refuses with 409 naming a legacy sandbox that lists the provider', async () => {
    // arrange
    const { store, call } = await setup();
    await putLegacySandboxes(store, { old: ['gh'] });

    // act + assert
    await expectRefused(call, ['old']);
  });

  it('names legacy sandboxes and recorded ones together, once each', async () => {
    // arrange
    const { store, call } = await setup();
    await putLegacySandboxes(store, { old: ['gh'], 'old-2': ['x', 'gh'], other: ['x'] });
    const modern = await call('POST', '/v1/sandboxes', {
      body: { name: 'new', spec: { providers: ['gh'] } },
    });
    expect(modern.status).toBe(201);

    // act + assert
    await expectRefused(call, ['new', 'old', 'old-2']);
  });

  it('before the migration, detaching from the legacy sandbox or deleting it frees the provider', async () => {
    // arrange
    const { store, call } = await setup();
    await putLegacySandboxes(store, { detached: ['gh'], deleted: ['gh'] });

    // act
    const detach = await call('DELETE', '/v1/sandboxes/detached/providers/gh');
    await expectRefused(call, ['deleted']);
    const del = await call('DELETE', '/v1/sandboxes/deleted');
    const providerDelete = await call('DELETE', '/v1/providers/gh');

    // assert
    expect(detach.status).toBe(200);
    expect(detach.body).toMatchObject({ detached: true, sandbox: { spec: { providers: [] } } });
    expect(del.status).toBe(200);
    expect(providerDelete.status).toBe(200);
    expect(await store.records.get(keys.providerRefs('gh'))).toBeUndefined();
  });

  it('after the migration, delete is still refused; detach then delete works', async () => {
    // arrange
    const { store, call } = await setup();
    await putLegacySandboxes(store, { old: ['gh'] });
    const migrated = await runMigration(store, providerRefsBackfill, { rate: 0 });
    expect(migrated.status).toBe('done');
    expect((await store.records.get(keys.providerRefs('gh')))?.[REF_COUNT]).toBe(1);

    // act + assert
    await expectRefused(call, ['old']);
    const detach = await call('DELETE', '/v1/sandboxes/old/providers/gh');
    expect(detach.status).toBe(200);
    expect(detach.body.detached).toBe(true);
    expect((await store.records.get(keys.providerRefs('gh')))?.[REF_COUNT]).toBe(0);
    expect(await store.records.get(keys.providerRef('gh', 'old'))).toBeUndefined();
    expect((await call('DELETE', '/v1/providers/gh')).status).toBe(200);
  });

  it('looks for legacy sandboxes only until the migration is done, then reads nothing extra', async () => {
    // arrange
    const { store, call } = await setup();
    const seen = countReads(store);
    const provider = (name: string) =>
      call('POST', '/v1/providers', {
        body: { name, type: 'github', credentials: { TOKEN: 't' } },
      });

    // act: before the migration, one index query and one record read per delete
    expect((await call('DELETE', '/v1/providers/gh')).status).toBe(200);
    const before = { ...seen };
    await runMigration(store, providerRefsBackfill, { rate: 0 });
    const afterRun = { ...seen };
    for (const name of ['a', 'b', 'c']) {
      expect((await provider(name)).status).toBe(201);
      expect((await call('DELETE', `/v1/providers/${name}`)).status).toBe(200);
    }

    // assert: the first delete after it reads that it is done, later ones read nothing
    expect(before).toEqual({ indexQueries: 1, migrationReads: 1 });
    expect(seen.indexQueries - afterRun.indexQueries).toBe(0);
    expect(seen.migrationReads - afterRun.migrationReads).toBe(1);
  });
});
