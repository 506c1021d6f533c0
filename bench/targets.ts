import { routes } from '#lib/http/routes.ts';
import { expectedCosts, sameCost, totalOf } from './expected-requests.ts';
import type { BenchResults } from './results.ts';

/** The issue's targets; each is checked on what one run measured. */
export const TARGETS = {
  storeOverRaw: 0.9,
  apiOverRaw: 0.7,
  apiConcurrency: 16,
  handlerCpuMicros: 150,
  contentionOverNaive: 3,
  contentionWriters: 32,
  backfillOverRaw: 0.9,
  backfillItems: 50_000,
  secondRunScanPerSecond: 100_000,
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
        'every route costs what the design documents (bench/expected-requests.ts): no read it does not need',
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
      target: `HTTP path ≥ ${TARGETS.apiOverRaw} × raw UpdateItem at c=${TARGETS.apiConcurrency}`,
      measured: f2(api.ratio),
      pass: api.ratio >= TARGETS.apiOverRaw,
    });
  } else missing('API overhead', `≥ ${TARGETS.apiOverRaw} × raw UpdateItem at c=16`);

  const cpu = r.handlerCpu?.[0];
  if (cpu) {
    out.push({
      section: 'API overhead',
      target: `handler CPU < ${TARGETS.handlerCpuMicros} µs per request (${cpu.request})`,
      measured: `${int(cpu.handler.median)} µs`,
      pass: cpu.handler.median < TARGETS.handlerCpuMicros,
    });
  } else missing('API overhead', `handler CPU < ${TARGETS.handlerCpuMicros} µs`);

  if (r.contention) {
    const k = r.contention.find((row) => row.writers === TARGETS.contentionWriters);
    if (k) {
      out.push({
        section: 'Contention',
        target: `store ≥ ${TARGETS.contentionOverNaive} × naive read-then-CAS loop at K=${TARGETS.contentionWriters}`,
        measured: f2(k.ratio),
        pass: k.ratio >= TARGETS.contentionOverNaive,
      });
    } else missing('Contention', `K=${TARGETS.contentionWriters}`);
    const lost = r.contention.reduce((n, row) => n + row.store.lost + row.naive.lost, 0);
    out.push({
      section: 'Contention',
      target: 'zero lost updates (every K, both sides)',
      measured: String(lost),
      pass: lost === 0,
    });
  } else missing('Contention', 'successful updates per second');

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
    out.push({
      section: 'Backfill',
      target: `second run scans ≥ ${int(TARGETS.secondRunScanPerSecond)} items/s`,
      measured: `${int(b.secondRun.scanned.median)} items/s`,
      pass: b.secondRun.scanned.median >= TARGETS.secondRunScanPerSecond,
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
