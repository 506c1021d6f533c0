import { setTimeout as sleep } from 'node:timers/promises';
import { beforeAll, describe, expect, it } from 'vitest';
import { deleteGlobalPolicy, putGlobalPolicy } from '#lib/domain/global-policy.ts';
import { childPrefix, keys } from '#lib/domain/keys.ts';
import { getConfig, putPolicy } from '#lib/domain/policy.ts';
import { createSandbox } from '#lib/domain/sandboxes.ts';
import { writeSetting } from '#lib/domain/settings.ts';
import type { SandboxData } from '#lib/domain/types.ts';
import type { Store } from '#lib/store/store.ts';
import { type Call, createTestApi } from '#test/support/api.ts';
import { objectsOver } from '#test/support/objects.ts';
import { contextOf, failureOf, settle } from '#test/support/operation-context.ts';
import { meter } from '#test/support/sdk-meter.ts';
import { createTestStore } from '#test/support/store.ts';

/**
 * A sandbox's policy (`lib/domain/policy.ts`) and the revisions a write of it creates
 * (`lib/domain/revisions.ts`; reports over many revisions: `policy-revisions.test.ts`), and what
 * a global policy (`lib/domain/global-policy.ts`) does to both. The global policy is one per
 * table, so the tests of it each have a table of their own.
 */

let call: Call;
let store: Store;
beforeAll(async () => {
  ({ call, store } = await createTestApi());
});
const { sandbox } = objectsOver(() => ({ call, store }));

describe('policy', () => {
  it('first policy is a CAS on the sandbox; later ones are revisions N+1; LOADED supersedes', async () => {
    const s = await sandbox();
    const name = s.metadata.name;
    const first = await call('PUT', `/v1/sandboxes/${name}/config/policy`, {
      body: { policy: { net: 'deny' }, expectedResourceVersion: 1 },
    });
    expect(first.status).toBe(200);
    expect(first.body.revision.version).toBe(1);
    expect(first.body.sandbox.metadata.resourceVersion).toBe(2);
    const second = await call('PUT', `/v1/sandboxes/${name}/config/policy`, {
      body: { policy: { net: 'allow' } },
    });
    expect(second.body.revision.version).toBe(2);

    const loaded1 = await call('PUT', `/v1/sandboxes/${name}/config/policy/revisions/1/status`, {
      body: { status: 'LOADED' },
    });
    expect(loaded1.body.status).toBe('LOADED');
    const loaded2 = await call('PUT', `/v1/sandboxes/${name}/config/policy/revisions/2/status`, {
      body: { status: 'LOADED' },
    });
    expect(loaded2.body.status).toBe('LOADED');

    const revisions = await call('GET', `/v1/sandboxes/${name}/config/policy/revisions`);
    expect(
      revisions.body.items.map((r: { version: number; status: string }) => [r.version, r.status]),
    ).toEqual([
      [2, 'LOADED'],
      [1, 'SUPERSEDED'],
    ]);
    const config = await call('GET', `/v1/sandboxes/${name}/config`);
    expect(config.body.currentPolicyVersion).toBe(2);
    expect(config.body.policyVersion).toBe(2);
    expect(config.body.policy).toEqual({ net: 'allow' });
  });

  it('concurrent policy writers never produce two revisions with the same number', async () => {
    const s = await sandbox();
    const name = s.metadata.name;
    const results = await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        call('PUT', `/v1/sandboxes/${name}/config/policy`, { body: { policy: { i } } }),
      ),
    );
    const ok = results.filter((r) => r.status === 200);
    const versions = ok.map((r) => r.body.revision.version);
    expect(new Set(versions).size).toBe(versions.length);
    const revisions = await call('GET', `/v1/sandboxes/${name}/config/policy/revisions`);
    expect(revisions.body.items).toHaveLength(ok.length);
  });
});

const sandboxOn = (store: Store, name: string) =>
  createSandbox(contextOf(store), { name, spec: {} });

const sandboxRevisions = (store: Store, name: string) =>
  store.queryAll(keys.sandboxPartition(name), childPrefix.policyRevision);

