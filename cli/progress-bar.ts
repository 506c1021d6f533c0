import type { ProgressSnapshot } from '#lib/jobs/progress.ts';

const number = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });

/** How far the current phase is, 0–1: by items processed against the table's count, else by segments. */
export function fractionDone(s: ProgressSnapshot): number {
  if (s.segmentsDone >= s.segments) return 1;
  if (s.estimatedTotal && s.estimatedTotal > 0) {
    return Math.min(0.99, s.phaseProcessed / s.estimatedTotal);
  }
  return s.segmentsDone / s.segments;
}

export function formatDuration(seconds: number | undefined): string {
  if (seconds === undefined || !Number.isFinite(seconds)) return '--:--';
  const total = Math.ceil(seconds);
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const sec = String(total % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${sec}` : `${m}:${sec}`;
}

function stats(s: ProgressSnapshot): string[] {
  const scanned = s.estimatedTotal
    ? `${number.format(s.phaseScanned)}/${number.format(s.estimatedTotal)}`
    : number.format(s.phaseScanned);
  const parts = [`scanned ${scanned}`];
  if (s.phase === 'verify') {
    parts.push(`unversioned ${number.format(s.unversioned ?? 0)}`);
  } else {
    parts.push(
      s.dryRun
        ? `would stamp ${number.format(s.counts.wouldStamp)}`
        : `stamped ${number.format(s.counts.stamped)}`,
      `skipped ${number.format(s.counts.skipped)}`,
    );
  }
  if (s.counts.conflicts) parts.push(`conflicts ${number.format(s.counts.conflicts)}`);
  if (s.counts.throttled) parts.push(`throttled ${number.format(s.counts.throttled)}`);
  parts.push(`${number.format(s.itemsPerSecond)} items/s`, `ETA ${formatDuration(s.etaSeconds)}`);
  return parts;
}

/** One line with a bar that fits `columns`, for a terminal that is redrawn in place. */
export function formatProgressBar(label: string, s: ProgressSnapshot, columns = 100): string {
  const fraction = fractionDone(s);
  const percent = `${String(Math.floor(fraction * 100)).padStart(3)}%`;
  const head = `${label} ${s.phase}`;
  const tail = `${percent}  ${stats(s).join('  ')}`;
  const room = columns - head.length - tail.length - 5;
  // A steady width on a wide terminal: the stats beside the bar change length as they grow.
  const width = Math.max(10, Math.min(24, room));
  const filled = Math.round(fraction * width);
  const bar = `[${'█'.repeat(filled)}${'░'.repeat(width - filled)}]`;
  const line = `${head} ${bar} ${tail}`;
  return line.length > columns ? `${line.slice(0, Math.max(0, columns - 1))}…` : line;
}

/** One self-contained line for logs and pipes. */
export function formatProgressLine(label: string, s: ProgressSnapshot): string {
  const percent = `${Math.floor(fractionDone(s) * 100)}%`;
  return `${label} ${s.phase} ${percent}  ${stats(s).join('  ')}`;
}

export interface ProgressOutput {
  write(chunk: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

/**
 * Shows progress on a stream: on a terminal, one bar redrawn in place about ten times a
 * second; elsewhere, a plain line every few seconds (and whenever the phase changes).
 */
export class ProgressDisplay {
  private readonly out: ProgressOutput;
  private readonly intervalMs: number;
  private lastAt = 0;
  private lastKey = '';
  private pending: { label: string; snapshot: ProgressSnapshot } | undefined;
  /** Something is on the current terminal line. */
  private drawn = false;
  /** The latest state has not been drawn yet. */
  private dirty = false;

  constructor(out: ProgressOutput, options: { intervalMs?: number } = {}) {
    this.out = out;
    this.intervalMs = options.intervalMs ?? (out.isTTY ? 100 : 5_000);
  }

  update(label: string, snapshot: ProgressSnapshot): void {
    const key = `${label}:${snapshot.phase}`;
    if (key !== this.lastKey && this.pending) {
      // A new phase starts on its own line; the old one keeps its final state.
      if (this.dirty) this.draw();
      this.endLine();
    }
    this.pending = { label, snapshot };
    this.dirty = true;
    const now = Date.now();
    if (key === this.lastKey && now - this.lastAt < this.intervalMs) return;
    this.lastKey = key;
    this.lastAt = now;
    this.draw();
  }

  /** Draws the latest state and ends the line, so that what follows starts below it. */
  finish(): void {
    if (this.dirty) this.draw();
    this.endLine();
    this.pending = undefined;
    this.lastKey = '';
  }

  /** Writes a message above the bar. */
  log(message: string): void {
    if (this.out.isTTY && this.drawn) this.out.write('\r\x1b[2K');
    this.out.write(`${message}\n`);
    this.drawn = false;
    if (this.out.isTTY && this.pending) this.draw();
  }

  private endLine(): void {
    if (this.out.isTTY && this.drawn) this.out.write('\n');
    this.drawn = false;
  }

  private draw(): void {
    if (!this.pending) return;
    this.dirty = false;
    const { label, snapshot } = this.pending;
    if (this.out.isTTY) {
      this.out.write(`\r\x1b[2K${formatProgressBar(label, snapshot, this.out.columns || 100)}`);
      this.drawn = true;
    } else {
      this.out.write(`${formatProgressLine(label, snapshot)}\n`);
    }
  }
}
