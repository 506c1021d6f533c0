import { OBJECT_KINDS } from '#lib/domain/keys.ts';
import { ShellgateError } from '#lib/errors.ts';
import {
  countUnversionedPage,
  estimateItemCount,
  type ScanCursor,
  type ScannedItem,
  scanVersionPage,
  stampInitialVersion,
} from '#lib/store/scan.ts';
import type { Store } from '#lib/store/store.ts';
import { forEachConcurrently } from './concurrency.ts';
import { type BackfillCounts, type ProgressSnapshot, ProgressTracker } from './progress.ts';
import { RateLimiter } from './rate-limiter.ts';
import { sleep, throttleBackoffMs } from './sleep.ts';

/**
 * Segments of a new backfill. On DynamoDB each segment reads its own share of the partitions, so
 * scan throughput grows with the count; 16 × 1 stamp in flight keeps 16 writes going while any
 * segment waits for its next page.
 */
export const DEFAULT_SEGMENTS = 16;
/** Write units per second a backfill may spend unless told otherwise (0 = no limit). */
export const DEFAULT_WRITE_RATE = 500;
const DEFAULT_PAGE_SIZE = 250;
/** Stamps in flight per segment. */
export const DEFAULT_CONCURRENCY = 1;
const DEFAULT_MAX_PASSES = 3;
const PROGRESS_INTERVAL_MS = 100;
/** Transient failures (after the SDK's own retries) a segment tolerates in a row. */
const MAX_TRANSIENT_RETRIES = 8;

/** The persisted counts of a backfill: what every scanned item turned out to be. */
export type StampCounts = Pick<
  BackfillCounts,
  'scanned' | 'stamped' | 'skipped' | 'ignored' | 'conflicts'
>;

/** Where one scan segment of the stamping phase stands. */
export interface SegmentCheckpoint extends StampCounts {
  /** The segment's `LastEvaluatedKey` after its last fully processed page; null at the start. */
  lastKey: ScanCursor | null;
  done: boolean;
}

/** Where one scan segment of the verify phase stands. */
export interface VerifyCheckpoint {
  lastKey: ScanCursor | null;
  done: boolean;
  scanned: number;
  unversioned: number;
}

/**
 * Everything a backfill needs to resume, small enough to live in the migration's own item.
 * The segment count is fixed by the pass that created it: a `LastEvaluatedKey` only means
 * something to the segment that returned it.
 */
export interface BackfillProgress {
  /**
   * 0 while a new backfill counts what lacks a version; 1 for the first stamping pass; a verify
   * that still finds legacy items starts another.
   */
  pass: number;
  phase: 'backfill' | 'verify';
  segments: number;
  backfill: SegmentCheckpoint[];
  verify: VerifyCheckpoint[];
  /** Counts of the passes before the current one. */
  earlier: StampCounts;
}

export interface BackfillOptions {
  /** @default OBJECT_KINDS */
  objectKinds?: readonly string[];
  /** Parallel scan segments of a new backfill (a resumed one keeps its own). @default 16 */
  segments?: number;
  /** Write units per second; 0 means no limit. @default 500 */
  rate?: number;
  /** Count what would be stamped; write nothing and ignore `resumeFrom`. */
  dryRun?: boolean;
  /** Only count the object items still without a version; write nothing, ignore `resumeFrom`. */
  verifyOnly?: boolean;
  /** Stops the run cleanly: pages in progress are not checkpointed, so they are read again. */
  signal?: AbortSignal;
  /** Items read per request of the stamping scan. @default 250 */
  pageSize?: number;
  /** Stamps in flight per segment. @default 1 */
  concurrency?: number;
  resumeFrom?: BackfillProgress;
  /** Called with a copy of the progress after each page that was processed in full. */
  onCheckpoint?: (progress: BackfillProgress) => void;
  /** Called at most every 100 ms and at the end of each phase. */
  onProgress?: (snapshot: ProgressSnapshot) => void;
  /** Stamping passes this run makes while the verify still finds legacy items. @default 3 */
  maxPasses?: number;
}

