import { createHash, randomBytes } from 'node:crypto';
import {
  Aborted,
  AlreadyExists,
  FailedPrecondition,
  InvalidArgument,
  NotFound,
  Unavailable,
} from '#lib/errors.ts';
import { PLATFORM } from '#lib/platform-limits.ts';
import { change, field, where } from '#lib/store/expression.ts';
import type { TransactPlan } from '#lib/store/store.ts';
import type { TransactOp, TransactResult } from '#lib/store/transact.ts';
import type { Page, StoredObject } from '#lib/store/types.ts';
import { assertObjectSize, deadlineOf, type OperationContext, observe } from './context.ts';
import { finishDraftCleanup, leftoversMarker } from './draft-cleanup.ts';
import type {
  DraftApproveManyInput,
  DraftDecisionInput,
  DraftEditInput,
  DraftRejectInput,
  DraftSubmitInput,
  NetworkRule,
} from './inputs.ts';
import { childPrefix, Kind, keys } from './keys.ts';
import { LIMITS } from './limits.ts';
import { type PolicyState, policyChange, readPolicyState, sandboxAt } from './policy-state.ts';
import { policyHash } from './revisions.ts';
import { assertNotDeleting, sandboxAcceptsChildren } from './sandbox-state.ts';
import type {
  DraftEventType,
  DraftStatus,
  PolicyDraftData,
  PolicyDraftEventData,
  PolicyHeadData,
  PolicyRevisionData,
  SandboxData,
} from './types.ts';

/**
 * Policy drafts (SPEC §7.3): rules the supervisor proposes, which reviewers approve, reject,
 * edit and undo. docs/policy-lifecycle.md is the design: a hit is one UpdateItem that commutes
 * with every other; every decision is one transaction of the drafts, their events, the policy
 * head, the sandbox and the revision it creates, planned from one strongly consistent read.
 */

/** A draft's id: derived from its dedupKey, so a repeated submit finds it without a read. */
export function draftId(dedupKey: string): string {
  return `d${createHash('sha256').update(dedupKey).digest('hex').slice(0, 23)}`;
}

/** Without a dedupKey, a draft is identified by its rule: the same proposal is the same draft. */
export function defaultDedupKey(ruleName: string, rule: NetworkRule): string {
  return `rule:${ruleName}:${policyHash({ rule })}`;
}

const draftSubject = (id: string) => ({ kind: Kind.PolicyDraft, name: id });

export interface SubmitResult {
  draft: StoredObject<PolicyDraftData>;
  created: boolean;
}

/**
 * Submits a proposed rule. An existing draft of the key absorbs the hits (one UpdateItem with
 * no read and no version condition: hits add up, they never conflict, and they never move
 * `reviewVersion`); otherwise the draft is created with its order record, its SUBMITTED event
 * and its count in one transaction. A concurrent first submit of the same key that wins the
 * creation turns this one into a hit.
 */
export async function submitDraft(
  ctx: OperationContext,
  sandbox: string,
  input: DraftSubmitInput,
): Promise<SubmitResult> {
  const dedupKey = input.dedupKey ?? defaultDedupKey(input.ruleName, input.rule);
  const id = draftId(dedupKey);
  const hits = input.hits ?? 1;
  const hitOnce = async () => {
    const at = Date.now();
    const now = new Date(at).toISOString();
    const res = await ctx.store.update<PolicyDraftData>(
      keys.draft(sandbox, id),
      draftSubject(id),
      {
        apply: (cur) => {
          if (cur.data.heldUntil !== undefined && cur.data.heldUntil >= at) {
            throw new HeldByDecision(cur.data.heldUntil);
          }
          return { ...cur.data, hitCount: cur.data.hitCount + hits, lastSeenAt: now };
        },
        blind: {
          changes: [change.increment(['hitCount'], hits), change.set(['lastSeenAt'], now)],
          requires: notHeld(at),
        },
      },
      { requestId: ctx.requestId },
    );
    return { draft: observe(ctx, res).object, created: false };
  };
  // A decision holding the draft is being written: the hit waits it out (at most a hold).
  const hit = async (): Promise<SubmitResult> => {
    for (;;) {
      try {
        return await hitOnce();
      } catch (err) {
        if (!(err instanceof HeldByDecision)) throw err;
        if (err.until > deadlineOf(ctx)) throw new Unavailable(1, { cause: err });
        await pause(
          Math.min(HOLD_POLL_MS, Math.max(0, err.until - Date.now())) + Math.random() * 3,
        );
      }
    }
  };
  try {
    return await hit();
  } catch (err) {
    if (!(err instanceof NotFound) || err.kind !== Kind.PolicyDraft) throw err;
  }
  try {
    return { draft: await createDraft(ctx, sandbox, id, dedupKey, input), created: true };
  } catch (err) {
    if (!(err instanceof AlreadyExists) || err.kind !== Kind.PolicyDraft) throw err;
    return hit();
  }
}

