import { describe, expect, it } from 'vitest';
import {
  deleteGlobalPolicy,
  getGlobalPolicy,
  listGlobalPolicyRevisions,
  putGlobalPolicy,
} from '#lib/domain/global-policy.ts';
import { childPrefix, Kind, keys } from '#lib/domain/keys.ts';
import { policyHash } from '#lib/domain/revisions.ts';
import type { GlobalPolicyData, GlobalPolicyRevisionData } from '#lib/domain/types.ts';
import { Aborted } from '#lib/errors.ts';
import { MAX_ATTEMPTS } from '#lib/store/backoff.ts';
import type { Store } from '#lib/store/store.ts';
import { contextOf, failureOf, settle } from '#test/support/operation-context.ts';
import { meter } from '#test/support/sdk-meter.ts';
import { createTestStore } from '#test/support/store.ts';

/**
 * The global policy (`lib/domain/global-policy.ts`, SPEC §7.4), through its use-cases. The
 * global policy is one per table, so every test has a table of its own. What it does to the
 * sandbox-scoped writes and the sandbox config: `policy.test.ts`.
 */

const head = (store: Store) => store.get<GlobalPolicyData>(keys.globalPolicy());
const revisions = (store: Store) =>
  store.queryAll<GlobalPolicyRevisionData>(
    keys.globalPolicyPartition(),
    childPrefix.policyRevision,
  );

/**
 * What holds after any history of PUTs and DELETEs: revisions numbered 1..N (N the head's
 * version) with no gap, each hashed from its policy, and exactly one LOADED — revision N with
 * the head's policy — while the head is active, none otherwise.
 */
async function expectConsistent(store: Store) {
  const h = await head(store);
  const revs = await revisions(store);
  const latest = h?.data.version ?? 0;
  expect(revs.map((r) => r.data.version)).toEqual(Array.from({ length: latest }, (_, i) => i + 1));
  for (const r of revs) {
    expect(r.data.hash).toBe(policyHash(r.data.policy));
    expect(r.kind).toBe(Kind.GlobalPolicyRevision);
  }
  const loaded = revs.filter((r) => r.data.status === 'LOADED');
  if (h?.data.active) {
    expect(loaded.map((r) => r.data.version)).toEqual([latest]);
    expect(loaded[0]!.data.policy).toEqual(h.data.policy);
  } else {
    expect(loaded).toEqual([]);
    expect(h?.data.policy ?? null).toBeNull();
  }
  return { head: h, revisions: revs };
}

