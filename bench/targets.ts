import { routes } from '#lib/http/routes.ts';
import { expectedCosts, sameCost, totalOf } from '#test/requests/expected.ts';
import type { BenchResults } from './results.ts';
import { ratioOf } from './support/stats.ts';

/** The issue's targets; each is checked on what one run measured. */
export const TARGETS = {
  storeOverRaw: 0.9,
  apiOverRaw: 0.7,
  apiConcurrency: 16,
  handlerCpuMicros: 150,
  /**
   * A change that must read: the store at least matches the re-read loop at every K. Re-reading
   * on a conflict, the store runs the loop's own algorithm (the same requests per success and
   * share given up), so their medians differ by the run's noise: on a quiet machine one side's
   * 7 windows span 5–10 %, and at 1.00 the target would fail at random on about every other K.
   * 0.9 means "not measurably slower".
   */
  contentionMustReadOverBaseline: 0.9,
  /**
   * A commuting change: the store beats the re-read loop outright at every K. One request per
   * success against the loop's two and more, no conflicts and no backoff sleeps: twice the
   * loop's rate even at K = 2, where the loop conflicts least.
   */
  contentionCommutingOverBaseline: 2,
  backfillOverRaw: 0.9,
  backfillItems: 50_000,
  /**
   * A second run over a stamped table is one counting scan, the very request the raw floor
   * sends, and the job around it: the last full run covered the table at 1.00 × the raw scan
   * (133,171 against 132,799 items/s). A loaded machine slows both alike, where an absolute
   * rate (it was ≥ 100,000 items/s) failed whatever the code did. 0.8 leaves the spread of
   * 7 runs room and still fails a second run that does real extra work: a second pass over
   * the table (a stamping scan or a verify after the count) would halve the ratio.
   */
  secondRunOverRawScan: 0.8,
  coldStartOverBaseline: 1.25,
} as const;

export interface TargetOutcome {
  section: string;
  target: string;
  measured: string;
  pass: boolean;
}

const f2 = (n: number) => n.toFixed(2);
const int = (n: number) => Math.round(n).toLocaleString('en-US');

function describeCost(cost: Record<string, number | undefined>): string {
  const parts = Object.entries(cost)
    .filter(([, n]) => n)
    .map(([op, n]) => `${n} ${op}`);
  return parts.length ? parts.join(' + ') : 'none';
}

/**
 * Table items a second run covers per second over the raw scan floor's, by medians of the same
 * runs: a second pass over the table halves it.
 */
export function secondRunRatio(b: NonNullable<BenchResults['backfill']>): number {
  return ratioOf(b.secondRun.tableItems, b.secondRun.rawScan);
}