async function createDraft(
  ctx: OperationContext,
  sandbox: string,
  id: string,
  dedupKey: string,
  input: DraftSubmitInput,
): Promise<StoredObject<PolicyDraftData>> {
  const now = new Date().toISOString();
  const data: PolicyDraftData = {
    sandboxName: sandbox,
    ruleName: input.ruleName,
    rule: input.rule,
    dedupKey,
    hitCount: input.hits ?? 1,
    status: 'PENDING',
    reviewVersion: 1,
    rationale: input.rationale ?? null,
    rejectionReason: null,
    decidedAt: null,
    appliedPolicyVersion: null,
    firstSeenAt: now,
    lastSeenAt: now,
    generation: randomBytes(6).toString('hex'),
  };
  assertObjectSize({ data }, 'body.rule');
  const res = await ctx.store.transact(
    [
      {
        type: 'create',
        object: { key: keys.draft(sandbox, id), kind: Kind.PolicyDraft, name: id, data },
      },
      {
        type: 'create',
        object: {
          key: keys.draftOrder(sandbox, now, id),
          kind: Kind.PolicyDraftOrder,
          name: id,
          data: { draftId: id },
        },
      },
      eventOp(sandbox, id, data, 'SUBMITTED', now, {}),
      {
        type: 'counter',
        key: keys.draftCount(sandbox),
        by: 1,
        condition: where.counterAtMost(LIMITS.draftsPerSandbox - 1),
        failure: () =>
          new FailedPrecondition(
            `sandbox ${sandbox} has ${LIMITS.draftsPerSandbox} drafts, the most it may hold; decide or clear some first`,
            { sandbox },
          ),
      },
      sandboxAcceptsChildren(sandbox),
    ],
    { requestId: ctx.requestId },
  );
  ctx.stats.attempts += res.attempts;
  return res.objects[0] as StoredObject<PolicyDraftData>;
}

/** The create op of one history event, written in the transaction of what it records. */
function eventOp(
  sandbox: string,
  id: string,
  draft: Pick<PolicyDraftData, 'generation' | 'reviewVersion'>,
  type: DraftEventType,
  at: string,
  extra: Partial<Pick<PolicyDraftEventData, 'policyVersion' | 'reason'>>,
): TransactOp {
  const data: PolicyDraftEventData = {
    type,
    at,
    reviewVersion: draft.reviewVersion,
    ...(extra.policyVersion !== undefined ? { policyVersion: extra.policyVersion } : {}),
    ...(extra.reason ? { reason: extra.reason } : {}),
  };
  return {
    type: 'create',
    object: {
      key: keys.draftEvent(sandbox, id, draft.generation, draft.reviewVersion),
      kind: Kind.PolicyDraftEvent,
      name: `${id}-${draft.reviewVersion}`,
      data,
    },
  };
}

export async function getDraft(
  ctx: OperationContext,
  sandbox: string,
  id: string,
): Promise<StoredObject<PolicyDraftData>> {
  const [box, draft] = await ctx.store.getMany<unknown>([
    keys.sandbox(sandbox),
    keys.draft(sandbox, id),
  ]);
  if (!box) throw new NotFound(Kind.Sandbox, sandbox);
  if (!draft) throw new NotFound(Kind.PolicyDraft, id);
  return draft as StoredObject<PolicyDraftData>;
}

/**
 * A sandbox's drafts, newest first by first sight: a page of order records (one Query) and the
 * drafts they name (one BatchGetItem). With `status`, drafts of other statuses are left out of
 * the page, which may then hold fewer than `pageSize`; the token continues after it.
 */
