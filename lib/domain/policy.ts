import { NotFound } from '#lib/errors.ts';
import type { StoredObject } from '#lib/store/types.ts';
import { assertObjectSize, type OperationContext, observe, preconditionOf } from './context.ts';
import { globalPolicyNotInForce } from './global-policy.ts';
import type { PolicyInput } from './inputs.ts';
import { keys } from './keys.ts';
import { newRevision } from './revisions.ts';
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
 * Sets the sandbox's policy: a CAS write of the sandbox (client-driven when a version is sent)
 * in one transaction with the creation of revision N+1. The revision's key must be free, and
 * the sandbox's version condition serializes writers, so no two revisions share a number. The
 * same transaction checks that no global policy is in force (409 FAILED_PRECONDITION "policy
 * is managed globally"), so no sandbox revision commits after a global PUT.
 */
export async function putPolicy(
  ctx: OperationContext,
  name: string,
  body: PolicyInput,
): Promise<PolicyResult> {
  const res = await ctx.store.updateInTransaction<SandboxData>(
    keys.sandbox(name),
    sandboxSubject(name),
    {
      apply: (cur) => {
        assertNotDeleting(cur);
        const next: SandboxData = {
          ...cur.data,
          spec: { ...cur.data.spec, policy: body.policy },
          latestPolicyVersion: (cur.data.latestPolicyVersion ?? 0) + 1,
        };
        assertObjectSize({ data: next, labels: cur.labels }, 'body.policy');
        return next;
      },
    },
    preconditionOf(ctx),
    (_before, next) => [
      newRevision(name, next.latestPolicyVersion, body.policy),
      globalPolicyNotInForce(),
    ],
  );
  observe(ctx, res);
  return {
    sandbox: res.object,
    revision: res.related[0] as StoredObject<PolicyRevisionData>,
  };
}