/** Evaluates every target against the data; a section that did not run fails its targets. */
export function evaluate(r: BenchResults): TargetOutcome[] {
  const out: TargetOutcome[] = [];
  const missing = (section: string, target: string) =>
    out.push({ section, target, measured: 'not measured', pass: false });

  out.push({
    section: 'Run',
    target: 'a full run (not `--quick`)',
    measured: r.quick ? 'quick run' : 'full run',
    pass: !r.quick,
  });

  if (r.requests) {
    const measured = new Map(r.requests.map((m) => [m.id, m]));
    const off = expectedCosts.filter((e) => {
      const m = measured.get(e.id);
      return !m || !sameCost(e.cost, m.cost);
    });
    const uncovered = routes
      .map((route) => route.operationId)
      .filter((id) => !expectedCosts.some((e) => e.operationId === id));
    out.push({
      section: 'DynamoDB requests',
      target: 'every route of the route table is measured',
      measured: uncovered.length
        ? `not measured: ${uncovered.join(', ')}`
        : `${routes.length}/${routes.length} routes`,
      pass: uncovered.length === 0,
    });
    out.push({
      section: 'DynamoDB requests',
      target:
        'every route costs what the design documents (test/requests/expected.ts): no read it does not need',
      measured: off.length
        ? `${expectedCosts.length - off.length}/${expectedCosts.length} match; over: ${off
            .map((e) => {
              const m = measured.get(e.id);
              return m
                ? `${e.id} (${describeCost(m.cost)}, design ${describeCost(e.cost)})`
                : `${e.id} (not measured)`;
            })
            .join('; ')}`
        : `${expectedCosts.length}/${expectedCosts.length} match`,
      pass: off.length === 0,
    });
    const one = expectedCosts.filter((e) => e.oneRequest && !e.exception);
    const notOne = one.filter((e) => totalOf(measured.get(e.id)?.cost ?? {}) !== 1);
    const exceptions = expectedCosts.filter((e) => e.oneRequest && e.exception).length;
    out.push({
      section: 'DynamoDB requests',
      target:
        'a client-driven update or delete, a create, a get = exactly 1 request (documented exceptions listed)',
      measured: `${one.length - notOne.length}/${one.length} at 1 request${
        notOne.length ? ` (not: ${notOne.map((e) => e.id).join(', ')})` : ''
      }; ${exceptions} documented exceptions`,
      pass: notOne.length === 0,
    });
  } else missing('DynamoDB requests', 'request counts per route');

  if (r.storeOverhead) {
    for (const row of r.storeOverhead.rows) {
      out.push({
        section: 'Store overhead',
        target: `store update ≥ ${TARGETS.storeOverRaw} × raw UpdateItem at c=${row.concurrency}`,
        measured: f2(row.ratio),
        pass: row.ratio >= TARGETS.storeOverRaw,
      });
    }
  } else missing('Store overhead', `≥ ${TARGETS.storeOverRaw} × raw UpdateItem`);

  const api = r.apiOverhead?.rows.find((row) => row.concurrency === TARGETS.apiConcurrency);
  if (api) {
    out.push({
      section: 'API overhead',
      target: `HTTP path ≥ ${TARGETS.apiOverRaw} × the same raw requests at c=${TARGETS.apiConcurrency}`,
      measured: f2(api.ratio),
      pass: api.ratio >= TARGETS.apiOverRaw,
    });
  } else missing('API overhead', `≥ ${TARGETS.apiOverRaw} × the same raw requests at c=16`);

  const cpu = r.handlerCpu?.[0];
  if (cpu) {
    out.push({
      section: 'API overhead',
      target: `handler CPU < ${TARGETS.handlerCpuMicros} µs per request (${cpu.request})`,
      measured: `${int(cpu.handler.median)} µs`,
      pass: cpu.handler.median < TARGETS.handlerCpuMicros,
    });
  } else missing('API overhead', `handler CPU < ${TARGETS.handlerCpuMicros} µs`);

  // Data from before the re-read baseline has no `rows`: it measured something else.
  if (r.contention?.rows) {
    const rows = r.contention.rows;
    const mustRead = rows.map((row) => ({ k: row.writers, ratio: row.ratios.store }));
    out.push({
      section: 'Contention',
      target: `a change that must read: store ≥ ${TARGETS.contentionMustReadOverBaseline} × the re-read loop (same backoff, ${r.contention.maxAttempts} attempts) at every K`,
      measured: mustRead.map((m) => `K=${m.k} ${f2(m.ratio)}`).join(', '),
      pass: mustRead.every((m) => m.ratio >= TARGETS.contentionMustReadOverBaseline),
    });
    const commuting = rows.map((row) => ({
      k: row.writers,
      ratio: row.ratios.commuting,
      gaveUp: row.sides.commuting.gaveUp,
    }));
    out.push({
      section: 'Contention',
      target: `a commuting change: store ≥ ${TARGETS.contentionCommutingOverBaseline} × the re-read loop at every K, and none gave up`,
      measured: commuting
        .map((c) => `K=${c.k} ${f2(c.ratio)}${c.gaveUp ? ` (${int(c.gaveUp)} gave up)` : ''}`)
        .join(', '),
      pass: commuting.every(
        (c) => c.ratio >= TARGETS.contentionCommutingOverBaseline && c.gaveUp === 0,
      ),
    });
    const lost = rows.reduce(
      (n, row) => n + Object.values(row.sides).reduce((m, side) => m + side.lost, 0),
      0,
    );
    out.push({
      section: 'Contention',
      target: 'zero lost updates (every K, every side)',
      measured: String(lost),
      pass: lost === 0,
    });
  } else missing('Contention', 'successful updates per second against the re-read loop');

  if (r.backfill) {
    const b = r.backfill;
    out.push({
      section: 'Backfill',
      target: `${int(TARGETS.backfillItems)} legacy items stamped`,
      measured: int(b.items),
      pass: b.items >= TARGETS.backfillItems,
    });
    out.push({
      section: 'Backfill',
      target: `backfill ≥ ${TARGETS.backfillOverRaw} × raw conditional UpdateItem at c=${b.concurrency}`,
      measured: f2(b.ratio),
      pass: b.ratio >= TARGETS.backfillOverRaw,
    });
    out.push({
      section: 'Backfill',
      target: 'second run over a stamped table writes nothing',
      measured: `${b.secondRun.writes} writes`,
      pass: b.secondRun.writes === 0,
    });
    const scanRatio = secondRunRatio(b);
    out.push({
      section: 'Backfill',
      target: `second run covers the table at ≥ ${TARGETS.secondRunOverRawScan} × the rate of one raw scan of it in the same run`,
      measured: `${f2(scanRatio)} (${int(b.secondRun.tableItems.median)} / ${int(b.secondRun.rawScan.median)} items/s)`,
      pass: scanRatio >= TARGETS.secondRunOverRawScan,
    });
  } else missing('Backfill', 'stamping throughput');

  if (r.coldStart) {
    for (const b of r.coldStart.bundles) {
      out.push({
        section: 'Cold start',
        target: `${b.functions.join(', ')}: load ≤ ${TARGETS.coldStartOverBaseline} × baseline`,
        measured: f2(b.ratio),
        pass: b.ratio <= TARGETS.coldStartOverBaseline,
      });
    }
  } else missing('Cold start', `≤ ${TARGETS.coldStartOverBaseline} × baseline`);

  return out;
}