export async function listDrafts(
  ctx: OperationContext,
  sandbox: string,
  opts: { status?: DraftStatus; pageSize?: number; pageToken?: string },
): Promise<Page<StoredObject<PolicyDraftData>>> {
  const [box] = await ctx.store.getMany([keys.sandbox(sandbox)]);
  if (!box) throw new NotFound(Kind.Sandbox, sandbox);
  const order = await ctx.store.query<{ draftId: string }>(keys.sandboxPartition(sandbox), {
    prefix: childPrefix.draftOrder,
    ascending: false,
    pageSize: opts.pageSize ?? 100,
    pageToken: opts.pageToken,
  });
  const drafts = await ctx.store.getMany<PolicyDraftData>(
    order.items.map((o) => keys.draft(sandbox, o.data.draftId)),
  );
  const items = drafts.filter(
    (d): d is StoredObject<PolicyDraftData> =>
      d !== undefined && (!opts.status || d.data.status === opts.status),
  );
  return { items, ...(order.nextPageToken ? { nextPageToken: order.nextPageToken } : {}) };
}

/** A draft's events, oldest first. */
export async function listDraftHistory(
  ctx: OperationContext,
  sandbox: string,
  id: string,
  opts: { pageSize?: number; pageToken?: string },
): Promise<Page<StoredObject<PolicyDraftEventData>>> {
  const draft = await getDraft(ctx, sandbox, id);
  return ctx.store.query<PolicyDraftEventData>(keys.sandboxPartition(sandbox), {
    prefix: `${childPrefix.draftEvent}${id}#${draft.data.generation}#`,
    ascending: true,
    pageSize: opts.pageSize ?? 100,
    pageToken: opts.pageToken,
  });
}

/** Edits a PENDING draft's rule; `reviewVersion` moves by one. */
export async function editDraft(
  ctx: OperationContext,
  sandbox: string,
  id: string,
  input: DraftEditInput,
): Promise<StoredObject<PolicyDraftData>> {
  const res = await decide(ctx, sandbox, [id], input.expectedReviewVersion, (state) => {
    const draft = state.drafts[0]!;
    if (draft.data.status !== 'PENDING') {
      throw notAllowed(draft, 'edited', 'only a PENDING draft can be edited');
    }
    const next = { ...draft.data, rule: input.rule, reviewVersion: draft.data.reviewVersion + 1 };
    assertObjectSize({ data: next }, 'body.rule');
    return {
      drafts: [{ draft, next, event: 'EDITED' }],
      approved: state.head.approved,
    };
  });
  return res.drafts[0]!;
}

export interface DecisionResult {
  drafts: StoredObject<PolicyDraftData>[];
  /** The revision the decision created; null when the policy did not change. */
  revision: StoredObject<PolicyRevisionData> | null;
}

/** PENDING or REJECTED → APPROVED, merging the rule into the policy; APPROVED: nothing to do. */
export async function approveDraft(
  ctx: OperationContext,
  sandbox: string,
  id: string,
  input: DraftDecisionInput,
): Promise<DecisionResult> {
  return decide(ctx, sandbox, [id], input.expectedReviewVersion, (state) => {
    const draft = state.drafts[0]!;
    if (draft.data.status === 'APPROVED') return undefined;
    return {
      drafts: [{ draft, next: decided(draft, 'APPROVED'), event: 'APPROVED' }],
      approved: [...state.head.approved, grantOf(draft)],
      appliesPolicy: true,
    };
  });
}

/**
 * PENDING → REJECTED; APPROVED → REJECTED, taking back what its approval added; REJECTED:
 * nothing to do.
 */
export async function rejectDraft(
  ctx: OperationContext,
  sandbox: string,
  id: string,
  input: DraftRejectInput,
): Promise<DecisionResult> {
  return decide(ctx, sandbox, [id], input.expectedReviewVersion, (state) => {
    const draft = state.drafts[0]!;
    if (draft.data.status === 'REJECTED') return undefined;
    const next = { ...decided(draft, 'REJECTED'), rejectionReason: input.reason ?? null };
    const wasApproved = draft.data.status === 'APPROVED';
    return {
      drafts: [{ draft, next, event: 'REJECTED', reason: input.reason }],
      approved: wasApproved ? withoutGrant(state.head.approved, draft.name) : state.head.approved,
      changesPolicy: wasApproved,
    };
  });
}

