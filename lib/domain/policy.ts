import type { StoredObject } from '#lib/store/types.ts';
import { assertObjectSize, type OperationContext, observe, preconditionOf } from './context.ts';
import type { PolicyInput } from './inputs.ts';
import { keys } from './keys.ts';
import { newRevision } from './revisions.ts';
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
 * Sets the sandbox's policy: a CAS write of the sandbox (client-driven when a version is sent)
 * in one transaction with the creation of revision N+1. The revision's key must be free, and
 * the sandbox's version condition serializes writers, so no two revisions share a number.
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
    (_before, next) => [newRevision(name, next.latestPolicyVersion, body.policy)],
  );
  observe(ctx, res);
  return {
    sandbox: res.object,
    revision: res.related[0] as StoredObject<PolicyRevisionData>,
  };
}