export type BackfillOutcome =
  /** The verify pass found no object item without a version. */
  | 'done'
  /** The signal aborted the run; resume from `progress`. */
  | 'stopped'
  /**
   * Legacy items kept appearing (an old writer is still running): run again later. With
   * `verifyOnly`: the verify found object items without a version.
   */
  | 'incomplete'
  | 'dry-run';

export interface BackfillResult {
  outcome: BackfillOutcome;
  /** What this run did. */
  counts: BackfillCounts;
  /** What every run of this backfill did, earlier passes included (dry run: this run). */
  totals: StampCounts;
  /** Object items without a version at the last verify (dry run: what would be stamped). */
  unversioned?: number;
  progress: BackfillProgress;
}

/**
 * A new backfill. It starts with the verify's count (pass 0): a table with nothing to stamp is
 * then done after one counting scan, which reads no item back, instead of a stamping scan and a
 * verify.
 */
export function newBackfillProgress(segments: number): BackfillProgress {
  const n = Math.max(1, Math.floor(segments));
  return {
    pass: 0,
    phase: 'verify',
    segments: n,
    backfill: newStampSegments(n),
    verify: newVerify(n),
    earlier: { scanned: 0, stamped: 0, skipped: 0, ignored: 0, conflicts: 0 },
  };
}

/** The next stamping pass after `progress`, carrying its counts. */
function nextStampingPass(progress: BackfillProgress): BackfillProgress {
  return {
    pass: progress.pass + 1,
    phase: 'backfill',
    segments: progress.segments,
    backfill: newStampSegments(progress.segments),
    verify: [],
    earlier: totalsOf(progress),
  };
}

function newStampSegments(segments: number): SegmentCheckpoint[] {
  return Array.from({ length: segments }, () => ({
    lastKey: null,
    done: false,
    scanned: 0,
    stamped: 0,
    skipped: 0,
    ignored: 0,
    conflicts: 0,
  }));
}

function newVerify(segments: number): VerifyCheckpoint[] {
  return Array.from({ length: segments }, () => ({
    lastKey: null,
    done: false,
    scanned: 0,
    unversioned: 0,
  }));
}

/** The counts of every pass so far: the earlier ones plus the current pass's segments. */
export function totalsOf(progress: BackfillProgress): StampCounts {
  const t = { ...progress.earlier };
  for (const s of progress.backfill) {
    t.scanned += s.scanned;
    t.stamped += s.stamped;
    t.skipped += s.skipped;
    t.ignored += s.ignored;
    t.conflicts += s.conflicts;
  }
  return t;
}

/** Checks that saved progress has the shape this code writes; anything else starts afresh. */
export function isBackfillProgress(value: unknown): value is BackfillProgress {
  const p = value as BackfillProgress | null | undefined;
  return (
    !!p &&
    typeof p.pass === 'number' &&
    (p.phase === 'backfill' || p.phase === 'verify') &&
    typeof p.segments === 'number' &&
    Array.isArray(p.backfill) &&
    p.backfill.length === p.segments &&
    Array.isArray(p.verify) &&
    typeof p.earlier === 'object'
  );
}

function isRetryable(err: unknown): boolean {
  return (
    err instanceof ShellgateError &&
    (err.code === 'RESOURCE_EXHAUSTED' || err.code === 'UNAVAILABLE')
  );
}

const STOPPED = Symbol('stopped');

/** What the stamping pass did with one item its scan returned. */
type Outcome = 'stamped' | 'conflict' | 'ignored';

/** `at` with the outcomes of some of a page's items added to its counts. */
function addOutcomes(at: SegmentCheckpoint, outcomes: readonly Outcome[]): SegmentCheckpoint {
  const count = (o: Outcome) => outcomes.filter((x) => x === o).length;
  return {
    ...at,
    stamped: at.stamped + count('stamped'),
    conflicts: at.conflicts + count('conflict'),
    ignored: at.ignored + count('ignored'),
  };
}

/**
 * Stamps `resource_version = 1` on every live object item that lacks one, with a parallel
 * scan whose per-segment position is checkpointed after each page, then verifies with a
 * count of what is still unversioned. Every stamp is conditioned on
 * `attribute_not_exists(resource_version)`, so a concurrent API write always wins and a second
 * run writes nothing.
 */