/** APPROVED → PENDING, taking back what its approval added. */
export async function undoDraft(
  ctx: OperationContext,
  sandbox: string,
  id: string,
  input: DraftDecisionInput,
): Promise<DecisionResult> {
  return decide(ctx, sandbox, [id], input.expectedReviewVersion, (state) => {
    const draft = state.drafts[0]!;
    if (draft.data.status !== 'APPROVED') {
      throw notAllowed(draft, 'undone', 'only an APPROVED draft can be undone');
    }
    const next: PolicyDraftData = {
      ...draft.data,
      status: 'PENDING',
      reviewVersion: draft.data.reviewVersion + 1,
      decidedAt: null,
      appliedPolicyVersion: null,
    };
    return {
      drafts: [{ draft, next, event: 'UNDONE' }],
      approved: withoutGrant(state.head.approved, draft.name),
      changesPolicy: true,
    };
  });
}

/**
 * Approves several PENDING drafts (all of them when none is named) in one transaction and one
 * revision. A named draft that is stale is 409 ABORTED, one that is not PENDING 409
 * FAILED_PRECONDITION, each naming the draft, and nothing changes.
 */
export async function approveDrafts(
  ctx: OperationContext,
  sandbox: string,
  input: DraftApproveManyInput,
): Promise<DecisionResult> {
  const named = input.drafts;
  if (named && named.length > LIMITS.approveAllDrafts) {
    throw new InvalidArgument([
      {
        field: 'body.drafts',
        message: `one approval commits at most ${LIMITS.approveAllDrafts} drafts`,
      },
    ]);
  }
  const pendingIds = async () => {
    const pending = await pendingDraftIds(ctx, sandbox);
    if (pending.length > LIMITS.approveAllDrafts) {
      throw new InvalidArgument([
        {
          field: 'body.drafts',
          message: `${pending.length} drafts are PENDING and one approval commits at most ${LIMITS.approveAllDrafts}; name the drafts to approve`,
        },
      ]);
    }
    return pending;
  };
  const expected = new Map((named ?? []).map((d) => [d.id, d.expectedReviewVersion]));
  let approvesNone = false;
  const ids = named ? named.map((d) => d.id) : pendingIds;
  const res = await decide(ctx, sandbox, ids, undefined, (state) => {
    const chosen = state.drafts.filter((d) => named || d.data.status === 'PENDING');
    approvesNone = chosen.length === 0;
    for (const draft of chosen) {
      const want = expected.get(draft.name);
      if (want !== undefined && want !== draft.data.reviewVersion) throw stale(draft);
      if (draft.data.status !== 'PENDING') {
        throw notAllowed(draft, 'approved together', 'only PENDING drafts are approved together');
      }
    }
    if (chosen.length === 0) return undefined;
    return {
      drafts: chosen.map((draft) => ({
        draft,
        next: decided(draft, 'APPROVED'),
        event: 'APPROVED' as const,
      })),
      approved: [...state.head.approved, ...chosen.map(grantOf)],
      appliesPolicy: true,
      field: 'body.drafts',
    };
  });
  // Drafts listed as PENDING that others decided meanwhile are not this approval's.
  return approvesNone ? { drafts: [], revision: null } : res;
}

/**
 * Deletes the drafts still PENDING and then their events; answers how many went. The drafts
 * go in transactions of up to {@link CLEAR_CHUNK}, each draft conditioned on being PENDING (one
 * approved meanwhile stays; hits, which move only its version and counters, never hold it off)
 * with its order record, a leftovers marker, the count and a check that the sandbox accepts
 * children. A chunk whose condition failed reads its drafts again and goes again without the
 * ones no longer PENDING, until the request's deadline. Events are deleted after, as long as
 * the deadline allows; the reconciler finishes what is left, from the markers.
 */
