import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { newStats, type OperationContext } from '#lib/domain/context.ts';
import {
  approveDraft,
  approveDrafts,
  clearDrafts,
  editDraft,
  getDraft,
  listDraftHistory,
  listDrafts,
  rejectDraft,
  submitDraft,
  undoDraft,
} from '#lib/domain/drafts.ts';
import type { NetworkRule } from '#lib/domain/inputs.ts';
import { keys } from '#lib/domain/keys.ts';
import { policyElements, ruleElements, unionElements } from '#lib/domain/network-rules.ts';
import { mergePolicy, putPolicy } from '#lib/domain/policy.ts';
import { createSandbox, deleteSandbox } from '#lib/domain/sandboxes.ts';
import type { PolicyDraftData, SandboxData } from '#lib/domain/types.ts';
import { COUNT } from '#lib/store/expression.ts';
import type { Store } from '#lib/store/store.ts';
import { createTestStore } from '#test/support/store.ts';

/**
 * Policy drafts (`lib/domain/drafts.ts`, SPEC §7.3) through their use-cases: what each decision
 * does to the draft, its history and the policy. The races and faults are in
 * `test/proof/drafts.test.ts`.
 */

let store: Store;
beforeAll(async () => {
  store = await createTestStore();
});

const ctx = (extra: Partial<OperationContext> = {}): OperationContext => ({
  store,
  requestId: randomUUID(),
  stats: newStats(),
  ...extra,
});

const rule = (host: string, ports: number[], binaries?: string[]): NetworkRule => ({
  endpoints: [{ host, ports }],
  ...(binaries ? { binaries: binaries.map((path) => ({ path })) } : {}),
});

async function sandbox(policy?: Record<string, unknown>): Promise<string> {
  const name = `dr-${randomUUID().slice(0, 8)}`;
  await createSandbox(ctx(), { name, spec: policy ? { policy } : {} });
  return name;
}

async function policyOf(name: string): Promise<Record<string, unknown>> {
  const box = await store.get<SandboxData>(keys.sandbox(name));
  return (box!.data.spec.policy as Record<string, unknown> | undefined) ?? {};
}

/** Counts the DynamoDB requests `run` sends, by command. */
async function requestsOf(run: () => Promise<unknown>): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  const name = `count-${randomUUID()}`;
  store.client.middlewareStack.add(
    (next, context) => (args) => {
      const command = ((context as { commandName?: string }).commandName ?? '').replace(
        /Command$/,
        '',
      );
      counts[command] = (counts[command] ?? 0) + 1;
      return next(args);
    },
    { step: 'initialize', name },
  );
  try {
    await run();
  } finally {
    store.client.middlewareStack.remove(name);
  }
  return counts;
}

