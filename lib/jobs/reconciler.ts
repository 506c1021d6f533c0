import { randomUUID } from 'node:crypto';
import { removeSession } from '#lib/domain/children.ts';
import { type DraftLeftoversData, finishDraftCleanup } from '#lib/domain/draft-cleanup.ts';
import { Kind } from '#lib/domain/keys.ts';
import { isProvisioningTimedOut, timeOutProvisioning } from '#lib/domain/sandboxes.ts';
import type { SandboxData, SSHSessionData } from '#lib/domain/types.ts';
import type { Store } from '#lib/store/store.ts';
import type { StoredObject } from '#lib/store/types.ts';
import { forEachConcurrently } from './concurrency.ts';

/** @default how long a sandbox may stay PROVISIONING before the reconciler marks it ERROR */
export const DEFAULT_PROVISION_TIMEOUT_MS = 10 * 60 * 1000;
const PAGE_SIZE = 100;
const CONCURRENCY = 8;

export interface ReconcileOptions {
  /** @default 600 000 (10 minutes) */
  provisionTimeoutMs?: number;
  /** The clock, in epoch milliseconds. @default Date.now */
  now?: () => number;
  /** Stops between objects; what is done stays done. */
  signal?: AbortSignal;
}

export interface ReconcileResult {
  /** Sandboxes this reconciler moved from PROVISIONING to ERROR. */
  provisionTimeouts: number;
  /** Expired or revoked SSH sessions this reconciler removed. */
  sessionsRemoved: number;
  /** Cleared drafts whose events an interrupted clear left, now deleted. */
  draftLeftoversRemoved: number;
  /** Objects left for the next run: they kept changing under every attempt. */
  conflicts: number;
}

/**
 * One reconciliation: times out sandboxes stuck in PROVISIONING, finishes interrupted draft
 * clears and removes expired or revoked SSH sessions, each with the same CAS writes as the API. Every decision is taken again on the
 * object as it is when the write is conditioned, so any number of reconcilers running at once
 * produce the outcome of one: each transition is written exactly once, by whoever gets there
 * first, and a concurrent status report is never overwritten.
 */
export async function reconcile(
  store: Store,
  options: ReconcileOptions = {},
): Promise<ReconcileResult> {
  const result: ReconcileResult = {
    provisionTimeouts: 0,
    sessionsRemoved: 0,
    draftLeftoversRemoved: 0,
    conflicts: 0,
  };
  const settings = {
    timeoutMs: options.provisionTimeoutMs ?? DEFAULT_PROVISION_TIMEOUT_MS,
    now: options.now ?? Date.now,
  };
  await forEachPage<SandboxData>(store, Kind.Sandbox, options.signal, async (sandbox) => {
    if (!isProvisioningTimedOut(sandbox, settings)) return;
    const outcome = await timeOutProvisioning(store, sandbox, settings);
    if (outcome === 'changed') result.provisionTimeouts++;
    if (outcome === 'conflict') result.conflicts++;
  });
  // Clears interrupted between a draft's delete and its events' (their markers only).
  await forEachPage<DraftLeftoversData>(
    store,
    Kind.PolicyDraftLeftovers,
    options.signal,
    async (marker) => {
      await finishDraftCleanup(store, marker, randomUUID());
      result.draftLeftoversRemoved++;
    },
  );
  await forEachPage<SSHSessionData>(store, Kind.SSHSession, options.signal, async (session) => {
    if (!isDisposable(session, settings.now())) return;
    const outcome = await removeSession(store, session, randomUUID(), (s) =>
      isDisposable(s, settings.now()),
    );
    if (outcome === 'removed') result.sessionsRemoved++;
    if (outcome === 'conflict') result.conflicts++;
  });
  return result;
}

/** Lists one kind from the `byKind` index page by page (an index read may lag; writes re-check). */
async function forEachPage<D>(
  store: Store,
  kind: string,
  signal: AbortSignal | undefined,
  visit: (object: StoredObject<D>) => Promise<void>,
): Promise<void> {
  let pageToken: string | undefined;
  do {
    if (signal?.aborted) return;
    const page = await store.list<D>(kind, { pageSize: PAGE_SIZE, pageToken });
    await forEachConcurrently(page.items, CONCURRENCY, async (object) => {
      if (!signal?.aborted) await visit(object);
    });
    pageToken = page.nextPageToken;
  } while (pageToken);
}

function isDisposable(session: StoredObject<SSHSessionData>, now: number): boolean {
  const { revoked, expiresAt } = session.data;
  return revoked === true || (expiresAt != null && Date.parse(expiresAt) <= now);
}
