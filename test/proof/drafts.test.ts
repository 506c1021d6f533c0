import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { newStats, type OperationContext } from '#lib/domain/context.ts';
import {
  approveDraft,
  approveDrafts,
  clearDrafts,
  draftId,
  editDraft,
  listDrafts,
  rejectDraft,
  submitDraft,
  undoDraft,
} from '#lib/domain/drafts.ts';
import type { NetworkRule, PolicyOperation } from '#lib/domain/inputs.ts';
import { childPrefix, keys } from '#lib/domain/keys.ts';
import {
  applyOperations,
  elementKey,
  grantsElement,
  type Policy,
  policyElements,
} from '#lib/domain/network-rules.ts';
import { mergePolicy, putPolicy } from '#lib/domain/policy.ts';
import { readPolicyState } from '#lib/domain/policy-state.ts';
import { createSandbox } from '#lib/domain/sandboxes.ts';
import type { DraftEventType } from '#lib/domain/types.ts';
import { Aborted, ShellgateError } from '#lib/errors.ts';
import { MAX_ATTEMPTS } from '#lib/store/backoff.ts';
import { createDocumentClient } from '#lib/store/client.ts';
import { Store } from '#lib/store/store.ts';
import { checkInvariants, snapshot } from '#test/support/draft-invariants.ts';
import {
  failBeforeSending,
  loseResponses,
  throttle,
  transactionConflict,
} from '#test/support/faults.ts';
import { createTestStore, dynamoEndpoint } from '#test/support/store.ts';

/**
 * The races SPEC §7.3 names, run as real concurrent use-cases on one DynamoDB Local table, and
 * faults on a decision's transaction; after each round the invariants of
 * `test/support/draft-invariants.ts` (I1–I4) hold, and every outcome is one the contract allows.
 * `test/domain/drafts.test.ts` has the same use-cases one at a time.
 */

const ROUNDS = Number(process.env.RACE_ROUNDS ?? 6);
const BATCH = 3;

let store: Store;
beforeAll(async () => {
  store = await createTestStore();
});

