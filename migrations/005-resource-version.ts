import {
  backfillResourceVersions,
  isBackfillProgress,
  type StampCounts,
  totalsOf,
} from '#lib/jobs/backfill.ts';
import type { Migration } from './types.ts';

/**
 * Stamps `resource_version = 1` on object items written before versions existed, so that every
 * version condition can compare numbers. Until it is done, the store reads a missing version as 1.
 */
export const resourceVersionBackfill: Migration = {
  id: '005-resource-version',
  description: 'Stamp resource_version = 1 on object items that lack it',
  async run(ctx) {
    const resumeFrom = isBackfillProgress(ctx.progress) ? ctx.progress : undefined;
    const result = await backfillResourceVersions(ctx.store, {
      dryRun: ctx.dryRun,
      segments: ctx.segments,
      rate: ctx.rate,
      signal: ctx.signal,
      resumeFrom,
      onCheckpoint: (progress) => ctx.checkpoint(progress, countsOf(totalsOf(progress))),
      onProgress: ctx.onProgress,
    });
    return {
      status: result.outcome,
      counts: { ...result.counts },
      totals: countsOf(result.totals),
      progress: result.progress,
      remaining: result.unversioned,
    };
  },
  async verify(ctx) {
    const result = await backfillResourceVersions(ctx.store, {
      verifyOnly: true,
      segments: ctx.segments,
      signal: ctx.signal,
      onProgress: ctx.onProgress,
    });
    return {
      remaining: result.unversioned ?? 0,
      counts: { ...result.counts },
      stopped: result.outcome === 'stopped',
    };
  },
};

function countsOf(totals: StampCounts): Record<string, number> {
  return { ...totals };
}