describe('submit', () => {
  it('creates a PENDING draft with reviewVersion 1 and a SUBMITTED event', async () => {
    const name = await sandbox();
    const res = await submitDraft(ctx(), name, {
      ruleName: 'github',
      rule: rule('api.github.com', [443]),
      dedupKey: 'k1',
      rationale: 'denied twice',
    });
    expect(res.created).toBe(true);
    expect(res.draft.data).toMatchObject({
      status: 'PENDING',
      reviewVersion: 1,
      hitCount: 1,
      rationale: 'denied twice',
      dedupKey: 'k1',
    });
    const history = await listDraftHistory(ctx(), name, res.draft.name, {});
    expect(history.items.map((e) => [e.data.type, e.data.reviewVersion])).toEqual([
      ['SUBMITTED', 1],
    ]);
  });

  it('a repeated key is one UpdateItem: hits add up, the rule sent is ignored, reviewVersion stays', async () => {
    const name = await sandbox();
    const first = await submitDraft(ctx(), name, {
      ruleName: 'r',
      rule: rule('a.example.com', [443]),
      dedupKey: 'same',
    });
    const counts = await requestsOf(() =>
      submitDraft(ctx(), name, {
        ruleName: 'other',
        rule: rule('b.example.com', [80]),
        dedupKey: 'same',
        hits: 5,
      }),
    );
    expect(counts).toEqual({ UpdateItem: 1 });
    const draft = await getDraft(ctx(), name, first.draft.name);
    expect(draft.data).toMatchObject({ hitCount: 6, reviewVersion: 1, ruleName: 'r' });
    expect(draft.resourceVersion).toBe(2);
  });

  it('concurrent first submits of one key make one draft whose hitCount is their sum, none refused', async () => {
    const name = await sandbox();
    const results = await Promise.allSettled(
      Array.from({ length: 24 }, (_, i) =>
        submitDraft(ctx(), name, {
          ruleName: 'r',
          rule: rule('c.example.com', [443]),
          dedupKey: 'storm',
          hits: (i % 3) + 1,
        }),
      ),
    );
    expect(results.filter((r) => r.status === 'rejected')).toEqual([]);
    const created = results.filter((r) => r.status === 'fulfilled' && r.value.created);
    expect(created).toHaveLength(1);
    const page = await listDrafts(ctx(), name, {});
    expect(page.items).toHaveLength(1);
    expect(page.items[0]!.data.hitCount).toBe(
      Array.from({ length: 24 }, (_, i) => (i % 3) + 1).reduce((a, b) => a + b, 0),
    );
  });

  it('lists newest first by first sight, hits do not reorder, status filters', async () => {
    const name = await sandbox();
    const ids: string[] = [];
    for (const key of ['x', 'y', 'z']) {
      ids.push(
        (
          await submitDraft(ctx(), name, {
            ruleName: key,
            rule: rule(`${key}.io`, [1]),
            dedupKey: key,
          })
        ).draft.name,
      );
      await new Promise((r) => setTimeout(r, 5));
    }
    await submitDraft(ctx(), name, { ruleName: 'x', rule: rule('x.io', [1]), dedupKey: 'x' });
    await rejectDraft(ctx(), name, ids[1]!, {});
    const all = await listDrafts(ctx(), name, {});
    expect(all.items.map((d) => d.name)).toEqual([...ids].reverse());
    const pending = await listDrafts(ctx(), name, { status: 'PENDING' });
    expect(pending.items.map((d) => d.name)).toEqual([ids[2], ids[0]]);
    const paged = await listDrafts(ctx(), name, { pageSize: 2 });
    expect(paged.items).toHaveLength(2);
    const rest = await listDrafts(ctx(), name, { pageSize: 2, pageToken: paged.nextPageToken });
    expect(rest.items.map((d) => d.name)).toEqual([ids[0]]);
  });
});

