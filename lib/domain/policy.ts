import { Aborted, NotFound } from '#lib/errors.ts';
import type { StoredObject } from '#lib/store/types.ts';
import { deadlineOf, type OperationContext } from './context.ts';
import type { PolicyInput, PolicyMergeInput } from './inputs.ts';
import { Kind, keys } from './keys.ts';
import { applyOperations } from './network-rules.ts';
import { type PolicyState, policyChange, readPolicyState } from './policy-state.ts';
import { assertNotDeleting, sandboxSubject } from './sandbox-state.ts';
import type {
  GlobalPolicyData,
  PolicyRevisionData,
  SandboxData,
  SettingsData,
  SettingValue,
} from './types.ts';

export type SettingScope = 'GLOBAL' | 'SANDBOX';
export type PolicySource = 'GLOBAL' | 'SANDBOX';

export interface EffectiveSetting {
  value: SettingValue;
  scope: SettingScope;
}

export interface SandboxConfig {
  sandbox: StoredObject<SandboxData>;
  /** The sandbox's own settings (absent for a sandbox written before settings objects). */
  settings: StoredObject<SettingsData> | undefined;
  /** The gateway's settings (absent until their first use). */
  globalSettings: StoredObject<SettingsData> | undefined;
  /** The global policy's head while a global policy is in force; otherwise undefined. */
  globalPolicy: StoredObject<GlobalPolicyData> | undefined;
  /** Where `policy` comes from: the global policy while one is in force. */
  policySource: PolicySource;
  /** The policy in force for the sandbox: the global one, or the sandbox's own (null: none). */
  policy: Record<string, unknown> | null;
  /** Every setting that applies to the sandbox; a key the global settings hold wins. */
  effectiveSettings: Record<string, EffectiveSetting>;
}

/**
 * A sandbox's config as it applies: its own policy and settings, under the global policy and
 * settings (SPEC §7.4). Everything it shows is read in one strongly consistent BatchGetItem
 * (the sandbox, its settings, the global settings and the global policy's head), so the view
 * is one moment's state, not four.
 */
export async function getConfig(ctx: OperationContext, name: string): Promise<SandboxConfig> {
  const [sandbox, settings, globalSettings, head] = (await ctx.store.getMany([
    keys.sandbox(name),
    keys.sandboxSettings(name),
    keys.globalSettings(),
    keys.globalPolicy(),
  ])) as [
    StoredObject<SandboxData> | undefined,
    StoredObject<SettingsData> | undefined,
    StoredObject<SettingsData> | undefined,
    StoredObject<GlobalPolicyData> | undefined,
  ];
  if (!sandbox) throw new NotFound(sandboxSubject(name).kind, name);
  const globalPolicy = head?.data.active ? head : undefined;
  return {
    sandbox,
    settings,
    globalSettings,
    globalPolicy,
    policySource: globalPolicy ? 'GLOBAL' : 'SANDBOX',
    policy: globalPolicy ? globalPolicy.data.policy : (sandbox.data.spec?.policy ?? null),
    effectiveSettings: effectiveSettings(settings?.data.settings, globalSettings?.data.settings),
  };
}

/** The sandbox's settings under the global ones: a key both hold is the global value. */
function effectiveSettings(
  sandbox: Record<string, SettingValue> = {},
  global: Record<string, SettingValue> = {},
): Record<string, EffectiveSetting> {
  const out: Record<string, EffectiveSetting> = {};
  for (const [key, value] of Object.entries(sandbox)) out[key] = { value, scope: 'SANDBOX' };
  for (const [key, value] of Object.entries(global)) out[key] = { value, scope: 'GLOBAL' };
  return out;
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
 * serializes writers, so no two revisions share a number. The same transaction checks that no
 * global policy is in force (409 FAILED_PRECONDITION "policy is managed globally"), so no
 * sandbox revision commits after a global PUT.
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
 * with `expectedPolicyVersion`, a latest revision other than that is 409 ABORTED, and so is a
 * sandbox other than the one `expectedResourceVersion`/`expectedId` (or If-Match) names.
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
      assertPrecondition(ctx, state.sandbox);
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
      if (!change.writes) return { done: 'unchanged' };
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
