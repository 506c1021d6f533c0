import { Aborted, FailedPrecondition, NotFound } from '#lib/errors.ts';
import { field, where } from '#lib/store/expression.ts';
import type { TransactOp, TransactResult } from '#lib/store/transact.ts';
import type { ItemKey, StoredObject } from '#lib/store/types.ts';
import { assertObjectSize, type OperationContext } from './context.ts';
import { globalPolicyNotInForce, managedGlobally } from './global-policy.ts';
import { Kind, keys } from './keys.ts';
import { assertWithinLimits, composePolicy, type Policy } from './network-rules.ts';
import { newRevision, policyHash } from './revisions.ts';
import { sandboxSubject } from './sandbox-state.ts';
import type { GlobalPolicyData, PolicyHeadData, PolicyRevisionData, SandboxData } from './types.ts';

/**
 * What a sandbox's policy is made of, and the one way every policy write changes it
 * (docs/policy-lifecycle.md): the policy in force is `compose(base, approved)`; PUT and merges
 * change `base`, draft decisions change `approved`, and each write commits the head, the
 * sandbox and the revision it creates in one transaction.
 */

export interface PolicyState {
  sandbox: StoredObject<SandboxData>;
  /** The head as stored, or undefined while the sandbox has none (nothing approved yet). */
  headObject: StoredObject<PolicyHeadData> | undefined;
  /** The head's content; without a head, the base is the policy in force. */
  head: PolicyHeadData;
  /** Whether a global policy was in force when this was read (the transaction checks again). */
  globalInForce: boolean;
  /** Further items read in the same request (drafts), in the order asked. */
  extra: Array<StoredObject<unknown> | undefined>;
}

/** The sandbox, its head and `extraKeys` in one strongly consistent BatchGetItem. */
export async function readPolicyState(
  ctx: OperationContext,
  sandbox: string,
  extraKeys: readonly ItemKey[] = [],
): Promise<PolicyState> {
  const [box, head, global, ...extra] = await ctx.store.getMany<unknown>([
    keys.sandbox(sandbox),
    keys.policyHead(sandbox),
    keys.globalPolicy(),
    ...extraKeys,
  ]);
  if (!box) throw new NotFound(Kind.Sandbox, sandbox);
  const sandboxObject = box as StoredObject<SandboxData>;
  const headObject = head as StoredObject<PolicyHeadData> | undefined;
  return {
    sandbox: sandboxObject,
    headObject,
    head: headObject?.data ?? {
      base: (sandboxObject.data.spec.policy as Policy | undefined) ?? {},
      approved: [],
    },
    globalInForce: (global as StoredObject<GlobalPolicyData> | undefined)?.data.active === true,
    extra,
  };
}

export interface PolicyChange {
  /** The revision number the policy is at after the write. */
  version: number;
  /** Whether the write creates a revision. */
  creates: boolean;
  /** Whether it writes anything at all (a revision, or the head's parts). */
  writes: boolean;
  ops: TransactOp[];
  /** The revision the transaction created, or null when it created none. */
  revision(tx: TransactResult): StoredObject<PolicyRevisionData> | null;
  /** The sandbox as the transaction left it. */
  sandbox(tx: TransactResult): StoredObject<SandboxData>;
}

/**
 * The ops that move the policy to `compose(base, approved)` with the given parts replaced. A
 * result with the policy in force's hash creates no revision (unless `alwaysRevision`, as PUT
 * does); the head is still written when its parts changed, so a merge that sets an element a
 * draft granted makes it the base's. `field` names what grew when a bound is passed.
 *
 * The sandbox and the head are each written on the version read or checked to be as read
 * (the head: absent, or at that version): the plan composes the two, and a BatchGetItem may
 * see one of a transaction's writes and not the other. The one exception is a change that
 * writes neither, whose ops are the sandbox's check alone (a merge then has nothing to do);
 * `guardHead` checks the head there too, for a caller that writes other items planned on it.
 */
