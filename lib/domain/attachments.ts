import { LIMITS } from '#lib/domain/limits.ts';
import { Aborted, InvalidArgument } from '#lib/errors.ts';
import { decodePageToken, encodePageToken } from '#lib/store/page-token.ts';
import type { TransactPlan } from '#lib/store/store.ts';
import type { StoredObject } from '#lib/store/types.ts';
import { type OperationContext, observe, preconditionOf } from './context.ts';
import { ATTACHED_CURSOR_PREFIX, Kind, keys } from './keys.ts';
import {
  attachBookkeeping,
  detachBookkeeping,
  MissingRef,
  RefAppeared,
  unrecordedListingCheck,
} from './provider-refs.ts';
import { assertNotDeleting, sandboxSubject } from './sandbox-state.ts';
import type { ProviderData, SandboxData } from './types.ts';

export interface AttachResult {
  sandbox: StoredObject<SandboxData>;
  /** False when the provider was already attached: nothing was written. */
  attached: boolean;
}

export interface DetachResult {
  sandbox: StoredObject<SandboxData>;
  detached: boolean;
}

/**
 * Attaches a provider: a CAS write of the sandbox, in one transaction with a check that the
 * provider exists and the provider-side reference count that provider delete conditions on.
 */
export async function attachProvider(
  ctx: OperationContext,
  name: string,
  provider: string,
): Promise<AttachResult> {
  const res = await ctx.store.updateInTransaction<SandboxData>(
    keys.sandbox(name),
    sandboxSubject(name),
    {
      apply: (cur) => {
        const providers = cur.data.spec?.providers ?? [];
        if (providers.includes(provider)) return undefined;
        assertNotDeleting(cur);
        if (providers.length >= LIMITS.providersPerSandbox) {
          throw new InvalidArgument([
            {
              field: 'path.provider',
              message: `a sandbox lists at most ${LIMITS.providersPerSandbox} providers`,
            },
          ]);
        }
        return { ...cur.data, spec: { ...cur.data.spec, providers: [...providers, provider] } };
      },
    },
    preconditionOf(ctx),
    () => attachBookkeeping(name, provider),
  );
  observe(ctx, res);
  return { sandbox: res.object, attached: res.changed };
}

/**
 * Detaches a provider; works when the provider no longer exists. A listing written before refs
 * existed has no ref record to remove: the detach then goes without bookkeeping, conditioned
 * on the ref still being absent, since migration 006 may record the listing at any moment.
 */
export async function detachProvider(
  ctx: OperationContext,
  name: string,
  provider: string,
): Promise<DetachResult> {
  const mutation = {
    apply: (cur: StoredObject<SandboxData>) => {
      const providers = cur.data.spec?.providers ?? [];
      if (!providers.includes(provider)) return undefined;
      assertNotDeleting(cur);
      return {
        ...cur.data,
        spec: { ...cur.data.spec, providers: providers.filter((p) => p !== provider) },
      };
    },
  };
  // Most listings have their ref record: assume so, and switch when the transaction says not
  // (a sandbox written before refs existed), or when migration 006 recorded it meanwhile.
  let recorded = true;
  const expected = ctx.expectedResourceVersion ?? 0;
  const res = await ctx.store.transactWithRetry({
    requestId: ctx.requestId,
    read: () => ctx.store.mustGet<SandboxData>(keys.sandbox(name), sandboxSubject(name)),
    plan: (sandbox): TransactPlan<DetachResult> => {
      if (
        (expected > 0 && sandbox.resourceVersion !== expected) ||
        (ctx.expectedId && ctx.expectedId !== sandbox.id)
      ) {
        throw new Aborted(Kind.Sandbox, name, sandbox.resourceVersion, sandbox);
      }
      const next = mutation.apply(sandbox);
      if (next === undefined) return { done: { sandbox, detached: false } };
      return {
        ops: [
          { type: 'update', subject: sandboxSubject(name), base: sandbox, data: next },
          ...(recorded
            ? detachBookkeeping(name, provider)
            : [unrecordedListingCheck(name, provider)]),
        ],
        result: (r) => ({
          sandbox: r.objects[0] as StoredObject<SandboxData>,
          detached: true,
        }),
      };
    },
    retry: (err) => {
      if (err instanceof MissingRef || err instanceof RefAppeared) {
        recorded = err instanceof RefAppeared;
        return true;
      }
      return err instanceof Aborted && expected === 0 && err.kind === Kind.Sandbox;
    },
  });
  ctx.stats.attempts += res.attempts;
  return res.value;
}

