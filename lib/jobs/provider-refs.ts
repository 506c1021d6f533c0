import { randomUUID } from 'node:crypto';
import { Kind, keys } from '#lib/domain/keys.ts';
import { ListingGone, RefExists, recordListingOps } from '#lib/domain/provider-refs.ts';
import type { SandboxData } from '#lib/domain/types.ts';
import { ShellgateError } from '#lib/errors.ts';
import type { Store } from '#lib/store/store.ts';
import type { StoredObject } from '#lib/store/types.ts';
import { DEFAULT_WRITE_RATE } from './backfill.ts';
import { forEachConcurrently } from './concurrency.ts';
import { RateLimiter } from './rate-limiter.ts';
import { sleep, throttleBackoffMs } from './sleep.ts';

/** Sandboxes per page of the `byKind` listing: a stop re-reads at most one page. */
const DEFAULT_PAGE_SIZE = 25;
/** Sandboxes worked on at once within a page. */
const DEFAULT_CONCURRENCY = 8;
/**
 * Write units a listing's transaction is expected to cost: three items (the sandbox check, the
 * ref put, the count's update) at two units each for a transaction, with items under 1 KB.
 */
const UNITS_PER_LISTING = 6;
/** Transient failures (after the SDK's and the store's own retries) tolerated in a row. */
const MAX_TRANSIENT_RETRIES = 8;

/** What a run counts. Each listing read lands in one of recorded, skipped and conflicts. */
export interface ProviderRefCounts {
  /** Sandboxes read. */
  scanned: number;
  /** Provider names those sandboxes list. */
  listings: number;
  /** Listings that got their ref record and were counted, by this migration. */
  recorded: number;
  /** Dry run and verify: listings that have no ref record. */
  unrecorded: number;
  /** Listings whose ref record existed already (attach wrote it, or an earlier run). */
  skipped: number;
  /** Listings a concurrent write settled first: detached, deleted, or recorded by another runner. */
  conflicts: number;
  /** Requests DynamoDB throttled (retried after a backoff). */
  throttled: number;
}

const emptyCounts = (): ProviderRefCounts => ({
  scanned: 0,
  listings: 0,
  recorded: 0,
  unrecorded: 0,
  skipped: 0,
  conflicts: 0,
  throttled: 0,
});

function add(a: ProviderRefCounts, b: ProviderRefCounts): ProviderRefCounts {
  const out = { ...a };
  for (const k of Object.keys(out) as (keyof ProviderRefCounts)[]) out[k] += b[k];
  return out;
}

/** Where a run stands: the listing's page token after the last page done in full. */
export interface ProviderRefsProgress {
  /** Null at the start. */
  pageToken: string | null;
  done: boolean;
  /** Counts of every run, up to that page. */
  totals: ProviderRefCounts;
}

export function isProviderRefsProgress(value: unknown): value is ProviderRefsProgress {
  const p = value as ProviderRefsProgress | null | undefined;
  return (
    !!p &&
    (p.pageToken === null || typeof p.pageToken === 'string') &&
    typeof p.done === 'boolean' &&
    typeof p.totals === 'object' &&
    p.totals !== null
  );
}

export interface ProviderRefsOptions {
  /** Count the listings without a ref record; write nothing, ignore `resumeFrom`. */
  dryRun?: boolean;
  /** Write units per second; 0 means no limit. @default 500 */
  rate?: number;
  /** Stops the run between listings; the page in progress is read again on resume. */
  signal?: AbortSignal;
  resumeFrom?: ProviderRefsProgress;
  /** Called with a copy of the progress after each page that was processed in full. */
  onCheckpoint?: (progress: ProviderRefsProgress) => void;
  /** @default 25 */
  pageSize?: number;
  /** @default 8 */
  concurrency?: number;
}

export interface ProviderRefsResult {
  /** `done`: every listing read has its ref record. `stopped`: the signal aborted; resume. */
  outcome: 'done' | 'stopped' | 'dry-run';
  /** What this run did. */
  counts: ProviderRefCounts;
  /** What every run did (dry run: this run). */
  totals: ProviderRefCounts;
  progress: ProviderRefsProgress;
}

function isRetryable(err: unknown): boolean {
  return (
    err instanceof ShellgateError &&
    (err.code === 'RESOURCE_EXHAUSTED' || err.code === 'UNAVAILABLE')
  );
}

