import { createHash } from 'node:crypto';
import { Aborted, FailedPrecondition, NotFound } from '#lib/errors.ts';
import { PLATFORM } from '#lib/platform-limits.ts';
import { change } from '#lib/store/expression.ts';
import type { TransactPlan } from '#lib/store/store.ts';
import type { TransactOp } from '#lib/store/transact.ts';
import type { Page, StoredObject } from '#lib/store/types.ts';
import type { OperationContext } from './context.ts';
import type { RevisionStatusInput } from './inputs.ts';
import { childPrefix, Kind, keys } from './keys.ts';
import { assertNotDeleting, sandboxAcceptsChildren, sandboxSubject } from './sandbox-state.ts';
import type { PolicyRevisionData, SandboxData } from './types.ts';

/**
 * A sandbox's policy revisions: what one is, how revisions are listed, and how the supervisor's
 * status reports move them (a PUT of the policy creates them: `policy.ts`).
 */

/** Canonical JSON (sorted keys) so equal policies hash equally. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) =>
      a < b ? -1 : a > b ? 1 : 0,
    );
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

export function policyHash(policy: Record<string, unknown>): string {
  return `sha256:${createHash('sha256').update(canonical(policy)).digest('hex')}`;
}

export function newRevision(
  sandbox: string,
  version: number,
  policy: Record<string, unknown>,
): TransactOp {
  const data: PolicyRevisionData = { version, policy, status: 'PENDING', hash: policyHash(policy) };
  return {
    type: 'create',
    object: {
      key: keys.policyRevision(sandbox, version),
      kind: Kind.PolicyRevision,
      name: `${sandbox}-${version}`,
      data,
    },
  };
}

export async function listRevisions(
  ctx: OperationContext,
  name: string,
  opts: { pageSize?: number; pageToken?: string },
): Promise<Page<StoredObject<PolicyRevisionData>>> {
  await ctx.store.mustGet<SandboxData>(keys.sandbox(name), sandboxSubject(name));
  return ctx.store.query<PolicyRevisionData>(keys.sandboxPartition(name), {
    prefix: childPrefix.policyRevision,
    ascending: false,
    pageSize: opts.pageSize ?? 100,
    pageToken: opts.pageToken,
  });
}

const revisionSubject = (name: string, version: number) => ({
  kind: Kind.PolicyRevision,
  name: `${name}-${version}`,
});

/**
 * The supervisor reports a revision LOADED or FAILED. LOADED moves the sandbox's
 * `currentPolicyVersion` forward and supersedes the older revisions that were pending or
 * loaded. Each status change writes the status alone (never the policy again), conditioned on
 * the version it read. The revision, the sandbox and as many older revisions as one
 * transaction holds commit together; older revisions past that are superseded by further
 * transactions in the same request, each re-planned from a fresh read, so a report that does
 * not fit one transaction still completes, and one interrupted part-way is completed by the
 * next report of the revision.
 */