export async function clearDrafts(ctx: OperationContext, sandbox: string): Promise<number> {
  const [box] = await ctx.store.getMany<SandboxData>([keys.sandbox(sandbox)]);
  if (!box) throw new NotFound(Kind.Sandbox, sandbox);
  // A precondition names the sandbox, as a merge's does: each transaction then checks that
  // the sandbox is still at the version read.
  const { expectedResourceVersion: version, expectedId: id } = ctx;
  if ((version && box.resourceVersion !== version) || (id && box.id !== id)) {
    throw new Aborted(Kind.Sandbox, sandbox, box.resourceVersion, box);
  }
  const sandboxCheck = version || id ? sandboxAt(box) : sandboxAcceptsChildren(sandbox);
  const until = deadlineOf(ctx);
  const pending = await pendingDrafts(ctx, sandbox);
  const cleared: Array<{ id: string; generation: string }> = [];
  for (let i = 0; i < pending.length; i += CLEAR_CHUNK) {
    const chunk = pending.slice(i, i + CLEAR_CHUNK);
    const res = await ctx.store.transactWithRetry<StoredObject<PolicyDraftData>[], typeof cleared>({
      requestId: `${ctx.requestId}:${i}`,
      until,
      // The first attempt deletes the drafts as the listing read them.
      read: async (attempt) =>
        attempt === 1
          ? chunk
          : (await ctx.store.getMany<PolicyDraftData>(chunk.map((d) => d.key))).filter(
              (d): d is StoredObject<PolicyDraftData> => d?.data.status === 'PENDING',
            ),
      // A draft a concurrent clear deleted first, or one decided meanwhile: read again.
      retry: (err) =>
        err instanceof Aborted || (err instanceof NotFound && err.kind === Kind.PolicyDraft),
      plan: (drafts) => {
        if (drafts.length === 0) return { done: [] };
        return {
          ops: [
            ...drafts.flatMap((draft): TransactOp[] => [
              {
                type: 'delete',
                subject: draftSubject(draft.name),
                base: draft,
                anyVersion: true,
                condition: where.equals(field('status'), 'PENDING'),
              },
              {
                type: 'deleteRecord',
                key: keys.draftOrder(sandbox, draft.data.firstSeenAt, draft.name),
              },
              leftoversMarker(sandbox, draft.name, draft.data.generation),
            ]),
            { type: 'counter', key: keys.draftCount(sandbox), by: -drafts.length },
            sandboxCheck,
          ],
          result: () => drafts.map((d) => ({ id: d.name, generation: d.data.generation })),
        };
      },
    });
    ctx.stats.attempts += res.attempts;
    cleared.push(...res.value);
  }
  // The events, a few drafts at a time, while the deadline allows.
  for (let i = 0; i < cleared.length && Date.now() + CLEANUP_MARGIN_MS < until; i += 8) {
    await Promise.all(
      cleared
        .slice(i, i + 8)
        .map(({ id, generation }) =>
          finishDraftCleanup(
            ctx.store,
            { data: { sandboxName: sandbox, draftId: id, generation }, resourceVersion: 1 },
            `${ctx.requestId}:${id}`,
          ),
        ),
    );
  }
  return cleared.length;
}

/**
 * Drafts one clear transaction deletes: 3 items each (the draft, its order record, its
 * marker), with the count and the sandbox check, within DynamoDB's 100 items.
 */
const CLEAR_CHUNK = Math.floor((PLATFORM.dynamodb.transactionItems - 2) / 3);
/** Time kept back from the deadline for one more round of event cleanup. */
const CLEANUP_MARGIN_MS = 1_000;

async function pendingDrafts(
  ctx: OperationContext,
  sandbox: string,
): Promise<StoredObject<PolicyDraftData>[]> {
  const drafts = await ctx.store.queryAll<PolicyDraftData>(
    keys.sandboxPartition(sandbox),
    childPrefix.draft,
  );
  return drafts.filter((d) => d.data.status === 'PENDING');
}

async function pendingDraftIds(ctx: OperationContext, sandbox: string): Promise<string[]> {
  return (await pendingDrafts(ctx, sandbox)).map((d) => d.name);
}

// --- Decisions ---

interface DraftChange {
  draft: StoredObject<PolicyDraftData>;
  next: PolicyDraftData;
  event: DraftEventType;
  reason?: string;
}

interface Decision {
  drafts: DraftChange[];
  /** The approved drafts' rules after the decision. */
  approved: PolicyHeadData['approved'];
  /** An approval: `appliedPolicyVersion` is the revision the policy is at afterwards. */
  appliesPolicy?: boolean;
  /** The decision may change the policy (approve, undo, reject of an approved draft). */
  changesPolicy?: boolean;
  /**
   * The request's field a refusal names when the policy would pass its bounds: the drafts it
   * approves. A problem names what the caller sent, never the stored policy.
   * @default 'path.id'
   */
  field?: string;
}

interface DecisionState extends PolicyState {
  drafts: StoredObject<PolicyDraftData>[];
}