describe('decisions', () => {
  it('approve merges the rule into revision N+1 with the draft in one transaction; again: nothing to do', async () => {
    const name = await sandbox({ mode: 'strict' });
    const { draft } = await submitDraft(ctx(), name, {
      ruleName: 'gh',
      rule: rule('api.github.com', [443]),
    });
    const counts: Record<string, number> = {};
    let res!: Awaited<ReturnType<typeof approveDraft>>;
    Object.assign(
      counts,
      await requestsOf(async () => {
        res = await approveDraft(ctx(), name, draft.name, { expectedReviewVersion: 1 });
      }),
    );
    expect(counts).toEqual({ BatchGetItem: 1, TransactWriteItems: 1 });
    expect(res.drafts[0]!.data).toMatchObject({
      status: 'APPROVED',
      reviewVersion: 2,
      appliedPolicyVersion: 2,
    });
    expect(res.revision!.data.version).toBe(2);
    expect(res.revision!.data.policy).toEqual({
      mode: 'strict',
      networkPolicies: { gh: { endpoints: [{ host: 'api.github.com', ports: [443] }] } },
    });
    expect(await policyOf(name)).toEqual(res.revision!.data.policy);
    const again = await approveDraft(ctx(), name, draft.name, {});
    expect(again.revision).toBeNull();
    expect(again.drafts[0]!.data.reviewVersion).toBe(2);
    const history = await listDraftHistory(ctx(), name, draft.name, {});
    expect(history.items.map((e) => [e.data.type, e.data.policyVersion])).toEqual([
      ['SUBMITTED', undefined],
      ['APPROVED', 2],
    ]);
  });

  it('a reviewer approving with the version it read succeeds after hits; after an edit it is 409 ABORTED', async () => {
    const name = await sandbox();
    const { draft } = await submitDraft(ctx(), name, {
      ruleName: 'r',
      rule: rule('hits.example.com', [443]),
      dedupKey: 'h',
    });
    await Promise.all(
      Array.from({ length: 10 }, () =>
        submitDraft(ctx(), name, { ruleName: 'r', rule: rule('h.io', [1]), dedupKey: 'h' }),
      ),
    );
    const edited = await submitDraft(ctx(), name, {
      ruleName: 'e',
      rule: rule('edit.example.com', [443]),
      dedupKey: 'e',
    });
    await editDraft(ctx(), name, edited.draft.name, { rule: rule('edit.example.com', [8443]) });
    const approved = await approveDraft(ctx(), name, draft.name, { expectedReviewVersion: 1 });
    expect(approved.drafts[0]!.data.hitCount).toBe(11);
    await expect(
      approveDraft(ctx(), name, edited.draft.name, { expectedReviewVersion: 1 }),
    ).rejects.toMatchObject({ code: 'ABORTED' });
    const unchanged = await getDraft(ctx(), name, edited.draft.name);
    expect(unchanged.data).toMatchObject({ status: 'PENDING', reviewVersion: 2 });
  });

  it('undo and reject-of-approved remove only what no other approval or the base grants', async () => {
    const base = {
      networkPolicies: { shared: { endpoints: [{ host: 'base.example.com', ports: [443] }] } },
    };
    const name = await sandbox(base);
    const a = await submitDraft(ctx(), name, {
      ruleName: 'shared',
      rule: rule('api.example.com', [443, 8443], ['/usr/bin/curl']),
      dedupKey: 'a',
    });
    const b = await submitDraft(ctx(), name, {
      ruleName: 'shared',
      rule: rule('api.example.com', [443], ['/usr/bin/curl']),
      dedupKey: 'b',
    });
    await approveDraft(ctx(), name, a.draft.name, {});
    await approveDraft(ctx(), name, b.draft.name, {});
    const undone = await undoDraft(ctx(), name, a.draft.name, {});
    expect(undone.drafts[0]!.data).toMatchObject({ status: 'PENDING', reviewVersion: 3 });
    const expected = unionElements(
      policyElements(base),
      ruleElements('shared', rule('api.example.com', [443], ['/usr/bin/curl'])),
    );
    expect(policyElements(await policyOf(name))).toEqual(expected);
    const rejected = await rejectDraft(ctx(), name, b.draft.name, { reason: 'not needed' });
    expect(rejected.drafts[0]!.data).toMatchObject({
      status: 'REJECTED',
      rejectionReason: 'not needed',
    });
    expect(rejected.revision).not.toBeNull();
    expect(policyElements(await policyOf(name))).toEqual(policyElements(base));
  });

  it('an element a merge set is the base: undoing the approval that added it first keeps it', async () => {
    const name = await sandbox();
    const d = await submitDraft(ctx(), name, {
      ruleName: 'm',
      rule: rule('merge.example.com', [443]),
    });
    await approveDraft(ctx(), name, d.draft.name, {});
    const merged = await mergePolicy(ctx(), name, {
      operations: [{ op: 'addRule', ruleName: 'm', rule: rule('merge.example.com', [443]) }],
    });
    expect(merged.revision!.data.version).toBe(1);
    await undoDraft(ctx(), name, d.draft.name, {});
    expect(policyElements(await policyOf(name))).toEqual(
      ruleElements('m', rule('merge.example.com', [443])),
    );
  });

  it('a merge expecting revision 0 lands on a sandbox without a policy, and only there', async () => {
    const name = await sandbox();
    const op = { op: 'addRule' as const, ruleName: 'z', rule: rule('zero.example.com', [443]) };
    const first = await mergePolicy(ctx(), name, { operations: [op], expectedPolicyVersion: 0 });
    expect(first.revision!.data.version).toBe(1);
    await expect(
      mergePolicy(ctx(), name, {
        operations: [{ op: 'removeRule', ruleName: 'z' }],
        expectedPolicyVersion: 0,
      }),
    ).rejects.toMatchObject({ code: 'ABORTED' });
    expect(policyElements(await policyOf(name))).toEqual(
      ruleElements('z', rule('zero.example.com', [443])),
    );
  });

  it('a PUT keeps the approved drafts in force on top of its policy', async () => {
    const name = await sandbox();
    const d = await submitDraft(ctx(), name, { ruleName: 'keep', rule: rule('keep.io', [443]) });
    await approveDraft(ctx(), name, d.draft.name, {});
    const put = await putPolicy(ctx(), name, { policy: { mode: 'x' } });
    expect(put.revision.data.policy).toEqual({
      mode: 'x',
      networkPolicies: { keep: { endpoints: [{ host: 'keep.io', ports: [443] }] } },
    });
    await undoDraft(ctx(), name, d.draft.name, {});
    expect(await policyOf(name)).toEqual({ mode: 'x' });
  });

  it('statuses that do not allow a decision are 409 FAILED_PRECONDITION and change nothing', async () => {
    const name = await sandbox();
    const d = await submitDraft(ctx(), name, { ruleName: 's', rule: rule('s.io', [443]) });
    await expect(undoDraft(ctx(), name, d.draft.name, {})).rejects.toMatchObject({
      code: 'FAILED_PRECONDITION',
    });
    await approveDraft(ctx(), name, d.draft.name, {});
    await expect(
      editDraft(ctx(), name, d.draft.name, { rule: rule('t.io', [1]) }),
    ).rejects.toMatchObject({ code: 'FAILED_PRECONDITION' });
    expect((await getDraft(ctx(), name, d.draft.name)).data.reviewVersion).toBe(2);
  });

  it('approve-all commits every PENDING draft in one revision; a stale one aborts them all', async () => {
    const name = await sandbox();
    const drafts: PolicyDraftData[] = [];
    const ids: string[] = [];
    for (let i = 0; i < 4; i++) {
      const r = await submitDraft(ctx(), name, {
        ruleName: `r${i}`,
        rule: rule(`h${i}.io`, [443]),
      });
      drafts.push(r.draft.data);
      ids.push(r.draft.name);
    }
    await editDraft(ctx(), name, ids[3]!, { rule: rule('h3.io', [444]) });
    await expect(
      approveDrafts(ctx(), name, {
        drafts: ids.map((id) => ({ id, expectedReviewVersion: 1 })),
      }),
    ).rejects.toMatchObject({ code: 'ABORTED' });
    expect((await listDrafts(ctx(), name, { status: 'PENDING' })).items).toHaveLength(4);
    const all = await approveDrafts(ctx(), name, {});
    expect(all.drafts.map((d) => d.data.status)).toEqual(Array(4).fill('APPROVED'));
    expect(all.revision!.data.version).toBe(1);
    expect(new Set(all.drafts.map((d) => d.data.appliedPolicyVersion))).toEqual(new Set([1]));
  });

  it('clear deletes the PENDING drafts and their history, and keeps the decided ones', async () => {
    const name = await sandbox();
    const keep = await submitDraft(ctx(), name, { ruleName: 'k', rule: rule('k.io', [443]) });
    await approveDraft(ctx(), name, keep.draft.name, {});
    const gone = await submitDraft(ctx(), name, { ruleName: 'g', rule: rule('g.io', [443]) });
    expect(await clearDrafts(ctx(), name)).toBe(1);
    expect((await listDrafts(ctx(), name, {})).items.map((d) => d.name)).toEqual([keep.draft.name]);
    await expect(getDraft(ctx(), name, gone.draft.name)).rejects.toMatchObject({
      code: 'NOT_FOUND',
    });
    const again = await submitDraft(ctx(), name, { ruleName: 'g', rule: rule('g.io', [443]) });
    expect(again.created).toBe(true);
    const history = await listDraftHistory(ctx(), name, again.draft.name, {});
    expect(history.items.map((e) => e.data.type)).toEqual(['SUBMITTED']);
  });

  it('a clear with a precondition names the sandbox: another version is ABORTED and deletes nothing', async () => {
    const name = await sandbox();
    await submitDraft(ctx(), name, { ruleName: 'p', rule: rule('p.io', [443]) });
    const box = await store.get<SandboxData>(keys.sandbox(name));
    await expect(
      clearDrafts(ctx({ expectedResourceVersion: box!.resourceVersion + 1 }), name),
    ).rejects.toMatchObject({ code: 'ABORTED', currentResourceVersion: box!.resourceVersion });
    await expect(clearDrafts(ctx({ expectedId: 'another-id' }), name)).rejects.toMatchObject({
      code: 'ABORTED',
    });
    expect((await listDrafts(ctx(), name, {})).items).toHaveLength(1);
    const at = { expectedResourceVersion: box!.resourceVersion, expectedId: box!.id };
    expect(await clearDrafts(ctx(at), name)).toBe(1);
  });

  it('concurrent clears all answer, and together delete each PENDING draft once', async () => {
    // arrange
    const name = await sandbox();
    for (let i = 0; i < 8; i++) {
      await submitDraft(ctx(), name, { ruleName: 'c', rule: rule(`c${i}.io`, [443]) });
    }
    // act: each clear lists the same drafts; all but one find each one gone under them
    const results = await Promise.allSettled(
      Array.from({ length: 6 }, () => clearDrafts(ctx(), name)),
    );
    // assert
    expect(results.filter((r) => r.status === 'rejected')).toEqual([]);
    const deleted = results.map((r) => (r.status === 'fulfilled' ? r.value : 0));
    expect(deleted.reduce((a, b) => a + b, 0)).toBe(8);
    expect((await listDrafts(ctx(), name, {})).items).toEqual([]);
  });

  it('approve-all of every PENDING draft racing a clear answers what it approved, never a 404', async () => {
    for (let round = 0; round < 6; round++) {
      // arrange
      const name = await sandbox();
      for (let i = 0; i < 6; i++) {
        await submitDraft(ctx(), name, { ruleName: 'r', rule: rule(`r${i}.io`, [443]) });
      }
      // act
      const [approved, cleared] = await Promise.allSettled([
        approveDrafts(ctx(), name, {}),
        clearDrafts(ctx(), name),
      ]);
      // assert: what the approval names is APPROVED, and the clear took the rest
      expect(approved.status, JSON.stringify(approved)).toBe('fulfilled');
      expect(cleared.status).toBe('fulfilled');
      const drafts = approved.status === 'fulfilled' ? approved.value.drafts : [];
      expect(drafts.map((d) => d.data.status)).toEqual(drafts.map(() => 'APPROVED'));
      const left = (await listDrafts(ctx(), name, {})).items;
      expect(left.map((d) => d.name).sort()).toEqual(drafts.map((d) => d.name).sort());
    }
  });

  it('deleting the sandbox deletes its drafts, their history, the head and the count', async () => {
    const name = await sandbox();
    const d = await submitDraft(ctx(), name, { ruleName: 'x', rule: rule('x.io', [443]) });
    await approveDraft(ctx(), name, d.draft.name, {});
    await submitDraft(ctx(), name, { ruleName: 'y', rule: rule('y.io', [443]) });
    await deleteSandbox(ctx(), name);
    const left = await store.queryAll(keys.sandboxPartition(name));
    expect(left.map((i) => i.key.sk)).toEqual([]);
  });
});