export interface AttachedProvidersPage {
  /** The sandbox's providers that exist, in its order. */
  items: StoredObject<ProviderData>[];
  /**
   * Names this page's part of the sandbox's list holds that no provider has: deleted while
   * listed, which only a sandbox written before provider refs existed allows.
   */
  missing: string[];
  nextPageToken?: string;
}

/** Providers read at once while a page fills: a page stops early on its byte budget. */
const READ_BATCH = 8;
const CURSOR = new RegExp(`^${ATTACHED_CURSOR_PREFIX}(\\d{1,6})#([a-z0-9-]{1,63})$`);

/**
 * One page of the sandbox's providers, in its order. `pageSize` counts the list's entries a
 * page covers, found or missing; a page also stops before its providers' stored objects exceed
 * the store's `pageBytes` (`RESPONSE_BUDGET.pageBytes`), though never before its first one. Tokens carry the position
 * and name of the page's last entry, bound to the sandbox: the next page continues after that
 * name wherever it now is, or at its old position if it was detached meanwhile.
 */
export async function listAttachedProviders(
  ctx: OperationContext,
  name: string,
  opts: { pageSize?: number; pageToken?: string } = {},
): Promise<AttachedProvidersPage> {
  const sandbox = await ctx.store.mustGet<SandboxData>(keys.sandbox(name), sandboxSubject(name));
  const listed = sandbox.data.spec?.providers ?? [];
  const scope = keys.sandboxPartition(name);
  const start = opts.pageToken ? resumePosition(listed, opts.pageToken, scope) : 0;
  const span = listed.slice(start, start + (opts.pageSize ?? LIMITS.pageSizeDefault));

  const items: StoredObject<ProviderData>[] = [];
  const missing: string[] = [];
  let bytes = 0;
  let covered = 0;
  fill: for (let i = 0; i < span.length; i += READ_BATCH) {
    const batch = span.slice(i, i + READ_BATCH);
    const found = await Promise.all(
      batch.map((p) => ctx.store.get<ProviderData>(keys.provider(p))),
    );
    for (const [j, provider] of found.entries()) {
      if (provider) {
        const size = Buffer.byteLength(JSON.stringify(provider));
        if (items.length > 0 && bytes + size > ctx.store.pageBytes) break fill;
        bytes += size;
        items.push(provider);
      } else {
        missing.push(batch[j] as string);
      }
      covered++;
    }
  }

  const end = start + covered;
  const last = listed[end - 1];
  return {
    items,
    missing,
    ...(end < listed.length && last !== undefined
      ? { nextPageToken: encodePageToken(scope, cursorOf(end - 1, last, scope)) }
      : {}),
  };
}

function cursorOf(position: number, provider: string, scope: string) {
  return { pk: scope, sk: `${ATTACHED_CURSOR_PREFIX}${position}#${provider}` };
}

/** Where the page after a token's cursor starts in the sandbox's current list. */
function resumePosition(listed: readonly string[], token: string, scope: string): number {
  const cursor = decodePageToken(token, scope, {
    attributes: ['pk', 'sk'],
    within: (c) => c.pk === scope && CURSOR.test(c.sk ?? ''),
  });
  const [, position = '0', provider = ''] = CURSOR.exec(cursor.sk ?? '') ?? [];
  const at = Number(position);
  if (listed[at] === provider) return at + 1;
  const moved = listed.indexOf(provider);
  return moved >= 0 ? moved + 1 : Math.min(at, listed.length);
}