describe('global policy: put, get, list, lift', () => {
  it('a PUT puts revision N+1 in force at once and supersedes the previous one, in one GetItem and one transaction', async () => {
    // arrange
    const store = await createTestStore();
    const counter = meter(store.client);

    // act
    const first = await putGlobalPolicy(contextOf(store), { policy: { net: 'deny' } });
    const firstCost = { ...counter.counts };
    counter.reset();
    const second = await putGlobalPolicy(contextOf(store), { policy: { net: 'allow' } });
    const secondCost = { ...counter.counts };
    counter.remove();

    // assert: the answers carry the new head and revision without another read
    expect(firstCost).toEqual({ GetItem: 1, TransactWriteItems: 1 });
    expect(secondCost).toEqual({ GetItem: 1, TransactWriteItems: 1 });
    expect(first.head.data).toEqual({ policy: { net: 'deny' }, version: 1, active: true });
    expect(first.head.resourceVersion).toBe(1);
    expect(first.revision.data).toEqual({
      version: 1,
      policy: { net: 'deny' },
      status: 'LOADED',
      hash: policyHash({ net: 'deny' }),
    });
    expect(second.head.data).toEqual({ policy: { net: 'allow' }, version: 2, active: true });
    expect(second.head.resourceVersion).toBe(2);
    expect(second.head.id).toBe(first.head.id);
    expect(second.revision.data.status).toBe('LOADED');
    // assert: what is stored is what was answered
    const stored = await expectConsistent(store);
    expect(stored.head).toEqual(second.head);
    expect(stored.revisions.map((r) => [r.data.version, r.data.status])).toEqual([
      [1, 'SUPERSEDED'],
      [2, 'LOADED'],
    ]);
    expect(stored.revisions[0]!.resourceVersion).toBe(2);
    expect(await getGlobalPolicy(contextOf(store))).toEqual(second.head);
  });

  it('GET is 404 NOT_FOUND before the first PUT', async () => {
    // arrange
    const store = await createTestStore();

    // act
    const err = await failureOf(getGlobalPolicy(contextOf(store)));

    // assert
    expect(err.code).toBe('NOT_FOUND');
    expect(err.message).toBe('the global policy does not exist.');
  });

  it('revisions are listed newest first, in pages', async () => {
    // arrange
    const store = await createTestStore();
    for (let v = 1; v <= 5; v++) await putGlobalPolicy(contextOf(store), { policy: { v } });

    // act
    const first = await listGlobalPolicyRevisions(contextOf(store), { pageSize: 3 });
    const rest = await listGlobalPolicyRevisions(contextOf(store), {
      pageSize: 3,
      pageToken: first.nextPageToken,
    });

    // assert
    expect(first.items.map((r) => r.data.version)).toEqual([5, 4, 3]);
    expect(rest.items.map((r) => r.data.version)).toEqual([2, 1]);
    expect(rest.nextPageToken).toBeUndefined();
    expect([...first.items, ...rest.items].map((r) => r.data.status)).toEqual([
      'LOADED',
      'SUPERSEDED',
      'SUPERSEDED',
      'SUPERSEDED',
      'SUPERSEDED',
    ]);
    expect(first.items[0]!.name).toBe('global-5');
  });

  it('DELETE lifts it: every revision SUPERSEDED, GET 404; numbering continues after a later PUT', async () => {
    // arrange
    const store = await createTestStore();
    await putGlobalPolicy(contextOf(store), { policy: { a: 1 } });
    const put = await putGlobalPolicy(contextOf(store), { policy: { a: 2 } });
    const counter = meter(store.client);

    // act
    const lifted = await deleteGlobalPolicy(contextOf(store), {});
    const cost = { ...counter.counts };
    counter.remove();

    // assert
    expect(cost).toEqual({ GetItem: 1, TransactWriteItems: 1 });
    expect(lifted.data).toEqual({ policy: null, version: 2, active: false });
    expect(lifted.resourceVersion).toBe(put.head.resourceVersion + 1);
    expect((await failureOf(getGlobalPolicy(contextOf(store)))).code).toBe('NOT_FOUND');
    const afterLift = await expectConsistent(store);
    expect(afterLift.revisions.map((r) => r.data.status)).toEqual(['SUPERSEDED', 'SUPERSEDED']);

    // act: a later PUT
    const again = await putGlobalPolicy(contextOf(store), { policy: { a: 3 } });

    // assert
    expect(again.head.data).toEqual({ policy: { a: 3 }, version: 3, active: true });
    expect(again.head.id).toBe(put.head.id);
    const final = await expectConsistent(store);
    expect(final.revisions.map((r) => [r.data.version, r.data.status])).toEqual([
      [1, 'SUPERSEDED'],
      [2, 'SUPERSEDED'],
      [3, 'LOADED'],
    ]);
  });

  it('DELETE while none is in force is 404 NOT_FOUND and writes nothing', async () => {
    // arrange
    const store = await createTestStore();

    // act: never set
    const never = await failureOf(deleteGlobalPolicy(contextOf(store), {}));
    await putGlobalPolicy(contextOf(store), { policy: { a: 1 } });
    const lifted = await deleteGlobalPolicy(contextOf(store), {});
    // act: already lifted
    const again = await failureOf(deleteGlobalPolicy(contextOf(store), {}));

    // assert
    expect(never.code).toBe('NOT_FOUND');
    expect(await head(store)).toEqual(lifted);
    expect(again.code).toBe('NOT_FOUND');
    expect(await head(store)).toEqual(lifted);
  });
});