describe('a clear of many drafts', () => {
  it('deletes 32 drafts per transaction; past its deadline it leaves their events to the reconciler', async () => {
    const { reconcile } = await import('#lib/jobs/reconciler.ts');
    // arrange: 70 PENDING drafts, three transactions' worth
    const name = await sandbox();
    for (let i = 0; i < 70; i++) {
      await submitDraft(ctx(), name, { ruleName: 'm', rule: rule(`m${i}.io`, [443]) });
    }
    const partition = keys.sandboxPartition(name);
    // act: a deadline too close for any cleanup after the transactions
    let deleted = 0;
    const requests = await requestsOf(async () => {
      deleted = await clearDrafts(ctx({ deadline: Date.now() + 500 }), name);
    });
    // assert: every draft went, in 3 transactions, with no read of any of them
    expect(deleted).toBe(70);
    expect(requests).toEqual({ BatchGetItem: 1, Query: 1, TransactWriteItems: 3 });
    expect((await listDrafts(ctx(), name, {})).items).toEqual([]);
    expect(await store.queryAll(partition, 'drafthist#')).toHaveLength(70);
    expect(await store.queryAll(partition, 'draftgone#')).toHaveLength(70);
    const result = await reconcile(store);
    expect(result.draftLeftoversRemoved).toBe(70);
    expect(await store.queryAll(partition, 'drafthist#')).toEqual([]);
    expect(await store.queryAll(partition, 'draftgone#')).toEqual([]);
    // The count went down with them.
    expect((await store.records.get(keys.draftCount(name)))?.[COUNT]).toBe(0);
    const again = await submitDraft(ctx(), name, { ruleName: 'm', rule: rule('m0.io', [443]) });
    expect(again.created).toBe(true);
  });
});