export async function reportRevisionStatus(
  ctx: OperationContext,
  name: string,
  version: number,
  body: RevisionStatusInput,
): Promise<StoredObject<PolicyRevisionData>> {
  const { store } = ctx;
  const key = keys.policyRevision(name, version);
  const subject = revisionSubject(name, version);
  const expected = ctx.expectedResourceVersion ?? 0;
  let checkedPrecondition = false;
  let reported: StoredObject<PolicyRevisionData> | undefined;
  // One transaction per batch; each batch is planned from a fresh read and makes progress.
  for (let batchNumber = 1; ; batchNumber++) {
    try {
      const res = await store.transactWithRetry({
        requestId: `${ctx.requestId}:${batchNumber}`,
        // One consistent query of the partition holds the revision itself and the older ones.
        read: () =>
          Promise.all([
            store.mustGet<SandboxData>(keys.sandbox(name), sandboxSubject(name)),
            store.queryAll<PolicyRevisionData>(
              keys.sandboxPartition(name),
              childPrefix.policyRevision,
            ),
          ]),
        plan: ([sandbox, revisions]): TransactPlan<StoredObject<PolicyRevisionData> | null> => {
          const revision = revisions.find((r) => r.key.sk === key.sk);
          if (!revision) throw new NotFound(subject.kind, subject.name);
          if (!checkedPrecondition) {
            if (
              (expected > 0 && revision.resourceVersion !== expected) ||
              (ctx.expectedId && ctx.expectedId !== revision.id)
            ) {
              throw new Aborted(subject.kind, subject.name, revision.resourceVersion, revision);
            }
            assertNotDeleting(sandbox);
          }
          const plan = planStatus(name, version, body, sandbox, revisions);
          if (plan.length === 0) return { done: reported ?? revision };
          const batch = plan.slice(0, PLATFORM.dynamodb.transactionItems - 1);
          // The sandbox's phase is part of every batch: nothing is reported for a sandbox that
          // a delete has marked meanwhile.
          const guard = batch.some((op) => op.subject.kind === Kind.Sandbox)
            ? []
            : [sandboxAcceptsChildren(name)];
          return {
            ops: [...batch, ...guard],
            result: (r) => {
              const mine = r.objects.find((o) => o?.key.sk === key.sk);
              if (mine) reported = mine as StoredObject<PolicyRevisionData>;
              // The whole plan fit this batch: done, without reading again to find that out.
              return batch.length === plan.length ? (reported ?? revision) : null;
            },
          };
        },
        // A conflict on the reported revision itself is final when the caller named its version.
        retry: (err) =>
          err instanceof Aborted &&
          !(expected > 0 && !checkedPrecondition && err.objectName === subject.name),
      });
      ctx.stats.attempts += res.attempts;
      if (res.value) return res.value;
      checkedPrecondition = true;
    } catch (err) {
      // The report itself committed and a delete marked the sandbox since: what is left to
      // supersede goes with the sandbox.
      if (checkedPrecondition && err instanceof FailedPrecondition && reported) return reported;
      throw err;
    }
  }
}

/** The status writes a report needs, given what was read: the revision's first. */
function planStatus(
  name: string,
  version: number,
  body: RevisionStatusInput,
  sandbox: StoredObject<SandboxData>,
  revisions: StoredObject<PolicyRevisionData>[],
): StatusWrite[] {
  const revision = revisions.find((r) => r.data.version === version)!;
  const ops: StatusWrite[] = [];
  if (body.status === 'FAILED') {
    if (revision.data.status === 'FAILED' && revision.data.loadError === body.loadError) return [];
    return [
      {
        type: 'update',
        subject: revisionSubject(name, version),
        base: revision,
        changes: [
          change.set(['status'], 'FAILED'),
          body.loadError === undefined
            ? change.remove(['loadError'])
            : change.set(['loadError'], body.loadError),
        ],
      },
    ];
  }
  const current = sandbox.data.currentPolicyVersion ?? 0;
  const status = current > version ? 'SUPERSEDED' : 'LOADED';
  if (revision.data.status !== status) {
    ops.push({
      type: 'update',
      subject: revisionSubject(name, version),
      base: revision,
      changes: [change.set(['status'], status), change.remove(['loadError'])],
    });
  }
  if (status !== 'LOADED') return ops;
  if (current !== version) {
    ops.push({
      type: 'update',
      subject: sandboxSubject(name),
      base: sandbox,
      changes: [change.set(['currentPolicyVersion'], version)],
    });
  }
  for (const older of revisions) {
    if (older.data.version >= version) continue;
    if (older.data.status !== 'PENDING' && older.data.status !== 'LOADED') continue;
    ops.push({
      type: 'update',
      subject: revisionSubject(name, older.data.version),
      base: older,
      changes: [change.set(['status'], 'SUPERSEDED')],
    });
  }
  return ops;
}

type StatusWrite = Extract<TransactOp, { type: 'update' }>;