export function policyChange(
  _ctx: OperationContext,
  state: PolicyState,
  parts: Partial<PolicyHeadData>,
  field: string,
  options: { alwaysRevision?: boolean; guardHead?: boolean } = {},
): PolicyChange {
  const name = state.sandbox.name;
  // Refused even when the write would change nothing: a sandbox's policy is not its own now.
  if (state.globalInForce) throw managedGlobally();
  const head: PolicyHeadData = { ...state.head, ...parts };
  const policy = composePolicy(head.base, head.approved);
  assertWithinLimits(policy, field);
  const current = (state.sandbox.data.spec.policy as Policy | undefined) ?? {};
  // A sandbox without a policy is at `{}`: a result of `{}` is nothing to do (SPEC §7.2).
  const creates = options.alwaysRevision === true || policyHash(policy) !== policyHash(current);
  const headChanged =
    policyHash(head.base) !== policyHash(state.head.base) ||
    policyHash({ a: head.approved }) !== policyHash({ a: state.head.approved });
  // No head is needed while nothing is approved: the base is then the policy in force.
  const needsHead = state.headObject !== undefined || head.approved.length > 0;
  const headOps: TransactOp[] = [];
  if (needsHead && (headChanged || !state.headObject)) {
    assertObjectSize({ data: head }, field);
    headOps.push(
      state.headObject
        ? {
            type: 'update',
            subject: { kind: Kind.PolicyHead, name },
            base: state.headObject,
            data: head,
          }
        : {
            type: 'create',
            object: { key: keys.policyHead(name), kind: Kind.PolicyHead, name, data: head },
          },
    );
  }
  if (!creates) {
    const version = state.sandbox.data.latestPolicyVersion;
    return {
      version,
      creates,
      writes: headOps.length > 0,
      ops: [
        ...headOps,
        ...(headOps.length === 0 && options.guardHead ? [headAsRead(state)] : []),
        sandboxAt(state.sandbox),
        globalPolicyNotInForce(),
      ],
      revision: () => null,
      sandbox: () => state.sandbox,
    };
  }
  const version = state.sandbox.data.latestPolicyVersion + 1;
  const next: SandboxData = {
    ...state.sandbox.data,
    spec: { ...state.sandbox.data.spec, policy },
    latestPolicyVersion: version,
  };
  assertObjectSize({ data: next, labels: state.sandbox.labels }, field);
  const sandboxOp: TransactOp = {
    type: 'update',
    subject: sandboxSubject(name),
    base: state.sandbox,
    data: next,
  };
  const headGuard = headOps.length > 0 ? [] : [headAsRead(state)];
  const ops = [
    sandboxOp,
    ...headOps,
    ...headGuard,
    globalPolicyNotInForce(),
    newRevision(name, version, policy),
  ];
  return {
    version,
    creates,
    writes: true,
    ops,
    sandbox: (tx) => tx.objects[0] as StoredObject<SandboxData>,
    revision: (tx) => tx.objects[ops.length - 1] as StoredObject<PolicyRevisionData>,
  };
}

/** The sandbox is still at the version read, and not being deleted. */
export function sandboxAt(sandbox: StoredObject<SandboxData>): TransactOp {
  const { name, resourceVersion } = sandbox;
  return {
    type: 'check',
    key: keys.sandbox(name),
    condition: where.and(where.version(resourceVersion), where.differs(field('phase'), 'DELETING')),
    failure: (old) => {
      if (!old) return new NotFound(Kind.Sandbox, name);
      if ((old.data as SandboxData | undefined)?.phase === 'DELETING') {
        return new FailedPrecondition(`sandbox ${name} is being deleted`, { sandbox: name });
      }
      return new Aborted(
        Kind.Sandbox,
        name,
        resourceVersion,
        sandbox,
        `sandbox ${name} changed after resourceVersion ${resourceVersion} was read.`,
      );
    },
  };
}

/** The head is as `state` read it: still absent, or at the version read. */
function headAsRead(state: PolicyState): TransactOp {
  const name = state.sandbox.name;
  const head = state.headObject;
  return {
    type: 'check',
    key: keys.policyHead(name),
    condition: head ? where.version(head.resourceVersion) : where.absent(),
    failure: () =>
      new Aborted(
        Kind.PolicyHead,
        name,
        head?.resourceVersion ?? 0,
        head,
        `the policy head of sandbox ${name} changed after it was read.`,
      ),
  };
}

/** Refuses a sandbox-scoped policy write while the global policy is in force. */
export function managedGloballyError(): FailedPrecondition {
  return new FailedPrecondition('policy is managed globally');
}