/** Runs `round(i)` ROUNDS times, BATCH rounds (each on a sandbox of its own) at a time. */
async function rounds(round: (i: number) => Promise<void>) {
  for (let i = 0; i < ROUNDS; i += BATCH) {
    await Promise.all(Array.from({ length: Math.min(BATCH, ROUNDS - i) }, (_, j) => round(i + j)));
  }
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const ctx = (over: Partial<OperationContext> = {}): OperationContext => ({
  store,
  requestId: randomUUID(),
  stats: newStats(),
  ...over,
});

const rule = (host: string, ports: number[], binaries?: string[]): NetworkRule => ({
  endpoints: [{ host, ports }],
  ...(binaries ? { binaries: binaries.map((path) => ({ path })) } : {}),
});

const policyOf = (rules: Record<string, NetworkRule>): Policy => ({ networkPolicies: rules });

/** The base every sandbox starts with: revision 1. */
const BASE = policyOf({ web: rule('web.example.com', [443]) });

async function newSandbox(prefix: string): Promise<string> {
  const name = `${prefix}-${randomUUID().slice(0, 8)}`;
  await createSandbox(ctx(), { name, spec: { policy: BASE } });
  return name;
}

/** Draft `h` of sandbox `name`, submitted for the first time. */
const firstDraft = (name: string) =>
  submitDraft(ctx(), name, { ruleName: 'h', rule: rule('h.example.com', [443]), dedupKey: 'h' });

/** One more hit on draft `h` of sandbox `name` (its rule is the first submit's). */
const hitOn = (name: string) =>
  submitDraft(ctx(), name, { ruleName: 'h', rule: rule('x.io', [1]), dedupKey: 'h' });

async function submit(name: string, ruleName: string, r: NetworkRule): Promise<string> {
  const res = await submitDraft(ctx(), name, { ruleName, rule: r, dedupKey: ruleName });
  expect(res.created).toBe(true);
  return res.draft.name;
}

// --- Outcomes ---

/** 'ok', or the code of the typed error; anything else is a bug and fails the test as it is. */
function outcomeOf(r: PromiseSettledResult<unknown>): string {
  if (r.status === 'fulfilled') return 'ok';
  if (r.reason instanceof ShellgateError) return r.reason.code;
  throw r.reason;
}

function expectOutcome(r: PromiseSettledResult<unknown>, allowed: string[], what: string) {
  const outcome = outcomeOf(r);
  const why = r.status === 'rejected' ? `: ${(r.reason as Error).message}` : '';
  expect(allowed, `${what} ended ${outcome}${why}`).toContain(outcome);
  return outcome;
}

/** Server-driven: it succeeds, or fails with one of `also` (never ABORTED). */
const serverDriven = (r: PromiseSettledResult<unknown>, what: string, also: string[] = []) =>
  expectOutcome(r, ['ok', ...also], what);

/** Client-driven: it succeeds, or is 409 ABORTED or FAILED_PRECONDITION. */
const clientDriven = (r: PromiseSettledResult<unknown>, what: string) =>
  expectOutcome(r, ['ok', 'ABORTED', 'FAILED_PRECONDITION'], what);

function settledValue<T>(r: PromiseSettledResult<T>): T {
  if (r.status === 'rejected') throw r.reason;
  return r.value;
}

type PutResult = PromiseSettledResult<Awaited<ReturnType<typeof putPolicy>>>;
type MergeResult = PromiseSettledResult<Awaited<ReturnType<typeof mergePolicy>>>;

const S: DraftEventType = 'SUBMITTED';
const A: DraftEventType = 'APPROVED';
const R: DraftEventType = 'REJECTED';
const U: DraftEventType = 'UNDONE';
const E: DraftEventType = 'EDITED';

describe(`draft races, ${ROUNDS} rounds each`, () => {
  it('approve ∥ reject, server-driven: both land in one order or the other, the policy follows the last', async () => {
    await rounds(async (i) => {
      // arrange: every other round the draft's rule adds a port to a rule of the base
      const name = await newSandbox('ar');
      const d = await submit(
        name,
        'web',
        i % 2 ? rule('web.example.com', [443, 8443]) : rule('api.example.com', [443]),
      );
      // act
      const [approve, reject] = await Promise.allSettled([
        approveDraft(ctx(), name, d, {}),
        rejectDraft(ctx(), name, d, { reason: 'not needed' }),
      ]);
      // assert
      serverDriven(approve, 'approve');
      serverDriven(reject, 'reject');
      const s = await checkInvariants(store, name, BASE, {
        hits: { [d]: 1 },
        events: {
          [d]: [
            [S, A, R],
            [S, R, A],
          ],
        },
      });
      const approvedLast = s.drafts.get(d)!.data.status === 'APPROVED';
      // The approval made one revision, and a reject after it one more taking it back.
      expect(s.sandbox.data.latestPolicyVersion).toBe(approvedLast ? 2 : 3);
      expect(settledValue(approve).drafts[0]!.data.status).toBe('APPROVED');
      expect(settledValue(reject).drafts[0]!.data.status).toBe('REJECTED');
    });
  });

  it('approve ∥ reject with the reviewVersion read: exactly one wins, the other is 409 ABORTED', async () => {
    await rounds(async () => {
      // arrange
      const name = await newSandbox('arv');
      const d = await submit(name, 'api', rule('api.example.com', [443]));
      // act
      const [approve, reject] = await Promise.allSettled([
        approveDraft(ctx(), name, d, { expectedReviewVersion: 1 }),
        rejectDraft(ctx(), name, d, { expectedReviewVersion: 1 }),
      ]);
      // assert
      const outcomes = [clientDriven(approve, 'approve'), clientDriven(reject, 'reject')];
      expect([...outcomes].sort()).toEqual(['ABORTED', 'ok']);
      const approved = outcomes[0] === 'ok';
      const s = await checkInvariants(store, name, BASE, {
        hits: { [d]: 1 },
        events: { [d]: [[S, approved ? A : R]] },
      });
      expect(s.drafts.get(d)!.data.status).toBe(approved ? 'APPROVED' : 'REJECTED');
      expect(s.sandbox.data.latestPolicyVersion).toBe(approved ? 2 : 1);
      const loser = (approved ? reject : approve) as PromiseRejectedResult;
      expect(loser.reason).toBeInstanceOf(Aborted);
      expect((loser.reason as Aborted).current).toMatchObject({ data: { reviewVersion: 2 } });
    });
  });

  it('clear ∥ approve: the approved draft stays, clear counts what it deleted, no success without a row', async () => {
    await rounds(async (i) => {
      // arrange: two PENDING drafts only clear wants, one both want
      const name = await newSandbox('cl');
      for (let j = 0; j < 2; j++) await submit(name, `p${j}`, rule(`p${j}.example.com`, [443]));
      const d = await submit(name, 'd', rule('d.example.com', [443]));
      const expectedReviewVersion = i % 2 ? 1 : undefined;
      // act: the approval starts anywhere in clear's run, which handles the drafts one by one
      const [clear, approve] = await Promise.allSettled([
        clearDrafts(ctx(), name),
        pause(Math.random() * 40).then(() =>
          approveDraft(ctx(), name, d, { expectedReviewVersion }),
        ),
      ]);
      // assert: an approval that finds the draft cleared is 404, nothing else
      serverDriven(clear, 'clear');
      const approved = expectOutcome(approve, ['ok', 'NOT_FOUND'], 'approve') === 'ok';
      const s = await checkInvariants(store, name, BASE, { events: { [d]: [[S, A]] } });
      expect(settledValue(clear)).toBe(3 - s.drafts.size);
      expect([...s.drafts.keys()]).toEqual(approved ? [d] : []);
      expect(s.sandbox.data.latestPolicyVersion).toBe(approved ? 2 : 1);
      if (approved) {
        const stored = s.drafts.get(d)!;
        expect(stored.data.status).toBe('APPROVED');
        expect(settledValue(approve).drafts[0]!.resourceVersion).toBe(stored.resourceVersion);
      }
    });
  });

  it('clear ∥ hits and new submits of the keys it clears: clear lands, every draft left keeps its records', async () => {
    await rounds(async () => {
      // arrange
      const name = await newSandbox('cs');
      const names = ['k0', 'k1'];
      const RESUBMITS = 3;
      for (const k of names) await submit(name, k, rule(`${k}.example.com`, [443]));
      // Each key is submitted again a few times over the time clear takes, so some submits
      // land while it works: on the draft before it goes, or making a new one after.
      const resubmit = async (k: string) => {
        const created: boolean[] = [];
        for (let n = 0; n < RESUBMITS; n++) {
          await pause(Math.random() * 15);
          const res = await submitDraft(ctx(), name, {
            ruleName: k,
            rule: rule(`${k}.example.com`, [443]),
            dedupKey: k,
          });
          created.push(res.created);
        }
        return { id: draftId(k), created };
      };
      // act
      const [clear, ...submits] = await Promise.allSettled([
        clearDrafts(ctx(), name),
        ...names.map(resubmit),
      ]);
      // assert
      serverDriven(clear, 'clear');
      const hits: Record<string, number> = {};
      const s0 = await snapshot(store, name);
      for (const r of submits) {
        serverDriven(r, 'submit');
        const { id, created } = settledValue(r);
        // The draft left is the one the last creating submit made, with the hits after it.
        const last = created.lastIndexOf(true);
        if (s0.drafts.has(id)) hits[id] = last < 0 ? 1 + created.length : created.length - last;
      }
      const s = await checkInvariants(store, name, BASE, { hits });
      const listed = await listDrafts(ctx(), name, {});
      expect(listed.items.map((d) => d.name).sort()).toEqual([...s.drafts.keys()].sort());
      // Each key's draft was there when clear came to it, the first or one submitted since.
      expect(settledValue(clear)).toBe(names.length);
    });
  });

  it('approve-all ∥ reject: all or nothing', async () => {
    await rounds(async (i) => {
      // arrange: named with the reviewVersions read (one wins), or all PENDING (both land)
      const name = await newSandbox('aar');
      const x = await submit(name, 'x', rule('x.example.com', [443]));
      const y = await submit(name, 'y', rule('y.example.com', [443]));
      const named = i % 2 === 0;
      // act
      const [all, reject] = await Promise.allSettled([
        approveDrafts(
          ctx(),
          name,
          named
            ? {
                drafts: [
                  { id: x, expectedReviewVersion: 1 },
                  { id: y, expectedReviewVersion: 1 },
                ],
              }
            : {},
        ),
        rejectDraft(ctx(), name, x, named ? { expectedReviewVersion: 1 } : {}),
      ]);
      // assert
      if (named) {
        const outcomes = [clientDriven(all, 'approve-all'), clientDriven(reject, 'reject')];
        expect([...outcomes].sort()).toEqual(['ABORTED', 'ok']);
        const together = outcomes[0] === 'ok';
        const s = await checkInvariants(store, name, BASE, {
          events: { [x]: [[S, together ? A : R]], [y]: [together ? [S, A] : [S]] },
        });
        expect(s.drafts.get(x)!.data.status).toBe(together ? 'APPROVED' : 'REJECTED');
        expect(s.drafts.get(y)!.data.status).toBe(together ? 'APPROVED' : 'PENDING');
        expect(s.sandbox.data.latestPolicyVersion).toBe(together ? 2 : 1);
        if (together) {
          expect(settledValue(all).drafts.map((d) => d.data.appliedPolicyVersion)).toEqual([2, 2]);
        }
        return;
      }
      serverDriven(all, 'approve-all');
      serverDriven(reject, 'reject');
      const s = await checkInvariants(store, name, BASE, {
        events: {
          [x]: [
            [S, A, R],
            [S, R],
          ],
          [y]: [[S, A]],
        },
      });
      // Approved together and then rejected, or rejected first and left out of the approval.
      const together = s.events.filter((e) => e.name.startsWith(`${x}-`)).length === 3;
      expect(s.drafts.get(x)!.data.status).toBe('REJECTED');
      expect(settledValue(all).drafts.map((d) => d.name)).toEqual(together ? [x, y] : [y]);
      expect(settledValue(all).revision!.data.version).toBe(2);
      expect(s.sandbox.data.latestPolicyVersion).toBe(together ? 3 : 2);
    });
  });

  it('approve-all ∥ edit: the approval holds the rule it read, or fails and the edit stands', async () => {
    await rounds(async (i) => {
      // arrange
      const name = await newSandbox('aae');
      const before = rule('x.example.com', [443]);
      const edited = rule('x.example.com', [8443]);
      const x = await submit(name, 'x', before);
      const y = await submit(name, 'y', rule('y.example.com', [443]));
      const named = i % 2 === 0;
      const port = (p: number) => elementKey.port('x', 'x.example.com', 'tcp', p);
      // act
      const [all, edit] = await Promise.allSettled([
        approveDrafts(
          ctx(),
          name,
          named
            ? {
                drafts: [
                  { id: x, expectedReviewVersion: 1 },
                  { id: y, expectedReviewVersion: 1 },
                ],
              }
            : {},
        ),
        editDraft(
          ctx(),
          name,
          x,
          named ? { rule: edited } : { rule: edited, expectedReviewVersion: 1 },
        ),
      ]);
      // assert
      const allOk = (named ? clientDriven : serverDriven)(all, 'approve-all') === 'ok';
      const editOk = named
        ? serverDriven(edit, 'edit', ['FAILED_PRECONDITION']) === 'ok'
        : clientDriven(edit, 'edit') === 'ok';
      const s = await checkInvariants(store, name, BASE, {
        events: {
          [x]: [
            [S, A],
            [S, E],
            [S, E, A],
          ],
        },
      });
      const stored = s.drafts.get(x)!;
      if (named) {
        expect(allOk).toBe(!editOk);
        expect(outcomeOf(allOk ? edit : all)).toBe(allOk ? 'FAILED_PRECONDITION' : 'ABORTED');
        expect(stored.data.rule).toEqual(allOk ? before : edited);
        expect(s.drafts.get(y)!.data.status).toBe(allOk ? 'APPROVED' : 'PENDING');
        expect(s.drafts.get(y)!.data.reviewVersion).toBe(allOk ? 2 : 1);
      } else {
        // The approval commits on the rule as it read it: the edited one when the edit was first.
        expect(allOk).toBe(true);
        expect(stored.data.status).toBe('APPROVED');
        expect(stored.data.rule).toEqual(editOk ? edited : before);
        if (!editOk) expect(outcomeOf(edit)).toBe('ABORTED');
      }
      expect(grantsElement(s.policy, port(443))).toBe(stored.data.status === 'APPROVED' && !editOk);
      expect(grantsElement(s.policy, port(8443))).toBe(stored.data.status === 'APPROVED' && editOk);
    });
  });

  it('undo of one draft ∥ approval of another sharing a port and a binary: what the other grants stays', async () => {
    await rounds(async (i) => {
      // arrange: a (approved) and b grant api.example.com:443 and curl under one rule
      const name = await newSandbox('un');
      const a = await submit(
        name,
        'shared',
        rule('api.example.com', [443, 8443], ['/usr/bin/curl']),
      );
      const bId = await submitDraft(ctx(), name, {
        ruleName: 'shared',
        rule: rule('api.example.com', [443], ['/usr/bin/curl', '/usr/bin/git']),
        dedupKey: 'b',
      });
      const b = bId.draft.name;
      await approveDraft(ctx(), name, a, {});
      const withVersions = i % 2 === 1;
      // act
      const [undo, approve] = await Promise.allSettled([
        undoDraft(ctx(), name, a, withVersions ? { expectedReviewVersion: 2 } : {}),
        approveDraft(ctx(), name, b, withVersions ? { expectedReviewVersion: 1 } : {}),
      ]);
      // assert: different drafts, so both land, whatever the client drove
      expect(outcomeOf(undo), 'undo').toBe('ok');
      expect(outcomeOf(approve), 'approve').toBe('ok');
      const s = await checkInvariants(store, name, BASE, {
        events: { [a]: [[S, A, U]], [b]: [[S, A]] },
      });
      const port = (p: number) => elementKey.port('shared', 'api.example.com', 'tcp', p);
      expect(grantsElement(s.policy, port(443))).toBe(true);
      expect(grantsElement(s.policy, elementKey.binary('shared', '/usr/bin/curl'))).toBe(true);
      expect(grantsElement(s.policy, port(8443))).toBe(false);
      // approve a, then undo a and approve b: each changed the policy, one revision each
      expect(s.sandbox.data.latestPolicyVersion).toBe(4);
    });
  });

  it('hits ∥ an approval with the reviewVersion read before them: the approval lands, no hit is lost', async () => {
    await rounds(async () => {
      // arrange
      const name = await newSandbox('hi');
      const first = await firstDraft(name);
      const id = first.draft.name;
      const read = first.draft.data.reviewVersion;
      const hits = Array.from({ length: 24 }, (_, j) => (j % 3) + 1);
      const hit = (n: number) =>
        submitDraft(ctx(), name, {
          ruleName: 'ignored',
          rule: rule('ignored.example.com', [80]),
          dedupKey: 'h',
          hits: n,
        });
      // act: the approval in the middle of the hits
      const results = await Promise.allSettled([
        ...hits.slice(0, 12).map(hit),
        approveDraft(ctx(), name, id, { expectedReviewVersion: read }),
        ...hits.slice(12).map(hit),
      ]);
      // assert
      const [approve] = results.splice(12, 1);
      expect(outcomeOf(approve!), 'approve').toBe('ok');
      for (const r of results) {
        serverDriven(r, 'submit');
        expect((settledValue(r) as Awaited<ReturnType<typeof hit>>).created).toBe(false);
      }
      const s = await checkInvariants(store, name, BASE, {
        hits: { [id]: 1 + hits.reduce((x, y) => x + y, 0) },
        events: { [id]: [[S, A]] },
      });
      expect(s.drafts.get(id)!.data).toMatchObject({ status: 'APPROVED', reviewVersion: 2 });
      expect(s.drafts.get(id)!.data.rule).toEqual(rule('h.example.com', [443]));
    });
  });

  it('a steady stream of hits ∥ each decision with the reviewVersion read: every decision lands, no hit is lost', async () => {
    type Use = (c: OperationContext, name: string, id: string, read: number) => Promise<unknown>;
    const uses: Array<[string, DraftEventType | undefined, Use]> = [
      ['approve', A, (c, n, id, rv) => approveDraft(c, n, id, { expectedReviewVersion: rv })],
      ['reject', R, (c, n, id, rv) => rejectDraft(c, n, id, { expectedReviewVersion: rv })],
      [
        'edit',
        E,
        (c, n, id, rv) =>
          editDraft(c, n, id, { expectedReviewVersion: rv, rule: rule('e.example.com', [8443]) }),
      ],
      ['clear', undefined, (c, n) => clearDrafts(c, n)],
    ];
    await rounds(async (i) => {
      const [what, event, use] = uses[i % uses.length]!;
      // arrange: hitters hitting back to back from before the decision until after it
      const name = await newSandbox('st');
      const first = await firstDraft(name);
      const id = first.draft.name;
      let deciding = true;
      let hitsSent = 1;
      let hitsDuring = 0;
      const hitter = async () => {
        for (let after = 0; after < 3; ) {
          await hitOn(name);
          hitsSent++;
          if (deciding) hitsDuring++;
          else after++;
        }
      };
      const hitters = Array.from({ length: 4 }, hitter);
      await pause(20);
      // act: with a deadline of a few seconds, as a function near its end has
      const c = ctx({ deadline: Date.now() + 4_000 });
      const [decision] = await Promise.allSettled([
        use(c, name, id, first.draft.data.reviewVersion).finally(() => {
          deciding = false;
        }),
      ]);
      await Promise.all(hitters);
      // assert: it lands, whatever the hits did to the draft's version meanwhile
      expect(outcomeOf(decision!), `${what} after ${c.stats.attempts} attempts`).toBe('ok');
      expect(hitsDuring, `${what}: hits landed while it decided`).toBeGreaterThan(0);
      const s = await checkInvariants(
        store,
        name,
        BASE,
        event ? { hits: { [id]: hitsSent }, events: { [id]: [[S, event]] } } : {},
      );
      if (!event) {
        expect(settledValue(decision!), what).toBe(1);
        // A clear deletes the draft; the hits after it submit a new one.
        const again = s.drafts.get(id);
        expect(again === undefined || again.data.hitCount < hitsSent, what).toBe(true);
        return;
      }
      const after = s.drafts.get(id)!;
      expect(after.data.reviewVersion, what).toBe(2);
      const answered = settledValue(decision!) as { drafts?: { data: { status: string } }[] };
      const draft = answered.drafts?.[0] ?? (answered as { data: { status: string } });
      expect(draft.data.status, what).toBe(after.data.status);
    });
  });

  it('PUT and merges ∥ approve and undo: the policy is the base they set plus the APPROVED drafts', async () => {
    const A_RULE = rule('api.example.com', [443], ['/usr/bin/curl']);
    const addRule = (ruleName: string, r: NetworkRule): PolicyOperation => ({
      op: 'addRule',
      ruleName,
      rule: r,
    });
    const m1 = [addRule('m1', rule('m1.example.com', [443]))];
    const m2 = [addRule('m2', rule('m2.example.com', [443]))];
    const PUT = policyOf({ put: rule('put.example.com', [443]) });
    /**
     * 0: a merge sets what the undone draft granted; 1: a PUT among merges; 2 and 3: the first
     * approval, which changes nothing in force (the base grants it), against a PUT or a merge
     * that takes the base's rule away.
     */
    const VARIANTS = [
      { approveFirst: true, merges: [m1, [addRule('api', A_RULE)]], put: false },
      { approveFirst: true, merges: [m1, m2], put: true },
      { approveFirst: false, merges: [m1], put: true },
      {
        approveFirst: false,
        merges: [[{ op: 'removeRule', ruleName: 'web' } as const]],
        put: false,
      },
    ];
    await rounds(async (i) => {
      // arrange: a to undo (approved unless the round tests a first approval), d to approve
      const v = VARIANTS[i % VARIANTS.length]!;
      const name = await newSandbox(`pm${i % VARIANTS.length}`);
      const a = await submit(name, 'api', A_RULE);
      const d = v.approveFirst
        ? await submit(name, 'db', rule('db.example.com', [5432]))
        : await submit(name, 'web', rule('web.example.com', [443]));
      if (v.approveFirst) await approveDraft(ctx(), name, a, {});
      // act
      const decisions = [
        approveDraft(ctx(), name, d, {}),
        ...(v.approveFirst ? [undoDraft(ctx(), name, a, {})] : []),
      ];
      const results = await Promise.allSettled([
        ...decisions,
        ...v.merges.map((operations) => mergePolicy(ctx(), name, { operations })),
        ...(v.put ? [putPolicy(ctx(), name, { policy: PUT })] : []),
      ]);
      // assert: the decisions and merges re-decide until they commit; a PUT is a server-driven
      // CAS of the store, which may run out of attempts under this contention (ABORTED)
      const decided = results.slice(0, decisions.length);
      const merged = results.slice(decisions.length, decisions.length + v.merges.length);
      for (const r of decided) serverDriven(r, 'decision');
      for (const r of merged) serverDriven(r, 'merge');
      const put = v.put ? results.at(-1)! : undefined;
      const putOk = put !== undefined && serverDriven(put, 'PUT', ['ABORTED']) === 'ok';
      // The base: the PUT's policy and the merges after it (their revisions are later), or the
      // sandbox's base and every merge; adding rules commutes as sets of elements.
      const putVersion = putOk ? settledValue(put as PutResult).revision.data.version : 0;
      const after = v.merges.filter(
        (_, j) =>
          !putOk || settledValue(merged[j] as MergeResult).revision!.data.version > putVersion,
      );
      const base = applyOperations(putOk ? PUT : BASE, after.flat());
      const s = await checkInvariants(store, name, base, {
        events: { [d]: [[S, A]], [a]: [v.approveFirst ? [S, A, U] : [S]] },
      });
      expect(s.drafts.get(a)!.data.status).toBe('PENDING');
      if (i % VARIANTS.length === 0) {
        // The merge set what a granted: the undo keeps it.
        const api = elementKey.port('api', 'api.example.com', 'tcp', 443);
        expect(grantsElement(s.policy, api)).toBe(true);
      }
      // Later decisions compose from the same base: with every approval undone, the policy is it.
      for (const draft of s.drafts.values()) {
        if (draft.data.status === 'APPROVED') await undoDraft(ctx(), name, draft.name, {});
      }
      const settled = await checkInvariants(store, name, base);
      expect([...policyElements(settled.policy)].sort()).toEqual([...policyElements(base)].sort());
    });
  });
});

// --- Interleavings pinned down ---

/**
 * The same table over an SDK client of its own whose every request first awaits
 * `before(command, input)`: a test lands another write exactly between a use-case's read and
 * its write, where a race would land it only now and then.
 */
function interposed(
  before: (command: string, input: Record<string, unknown>) => Promise<unknown> | undefined,
): Store {
  const s = new Store(createDocumentClient({ endpoint: dynamoEndpoint() }), store.tableName);
  s.client.middlewareStack.add(
    (next, context) => async (args) => {
      const { commandName } = context as { commandName?: string };
      await before(commandName ?? '', args.input as Record<string, unknown>);
      return next(args);
    },
    { step: 'initialize', name: 'interpose' },
  );
  return s;
}

const TRANSACTION = 'TransactWriteItemsCommand';
const writes = (input: Record<string, unknown>, key: { sk: string }) =>
  JSON.stringify(input.TransactItems ?? []).includes(`"sk":"${key.sk}"`);

describe('interleavings pinned down', () => {
  it('an approval landing between clear’s read of a draft and its delete: the draft stays APPROVED', async () => {
    // arrange
    const name = await newSandbox('ci');
    await submit(name, 'p', rule('p.example.com', [443]));
    const d = await submit(name, 'd', rule('d.example.com', [443]));
    let approval: Promise<unknown> | undefined;
    const clearing = interposed((command, input) => {
      if (command !== TRANSACTION || !writes(input, keys.draft(name, d))) return undefined;
      approval ??= approveDraft(ctx(), name, d, {});
      return approval;
    });
    // act
    const deleted = await clearDrafts(ctx({ store: clearing }), name);
    // assert
    expect(approval).toBeDefined();
    await approval;
    expect(deleted).toBe(1);
    const s = await checkInvariants(store, name, BASE, { events: { [d]: [[S, A]] } });
    expect([...s.drafts.keys()]).toEqual([d]);
    expect(s.drafts.get(d)!.data.status).toBe('APPROVED');
  });

  it('a submit landing between clear’s delete of a draft and its cleanup: the new draft keeps its records', async () => {
    // arrange: a new submit of the key lands just before clear looks for what the draft left
    const name = await newSandbox('cd');
    const k = await submit(name, 'k', rule('k.example.com', [443]));
    let landing: Promise<Awaited<ReturnType<typeof submitDraft>>> | undefined;
    const clearing = interposed((command, input) => {
      const prefix = (input.ExpressionAttributeValues as Record<string, unknown> | undefined)?.[
        ':prefix'
      ];
      if (command !== 'QueryCommand' || typeof prefix !== 'string') return undefined;
      // The cleanup's query of the deleted draft's events (of its generation).
      if (!prefix.startsWith(childPrefix.draftEvent)) return undefined;
      landing ??= submitDraft(ctx(), name, {
        ruleName: 'k',
        rule: rule('k.example.com', [443]),
        dedupKey: 'k',
      });
      return landing;
    });
    // act
    const deleted = await clearDrafts(ctx({ store: clearing }), name);
    // assert: the new draft is listed, with its history
    expect(deleted).toBe(1);
    expect((await landing!).created).toBe(true);
    const s = await checkInvariants(store, name, BASE, {
      hits: { [k]: 1 },
      events: { [k]: [[S]] },
    });
    expect([...s.drafts.keys()]).toEqual([k]);
    expect((await listDrafts(ctx(), name, {})).items.map((d) => d.name)).toEqual([k]);
  });

  it('a first approval that changes nothing in force and a merge, each landing inside the other: neither is lost', async () => {
    // The base grants the draft's rule, so the approval writes the head and not the sandbox; the
    // merge takes the rule out of the base, on a sandbox that had no head when it read.
    const operations: PolicyOperation[] = [{ op: 'removeRule', ruleName: 'web' }];
    const base = applyOperations(BASE, operations);
    for (const outer of ['approve', 'merge'] as const) {
      // arrange
      const name = await newSandbox('fm');
      const d = await submit(name, 'web', rule('web.example.com', [443]));
      const approve = (c: OperationContext) => approveDraft(c, name, d, {});
      const merge = (c: OperationContext) => mergePolicy(c, name, { operations });
      let inner: Promise<unknown> | undefined;
      const landing = interposed((command) => {
        if (command !== TRANSACTION) return undefined;
        inner ??= outer === 'approve' ? merge(ctx()) : approve(ctx());
        return inner;
      });
      // act
      await (outer === 'approve' ? approve : merge)(ctx({ store: landing }));
      // assert
      expect(inner, outer).toBeDefined();
      await inner;
      const s = await checkInvariants(store, name, base, { events: { [d]: [[S, A]] } });
      expect(s.drafts.get(d)!.data.status, outer).toBe('APPROVED');
      expect(grantsElement(s.policy, elementKey.port('web', 'web.example.com', 'tcp', 443))).toBe(
        true,
      );
    }
  });

  it('a decision that holds its draft and then fails lets the hits in again at once', async () => {
    // arrange: an edit lands before the approval's first transaction, so its second attempt
    // holds the draft, reads it, and finds the reviewVersion it was sent stale
    const name = await newSandbox('hr');
    const d = await submit(name, 'h', rule('h.example.com', [443]));
    let edited = false;
    const editing = interposed((command) => {
      if (command !== TRANSACTION || edited) return undefined;
      edited = true;
      return editDraft(ctx(), name, d, { rule: rule('h.example.com', [8443]) });
    });
    // act
    const approval = approveDraft(ctx({ store: editing }), name, d, { expectedReviewVersion: 1 });
    // assert
    await expect(approval).rejects.toMatchObject({ code: 'ABORTED' });
    const draft = await store.get<{ heldUntil?: number }>(keys.draft(name, d));
    expect(draft?.data.heldUntil).toBeUndefined();
    const hit = await hitOn(name);
    expect(hit.draft.data).toMatchObject({ hitCount: 2, status: 'PENDING', reviewVersion: 2 });
  });

  it('a hold its decision left behind lapses: the hit waits it out and counts', async () => {
    // arrange: a hold as a decision that died after taking it leaves it
    const name = await newSandbox('hl');
    const d = await submit(name, 'h', rule('h.example.com', [443]));
    const until = Date.now() + 300;
    await store.update(
      keys.draft(name, d),
      { kind: 'PolicyDraft', name: d },
      { apply: (cur) => ({ ...(cur.data as object), heldUntil: until }) },
      { requestId: randomUUID() },
    );
    // act
    const hit = await hitOn(name);
    // assert: it landed after the hold lapsed, and left the (lapsed) hold as it was
    expect(Date.now()).toBeGreaterThanOrEqual(until);
    expect(hit.draft.data).toMatchObject({ hitCount: 2, heldUntil: until });
    await checkInvariants(store, name, BASE, { hits: { [d]: 2 }, events: { [d]: [[S]] } });
  });

  it('a hit sent before every transaction of clear or an approval: it commits by its second at most, no hit lost', async () => {
    // A bound the decision must stay far below: one more than the store's default attempts.
    const HITS = MAX_ATTEMPTS + 1;
    // How many transactions each sends: clear's is conditioned on the draft being PENDING from
    // the first; an approval's first on the version read, and the second, sent while it holds
    // the draft, meets no hit (the hit waits for it).
    const uses: Array<
      [string, number, (c: OperationContext, name: string, id: string) => Promise<unknown>]
    > = [
      ['clear', 1, (c, name) => clearDrafts(c, name)],
      ['approve', 2, (c, name, id) => approveDraft(c, name, id, { expectedReviewVersion: 1 })],
    ];
    for (const [what, transactions, use] of uses) {
      // arrange: before each transaction a hit, given time to land (it cannot while held)
      const name = await newSandbox('ih');
      const d = await submit(name, 'h', rule('h.example.com', [443]));
      const sent: Promise<unknown>[] = [];
      const hitting = interposed((command) => {
        if (command !== TRANSACTION || sent.length >= HITS) return undefined;
        const hit = hitOn(name);
        sent.push(hit);
        return Promise.race([hit, pause(300)]);
      });
      // act
      const [result] = await Promise.allSettled([use(ctx({ store: hitting }), name, d)]);
      const hits = await Promise.allSettled(sent);
      // assert
      expect(outcomeOf(result!), what).toBe('ok');
      expect(sent.length, what).toBe(transactions);
      for (const h of hits) serverDriven(h, `${what}: a hit`);
      const event = what === 'approve' ? A : undefined;
      const s = await checkInvariants(
        store,
        name,
        BASE,
        event ? { hits: { [d]: 1 + sent.length }, events: { [d]: [[S, event]] } } : {},
      );
      expect(s.drafts.size, what).toBe(event ? 1 : 0);
    }
  });
});

// --- Torn reads ---

type RawItem = Record<string, unknown>;
const skOf = (item: RawItem) =>
  typeof item.sk === 'string' ? item.sk : (item.sk as { S?: string } | undefined)?.S;

/**
 * The same table over an SDK client of its own whose BatchGetItem answers pass through
 * `doctor`: DynamoDB isolates a BatchGetItem per item (read-committed), so one may see part of
 * a transaction's writes and not the rest, which a real database does not do on demand.
 */
function doctoredReads(doctor: (items: RawItem[]) => RawItem[]): Store {
  const s = new Store(createDocumentClient({ endpoint: dynamoEndpoint() }), store.tableName);
  s.client.middlewareStack.add(
    (next, context) => async (args) => {
      const result = await next(args);
      if ((context as { commandName?: string }).commandName !== 'BatchGetItemCommand') {
        return result;
      }
      const output = result.output as { Responses?: Record<string, RawItem[]> };
      for (const [table, items] of Object.entries(output.Responses ?? {})) {
        output.Responses![table] = doctor(items);
      }
      return result;
    },
    { step: 'initialize', name: 'doctored-reads' },
  );
  return s;
}

describe('torn reads: a BatchGetItem that saw part of a transaction', () => {
  it('a reject that saw an approval’s draft and sandbox but not its head reads again and takes it back', async () => {
    // arrange: the reject's first read misses the head the approval created
    const name = await newSandbox('tr');
    const d = await submit(name, 'api', rule('api.example.com', [443]));
    await approveDraft(ctx(), name, d, {});
    let hidden = 0;
    const torn = doctoredReads((items) => {
      if (hidden > 0) return items;
      const kept = items.filter((item) => skOf(item) !== keys.policyHead(name).sk);
      hidden += items.length - kept.length;
      return kept;
    });
    // act
    await rejectDraft(ctx({ store: torn }), name, d, {});
    // assert
    expect(hidden).toBe(1);
    const s = await checkInvariants(store, name, BASE, { events: { [d]: [[S, A, R]] } });
    expect(s.sandbox.data.latestPolicyVersion).toBe(3);
  });

  it('a PUT that saw an approval’s sandbox but the head from before it reads again and keeps it', async () => {
    // arrange: the PUT reads the head as it was before b's approval, and sets the same base,
    // so it would not write the head
    const name = await newSandbox('tp');
    const a = await submit(name, 'a', rule('a.example.com', [443]));
    const b = await submit(name, 'b', rule('b.example.com', [443]));
    await approveDraft(ctx(), name, a, {});
    let before: RawItem | undefined;
    let stale = 'capture' as 'capture' | 'once' | 'done';
    const torn = doctoredReads((items) => {
      const isHead = (item: RawItem) => skOf(item) === keys.policyHead(name).sk;
      if (stale === 'capture') before = items.find(isHead);
      if (stale !== 'once') return items;
      stale = 'done';
      return items.map((item) => (isHead(item) ? before! : item));
    });
    await readPolicyState(ctx({ store: torn }), name);
    expect(before).toBeDefined();
    await approveDraft(ctx(), name, b, {});
    stale = 'once';
    // act
    await putPolicy(ctx({ store: torn }), name, { policy: BASE });
    // assert
    expect(stale).toBe('done');
    const s = await checkInvariants(store, name, BASE, {
      events: { [a]: [[S, A]], [b]: [[S, A]] },
    });
    expect(s.sandbox.data.latestPolicyVersion).toBe(4);
  });
});

// --- Faults ---

/** A store over an SDK client of its own, as a new Lambda instance has: faults go into it alone. */
const faultyStore = (maxAttempts?: number) =>
  new Store(createDocumentClient({ endpoint: dynamoEndpoint(), maxAttempts }), store.tableName);

const TRANSACTIONS = new Set(['TransactWriteItemsCommand']);

describe('faults on a decision’s transaction', () => {
  it('a lost response: the SDK retries, each decision applies once and makes one revision, not two', async () => {
    // arrange
    const name = await newSandbox('lost');
    const a = await submit(name, 'a', rule('a.example.com', [443]));
    const b = await submit(name, 'b', rule('b.example.com', [443]));
    const c = await submit(name, 'c', rule('c.example.com', [443]));
    // Each decision, the drafts it changes, and the revisions it makes.
    const decisions: Array<[string, (c: OperationContext) => Promise<unknown>, string[], number]> =
      [
        [
          'submit',
          (x) => submitDraft(x, name, { ruleName: 'e', rule: rule('e.example.com', [1]) }),
          [],
          0,
        ],
        ['approve', (x) => approveDraft(x, name, a, { expectedReviewVersion: 1 }), [a], 1],
        ['edit', (x) => editDraft(x, name, b, { rule: rule('b.example.com', [8443]) }), [b], 0],
        [
          'approve-all',
          (x) => approveDrafts(x, name, { drafts: [{ id: b }, { id: c }] }),
          [b, c],
          1,
        ],
        ['undo', (x) => undoDraft(x, name, a, {}), [a], 1],
        ['reject of an approved draft', (x) => rejectDraft(x, name, b, { reason: 'r' }), [b], 1],
        ['reject of a pending draft', (x) => rejectDraft(x, name, a, {}), [a], 0],
      ];
    for (const [what, decision, changes, revisions] of decisions) {
      const before = await snapshot(store, name);
      const faulty = faultyStore();
      let first = true;
      const faults = loseResponses(faulty.client, (command) => {
        const fault = first && TRANSACTIONS.has(command);
        if (fault) first = false;
        return fault;
      });
      // act
      try {
        await decision({ store: faulty, requestId: randomUUID(), stats: newStats() });
      } finally {
        faults.remove();
      }
      // assert
      expect(faults.injected, what).toBe(1);
      const after = await checkInvariants(store, name, BASE);
      expect(after.sandbox.data.latestPolicyVersion, what).toBe(
        before.sandbox.data.latestPolicyVersion + revisions,
      );
      for (const id of changes) {
        expect(after.drafts.get(id)!.data.reviewVersion, `${what}: ${id}`).toBe(
          before.drafts.get(id)!.data.reviewVersion + 1,
        );
      }
      const created = what === 'submit' ? 1 : 0;
      expect(after.drafts.size, what).toBe(before.drafts.size + created);
      expect(after.events.length, what).toBe(before.events.length + changes.length + created);
    }
    const s = await snapshot(store, name);
    expect([a, b, c].map((id) => s.drafts.get(id)!.data.status)).toEqual([
      'REJECTED',
      'REJECTED',
      'APPROVED',
    ]);
  });

  it('a throttled or cancelled transaction: retried and applied once, or failed with nothing changed', async () => {
    const cases = [
      { what: 'a TransactionConflict', error: transactionConflict, times: 1, outcome: 'ok' },
      { what: 'one throttle', error: throttle, times: 1, outcome: 'ok' },
      {
        what: 'throttling that outlasts the retries',
        error: throttle,
        times: Number.POSITIVE_INFINITY,
        outcome: 'RESOURCE_EXHAUSTED',
      },
    ];
    for (const { what, error, times, outcome } of cases) {
      // arrange: an approved draft to undo, a pending one to approve
      const name = await newSandbox('thr');
      const a = await submit(name, 'a', rule('a.example.com', [443]));
      const b = await submit(name, 'b', rule('a.example.com', [443, 8443]));
      await approveDraft(ctx(), name, a, {});
      const before = await snapshot(store, name);
      const faulty = faultyStore(2);
      const faults = failBeforeSending(faulty.client, TRANSACTIONS, error, times);
      // act
      const [undo] = await Promise.allSettled([
        undoDraft({ store: faulty, requestId: randomUUID(), stats: newStats() }, name, a, {}),
      ]);
      faults.remove();
      const [approve] = await Promise.allSettled([
        approveDraft(ctx(), name, b, { expectedReviewVersion: 1 }),
      ]);
      // assert
      expect(faults.injected, what).toBeGreaterThan(0);
      expect(outcomeOf(undo!), what).toBe(outcome);
      expect(outcomeOf(approve!), what).toBe('ok');
      const s = await checkInvariants(store, name, BASE, {
        events: { [a]: [outcome === 'ok' ? [S, A, U] : [S, A]], [b]: [[S, A]] },
      });
      expect(s.sandbox.data.latestPolicyVersion, what).toBe(
        before.sandbox.data.latestPolicyVersion + (outcome === 'ok' ? 2 : 1),
      );
    }
  });
});
