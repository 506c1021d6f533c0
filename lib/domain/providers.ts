import { LIMITS } from '#lib/domain/limits.ts';
import { Aborted, FailedPrecondition, InvalidArgument } from '#lib/errors.ts';
import { where } from '#lib/store/expression.ts';
import type { Page, StoredObject } from '#lib/store/types.ts';
import {
  assertObjectSize,
  generateName,
  type OperationContext,
  observe,
  preconditionOf,
} from './context.ts';
import type { CreateProviderInput, UpdateProviderInput } from './inputs.ts';
import { index, Kind, keys } from './keys.ts';
import { providerRefsComplete, sandboxesListing } from './provider-refs.ts';
import type { ProviderData } from './types.ts';

const subject = (name: string) => ({ kind: Kind.Provider, name });

export async function createProvider(
  ctx: OperationContext,
  body: CreateProviderInput,
): Promise<StoredObject<ProviderData>> {
  const name = body.name ?? generateName('provider');
  const data: ProviderData = {
    type: body.type,
    credentials: body.credentials,
    config: body.config ?? {},
  };
  assertObjectSize({ data, labels: body.labels }, 'body');
  const res = await ctx.store.create<ProviderData>(
    {
      key: keys.provider(name),
      kind: Kind.Provider,
      name,
      labels: body.labels ?? {},
      data,
      index: index.provider(name),
    },
    { requestId: ctx.requestId },
  );
  return observe(ctx, res).object;
}

export function getProvider(ctx: OperationContext, name: string) {
  return ctx.store.mustGet<ProviderData>(keys.provider(name), subject(name));
}

export function listProviders(
  ctx: OperationContext,
  opts: { pageSize?: number; pageToken?: string },
): Promise<Page<StoredObject<ProviderData>>> {
  return ctx.store.list<ProviderData>(Kind.Provider, opts);
}

/** Merges key by key; an empty-string value deletes the key. */
function merge(current: Record<string, string>, patch: Record<string, string> | undefined) {
  if (!patch) return current;
  const out = { ...current };
  for (const [k, v] of Object.entries(patch)) {
    if (v === '') delete out[k];
    else out[k] = v;
  }
  return out;
}

export async function updateProvider(
  ctx: OperationContext,
  name: string,
  body: UpdateProviderInput,
): Promise<StoredObject<ProviderData>> {
  const res = await ctx.store.update<ProviderData>(
    keys.provider(name),
    subject(name),
    {
      apply: (cur) => {
        if (body.type !== undefined && body.type !== cur.data.type) {
          throw new InvalidArgument([{ field: 'body.type', message: 'is immutable' }]);
        }
        const next: ProviderData = {
          type: cur.data.type,
          credentials: merge(cur.data.credentials, body.credentials),
          config: merge(cur.data.config ?? {}, body.config),
        };
        const violations = [];
        if (Object.keys(next.credentials).length === 0) {
          violations.push({
            field: 'body.credentials',
            message: 'a provider keeps at least one credential',
          });
        }
        if (Object.keys(next.credentials).length > LIMITS.providerCredentials) {
          violations.push({
            field: 'body.credentials',
            message: `at most ${LIMITS.providerCredentials} credentials`,
          });
        }
        if (Object.keys(next.config).length > LIMITS.providerConfig) {
          violations.push({
            field: 'body.config',
            message: `at most ${LIMITS.providerConfig} entries`,
          });
        }
        if (violations.length) throw new InvalidArgument(violations);
        assertObjectSize({ data: next, labels: cur.labels }, 'body');
        return next;
      },
    },
    preconditionOf(ctx),
  );
  return observe(ctx, res).object;
}

/**
 * Deletes a provider unless a sandbox lists it. The delete is one transaction with a condition
 * on the provider's reference count, which every attach increments in its own transaction: an
 * attach and a delete racing each other serialize on that item, so a sandbox can never be left
 * listing a deleted provider.
 *
 * Sandboxes written before refs existed list providers without counting them, until migration
 * 006 has recorded their listings. Until it is done, the delete first looks for sandboxes that
 * list the provider (a filtered query of the `byKind` index) and refuses if there is one. That
 * read and the transaction are not atomic, and need not be: the set of listings *without* a
 * ref can only shrink. Every write that adds a listing (sandbox create, attach, the migration)
 * writes its ref and count in the same transaction, and nothing else changes a sandbox's
 * providers but detach and sandbox delete, which remove them. So a legacy listing the query
 * does not find cannot appear later, and every listing that can appear is counted, which the
 * transaction's condition sees. (Legacy sandboxes were indexed long before this code ran, so
 * the index's lag cannot hide one; a false refusal from a stale index entry is a safe answer.)
 */
export async function deleteProvider(
  ctx: OperationContext,
  name: string,
): Promise<StoredObject<ProviderData>> {
  const { store } = ctx;
  const expected = ctx.expectedResourceVersion ?? 0;
  // A conflict re-plans from the provider the failed transaction returned: no second read.
  let conflicted: StoredObject<ProviderData> | undefined;
  try {
    const res = await store.transactWithRetry({
      requestId: `${ctx.requestId}:delete`,
      read: async (attempt) => {
        if (attempt > 1 && conflicted) return conflicted;
        const current = await store.mustGet<ProviderData>(keys.provider(name), subject(name));
        if (!(await providerRefsComplete(store))) {
          const legacy = await sandboxesListing(store, name);
          if (legacy.length) throw await providerInUse(ctx, name, legacy);
        }
        return current;
      },
      plan: (current) => {
        if (
          (expected > 0 && current.resourceVersion !== expected) ||
          (ctx.expectedId && ctx.expectedId !== current.id)
        ) {
          throw new Aborted(Kind.Provider, name, current.resourceVersion, current);
        }
        return {
          ops: [
            { type: 'delete', subject: subject(name), base: current },
            {
              type: 'deleteRecord',
              key: keys.providerRefs(name),
              condition: where.counterAtMost(0),
              failure: () => new ProviderInUse(),
            },
          ],
          result: () => current,
        };
      },
      retry: (err) => {
        if (!(err instanceof Aborted) || expected > 0) return false;
        conflicted = err.current as StoredObject<ProviderData>;
        return true;
      },
    });
    ctx.stats.attempts += res.attempts;
    return res.value;
  } catch (err) {
    if (err instanceof ProviderInUse) throw await providerInUse(ctx, name);
    throw err;
  }
}

class ProviderInUse extends Error {}

/** The refusal of a delete, naming the sandboxes its ref records (and `listing`) name. */
async function providerInUse(
  ctx: OperationContext,
  name: string,
  listing: readonly string[] = [],
): Promise<FailedPrecondition> {
  // However many sandboxes list it, the refusal names a bounded number: the answer stays small.
  const most = LIMITS.sandboxesNamed;
  const refs = await ctx.store.records.query(keys.providerRefs(name).pk, 'ref#', most + 1);
  const all = [...new Set([...refs.map((r) => String(r.sandbox)), ...listing])].sort();
  const sandboxes = all.slice(0, most);
  const more = all.length > most ? ` and more (the first ${most} are named)` : '';
  return new FailedPrecondition(
    `provider ${name} is attached to sandboxes: ${sandboxes.join(', ')}${more}`,
    { sandboxes },
  );
}