describe('an interrupted clear', () => {
  it('leaves a marker the reconciler finishes: the events go, nothing of a later draft of the key does', async () => {
    const { reconcile } = await import('#lib/jobs/reconciler.ts');
    const name = await sandbox();
    const first = await submitDraft(ctx(), name, { ruleName: 'c', rule: rule('c.io', [443]) });
    await editDraft(ctx(), name, first.draft.name, { rule: rule('c.io', [444]) });
    // The clear dies after its transaction: every request after it fails.
    const name_ = `die-${randomUUID()}`;
    let transacted = false;
    store.client.middlewareStack.add(
      (next, context) => async (args) => {
        if (transacted) throw new Error('the process died');
        const out = await next(args);
        if ((context as { commandName?: string }).commandName === 'TransactWriteItemsCommand') {
          transacted = true;
        }
        return out;
      },
      { step: 'initialize', name: name_ },
    );
    await expect(clearDrafts(ctx(), name)).rejects.toThrow('the process died');
    store.client.middlewareStack.remove(name_);
    const events = `drafthist#${first.draft.name}#${first.draft.data.generation}#`;
    const partition = keys.sandboxPartition(name);
    expect(await store.queryAll(partition, events)).toHaveLength(2);
    // A new draft of the same key meanwhile: its own events must survive.
    const again = await submitDraft(ctx(), name, { ruleName: 'c', rule: rule('c.io', [443]) });
    const result = await reconcile(store);
    expect(result.draftLeftoversRemoved).toBe(1);
    expect(await store.queryAll(partition, events)).toEqual([]);
    expect(await store.queryAll(partition, 'draftgone#')).toEqual([]);
    const history = await listDraftHistory(ctx(), name, again.draft.name, {});
    expect(history.items.map((e) => e.data.type)).toEqual(['SUBMITTED']);
    expect((await reconcile(store)).draftLeftoversRemoved).toBe(0);
  });
});