/**
 * Reads the sandbox, its policy head, the global policy head and the drafts in one request,
 * lets `choose` decide, and writes the decision in one transaction: each draft conditioned on
 * its version (so the decision is taken again on the draft as it is if a hit or another
 * decision landed first), its event, and — when the policy changes — the head, the sandbox and
 * revision N+1, the head and the sandbox each conditioned on the version read even where they
 * are not written (the read may have seen part of another transaction). A conflict reads again
 * and decides again, until the request's deadline.
 */
async function decide(
  ctx: OperationContext,
  sandbox: string,
  ids: string[] | (() => Promise<string[]>),
  expectedReviewVersion: number | undefined,
  choose: (state: DecisionState) => Decision | undefined,
): Promise<DecisionResult> {
  // Drafts the decision lists itself (approve-all of every PENDING one) that a clear deletes
  // before its write are no longer PENDING: they are left out, and the decision taken again.
  const listed = typeof ids === 'function';
  const holds = new Holds(ctx, sandbox);
  let written: string[] = [];
  const res = await ctx.store
    .transactWithRetry<DecisionState, DecisionResult>({
      requestId: ctx.requestId,
      until: deadlineOf(ctx),
      ...(listed
        ? {
            retry: (err: unknown) =>
              err instanceof Aborted || (err instanceof NotFound && err.kind === Kind.PolicyDraft),
          }
        : {}),
      read: async (attempt) => {
        const wanted = typeof ids === 'function' ? await ids() : ids;
        // After a conflict, hits are held off the drafts until this decision is written: a
        // stream of them, each moving the version, cannot outlast it. With If-Match the version
        // named is the one to decide on, and a conflict is final.
        if (attempt > 1 && !ctx.expectedResourceVersion) await holds.take(wanted);
        const state = await readPolicyState(
          ctx,
          sandbox,
          wanted.map((id) => keys.draft(sandbox, id)),
        );
        const drafts = state.extra.flatMap((d, i) => {
          if (!d && listed) return [];
          if (!d) throw new NotFound(Kind.PolicyDraft, wanted[i]!);
          return [d as StoredObject<PolicyDraftData>];
        });
        return { ...state, drafts };
      },
      plan: (state): TransactPlan<DecisionResult> => {
        assertNotDeleting(state.sandbox);
        const first = state.drafts[0];
        if (first && expectedReviewVersion !== undefined) {
          if (first.data.reviewVersion !== expectedReviewVersion) throw stale(first);
        }
        // If-Match names the draft's resourceVersion, which hits move too: the stricter choice.
        // Its id tells a draft cleared and submitted again (same name, version 1 again) apart.
        if (
          first &&
          ((ctx.expectedResourceVersion && first.resourceVersion !== ctx.expectedResourceVersion) ||
            (ctx.expectedId && first.id !== ctx.expectedId))
        ) {
          throw new Aborted(Kind.PolicyDraft, first.name, first.resourceVersion, first);
        }
        const decision = choose(state);
        if (!decision) {
          return { done: { drafts: state.drafts, revision: null } };
        }
        const policy =
          decision.changesPolicy || decision.appliesPolicy
            ? policyChange(
                ctx,
                state,
                { approved: decision.approved },
                decision.field ?? 'path.id',
                {
                  guardHead: true,
                },
              )
            : undefined;
        const at = new Date().toISOString();
        const policyVersion = policy?.version ?? state.sandbox.data.latestPolicyVersion;
        // The policy's ops first, so its results keep their places in the transaction's.
        const policyOps = policy ? policy.ops : [sandboxAcceptsChildren(sandbox)];
        const draftOps: TransactOp[] = decision.drafts.flatMap(({ draft, next, event, reason }) => {
          // Written, the decision lets the hits in again.
          const { heldUntil: _, ...rest } = next;
          const data: PolicyDraftData = {
            ...rest,
            ...(decision.appliesPolicy ? { appliedPolicyVersion: policyVersion } : {}),
            ...(event === 'APPROVED' || event === 'REJECTED' ? { decidedAt: at } : {}),
          };
          const recordsPolicy =
            decision.appliesPolicy || (decision.changesPolicy && policy?.creates);
          return [
            { type: 'update', subject: draftSubject(draft.name), base: draft, data },
            eventOp(sandbox, draft.name, data, event, at, {
              ...(recordsPolicy ? { policyVersion } : {}),
              reason,
            }),
          ];
        });
        return {
          ops: [...policyOps, ...draftOps],
          result: (tx: TransactResult) => {
            written = decision.drafts.map((d) => d.draft.name);
            return {
              drafts: decision.drafts.map(
                (_, i) => tx.objects[policyOps.length + i * 2] as StoredObject<PolicyDraftData>,
              ),
              revision: policy ? policy.revision(tx) : null,
            };
          },
        };
      },
    })
    .finally(() => holds.release(written));
  ctx.stats.attempts += res.attempts;
  return res.value;
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** How long a decision may hold hits off its drafts; hits wait no longer than this. */
const HOLD_MS = 1_000;
/** How often a waiting hit looks again: a hold usually ends, written, well before it lapses. */
const HOLD_POLL_MS = 10;

/** A hit that found its draft held by a decision being written, until `until` (epoch ms). */
class HeldByDecision extends Error {
  readonly until: number;
  constructor(until: number) {
    super('the draft is held by a decision');
    this.until = until;
  }
}

/**
 * Holds on drafts: `heldUntil` on each, set by one blind UpdateItem, which hits wait out (a
 * hit is conditioned on the draft not being held). The decision's own write removes it; one
 * that ends without writing removes it here, and a decision that dies leaves it to expire.
 */
class Holds {
  private readonly taken = new Map<string, number>();
  private readonly ctx: OperationContext;
  private readonly sandbox: string;

  constructor(ctx: OperationContext, sandbox: string) {
    this.ctx = ctx;
    this.sandbox = sandbox;
  }

  async take(ids: readonly string[]): Promise<void> {
    const until = Date.now() + HOLD_MS;
    await Promise.all(
      ids.map(async (id) => {
        try {
          await this.ctx.store.update<PolicyDraftData>(
            keys.draft(this.sandbox, id),
            draftSubject(id),
            {
              apply: (cur) => ({ ...cur.data, heldUntil: until }),
              blind: { changes: [change.set(['heldUntil'], until)] },
            },
            { requestId: `${this.ctx.requestId}:hold:${id}:${until}` },
          );
          this.taken.set(id, until);
        } catch (err) {
          // The read that follows finds the draft gone, and says so.
          if (!(err instanceof NotFound)) throw err;
        }
      }),
    );
  }

  /** Lets the hits in again on the drafts held and not `written` (whose write did that). */
  async release(written: readonly string[]): Promise<void> {
    const left = [...this.taken].filter(([id]) => !written.includes(id));
    await Promise.all(
      left.map(([id, until]) =>
        this.ctx.store
          .update<PolicyDraftData>(
            keys.draft(this.sandbox, id),
            draftSubject(id),
            {
              apply: (cur) => {
                if (cur.data.heldUntil !== until) return undefined;
                const { heldUntil: _, ...rest } = cur.data;
                return rest;
              },
              blind: {
                changes: [change.remove(['heldUntil'])],
                requires: where.equals(field('heldUntil'), until),
              },
            },
            { requestId: `${this.ctx.requestId}:release:${id}:${until}` },
          )
          // Left in place, a hold expires by itself.
          .catch(() => {}),
      ),
    );
  }
}

/** The condition a hit writes under: no decision holds the draft at `now`. */
const notHeld = (now: number) =>
  where.or(where.missing(field('heldUntil')), where.below(field('heldUntil'), now));

function decided(draft: StoredObject<PolicyDraftData>, status: DraftStatus): PolicyDraftData {
  return { ...draft.data, status, reviewVersion: draft.data.reviewVersion + 1 };
}

function grantOf(draft: StoredObject<PolicyDraftData>) {
  return { id: draft.name, ruleName: draft.data.ruleName, rule: draft.data.rule };
}

function withoutGrant(approved: PolicyHeadData['approved'], id: string) {
  return approved.filter((g) => g.id !== id);
}

function stale(draft: StoredObject<PolicyDraftData>): Aborted {
  return new Aborted(
    Kind.PolicyDraft,
    draft.name,
    draft.resourceVersion,
    draft,
    `draft ${draft.name} was changed by another review (current reviewVersion ${draft.data.reviewVersion}).`,
  );
}

function notAllowed(draft: StoredObject<PolicyDraftData>, what: string, why: string) {
  return new FailedPrecondition(
    `draft ${draft.name} is ${draft.data.status} and cannot be ${what}: ${why}`,
    { draft: draft.name, status: draft.data.status },
  );
}

export type { SandboxData };
