import { createHash } from 'node:crypto';
import type { CreateSandboxBody, SandboxStatusBody } from '#lib/api/schemas/sandboxes.ts';
import { FailedPrecondition, NotFound } from '#lib/errors.ts';
import { MAX_ATTEMPTS } from '#lib/store/backoff.ts';
import type { TransactOp } from '#lib/store/transact.ts';
import type { Page, StoredObject } from '#lib/store/types.ts';
import { deleteChildren } from './children.ts';
import {
  assertObjectSize,
  generateName,
  type OperationContext,
  observe,
  preconditionOf,
} from './context.ts';
import { index, Kind, keys } from './keys.ts';
import { REF_COUNT, RefAppeared, unrecordedListingCheck } from './provider-refs.ts';
import type { Condition, PolicyRevisionData, SandboxData, SettingsData } from './types.ts';

export const sandboxSubject = (name: string) => ({ kind: Kind.Sandbox, name });

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

/** The ops that record "sandbox lists provider" on the provider's side, atomically with it. */
export function attachBookkeeping(sandbox: string, provider: string): TransactOp[] {
  return [
    {
      type: 'check',
      key: keys.provider(provider),
      condition: {
        expression: 'attribute_exists(#pk) AND attribute_not_exists(#tomb)',
        names: { '#pk': 'pk', '#tomb': 'tombstone' },
      },
      failure: () => new FailedPrecondition(`provider ${provider} does not exist`, { provider }),
    },
    {
      type: 'record',
      key: keys.providerRefs(provider),
      update: {
        expression: 'ADD #count :one',
        names: { '#count': REF_COUNT },
        values: { ':one': 1 },
      },
    },
    {
      type: 'record',
      key: keys.providerRef(provider, sandbox),
      put: { sandbox },
      condition: { expression: 'attribute_not_exists(#pk)', names: { '#pk': 'pk' } },
    },
  ];
}

/**
 * A transaction's check that the sandbox exists and is not being deleted, so that nothing new
 * is added under a sandbox that delete has already marked.
 */
export function sandboxAcceptsChildren(sandbox: string): TransactOp {
  return {
    type: 'check',
    key: keys.sandbox(sandbox),
    condition: {
      expression:
        'attribute_exists(#pk) AND attribute_not_exists(#tomb) AND #data.#phase <> :deleting',
      names: { '#pk': 'pk', '#tomb': 'tombstone', '#data': 'data', '#phase': 'phase' },
      values: { ':deleting': 'DELETING' },
    },
    failure: (old) =>
      old
        ? new FailedPrecondition(`sandbox ${sandbox} is being deleted`, { sandbox })
        : new NotFound(Kind.Sandbox, sandbox),
  };
}

/** The reverse of {@link attachBookkeeping}; only valid while the ref record exists. */
export function detachBookkeeping(sandbox: string, provider: string): TransactOp[] {
  return [
    {
      type: 'record',
      key: keys.providerRef(provider, sandbox),
      remove: true,
      condition: { expression: 'attribute_exists(#pk)', names: { '#pk': 'pk' } },
      failure: () => new MissingRef(),
    },
    {
      type: 'record',
      key: keys.providerRefs(provider),
      update: {
        expression: 'ADD #count :minus',
        names: { '#count': REF_COUNT },
        values: { ':minus': -1 },
      },
    },
  ];
}

/** A sandbox lists a provider without a ref record: data written before refs existed. */
export class MissingRef extends Error {}

export async function createSandbox(
  ctx: OperationContext,
  body: CreateSandboxBody,
): Promise<StoredObject<SandboxData>> {
  const name = body.name ?? generateName('sandbox');
  const spec = body.spec;
  const data: SandboxData = {
    spec: {
      ...(spec.image !== undefined ? { image: spec.image } : {}),
      environment: spec.environment ?? {},
      providers: spec.providers ?? [],
      ...(spec.policy !== undefined ? { policy: spec.policy } : {}),
      ...(spec.logLevel !== undefined ? { logLevel: spec.logLevel } : {}),
      gpu: spec.gpu ?? false,
    },
    phase: 'PROVISIONING',
    conditions: [],
    currentPolicyVersion: null,
    latestPolicyVersion: spec.policy ? 1 : 0,
  };
  assertObjectSize({ data, labels: body.labels }, 'body.spec');
  const settings: SettingsData = { settings: {} };
  const ops: TransactOp[] = [
    {
      type: 'create',
      object: {
        key: keys.sandbox(name),
        kind: Kind.Sandbox,
        name,
        labels: body.labels ?? {},
        data,
        index: index.sandbox(name),
      },
    },
    {
      type: 'create',
      object: { key: keys.sandboxSettings(name), kind: Kind.SandboxSettings, name, data: settings },
    },
    ...data.spec.providers.flatMap((p) => attachBookkeeping(name, p)),
    ...(spec.policy ? [newRevision(name, 1, spec.policy)] : []),
  ];
  const res = await ctx.store.transact(ops, { requestId: ctx.requestId });
  ctx.stats.attempts += res.attempts;
  return res.objects[0] as StoredObject<SandboxData>;
}

