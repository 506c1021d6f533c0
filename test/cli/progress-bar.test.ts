import { describe, expect, it } from 'vitest';
import { emptyCounts, type ProgressSnapshot, ProgressTracker } from '#lib/jobs/progress.ts';
import {
  formatDuration,
  formatProgressBar,
  formatProgressLine,
  ProgressDisplay,
} from '../../cli/progress-bar.ts';

function snapshot(overrides: Partial<ProgressSnapshot> = {}): ProgressSnapshot {
  return {
    phase: 'backfill',
    dryRun: false,
    counts: { ...emptyCounts(), scanned: 1_500, stamped: 1_200, skipped: 250, ignored: 50 },
    phaseScanned: 1_500,
    phaseProcessed: 1_500,
    estimatedTotal: 3_000,
    segments: 4,
    segmentsDone: 1,
    elapsedMs: 2_000,
    itemsPerSecond: 750,
    etaSeconds: 2,
    ...overrides,
  };
}

describe('progress bar', () => {
  it('shows scanned, stamped, skipped, rate and ETA with a bar that fits the terminal', () => {
    const line = formatProgressBar('005-resource-version', snapshot(), 120);
    expect(line).toContain('005-resource-version backfill [');
    expect(line).toContain(' 50%');
    expect(line).toContain('scanned 1,500/3,000');
    expect(line).toContain('stamped 1,200');
    expect(line).toContain('skipped 250');
    expect(line).toContain('750 items/s');
    expect(line).toContain('ETA 0:02');
    expect(line.length).toBeLessThanOrEqual(120);
    expect(formatProgressBar('005-resource-version', snapshot(), 60).length).toBeLessThanOrEqual(
      60,
    );
  });

  it('labels a dry run and the verify phase for what they count', () => {
    const dry = snapshot({ dryRun: true, counts: { ...emptyCounts(), wouldStamp: 7 } });
    expect(formatProgressLine('m', dry)).toContain('would stamp 7');
    const verify = snapshot({ phase: 'verify', unversioned: 3, segmentsDone: 4 });
    expect(formatProgressLine('m', verify)).toContain('m verify 100%');
    expect(formatProgressLine('m', verify)).toContain('unversioned 3');
  });

  it('without a table count, measures by finished segments', () => {
    const line = formatProgressLine(
      'm',
      snapshot({ estimatedTotal: undefined, etaSeconds: undefined }),
    );
    expect(line).toContain('m backfill 25%');
    expect(line).toContain('ETA --:--');
  });

  it('formats durations', () => {
    expect(formatDuration(0)).toBe('0:00');
    expect(formatDuration(61)).toBe('1:01');
    expect(formatDuration(3_723)).toBe('1:02:03');
    expect(formatDuration(undefined)).toBe('--:--');
  });

  it('redraws in place on a terminal and writes plain lines elsewhere', () => {
    const tty = {
      text: '',
      isTTY: true,
      columns: 100,
      write(s: string) {
        this.text += s;
      },
    };
    const display = new ProgressDisplay(tty, { intervalMs: 0 });
    display.update('m', snapshot());
    display.update('m', snapshot({ phaseScanned: 2_000, phaseProcessed: 1_800 }));
    display.update('m', snapshot({ phase: 'verify', phaseScanned: 10, phaseProcessed: 10 }));
    display.finish();
    const frames = tty.text.split('\r\x1b[2K').slice(1);
    expect(frames).toHaveLength(3);
    // A new phase starts on its own line; the last line is ended.
    expect(frames[1]).toMatch(/backfill .*scanned 2,000\/3,000.*\n$/);
    expect(frames[2]).toMatch(/^m verify .*\n$/);

    const pipe = {
      text: '',
      isTTY: false,
      write(s: string) {
        this.text += s;
      },
    };
    const plain = new ProgressDisplay(pipe, { intervalMs: 0 });
    plain.update('m', snapshot());
    plain.finish();
    expect(pipe.text).not.toContain('\r');
    expect(pipe.text.trim().split('\n')[0]).toBe(formatProgressLine('m', snapshot()));
  });
});

describe('progress tracker', () => {
  it('derives the percentage, rate and ETA from the items processed, not just read', () => {
    let now = 0;
    const tracker = new ProgressTracker({
      segments: 2,
      dryRun: false,
      estimatedTotal: 1_000,
      now: () => now,
    });
    tracker.startPhase('backfill', 0, 0);
    now = 1_000;
    tracker.add({ scanned: 250, skipped: 50 }); // a page read: 200 still to stamp
    tracker.add({ stamped: 150 });
    now = 2_000;
    tracker.add({ scanned: 150, skipped: 150 }); // a page that needs nothing
    tracker.add({ stamped: 50 });
    const s = tracker.snapshot();
    expect(s.phaseScanned).toBe(400);
    expect(s.phaseProcessed).toBe(400);
    expect(s.itemsPerSecond).toBe(200);
    expect(s.etaSeconds).toBe(3);
    expect(s.counts).toMatchObject({ scanned: 400, stamped: 200, skipped: 200 });
    tracker.segmentDone();
    tracker.segmentDone();
    expect(tracker.snapshot().etaSeconds).toBe(0);
  });
});