export async function backfillResourceVersions(
  store: Store,
  options: BackfillOptions = {},
): Promise<BackfillResult> {
  const kinds = options.objectKinds ?? OBJECT_KINDS;
  const dryRun = options.dryRun ?? false;
  const verifyOnly = options.verifyOnly ?? false;
  const readOnly = dryRun || verifyOnly;
  let progress: BackfillProgress;
  if (!readOnly && options.resumeFrom) {
    progress = structuredClone(options.resumeFrom);
  } else {
    const fresh = newBackfillProgress(options.segments ?? DEFAULT_SEGMENTS);
    // A dry run is the stamping scan without the stamps.
    progress = dryRun ? nextStampingPass(fresh) : fresh;
  }
  const segments = progress.segments;
  const limiter = new RateLimiter(options.rate ?? DEFAULT_WRITE_RATE);
  const tracker = new ProgressTracker({
    segments,
    dryRun,
    // Only progress reports use the estimate; DescribeTable is not free everywhere (DynamoDB
    // Local counts the table for it).
    estimatedTotal: options.onProgress ? await estimateItemCount(store) : undefined,
  });
  const failed = new AbortController();
  const signal = options.signal ? AbortSignal.any([options.signal, failed.signal]) : failed.signal;
  const pageSize = options.pageSize ?? DEFAULT_PAGE_SIZE;
  const concurrency = options.concurrency ?? DEFAULT_CONCURRENCY;
  const maxPasses = options.maxPasses ?? DEFAULT_MAX_PASSES;

  let lastEmit = 0;
  const emit = (force = false) => {
    if (!options.onProgress) return;
    const at = Date.now();
    if (!force && at - lastEmit < PROGRESS_INTERVAL_MS) return;
    lastEmit = at;
    options.onProgress(tracker.snapshot());
  };
  const checkpoint = () => {
    if (!readOnly) options.onCheckpoint?.(structuredClone(progress));
  };

  /** Retries throttling and outages with a backoff that pauses every segment. */
  async function retrying<T>(call: () => Promise<T>): Promise<T | typeof STOPPED> {
    for (let attempt = 1; ; attempt++) {
      if (signal.aborted) return STOPPED;
      try {
        return await call();
      } catch (err) {
        if (!isRetryable(err)) throw err;
        const throttled = (err as ShellgateError).code === 'RESOURCE_EXHAUSTED';
        if (throttled) tracker.add({ throttled: 1 });
        else if (attempt >= MAX_TRANSIENT_RETRIES) throw err;
        const wait = throttleBackoffMs(attempt);
        limiter.pause(wait);
        await sleep(wait, signal);
      }
    }
  }

  /** Runs one worker per segment; the first failure stops the others and is rethrown. */
  async function inParallel(work: (segment: number) => Promise<void>): Promise<void> {
    const results = await Promise.allSettled(
      Array.from({ length: segments }, (_, segment) =>
        work(segment).catch((err) => {
          failed.abort(err);
          throw err;
        }),
      ),
    );
    const rejected = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (rejected) throw rejected.reason;
  }

  const isCandidate = (item: ScannedItem) =>
    !item.versioned && !item.tombstone && item.kind !== undefined && kinds.includes(item.kind);

  async function stampSegment(segment: number): Promise<void> {
    for (;;) {
      const at = progress.backfill[segment]!;
      if (at.done || signal.aborted) return;
      const page = await retrying(() =>
        scanVersionPage(store, kinds, {
          segment,
          totalSegments: segments,
          startKey: at.lastKey ?? undefined,
          limit: pageSize,
        }),
      );
      if (page === STOPPED) return;
      const skipped = page.scanned - page.items.length;
      // What became of each item the page returned, in scan order; undefined until stamped.
      const outcomes: (Outcome | undefined)[] = page.items.map((item) =>
        isCandidate(item) ? undefined : 'ignored',
      );
      const candidates = outcomes.flatMap((o, i) => (o ? [] : [i]));
      const ignored = page.items.length - candidates.length;
      tracker.add({ scanned: page.scanned, skipped, ignored });
      if (dryRun) {
        tracker.add({ wouldStamp: candidates.length });
      } else {
        await forEachConcurrently(candidates, concurrency, async (i) => {
          if (signal.aborted) return;
          await limiter.acquire(1, signal);
          const res = await retrying(() => stampInitialVersion(store, page.items[i]!.key, kinds));
          if (res === STOPPED) return;
          limiter.settle(res.writeUnits - 1);
          outcomes[i] = res.stamped ? 'stamped' : 'conflict';
          tracker.add(res.stamped ? { stamped: 1 } : { conflicts: 1 });
          emit();
        });
      }
      // A dry run stamps nothing and checkpoints nothing: its pages always count as finished.
      const finished = dryRun ? -1 : outcomes.indexOf(undefined);
      if (finished !== -1) {
        // Stopped inside the page: checkpoint after the last item of its finished prefix, so a
        // resume reads on from there. A table scan's LastEvaluatedKey is the key of the last item
        // read, so an item's own key resumes right after it within its segment.
        if (finished > 0) {
          progress.backfill[segment] = {
            ...addOutcomes(at, outcomes.slice(0, finished) as Outcome[]),
            lastKey: { ...page.items[finished - 1]!.key },
            done: false,
            // Items the filter left out of the finished prefix are not known one by one: they
            // are read again, and counted, on resume.
            scanned: at.scanned + finished,
          };
          checkpoint();
        }
        return;
      }
      progress.backfill[segment] = {
        ...addOutcomes(
          at,
          outcomes.filter((o) => o !== undefined),
        ),
        lastKey: page.nextKey ?? null,
        done: !page.nextKey,
        scanned: at.scanned + page.scanned,
        skipped: at.skipped + skipped,
      };
      if (!page.nextKey) tracker.segmentDone();
      checkpoint();
      emit();
    }
  }

  async function verifySegment(segment: number): Promise<void> {
    for (;;) {
      const at = progress.verify[segment]!;
      if (at.done || signal.aborted) return;
      const page = await retrying(() =>
        countUnversionedPage(store, kinds, {
          segment,
          totalSegments: segments,
          startKey: at.lastKey ?? undefined,
        }),
      );
      if (page === STOPPED) return;
      progress.verify[segment] = {
        lastKey: page.nextKey ?? null,
        done: !page.nextKey,
        scanned: at.scanned + page.scanned,
        unversioned: at.unversioned + page.unversioned,
      };
      tracker.add({ verified: page.scanned });
      tracker.addUnversioned(page.unversioned);
      if (!page.nextKey) tracker.segmentDone();
      checkpoint();
      emit();
    }
  }

  const result = (outcome: BackfillOutcome, unversioned?: number): BackfillResult => {
    emit(true);
    const counts = tracker.totals;
    return {
      outcome,
      counts,
      totals: readOnly ? counts : totalsOf(progress),
      unversioned,
      progress: structuredClone(progress),
    };
  };

  for (let passes = 0; ; ) {
    if (progress.phase === 'backfill') {
      passes++;
      tracker.startPhase(
        'backfill',
        progress.backfill.reduce((n, s) => n + s.scanned, 0),
        progress.backfill.filter((s) => s.done).length,
      );
      emit(true);
      await inParallel(stampSegment);
      emit(true);
      if (signal.aborted) return result('stopped');
      if (dryRun) return result('dry-run', tracker.totals.wouldStamp);
      progress = { ...progress, phase: 'verify', verify: newVerify(segments) };
      checkpoint();
    }
    tracker.startPhase(
      'verify',
      progress.verify.reduce((n, s) => n + s.scanned, 0),
      progress.verify.filter((s) => s.done).length,
    );
    tracker.addUnversioned(progress.verify.reduce((n, s) => n + s.unversioned, 0));
    emit(true);
    await inParallel(verifySegment);
    if (signal.aborted) return result('stopped');
    const unversioned = progress.verify.reduce((n, s) => n + s.unversioned, 0);
    if (unversioned === 0) return result('done', 0);
    if (verifyOnly) return result('incomplete', unversioned);
    // The first count found legacy items, or they appeared behind the scan (an old writer still
    // running): another stamping pass.
    progress = nextStampingPass(progress);
    checkpoint();
    if (passes >= maxPasses) return result('incomplete', unversioned);
  }
}
