import { FailedPrecondition } from '#lib/errors.ts';
import { namesContaining } from '#lib/store/containing.ts';
import { COUNT, field, where } from '#lib/store/expression.ts';
import type { Store } from '#lib/store/store.ts';
import type { TransactOp } from '#lib/store/transact.ts';
import { Kind, keys } from './keys.ts';

/**
 * The provider side of "sandbox lists provider": a refs record per provider whose
 * {@link REF_COUNT} counts the sandboxes listing it, and one ref record per such sandbox.
 * Attach, detach, sandbox create and sandbox delete move them in the same transaction as the
 * sandbox; sandboxes written before they existed have none until migration
 * {@link PROVIDER_REFS_MIGRATION} has recorded their listings.
 */

/** The attribute of the provider's refs record that counts the sandboxes listing it. */
export const REF_COUNT = COUNT;

/** The data migration that records the listings of sandboxes written before refs existed. */
export const PROVIDER_REFS_MIGRATION = '006-provider-refs';

/** Stores whose table the migration has finished on; see {@link providerRefsComplete}. */
const complete = new WeakSet<Store>();

/**
 * Whether every listing has its ref records: migration {@link PROVIDER_REFS_MIGRATION} is
 * done. A `done` answer is kept for the life of the store (a Lambda instance), so a finished
 * migration costs nothing; until then every call reads the migration's record.
 */
export async function providerRefsComplete(store: Store): Promise<boolean> {
  if (complete.has(store)) return true;
  const record = await store.get<{ status?: string }>(keys.migration(PROVIDER_REFS_MIGRATION));
  if (record?.data.status !== 'done') return false;
  complete.add(store);
  return true;
}

/**
 * The sandboxes that list `provider`, refs or not, found through the `byKind` index with a
 * filter on `spec.providers`. It reads every sandbox: only for provider delete, and only until
 * the migration is done.
 */
export function sandboxesListing(store: Store, provider: string): Promise<string[]> {
  return namesContaining(store, Kind.Sandbox, ['spec', 'providers'], provider);
}

/** The sandbox no longer lists the provider (detached, deleted, or re-created without it). */
export class ListingGone extends Error {}

/** The ref record exists already (an earlier run, or a concurrent one, wrote it). */
export class RefExists extends Error {}

/**
 * Records a listing that has no ref record yet, as attach would have: the ref put conditioned
 * on its absence and the count's increment, atomically with a check that the sandbox still
 * lists the provider. So a listing is counted at most once however often (and however many
 * runners) record it, and never after a detach or a sandbox delete removed it.
 */
export function recordListingOps(sandbox: string, provider: string): TransactOp[] {
  return [
    {
      type: 'check',
      key: keys.sandbox(sandbox),
      condition: where.and(where.live(), where.contains(field('spec', 'providers'), provider)),
      failure: () => new ListingGone(),
    },
    {
      type: 'putRecord',
      key: keys.providerRef(provider, sandbox),
      record: { sandbox },
      condition: where.absent(),
      failure: () => new RefExists(),
    },
    { type: 'counter', key: keys.providerRefs(provider), by: 1 },
  ];
}

/** A ref record appeared for a listing that had none when the write was prepared. */
export class RefAppeared extends Error {}

/**
 * A check that a listing still has no ref record, for writes that remove a listing without
 * bookkeeping (a legacy detach, a sandbox delete): the migration may record it meanwhile, and
 * its ref must then go in the same transaction, or the count would keep a sandbox that is gone.
 */
export function unrecordedListingCheck(sandbox: string, provider: string): TransactOp {
  return {
    type: 'check',
    key: keys.providerRef(provider, sandbox),
    condition: where.absent(),
    failure: () => new RefAppeared(),
  };
}

/** The ops that record "sandbox lists provider" on the provider's side, atomically with it. */
export function attachBookkeeping(sandbox: string, provider: string): TransactOp[] {
  return [
    {
      type: 'check',
      key: keys.provider(provider),
      condition: where.live(),
      failure: () => new FailedPrecondition(`provider ${provider} does not exist`, { provider }),
    },
    { type: 'counter', key: keys.providerRefs(provider), by: 1 },
    {
      type: 'putRecord',
      key: keys.providerRef(provider, sandbox),
      record: { sandbox },
      condition: where.absent(),
    },
  ];
}

/** The reverse of {@link attachBookkeeping}; only valid while the ref record exists. */
export function detachBookkeeping(sandbox: string, provider: string): TransactOp[] {
  return [
    {
      type: 'deleteRecord',
      key: keys.providerRef(provider, sandbox),
      condition: where.live(),
      failure: () => new MissingRef(),
    },
    { type: 'counter', key: keys.providerRefs(provider), by: -1 },
  ];
}

/** A sandbox lists a provider without a ref record: data written before refs existed. */
export class MissingRef extends Error {}