describe('policy under a global policy', () => {
  it('while a global policy is in force, a sandbox PUT is 409 FAILED_PRECONDITION and writes nothing; lifted, it works again', async () => {
    // arrange
    const db = await createTestStore();
    await sandboxOn(db, 'box');
    await putPolicy(contextOf(db), 'box', { policy: { own: 1 } });
    await putGlobalPolicy(contextOf(db), { policy: { global: true } });
    const before = await db.get<SandboxData>(keys.sandbox('box'));

    // act
    const err = await failureOf(putPolicy(contextOf(db), 'box', { policy: { own: 2 } }));

    // assert
    expect(err.code).toBe('FAILED_PRECONDITION');
    expect(err.message).toBe('policy is managed globally');
    expect(await db.get(keys.sandbox('box'))).toEqual(before);
    expect(await sandboxRevisions(db, 'box')).toHaveLength(1);

    // act: lifted
    await deleteGlobalPolicy(contextOf(db), {});
    const after = await putPolicy(contextOf(db), 'box', { policy: { own: 2 } });

    // assert
    expect(after.revision.data).toMatchObject({ version: 2, policy: { own: 2 } });
  });

  it('a global PUT racing sandbox PUTs: every sandbox PUT that succeeded committed before the global one', async () => {
    // Each sandbox's PUTs run one after another (a chain) while the global PUT runs beside
    // them: a PUT starts after the previous one answered, so it commits after it. A refused PUT
    // met the global policy in force; every later PUT of the chain then commits later still and
    // must be refused too. "No success after a refusal" in a chain, and "no success that started
    // after the global PUT answered", are exactly "every success committed before the global
    // PUT" for what the clients can observe; the sandbox's stored revisions must match the
    // successes one for one.
    const ROUNDS = 15;
    const CHAINS = 3;
    const LENGTH = 4;
    const db = await createTestStore();
    const names = Array.from({ length: ROUNDS * CHAINS }, (_, i) => `race-${i}`);
    await Promise.all(names.map((name) => sandboxOn(db, name)));
    let refusedSeen = 0;
    let acceptedSeen = 0;
    for (let round = 0; round < ROUNDS; round++) {
      // arrange
      const chains = names.slice(round * CHAINS, (round + 1) * CHAINS);
      const clock = () => performance.now();

      // act
      const global = (async () => {
        await sleep(Math.random() * 150);
        const start = clock();
        await putGlobalPolicy(contextOf(db), { policy: { round } });
        return { start, end: clock() };
      })();
      const runs = chains.map(async (name) => {
        const calls: { start: number; end: number; ok: boolean; code?: string }[] = [];
        for (let i = 0; i < LENGTH; i++) {
          const start = clock();
          const r = await settle(putPolicy(contextOf(db), name, { policy: { round, i } }));
          calls.push({ start, end: clock(), ok: r.ok, code: r.ok ? undefined : r.code });
        }
        return { name, calls };
      });
      const [g, ...done] = await Promise.all([global, ...runs]);

      // assert
      for (const { name, calls } of done) {
        for (const c of calls) if (!c.ok) expect(c.code).toBe('FAILED_PRECONDITION');
        const firstRefusal = calls.findIndex((c) => !c.ok);
        if (firstRefusal >= 0) expect(calls.slice(firstRefusal).every((c) => !c.ok)).toBe(true);
        for (const c of calls) {
          if (c.start > g!.end) expect(c.ok, `${name}: started after the global PUT`).toBe(false);
          if (c.end < g!.start) expect(c.ok, `${name}: answered before the global PUT`).toBe(true);
        }
        const accepted = calls.filter((c) => c.ok).length;
        acceptedSeen += accepted;
        refusedSeen += calls.length - accepted;
        const sandbox = await db.get<SandboxData>(keys.sandbox(name));
        expect(sandbox?.data.latestPolicyVersion).toBe(accepted);
        expect(await sandboxRevisions(db, name)).toHaveLength(accepted);
      }
      await deleteGlobalPolicy(contextOf(db), {});
    }
    // the rounds did race: both outcomes happened
    expect(acceptedSeen).toBeGreaterThan(0);
    expect(refusedSeen).toBeGreaterThan(0);
  });
});

describe('sandbox config under the global policy and settings', () => {
  it('shows the sandbox’s own policy and settings (SANDBOX) until a global policy is in force, then the global one; global settings win; one BatchGetItem', async () => {
    // arrange
    const db = await createTestStore();
    await sandboxOn(db, 'box');
    await putPolicy(contextOf(db), 'box', { policy: { own: true } });
    await writeSetting(contextOf(db), { sandbox: 'box' }, 'mode', 'fast');
    await writeSetting(contextOf(db), { sandbox: 'box' }, 'shared', 1);
    await writeSetting(contextOf(db), 'global', 'theme', 'dark');
    const counter = meter(db.client);

    // act
    const own = await getConfig(contextOf(db), 'box');
    const ownCost = { ...counter.counts };
    // a global key that the sandbox also holds (set before the global one) wins
    await writeSetting(contextOf(db), 'global', 'shared', 2);
    await putGlobalPolicy(contextOf(db), { policy: { global: true } });
    counter.reset();
    const governed = await getConfig(contextOf(db), 'box');
    const governedCost = { ...counter.counts };
    await deleteGlobalPolicy(contextOf(db), {});
    const lifted = await getConfig(contextOf(db), 'box');
    counter.remove();

    // assert
    expect(ownCost).toEqual({ BatchGetItem: 1 });
    expect(governedCost).toEqual({ BatchGetItem: 1 });
    expect(own.policySource).toBe('SANDBOX');
    expect(own.policy).toEqual({ own: true });
    expect(own.globalPolicy).toBeUndefined();
    expect(own.effectiveSettings).toEqual({
      mode: { value: 'fast', scope: 'SANDBOX' },
      shared: { value: 1, scope: 'SANDBOX' },
      theme: { value: 'dark', scope: 'GLOBAL' },
    });
    expect(governed.policySource).toBe('GLOBAL');
    expect(governed.policy).toEqual({ global: true });
    expect(governed.globalPolicy?.data.version).toBe(1);
    // the sandbox's own policy and settings are still its own
    expect(governed.sandbox.data.spec.policy).toEqual({ own: true });
    expect(governed.settings?.data.settings).toEqual({ mode: 'fast', shared: 1 });
    expect(governed.effectiveSettings).toEqual({
      mode: { value: 'fast', scope: 'SANDBOX' },
      shared: { value: 2, scope: 'GLOBAL' },
      theme: { value: 'dark', scope: 'GLOBAL' },
    });
    expect(lifted.policySource).toBe('SANDBOX');
    expect(lifted.policy).toEqual({ own: true });
  });

  it('a missing sandbox is 404 NOT_FOUND, and a sandbox without a policy shows null', async () => {
    // arrange
    const db = await createTestStore();
    await sandboxOn(db, 'bare');

    // act
    const missing = await failureOf(getConfig(contextOf(db), 'nope'));
    const bare = await getConfig(contextOf(db), 'bare');

    // assert
    expect(missing.code).toBe('NOT_FOUND');
    expect(missing.message).toBe('sandbox nope does not exist.');
    expect(bare).toMatchObject({ policySource: 'SANDBOX', policy: null, effectiveSettings: {} });
    expect(bare.globalSettings).toBeUndefined();
  });
});