describe('global policy: client-driven preconditions', () => {
  it('expectedPolicyVersion other than the latest revision → ABORTED with the current head, nothing written', async () => {
    // arrange
    const store = await createTestStore();
    const v1 = await putGlobalPolicy(contextOf(store), { policy: { a: 1 } });

    // act
    const stalePut = await failureOf(
      putGlobalPolicy(contextOf(store), { policy: { a: 2 }, expectedPolicyVersion: 2 }),
    );
    const staleDelete = await failureOf(
      deleteGlobalPolicy(contextOf(store), { expectedPolicyVersion: 3 }),
    );

    // assert
    for (const err of [stalePut, staleDelete]) {
      expect(err).toBeInstanceOf(Aborted);
      expect((err as Aborted).currentResourceVersion).toBe(1);
      expect((err as Aborted).current).toEqual(v1.head);
      expect(err.message).toMatch(/latest global policy revision is 1/);
    }
    expect(await head(store)).toEqual(v1.head);
    expect(await revisions(store)).toHaveLength(1);

    // act: the right version
    const v2 = await putGlobalPolicy(contextOf(store), {
      policy: { a: 2 },
      expectedPolicyVersion: 1,
    });
    const lifted = await deleteGlobalPolicy(contextOf(store), { expectedPolicyVersion: 2 });

    // assert
    expect(v2.head.data.version).toBe(2);
    expect(lifted.data.active).toBe(false);
    await expectConsistent(store);
  });

  it("a first PUT with expectedPolicyVersion > 0 is ABORTED (there is no revision yet), and so is a stale head's version", async () => {
    // arrange
    const store = await createTestStore();

    // act
    const first = await failureOf(
      putGlobalPolicy(contextOf(store), { policy: { a: 1 }, expectedPolicyVersion: 1 }),
    );
    const v1 = await putGlobalPolicy(contextOf(store), { policy: { a: 1 } });
    const staleHead = await failureOf(
      putGlobalPolicy(contextOf(store, { expectedResourceVersion: 7 }), { policy: { a: 2 } }),
    );
    const otherId = await failureOf(
      putGlobalPolicy(contextOf(store, { expectedResourceVersion: 1, expectedId: 'other' }), {
        policy: { a: 2 },
      }),
    );
    const matching = await putGlobalPolicy(
      contextOf(store, { expectedResourceVersion: 1, expectedId: v1.head.id }),
      { policy: { a: 2 } },
    );

    // assert
    expect(first.code).toBe('ABORTED');
    expect(staleHead.code).toBe('ABORTED');
    expect(otherId.code).toBe('ABORTED');
    expect(matching.head.data.version).toBe(2);
    await expectConsistent(store);
  });

  it('concurrent PUTs sending the same expectedPolicyVersion: exactly one wins, the others are ABORTED', async () => {
    // arrange
    const store = await createTestStore();
    await putGlobalPolicy(contextOf(store), { policy: { start: true } });

    // act
    const results = await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        settle(putGlobalPolicy(contextOf(store), { policy: { i }, expectedPolicyVersion: 1 })),
      ),
    );

    // assert
    const winners = results.filter((r) => r.ok);
    expect(winners).toHaveLength(1);
    expect(results.filter((r) => !r.ok).map((r) => !r.ok && r.code)).toEqual(
      Array(7).fill('ABORTED'),
    );
    const { head: h } = await expectConsistent(store);
    expect(h?.data.version).toBe(2);
    expect(winners[0]!.ok && winners[0]!.value.head).toEqual(h);
  });
});

describe('global policy: server-driven writers lose nothing', () => {
  it(`${MAX_ATTEMPTS} concurrent server-driven PUTs all succeed: revisions 1..${MAX_ATTEMPTS}, one each, exactly one LOADED`, async () => {
    // Each failed attempt of a writer is another writer's commit, so within the attempt budget
    // at most MAX_ATTEMPTS - 1 others can make it fail: that many writers all get through.
    for (let round = 0; round < 5; round++) {
      // arrange
      const store = await createTestStore();

      // act
      const results = await Promise.all(
        Array.from({ length: MAX_ATTEMPTS }, (_, i) =>
          putGlobalPolicy(contextOf(store), { policy: { writer: i } }),
        ),
      );

      // assert: every writer has its own revision with its own policy
      const versions = results.map((r) => r.revision.data.version).sort((a, b) => a - b);
      expect(versions).toEqual(Array.from({ length: MAX_ATTEMPTS }, (_, i) => i + 1));
      const { head: h, revisions: revs } = await expectConsistent(store);
      expect(h?.data.version).toBe(MAX_ATTEMPTS);
      for (const r of results) {
        expect(revs[r.revision.data.version - 1]!.data.policy).toEqual(r.revision.data.policy);
      }
      // the one in force is the last to commit: the writer whose answer has the highest version
      const last = results.find((r) => r.head.data.version === MAX_ATTEMPTS)!;
      expect(h?.data.policy).toEqual(last.revision.data.policy);
    }
  });

  it('PUTs and DELETEs racing leave revisions without gaps and at most one LOADED, the head in force', async () => {
    // arrange
    const store = await createTestStore();
    await putGlobalPolicy(contextOf(store), { policy: { start: true } });

    // act
    const results = await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        i % 3 === 2
          ? settle(deleteGlobalPolicy(contextOf(store), {}))
          : settle(putGlobalPolicy(contextOf(store), { policy: { i } })),
      ),
    );

    // assert: a DELETE may find nothing in force (404) or give up under contention (ABORTED);
    // every PUT that succeeded has its revision, and the state is one a serial order makes
    for (const r of results) if (!r.ok) expect(['NOT_FOUND', 'ABORTED']).toContain(r.code);
    const puts = results.filter((r, i) => r.ok && i % 3 !== 2).length;
    const { revisions: revs } = await expectConsistent(store);
    expect(revs).toHaveLength(1 + puts);
  });
});