export function getSandbox(ctx: OperationContext, name: string) {
  return ctx.store.mustGet<SandboxData>(keys.sandbox(name), sandboxSubject(name));
}

export function listSandboxes(
  ctx: OperationContext,
  opts: { pageSize?: number; pageToken?: string; labelSelector?: Record<string, string> },
): Promise<Page<StoredObject<SandboxData>>> {
  return ctx.store.list<SandboxData>(Kind.Sandbox, opts);
}

/** Refuses changes to a sandbox that is being deleted. */
export function assertNotDeleting(sandbox: StoredObject<SandboxData>): void {
  if (sandbox.data.phase === 'DELETING') {
    throw new FailedPrecondition(`sandbox ${sandbox.name} is being deleted`, {
      sandbox: sandbox.name,
    });
  }
}

/** Merges reported conditions by type; a transition time moves only when the status changes. */
function mergeConditions(current: Condition[], reported: SandboxStatusBody['conditions']) {
  if (!reported) return current;
  const now = new Date().toISOString();
  return reported.map((c) => {
    const before = current.find((x) => x.type === c.type);
    const unchanged = before && before.status === c.status;
    return {
      type: c.type,
      status: c.status,
      ...(c.reason !== undefined ? { reason: c.reason } : {}),
      ...(c.message !== undefined ? { message: c.message } : {}),
      lastTransitionTime: c.lastTransitionTime ?? (unchanged ? before.lastTransitionTime : now),
    };
  });
}

export async function reportSandboxStatus(
  ctx: OperationContext,
  name: string,
  body: SandboxStatusBody,
): Promise<StoredObject<SandboxData>> {
  const res = await ctx.store.update<SandboxData>(
    keys.sandbox(name),
    sandboxSubject(name),
    {
      apply: (cur) => {
        assertNotDeleting(cur);
        if (body.phase === 'DELETING') {
          throw new FailedPrecondition('phase DELETING is set by deleting the sandbox');
        }
        const next: SandboxData = {
          ...cur.data,
          phase: body.phase,
          conditions: mergeConditions(cur.data.conditions ?? [], body.conditions),
        };
        assertObjectSize({ data: next, labels: cur.labels }, 'body.conditions');
        return next;
      },
    },
    preconditionOf(ctx),
  );
  return observe(ctx, res).object;
}

/**
 * Deletes a sandbox and everything it owns. The sandbox is first marked DELETING (a CAS write:
 * no attach, session, service or policy write is accepted after it), then its children are
 * removed with conditional deletes, then the sandbox itself goes in one transaction with its
 * provider bookkeeping. A delete interrupted part-way is finished by the next delete call.
 */
export async function deleteSandbox(
  ctx: OperationContext,
  name: string,
): Promise<StoredObject<SandboxData>> {
  const { store } = ctx;
  const marked = observe(
    ctx,
    await store.update<SandboxData>(
      keys.sandbox(name),
      sandboxSubject(name),
      {
        apply: (cur) =>
          cur.data.phase === 'DELETING' ? undefined : { ...cur.data, phase: 'DELETING' },
      },
      { ...preconditionOf(ctx), requestId: `${ctx.requestId}:mark` },
    ),
  ).object;

  await deleteChildren(store, name, `${ctx.requestId}:children`);

  // Nothing but this delete changes a DELETING sandbox's providers. A listing without a ref
  // (written before refs existed) may get one from migration 006 between this read and the
  // transaction, so the transaction checks that each one it did not see is still absent.
  const providers = marked.data.spec?.providers ?? [];
  for (let attempt = 1; ; attempt++) {
    const present = await Promise.all(
      providers.map(
        async (p) => (await store.records.get(keys.providerRef(p, name))) !== undefined,
      ),
    );
    try {
      const res = await store.transact(
        [
          { type: 'delete', subject: sandboxSubject(name), base: marked },
          ...providers.flatMap((p, i) =>
            present[i] ? detachBookkeeping(name, p) : [unrecordedListingCheck(name, p)],
          ),
        ],
        { requestId: `${ctx.requestId}:delete` },
      );
      ctx.stats.attempts += res.attempts;
      return marked;
    } catch (err) {
      if (!(err instanceof RefAppeared) || attempt >= MAX_ATTEMPTS) throw err;
    }
  }
}
