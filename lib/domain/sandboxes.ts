import { randomUUID } from 'node:crypto';
import { Aborted, FailedPrecondition, NotFound } from '#lib/errors.ts';
import { change, where } from '#lib/store/expression.ts';
import type { Store, TransactPlan } from '#lib/store/store.ts';
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
import type { CreateSandboxInput, SandboxStatusInput } from './inputs.ts';
import { index, Kind, keys } from './keys.ts';
import {
  attachBookkeeping,
  detachBookkeeping,
  RefAppeared,
  unrecordedListingCheck,
} from './provider-refs.ts';
import { newRevision } from './revisions.ts';
import { assertNotDeleting, sandboxSubject } from './sandbox-state.ts';
import type { Condition, SandboxData, SettingsData } from './types.ts';

export async function createSandbox(
  ctx: OperationContext,
  body: CreateSandboxInput,
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

/** Merges reported conditions by type; a transition time moves only when the status changes. */
function mergeConditions(current: Condition[], reported: SandboxStatusInput['conditions']) {
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
  body: SandboxStatusInput,
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
 * Deletes a sandbox and everything it owns. The sandbox is first marked DELETING and its
 * settings frozen, in one transaction (no attach, session, service, policy or setting write is
 * accepted after it: each checks the phase, or meets the frozen settings, atomically), then its
 * children are removed with conditional deletes, then the sandbox itself goes in one
 * transaction with its provider bookkeeping. A delete interrupted part-way is finished by the
 * next delete call.
 */
export async function deleteSandbox(
  ctx: OperationContext,
  name: string,
): Promise<StoredObject<SandboxData>> {
  const { store } = ctx;
  const expected = ctx.expectedResourceVersion ?? 0;
  const mark = await store.transactWithRetry({
    requestId: `${ctx.requestId}:mark`,
    read: () =>
      Promise.all([
        store.mustGet<SandboxData>(keys.sandbox(name), sandboxSubject(name)),
        store.get<SettingsData>(keys.sandboxSettings(name)),
      ]),
    plan: ([sandbox, settings]): TransactPlan<StoredObject<SandboxData>> => {
      if (
        (expected > 0 && sandbox.resourceVersion !== expected) ||
        (ctx.expectedId && ctx.expectedId !== sandbox.id)
      ) {
        throw new Aborted(Kind.Sandbox, name, sandbox.resourceVersion, sandbox);
      }
      const marked = sandbox.data.phase === 'DELETING';
      if (marked && settings?.frozen) return { done: sandbox };
      const ops: TransactOp[] = [];
      if (!marked) {
        ops.push({
          type: 'update',
          subject: sandboxSubject(name),
          base: sandbox,
          changes: [change.set(['phase'], 'DELETING')],
        });
      }
      if (settings && !settings.frozen) {
        ops.push({
          type: 'freeze',
          key: keys.sandboxSettings(name),
          // Gone under a concurrent delete of the sandbox, which froze it first: read again.
          failure: () => new Aborted(Kind.SandboxSettings, name, 1, undefined),
        });
      } else if (!settings) {
        // Written before settings objects existed: none may appear while the mark is made.
        ops.push({
          type: 'check',
          key: keys.sandboxSettings(name),
          condition: where.absent(),
          failure: () => new Aborted(Kind.SandboxSettings, name, 1, undefined),
        });
      }
      return {
        ops,
        result: (res) => (marked ? sandbox : (res.objects[0] as StoredObject<SandboxData>)),
      };
    },
    // A conflict on the sandbox itself is final when the caller named its version.
    retry: (err) => err instanceof Aborted && !(expected > 0 && err.kind === Kind.Sandbox),
  });
  ctx.stats.attempts += mark.attempts;
  const marked = mark.value;

  await deleteChildren(store, name, `${ctx.requestId}:children`);

  // Nothing but this delete changes a DELETING sandbox's providers. A listing without a ref
  // (written before refs existed) may get one from migration 006 between this read and the
  // transaction, so the transaction checks that each one it did not see is still absent.
  const providers = marked.data.spec?.providers ?? [];
  const removed = await store
    .transactWithRetry({
      requestId: `${ctx.requestId}:delete`,
      read: () =>
        Promise.all(
          providers.map(
            async (p) => (await store.records.get(keys.providerRef(p, name))) !== undefined,
          ),
        ),
      plan: (present) => ({
        ops: [
          { type: 'delete', subject: sandboxSubject(name), base: marked },
          ...providers.flatMap((p, i) =>
            present[i] ? detachBookkeeping(name, p) : [unrecordedListingCheck(name, p)],
          ),
        ],
        result: () => marked,
      }),
      retry: (err) => err instanceof RefAppeared,
    })
    .catch((err: unknown) => {
      // Another delete finished this sandbox, and its name was taken again meanwhile: the
      // sandbox this delete marked is gone.
      const current = err instanceof Aborted ? (err.current as { id?: string } | undefined) : null;
      if (err instanceof Aborted && err.kind === Kind.Sandbox && current?.id !== marked.id) {
        throw new NotFound(Kind.Sandbox, name);
      }
      throw err;
    });
  ctx.stats.attempts += removed.attempts;
  return marked;
}

export interface ProvisionTimeout {
  /** How long a sandbox may stay PROVISIONING, in milliseconds. */
  timeoutMs: number;
  /** The clock, in epoch milliseconds. */
  now: () => number;
}

/** Whether a sandbox has been PROVISIONING for longer than the timeout. */
export function isProvisioningTimedOut(
  sandbox: StoredObject<SandboxData>,
  settings: ProvisionTimeout,
): boolean {
  return (
    sandbox.data.phase === 'PROVISIONING' &&
    settings.now() - Date.parse(sandbox.createdAt) >= settings.timeoutMs
  );
}

/** Replaces the condition of the same type, keeping the others in their order. */
function withCondition(conditions: Condition[], condition: Condition): Condition[] {
  const index = conditions.findIndex((c) => c.type === condition.type);
  if (index < 0) return [...conditions, condition];
  return conditions.map((c, i) => (i === index ? condition : c));
}

/**
 * Moves a sandbox stuck in PROVISIONING to ERROR with a `Ready=False, ProvisionTimeout`
 * condition. The decision is taken again on the strongly consistent read and after every
 * conflict, so a status report that lands first wins and is never overwritten; any number of
 * callers at once write the transition once. `conflict`: the sandbox kept changing under every
 * attempt and is left for the next run.
 */
export async function timeOutProvisioning(
  store: Store,
  listed: StoredObject<SandboxData>,
  settings: ProvisionTimeout,
  requestId: string = randomUUID(),
): Promise<'changed' | 'unchanged' | 'conflict'> {
  try {
    const res = await store.update<SandboxData>(
      listed.key,
      sandboxSubject(listed.name),
      {
        apply: (current) => {
          if (!isProvisioningTimedOut(current, settings)) return undefined;
          const seconds = Math.round(settings.timeoutMs / 1000);
          return {
            ...current.data,
            phase: 'ERROR',
            conditions: withCondition(current.data.conditions ?? [], {
              type: 'Ready',
              status: 'False',
              reason: 'ProvisionTimeout',
              message: `The sandbox did not become ready within ${seconds} seconds.`,
              lastTransitionTime: new Date(settings.now()).toISOString(),
            }),
          };
        },
      },
      { requestId },
    );
    return res.changed ? 'changed' : 'unchanged';
  } catch (err) {
    if (err instanceof NotFound) return 'unchanged';
    if (err instanceof Aborted) return 'conflict';
    throw err;
  }
}
