import { Aborted, AlreadyExists, FailedPrecondition, NotFound } from '#lib/errors.ts';
import { change, field, where } from '#lib/store/expression.ts';
import type { TransactPlan } from '#lib/store/store.ts';
import type { TransactOp } from '#lib/store/transact.ts';
import type { Page, StoredObject } from '#lib/store/types.ts';
import type { OperationContext } from './context.ts';
import type { GlobalPolicyInput, LiftGlobalPolicyInput, PageInput } from './inputs.ts';
import { childPrefix, Kind, keys } from './keys.ts';
import { LIMITS } from './limits.ts';
import { policyHash } from './revisions.ts';
import type { GlobalPolicyData, GlobalPolicyRevisionData } from './types.ts';

/**
 * The global policy of SPEC §7.4: one head item (`policy#global` / `@`: the policy in force,
 * the latest revision's number, whether it is in force) and its revisions in the same
 * partition (`rev#<N>`). Each PUT or DELETE is one transaction of the head, conditioned on the
 * version read, and the revisions it changes, so revision numbers are unique and at most one
 * revision is LOADED: revision `version` of the head, while the head is active.
 */

export const GLOBAL_POLICY_NAME = 'global';
const headSubject = { kind: Kind.GlobalPolicy, name: GLOBAL_POLICY_NAME };
const revisionName = (version: number) => `${GLOBAL_POLICY_NAME}-${version}`;

export type GlobalPolicy = StoredObject<GlobalPolicyData>;
export type GlobalPolicyRevision = StoredObject<GlobalPolicyRevisionData>;

export interface GlobalPolicyResult {
  /** The head after the write: its `policy` and `version` are what the route answers. */
  head: GlobalPolicy;
  /** The revision the write created. */
  revision: GlobalPolicyRevision;
}

/**
 * What every sandbox-scoped policy write adds to its transaction: a check that no global policy
 * is in force. The write and a global PUT both touch the head (the check reads it, the PUT
 * writes it), so DynamoDB orders them: a sandbox write that commits came before the global
 * policy, and one after it fails here with 409 FAILED_PRECONDITION.
 */
export function globalPolicyNotInForce(): TransactOp {
  return {
    type: 'check',
    key: keys.globalPolicy(),
    // No head (never set) has no `active` either: only an active head fails the check.
    condition: where.differs(field('active'), true),
    failure: managedGlobally,
  };
}

/** 409 FAILED_PRECONDITION: a sandbox-scoped policy write while the global policy is in force. */
export function managedGlobally(): FailedPrecondition {
  return new FailedPrecondition('policy is managed globally', { policySource: 'GLOBAL' });
}

/** The global policy in force; 404 NOT_FOUND while none is (never set, or lifted). One GetItem. */
export async function getGlobalPolicy(ctx: OperationContext): Promise<GlobalPolicy> {
  const head = await ctx.store.get<GlobalPolicyData>(keys.globalPolicy());
  if (!head?.data.active) throw new NotFound(headSubject.kind, headSubject.name);
  return head;
}

/** Global revisions, newest first (lifted and superseded ones too). One Query. */
export function listGlobalPolicyRevisions(
  ctx: OperationContext,
  query: PageInput,
): Promise<Page<GlobalPolicyRevision>> {
  return ctx.store.query<GlobalPolicyRevisionData>(keys.globalPolicyPartition(), {
    prefix: childPrefix.policyRevision,
    ascending: false,
    pageSize: query.pageSize ?? LIMITS.pageSizeDefault,
    pageToken: query.pageToken,
  });
}

/**
 * Puts revision N+1 in force at once (LOADED) and supersedes the one in force, in one
 * transaction with the head (created by the first PUT, then a CAS on the version read).
 * Client-driven by `expectedPolicyVersion` (another latest revision → 409 ABORTED) or by the
 * head's own `expectedResourceVersion`/`expectedId` (If-Match on the head's ETag); otherwise a
 * conflict reads and plans again (`Store.transactWithRetry`), so concurrent PUTs each get their
 * own number. One GetItem + one TransactWriteItems per attempt.
 */
