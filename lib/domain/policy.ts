import { Aborted } from '#lib/errors.ts';
import type { StoredObject } from '#lib/store/types.ts';
import { deadlineOf, type OperationContext } from './context.ts';
import type { PolicyInput, PolicyMergeInput } from './inputs.ts';
import { Kind, keys } from './keys.ts';
import { applyOperations } from './network-rules.ts';
import { type PolicyState, policyChange, readPolicyState } from './policy-state.ts';
import { assertNotDeleting, sandboxSubject } from './sandbox-state.ts';
import type { PolicyRevisionData, SandboxData, SettingsData } from './types.ts';

export interface SandboxConfig {
  sandbox: StoredObject<SandboxData>;
  settings: StoredObject<SettingsData> | undefined;
}

export async function getConfig(ctx: OperationContext, name: string): Promise<SandboxConfig> {
  const [sandbox, settings] = await Promise.all([
    ctx.store.mustGet<SandboxData>(keys.sandbox(name), sandboxSubject(name)),
    ctx.store.get<SettingsData>(keys.sandboxSettings(name)),
  ]);
  return { sandbox, settings };
}

export interface PolicyResult {
  sandbox: StoredObject<SandboxData>;
  revision: StoredObject<PolicyRevisionData>;
}

/**
 * Sets the sandbox's policy: its base becomes the body's policy, and the policy in force is
 * that with the approved drafts' rules merged in (docs/policy-lifecycle.md). One transaction
 * writes the sandbox (on the version read; client-driven on the one sent), the head when the
 * sandbox has one, and revision N+1, whose key must be free: the sandbox's version condition
 * serializes writers, so no two revisions share a number.
 */
export async function putPolicy(
  ctx: OperationContext,
  name: string,
  body: PolicyInput,
): Promise<PolicyResult> {
  const res = await ctx.store.transactWithRetry<PolicyState, PolicyResult>({
    requestId: ctx.requestId,
    read: () => readPolicyState(ctx, name),
    plan: (state) => {
      assertPrecondition(ctx, state.sandbox);
      assertNotDeleting(state.sandbox);
      const change = policyChange(ctx, state, { base: body.policy }, 'body.policy', {
        alwaysRevision: true,
      });
      return {
        ops: change.ops,
        result: (tx) => ({ sandbox: change.sandbox(tx), revision: change.revision(tx)! }),
      };
    },
  });
  ctx.stats.attempts += res.attempts;
  return res.value;
}

export interface MergeResult {
  sandbox: StoredObject<SandboxData>;
  /** The revision the merge created; the latest when it changed nothing; null when none. */
  revision: StoredObject<PolicyRevisionData> | null;
}

/**
 * Changes the policy by merge operations (SPEC §7.2), applied to the base in order, all or
 * none. Server-driven, a conflict reads again and applies the operations again to what it
 * reads, until the request's deadline, so concurrent merges compose and each one succeeds;
 * with `expectedPolicyVersion`, a latest revision other than that is 409 ABORTED.
 */
export async function mergePolicy(
  ctx: OperationContext,
  name: string,
  body: PolicyMergeInput,
): Promise<MergeResult> {
  const res = await ctx.store.transactWithRetry<PolicyState, MergeResult | 'unchanged'>({
    requestId: ctx.requestId,
    until: deadlineOf(ctx),
    read: () => readPolicyState(ctx, name),
    plan: (state) => {
      assertNotDeleting(state.sandbox);
      const latest = state.sandbox.data.latestPolicyVersion;
      if (body.expectedPolicyVersion !== undefined && body.expectedPolicyVersion !== latest) {
        throw new Aborted(
          Kind.Sandbox,
          name,
          state.sandbox.resourceVersion,
          state.sandbox,
          `the policy of sandbox ${name} is at revision ${latest}, not ${body.expectedPolicyVersion}.`,
        );
      }
      const base = applyOperations(state.head.base, body.operations);
      const change = policyChange(ctx, state, { base }, 'body.operations');
      if (!change.creates && change.ops.length === 1) return { done: 'unchanged' };
      return {
        ops: change.ops,
        result: (tx) =>
          change.creates
            ? { sandbox: change.sandbox(tx), revision: change.revision(tx) }
            : 'unchanged',
      };
    },
  });
  ctx.stats.attempts += res.attempts;
  if (res.value !== 'unchanged') return res.value;
  // Nothing new in force: the latest revision, as it is now.
  const sandbox = await ctx.store.mustGet<SandboxData>(keys.sandbox(name), sandboxSubject(name));
  const latest = sandbox.data.latestPolicyVersion;
  const revision = latest
    ? ((await ctx.store.get<PolicyRevisionData>(keys.policyRevision(name, latest))) ?? null)
    : null;
  return { sandbox, revision };
}

function assertPrecondition(ctx: OperationContext, sandbox: StoredObject<SandboxData>) {
  const expected = ctx.expectedResourceVersion ?? 0;
  if (
    (expected > 0 && sandbox.resourceVersion !== expected) ||
    (ctx.expectedId && sandbox.id !== ctx.expectedId)
  ) {
    throw new Aborted(Kind.Sandbox, sandbox.name, sandbox.resourceVersion, sandbox);
  }
}
