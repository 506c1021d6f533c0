/** What a backfill counts. Each item the stamping scan reads lands in one of stamped (or
 * wouldStamp), skipped, ignored or conflicts, unless a stop cut its page short. */
export interface BackfillCounts {
  /** Items read by the stamping scan, whatever they are. */
  scanned: number;
  /** Legacy object items that received `resource_version = 1`. */
  stamped: number;
  /** Dry run: legacy object items that a real run would stamp. */
  wouldStamp: number;
  /** Object items that already carried a version (filtered out by the scan; no write). */
  skipped: number;
  /** Items that are not live object items: bookkeeping, tombstones, other kinds. */
  ignored: number;
  /** Stamps whose condition failed: a concurrent write versioned or deleted the item first. */
  conflicts: number;
  /** Requests DynamoDB throttled (retried after a backoff). */
  throttled: number;
  /** Items read by the verify pass. */
  verified: number;
}

export function emptyCounts(): BackfillCounts {
  return {
    scanned: 0,
    stamped: 0,
    wouldStamp: 0,
    skipped: 0,
    ignored: 0,
    conflicts: 0,
    throttled: 0,
    verified: 0,
  };
}

export function addCounts(a: BackfillCounts, b: Partial<BackfillCounts>): BackfillCounts {
  const out = { ...a };
  for (const k of Object.keys(out) as (keyof BackfillCounts)[]) out[k] += b[k] ?? 0;
  return out;
}

export type JobPhase = 'backfill' | 'verify';

/** A point-in-time view of a running job, for progress bars and logs. */
export interface ProgressSnapshot {
  phase: JobPhase;
  dryRun: boolean;
  /** What this run did so far (all phases). */
  counts: BackfillCounts;
  /** Items the current phase has read, earlier runs' checkpoints included. */
  phaseScanned: number;
  /**
   * Items the current phase is finished with (read and, if they needed it, stamped), earlier
   * runs' checkpoints included: what the percentage and the ETA go by.
   */
  phaseProcessed: number;
  /** The table's approximate item count: what a phase scans in all. */
  estimatedTotal?: number;
  segments: number;
  segmentsDone: number;
  /** Verify phase: object items found without a version so far. */
  unversioned?: number;
  elapsedMs: number;
  /** Items processed per second, over the last few seconds. */
  itemsPerSecond: number;
  /** Absent until there is a rate and a total to estimate from. */
  etaSeconds?: number;
}

const WINDOW_MS = 5_000;

export interface ProgressSettings {
  segments: number;
  dryRun: boolean;
  estimatedTotal?: number;
  /** @default Date.now */
  now?: () => number;
}

/** Aggregates the counts of every segment and derives rate and ETA. */
export class ProgressTracker {
  private counts = emptyCounts();
  private phase: JobPhase = 'backfill';
  private phaseScanned = 0;
  private phaseProcessed = 0;
  private processed = 0;
  private segmentsDone = 0;
  private unversioned: number | undefined;
  private readonly startedAt: number;
  /** Items processed (both phases) at recent moments, for the rate. */
  private samples: Array<{ at: number; processed: number }> = [];
  private readonly settings: ProgressSettings;

  constructor(settings: ProgressSettings) {
    this.settings = settings;
    this.startedAt = this.now();
    this.samples.push({ at: this.startedAt, processed: 0 });
  }

  private now(): number {
    return (this.settings.now ?? Date.now)();
  }

  /** `alreadyDone`: items that checkpoints of earlier runs show as read and processed. */
  startPhase(phase: JobPhase, alreadyDone: number, segmentsDone: number): void {
    this.phase = phase;
    this.phaseScanned = alreadyDone;
    this.phaseProcessed = alreadyDone;
    this.segmentsDone = segmentsDone;
    this.unversioned = phase === 'verify' ? 0 : undefined;
    this.samples = [{ at: this.now(), processed: this.processed }];
  }

  add(delta: Partial<BackfillCounts>): void {
    this.counts = addCounts(this.counts, delta);
    this.phaseScanned += (delta.scanned ?? 0) + (delta.verified ?? 0);
    // An item is processed once its fate is known: filtered, left alone, stamped or counted.
    const processed =
      (delta.skipped ?? 0) +
      (delta.ignored ?? 0) +
      (delta.stamped ?? 0) +
      (delta.conflicts ?? 0) +
      (delta.wouldStamp ?? 0) +
      (delta.verified ?? 0);
    this.phaseProcessed += processed;
    this.processed += processed;
    if (processed) {
      const at = this.now();
      this.samples.push({ at, processed: this.processed });
      while (this.samples.length > 2 && at - (this.samples[1]?.at ?? at) > WINDOW_MS) {
        this.samples.shift();
      }
    }
  }

  addUnversioned(n: number): void {
    this.unversioned = (this.unversioned ?? 0) + n;
  }

  segmentDone(): void {
    this.segmentsDone++;
  }

  get totals(): BackfillCounts {
    return { ...this.counts };
  }

  snapshot(): ProgressSnapshot {
    const now = this.now();
    const first = this.samples[0] ?? { at: this.startedAt, processed: 0 };
    const seconds = (now - first.at) / 1000;
    const itemsPerSecond = seconds > 0 ? (this.processed - first.processed) / seconds : 0;
    const total = this.settings.estimatedTotal;
    let etaSeconds: number | undefined;
    if (this.segmentsDone >= this.settings.segments) etaSeconds = 0;
    else if (total !== undefined && itemsPerSecond > 0) {
      etaSeconds = Math.max(0, total - this.phaseProcessed) / itemsPerSecond;
    }
    return {
      phase: this.phase,
      dryRun: this.settings.dryRun,
      counts: { ...this.counts },
      phaseScanned: this.phaseScanned,
      phaseProcessed: this.phaseProcessed,
      estimatedTotal: total,
      segments: this.settings.segments,
      segmentsDone: this.segmentsDone,
      unversioned: this.unversioned,
      elapsedMs: now - this.startedAt,
      itemsPerSecond,
      etaSeconds,
    };
  }
}