export async function putGlobalPolicy(
  ctx: OperationContext,
  input: GlobalPolicyInput,
): Promise<GlobalPolicyResult> {
  const { store } = ctx;
  const res = await store.transactWithRetry({
    requestId: ctx.requestId,
    read: () => store.get<GlobalPolicyData>(keys.globalPolicy()),
    plan: (head): TransactPlan<GlobalPolicyResult> => {
      assertPreconditions(ctx, head, input.expectedPolicyVersion);
      const version = (head?.data.version ?? 0) + 1;
      const data: GlobalPolicyData = { policy: input.policy, version, active: true };
      const revision: GlobalPolicyRevisionData = {
        version,
        policy: input.policy,
        status: 'LOADED',
        hash: policyHash(input.policy),
      };
      const ops: TransactOp[] = [
        head
          ? { type: 'update', subject: headSubject, base: head, data }
          : { type: 'create', object: { key: keys.globalPolicy(), ...headSubject, data } },
        {
          type: 'create',
          object: {
            key: keys.globalPolicyRevision(version),
            kind: Kind.GlobalPolicyRevision,
            name: revisionName(version),
            data: revision,
          },
        },
        ...(head?.data.active ? [supersedeInForce(head)] : []),
      ];
      return {
        ops,
        result: (r) => ({
          head: r.objects[0] as GlobalPolicy,
          revision: r.objects[1] as GlobalPolicyRevision,
        }),
      };
    },
    // Two first PUTs race on the head's create: the loser reads the winner's head and goes on.
    retry: (err) =>
      err instanceof Aborted || (err instanceof AlreadyExists && err.kind === Kind.GlobalPolicy),
  });
  ctx.stats.attempts += res.attempts;
  return res.value;
}

/**
 * Lifts the global policy: the revision in force becomes SUPERSEDED and the head inactive, in
 * one transaction (the head keeps its `version`, so the next PUT's revision is N+1). Answers the
 * head after the write (`policy` null). One GetItem + one TransactWriteItems per attempt.
 *
 * Deleting while none is in force is 404 NOT_FOUND, not an idempotent 200: GET answers 404 in
 * that state, and a DELETE of an object that is not there is 404 on every other route. A
 * client's retry after a lost response is covered by its `Idempotency-Key` (replayed), the SDK's
 * own retry by the transaction's `ClientRequestToken`.
 */
export async function deleteGlobalPolicy(
  ctx: OperationContext,
  input: LiftGlobalPolicyInput,
): Promise<GlobalPolicy> {
  const { store } = ctx;
  const res = await store.transactWithRetry({
    requestId: ctx.requestId,
    read: () => store.get<GlobalPolicyData>(keys.globalPolicy()),
    plan: (head): TransactPlan<GlobalPolicy> => {
      if (!head?.data.active) throw new NotFound(headSubject.kind, headSubject.name);
      assertPreconditions(ctx, head, input.expectedPolicyVersion);
      const data: GlobalPolicyData = { policy: null, version: head.data.version, active: false };
      return {
        ops: [{ type: 'update', subject: headSubject, base: head, data }, supersedeInForce(head)],
        result: (r) => r.objects[0] as GlobalPolicy,
      };
    },
  });
  ctx.stats.attempts += res.attempts;
  return res.value;
}

/**
 * The caller's preconditions, checked on every attempt against the head just read: the latest
 * revision's number (`expectedPolicyVersion`; 0 when there is no head) and the head's own
 * version and id. A mismatch is 409 ABORTED with the current head, never retried.
 */
function assertPreconditions(
  ctx: OperationContext,
  head: GlobalPolicy | undefined,
  expectedPolicyVersion: number | undefined,
): void {
  const latest = head?.data.version ?? 0;
  const current = head?.resourceVersion ?? 0;
  if (expectedPolicyVersion !== undefined && expectedPolicyVersion !== latest) {
    throw new Aborted(
      headSubject.kind,
      headSubject.name,
      current,
      head,
      `the latest global policy revision is ${latest}, not ${expectedPolicyVersion}`,
    );
  }
  const expected = ctx.expectedResourceVersion ?? 0;
  if ((expected > 0 && current !== expected) || (ctx.expectedId && head?.id !== ctx.expectedId)) {
    throw new Aborted(headSubject.kind, headSubject.name, current, head);
  }
}

/**
 * The in-force revision → SUPERSEDED, without reading it. A global revision is written twice at
 * most: created LOADED (version 1), and superseded by the PUT or DELETE that moves the head past
 * it. So while an active head names revision N, revision N is at version 1, LOADED, with the
 * head's policy: the update is conditioned on exactly that version (as every update is on its
 * base's), and were the revision ever otherwise, the transaction would fail (ABORTED), never
 * write over it. The object this op computes is not returned: its id and times are not known.
 */
function supersedeInForce(head: GlobalPolicy): TransactOp {
  const { version } = head.data;
  const policy = head.data.policy ?? {};
  const inForce: GlobalPolicyRevision = {
    key: keys.globalPolicyRevision(version),
    kind: Kind.GlobalPolicyRevision,
    name: revisionName(version),
    id: '',
    resourceVersion: 1,
    createdAt: head.updatedAt,
    updatedAt: head.updatedAt,
    labels: {},
    data: { version, policy, status: 'LOADED', hash: policyHash(policy) },
  };
  return {
    type: 'update',
    subject: { kind: Kind.GlobalPolicyRevision, name: revisionName(version) },
    base: inForce,
    changes: [change.set(['status'], 'SUPERSEDED')],
  };
}