/**
 * Gives every provider listing of a sandbox written before provider refs existed its ref
 * record and its place in the provider's count, as attach would have. It pages through the
 * sandboxes on the `byKind` index (which holds every legacy sandbox: they were written long
 * before this runs) and records each listing without a ref in one transaction that checks
 * the sandbox still lists the provider and that the ref is still absent (see
 * {@link recordListingOps}): running twice, or next to attach, detach, sandbox delete or
 * another runner, never counts a listing twice nor one that is gone.
 */
export async function recordProviderRefs(
  store: Store,
  options: ProviderRefsOptions = {},
): Promise<ProviderRefsResult> {
  const dryRun = options.dryRun ?? false;
  const progress: ProviderRefsProgress =
    !dryRun && options.resumeFrom
      ? structuredClone(options.resumeFrom)
      : { pageToken: null, done: false, totals: emptyCounts() };
  const earlier = add(emptyCounts(), { ...emptyCounts(), ...progress.totals });
  const limiter = new RateLimiter(options.rate ?? DEFAULT_WRITE_RATE);
  const signal = options.signal ?? new AbortController().signal;
  let counts = emptyCounts();
  const count = (delta: Partial<ProviderRefCounts>) => {
    counts = add(counts, { ...emptyCounts(), ...delta });
  };

  /** Retries throttling and outages with a backoff that pauses every listing in flight. */
  async function retrying<T>(call: () => Promise<T>): Promise<T | undefined> {
    for (let attempt = 1; ; attempt++) {
      if (signal.aborted) return undefined;
      try {
        return await call();
      } catch (err) {
        if (!isRetryable(err)) throw err;
        if ((err as ShellgateError).code === 'RESOURCE_EXHAUSTED') count({ throttled: 1 });
        if (attempt >= MAX_TRANSIENT_RETRIES) throw err;
        const wait = throttleBackoffMs(attempt);
        limiter.pause(wait);
        await sleep(wait, signal);
      }
    }
  }

  /** Records one listing; false when the signal stopped it first. */
  async function recordListing(sandbox: string, provider: string): Promise<boolean> {
    const ref = await retrying(async () => ({
      found: (await store.records.get(keys.providerRef(provider, sandbox))) !== undefined,
    }));
    if (!ref) return false;
    if (ref.found) {
      count({ skipped: 1 });
      return true;
    }
    if (dryRun) {
      count({ unrecorded: 1 });
      return true;
    }
    await limiter.acquire(UNITS_PER_LISTING, signal);
    const outcome = await retrying(async () => {
      try {
        await store.transact(recordListingOps(sandbox, provider), {
          requestId: `migration:${randomUUID()}`,
        });
        return 'recorded' as const;
      } catch (err) {
        if (err instanceof ListingGone || err instanceof RefExists) return 'conflict' as const;
        throw err;
      }
    });
    if (!outcome) return false;
    count(outcome === 'recorded' ? { recorded: 1 } : { conflicts: 1 });
    return true;
  }

  async function recordSandbox(sandbox: StoredObject<SandboxData>): Promise<boolean> {
    const listed = sandbox.data.spec?.providers ?? [];
    count({ scanned: 1, listings: listed.length });
    for (const provider of listed) {
      if (signal.aborted || !(await recordListing(sandbox.name, provider))) return false;
    }
    return true;
  }

  while (!progress.done && !signal.aborted) {
    const page = await retrying(() =>
      store.list<SandboxData>(Kind.Sandbox, {
        pageSize: options.pageSize ?? DEFAULT_PAGE_SIZE,
        pageToken: progress.pageToken ?? undefined,
      }),
    );
    if (!page) break;
    let finished = true;
    await forEachConcurrently(page.items, options.concurrency ?? DEFAULT_CONCURRENCY, async (s) => {
      if (!(await recordSandbox(s))) finished = false;
    });
    // A page cut short is read again on resume, where what it recorded counts as skipped: the
    // stored totals may count a few sandboxes and listings twice, never a recorded one.
    progress.totals = add(earlier, counts);
    if (!finished || signal.aborted) break;
    progress.pageToken = page.nextPageToken ?? null;
    progress.done = !page.nextPageToken;
    if (!dryRun) options.onCheckpoint?.(structuredClone(progress));
  }

  progress.totals = add(earlier, counts);
  const finishedOutcome = dryRun ? 'dry-run' : 'done';
  return {
    outcome: progress.done ? finishedOutcome : 'stopped',
    counts,
    totals: dryRun ? counts : progress.totals,
    progress: structuredClone(progress),
  };
}
