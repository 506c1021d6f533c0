import { LIMITS } from '#lib/api/limits.ts';
import { InvalidArgument } from '#lib/errors.ts';
import { MAX_ATTEMPTS } from '#lib/store/backoff.ts';
import type { StoredObject } from '#lib/store/types.ts';
import { type OperationContext, observe, preconditionOf } from './context.ts';
import { keys } from './keys.ts';
import { RefAppeared, unrecordedListingCheck } from './provider-refs.ts';
import {
  assertNotDeleting,
  attachBookkeeping,
  detachBookkeeping,
  MissingRef,
  sandboxSubject,
} from './sandboxes.ts';
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
  const run = (recorded: boolean) =>
    ctx.store.updateInTransaction<SandboxData>(
      keys.sandbox(name),
      sandboxSubject(name),
      mutation,
      preconditionOf(ctx),
      () =>
        recorded ? detachBookkeeping(name, provider) : [unrecordedListingCheck(name, provider)],
    );
  let recorded = true;
  for (let attempt = 1; ; attempt++) {
    try {
      const res = await run(recorded);
      observe(ctx, res);
      return { sandbox: res.object, detached: res.changed };
    } catch (err) {
      const switched = recorded ? err instanceof MissingRef : err instanceof RefAppeared;
      if (!switched || attempt >= MAX_ATTEMPTS) throw err;
      recorded = !recorded;
    }
  }
}

/** The sandbox's providers in its order; a listed provider that is gone is skipped. */
export async function listAttachedProviders(
  ctx: OperationContext,
  name: string,
): Promise<StoredObject<ProviderData>[]> {
  const sandbox = await ctx.store.mustGet<SandboxData>(keys.sandbox(name), sandboxSubject(name));
  const found = await Promise.all(
    (sandbox.data.spec?.providers ?? []).map((p) => ctx.store.get<ProviderData>(keys.provider(p))),
  );
  return found.filter((p): p is StoredObject<ProviderData> => p !== undefined);
}
