import { PROVIDER_REFS_MIGRATION } from '#lib/domain/provider-refs.ts';
import {
  isProviderRefsProgress,
  type ProviderRefCounts,
  recordProviderRefs,
} from '#lib/jobs/provider-refs.ts';
import type { Migration } from './types.ts';

/**
 * Gives the provider listings of sandboxes written before provider ref records existed their
 * ref record and count, so that provider delete sees them. Until it is done, provider delete
 * looks for such sandboxes itself (lib/domain/providers.ts).
 */
export const providerRefsBackfill: Migration = {
  id: PROVIDER_REFS_MIGRATION,
  description: 'Record provider refs for sandboxes that list providers without them',
  async run(ctx) {
    const result = await recordProviderRefs(ctx.store, {
      dryRun: ctx.dryRun,
      rate: ctx.rate,
      signal: ctx.signal,
      resumeFrom: isProviderRefsProgress(ctx.progress) ? ctx.progress : undefined,
      onCheckpoint: (progress) => ctx.checkpoint(progress, countsOf(progress.totals)),
    });
    return {
      status: result.outcome,
      counts: countsOf(result.counts),
      totals: countsOf(result.totals),
      progress: result.progress,
      // A finished run has read every listing, and each one has its ref or is gone.
      remaining: { done: 0, 'dry-run': result.counts.unrecorded, stopped: undefined }[
        result.outcome
      ],
    };
  },
  async verify(ctx) {
    const result = await recordProviderRefs(ctx.store, { dryRun: true, signal: ctx.signal });
    return {
      remaining: result.counts.unrecorded,
      counts: countsOf(result.counts),
      stopped: result.outcome === 'stopped',
    };
  },
};

function countsOf(counts: ProviderRefCounts): Record<string, number> {
  return { ...counts };
}
