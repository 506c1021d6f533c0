import { expectedCosts, sameCost } from '#test/requests/expected.ts';
import { type BenchResults, embed } from './results.ts';
import { type ContentionSideName, gaveUpShare } from './sections/contention.ts';
import type { Spread } from './support/stats.ts';
import { evaluate, secondRunRatio, TARGETS } from './targets.ts';

const int = (n: number) => Math.round(n).toLocaleString('en-US');
const f2 = (n: number) => n.toFixed(2);
const one = (n: number) => n.toFixed(1);
/** A median with its window range beside it. */
const med = (s: Spread, fmt: (n: number) => string = int) =>
  `**${fmt(s.median)}** (${fmt(s.min)}–${fmt(s.max)})`;
const kib = (bytes: number) => `${(bytes / 1024).toFixed(0)} KiB`;
const mark = (pass: boolean) => (pass ? '✅' : '❌');

function table(head: string[], rows: string[][]): string {
  const esc = (c: string) => c.replace(/\|/g, '\\|').replace(/\n/g, ' ');
  return [
    `| ${head.join(' | ')} |`,
    `| ${head.map(() => '---').join(' | ')} |`,
    ...rows.map((r) => `| ${r.map(esc).join(' | ')} |`),
  ].join('\n');
}

const costText = (cost: Record<string, number | undefined>) =>
  Object.entries(cost)
    .filter(([, n]) => n)
    .map(([op, n]) => (n === 1 ? op : `${n} × ${op}`))
    .join(' + ') || '—';

function requestsSection(r: BenchResults): string {
  if (!r.requests) return '_Not run._';
  const measured = new Map(r.requests.map((m) => [m.id, m]));
  const rows = expectedCosts.map((e) => {
    const m = measured.get(e.id);
    const ok = m ? sameCost(e.cost, m.cost) : false;
    const cap = m ? `${one(m.capacity.read)} / ${one(m.capacity.write)}` : '';
    return [
      `\`${e.operationId}\``,
      e.variant || '—',
      m ? costText(m.cost) : 'not measured',
      costText(e.cost),
      mark(ok),
      cap,
      e.exception ?? '',
    ];
  });
  const extra = expectedCosts.filter((e) => {
    const m = measured.get(e.id);
    return m && !sameCost(e.cost, m.cost);
  });
  return [
    'Every scenario of `test/requests/scenarios.ts` is run once through the full local HTTP path, all on the handlers\' one table, with a counting SDK middleware on the handlers\' own client. "Design" is the cost the documented design implies (`test/requests/expected.ts`, each row citing docs/architecture.md or docs/data-model.md), which `test/requests/requests.test.ts` asserts on every `npm test`, each scenario on a table of its own; a route that reads an item it already holds from an earlier response of the same request does not match it. RCU / WCU are the units DynamoDB Local reports for the request (`ReturnConsumedCapacity: INDEXES`, table and index): right for single items, but for a transaction they do not grow with its items, and a failed condition reports none; docs/scaling.md computes the units DynamoDB bills.',
    '',
    table(
      ['route', 'variant', 'measured', 'design', '', 'RCU / WCU', 'why more than one request'],
      rows,
    ),
    '',
    extra.length
      ? `Over the design: ${extra
          .map((e) => `\`${e.id}\` (${costText(measured.get(e.id)!.cost)})`)
          .join(', ')}.`
      : 'Every route costs what the design says.',
  ].join('\n');
}

const cpuText = (cpu: Record<string, number>) =>
  Object.entries(cpu)
    .map(([name, micros]) => `${name} ${int(micros)}`)
    .join(' + ');

function overheadRows(rows: NonNullable<BenchResults['storeOverhead']>['rows'], target: number) {
  return rows.map((row) => [
    String(row.concurrency),
    med(row.subject),
    med(row.raw),
    `${f2(row.ratio)} ${mark(row.ratio >= target)}`,
    `${f2(row.requestsPerOp.subject)} / ${f2(row.requestsPerOp.raw)}`,
    cpuText(row.cpuPerOp.subject),
    cpuText(row.cpuPerOp.raw),
  ]);
}

const OVERHEAD_CPU_NOTE =
  "CPU µs per operation is each process's CPU time (from /proc) over all its windows, divided by the operations: on two cores shared with DynamoDB Local, every process's CPU comes out of the same budget.";

function storeSection(r: BenchResults): string {
  const s = r.storeOverhead;
  if (!s) return '_Not run._';
  return [
    `A client-driven \`Store.update\` (expression fast path: one UpdateItem, no read) of one setting, each worker on its own object, against a raw \`UpdateItemCommand\` on the low-level client that sends the very request the store sent (captured from the store by a middleware): same expression, same condition, \`ReturnValues: ALL_NEW\`, \`ReturnValuesOnConditionCheckFailure: ALL_OLD\`. Target: ≥ ${TARGETS.storeOverRaw} ×.`,
    '',
    table(
      [
        'concurrency',
        'store ops/s',
        'raw UpdateItem ops/s',
        'ratio',
        'requests/op (store / raw)',
        'CPU µs/op, store',
        'CPU µs/op, raw',
      ],
      overheadRows(s.rows, TARGETS.storeOverRaw),
    ),
    '',
    OVERHEAD_CPU_NOTE,
    '',
    `The request: \`${s.request.UpdateExpression}\` on condition \`${s.request.ConditionExpression}\`.`,
  ].join('\n');
}

function apiSection(r: BenchResults): string {
  const a = r.apiOverhead;
  const parts: string[] = [];
  if (a) {
    parts.push(
      `\`PUT /v1/sandboxes/{name}/config/settings/mode\` with \`expectedResourceVersion\`, through the dev server (local/dev-server.ts: JWT check as API Gateway's authorizer, API Gateway v2 event, the real Lambda handler of \`functions/config.ts\` with middy and zod, the store, DynamoDB Local), each worker on its own sandbox, against the raw requests the handler's store sends for it: the strongly consistent GetItem of the global settings (a key they hold is refused, SPEC §7.4) and the UpdateItem, in that order, as a hand-written handler of the same route would send them. The HTTP requests come from a load generator in a separate process on keep-alive connections. Target: ≥ ${TARGETS.apiOverRaw} × at c=${TARGETS.apiConcurrency}.`,
      '',
      table(
        [
          'concurrency',
          'HTTP API ops/s',
          'raw requests ops/s',
          'ratio',
          'requests/op (API / raw)',
          'CPU µs/op, API',
          'CPU µs/op, raw',
        ],
        overheadRows(a.rows, TARGETS.apiOverRaw),
      ),
      '',
      OVERHEAD_CPU_NOTE,
    );
  }
  if (r.handlerCpu) {
    parts.push(
      '',
      `**Handler CPU per request.** Requests one at a time, in process, through the Lambda entry points (middy, zod, use-case, store), with events as API Gateway sends them: the main thread's CPU time (\`process.threadCpuUsage()\`, nanosecond clock) of each invocation minus its CPU time inside the SDK client's \`send\` (the whole call, measured by wrapping \`send\` on the handlers' client). The last column counts as SDK time only what runs inside the middleware stack (an \`initialize\`-step middleware), which leaves the SDK's own stack resolution to the handler. Powertools metrics are off (\`POWERTOOLS_METRICS_DISABLED=true\`) and the log level is \`SILENT\`. The process-wide clock (\`process.cpuUsage()\`, which earlier runs used) also charges the handler with V8's background GC and compiler threads: in two runs of this section alone on this machine, minutes apart, the process clock read 354 µs for the PUT and the main thread's clock 60 µs. Target: < ${TARGETS.handlerCpuMicros} µs.`,
      '',
      table(
        ['request', 'handler CPU µs', 'SDK CPU µs', 'wall ms', 'handler CPU µs (middleware split)'],
        r.handlerCpu.map((row) => [
          row.request,
          med(row.handler),
          med(row.sdk),
          med(row.latencyMs, f2),
          med(row.handlerOutsideStack),
        ]),
      ),
    );
  }
  return parts.length ? parts.join('\n') : '_Not run._';
}

const pct = (n: number) => `${(n * 100).toFixed(1)} %`;

const CONFLICT_HANDLING = {
  reread: 'on a conflict, back off and read again',
  reapply: 'on a conflict, back off and re-apply on the item the failed write returned (`ALL_OLD`)',
} as const;

function contentionSection(r: BenchResults): string {
  const c = r.contention;
  // Data from before the re-read baseline has no `rows`.
  if (!c?.rows) return '_Not run._';
  const labels: Record<ContentionSideName, [string, string]> = {
    store: ['must read', `store, ${c.onConflict.store} (default)`],
    storeOther: ['must read', `store, ${c.onConflict.storeOther}`],
    commuting: ['commutes', 'store, blind write'],
    baseline: ['must read', 're-read loop'],
  };
  const target = (side: ContentionSideName, row: (typeof c.rows)[number]) => {
    if (side === 'store') {
      return ` ${mark(row.ratios.store >= TARGETS.contentionMustReadOverBaseline)}`;
    }
    if (side === 'commuting') {
      const ok =
        row.ratios.commuting >= TARGETS.contentionCommutingOverBaseline &&
        row.sides.commuting.gaveUp === 0;
      return ` ${mark(ok)}`;
    }
    return '';
  };
  const shown: ContentionSideName[] = ['baseline', 'store', 'storeOther', 'commuting'];
  const rows = c.rows.flatMap((row) =>
    shown.map((side) => {
      const s = row.sides[side];
      return [
        String(row.writers),
        labels[side][0],
        labels[side][1],
        med(s.successes),
        side === 'baseline' ? '1.00' : `${f2(row.ratios[side])}${target(side, row)}`,
        one(s.requestsPerSuccess),
        `${pct(gaveUpShare(s))} (${int(s.gaveUp)} of ${int(s.operations)})`,
        String(s.lost),
      ];
    }),
  );
  return [
    `K server-driven writers increment one counter object, each starting its next increment as soon as the last one succeeded or gave up. Every side makes at most ${c.maxAttempts} write attempts per increment, with the store's full-jitter backoff (lib/store/backoff.ts) between them, and gives up after the last (the store: \`ABORTED\`).`,
    '',
    `- **Re-read loop** (the baseline): what a user writes with ElectroDB or dynamodb-toolbox — GetItem (consistent), UpdateItem of the new data conditioned on the version read; on a conditional failure, back off, read again and write again.`,
    `- **Store, must read**: \`Store.update\` without a version and a change given only as \`apply\` (read, apply, write conditioned on the version read). The default store (${c.onConflict.store}: ${CONFLICT_HANDLING[c.onConflict.store]}) and one configured the other way (${c.onConflict.storeOther}: ${CONFLICT_HANDLING[c.onConflict.storeOther]}).`,
    "- **Store, blind write**: the same increment as a structured change (`change.increment(['count'])`): one UpdateItem, no read, conditioned on the object being live and not frozen but not on its version, so writers do not conflict.",
    '',
    `Each window uses a fresh object; at its end the object's count and version are checked against the successes the writers counted. The sides alternate window by window; ratios are of medians, to the re-read loop of the same K. Targets at every K: a change that must read ≥ ${TARGETS.contentionMustReadOverBaseline} ×; a commuting change ≥ ${TARGETS.contentionCommutingOverBaseline} × with none giving up; nothing lost anywhere.`,
    '',
    table(
      [
        'K',
        'change',
        'side',
        'successes/s',
        'ratio to the re-read loop',
        'requests per success',
        'gave up',
        'lost',
      ],
      rows,
    ),
  ].join('\n');
}

function backfillSection(r: BenchResults): string {
  const b = r.backfill;
  if (!b) return '_Not run._';
  return [
    `\`backfillResourceVersions\` (lib/jobs/backfill.ts) with its defaults — ${b.segments} scan segments × ${b.perSegment} stamp${b.perSegment === 1 ? '' : 's'} in flight, stamping-scan pages of 250 items, the counting scans in 1 MB pages — and no rate limit (\`rate: 0\`; deployed it is limited to 500 write units/s by default), on a table of ${int(b.items)} legacy items, against raw conditional UpdateItems (the backfill's own stamp: \`SET #rv = :one\` on \`attribute_exists(#pk) AND attribute_not_exists(#rv) AND attribute_not_exists(#tomb) AND #kind IN (…)\`) of the keys of another table of ${int(b.items)}, known up front, ${b.concurrency} in flight. Both tables are seeded with BatchWriteItem. The backfill is resumable, so it runs in windows of ${int(b.windowMs)} ms: its signal stops it, and the next window resumes it from its progress (pages cut short are read again), alternating with windows of raw stamps until it is done. The medians are of stamping windows: the first window, which also runs the backfill's first count (a full counting scan, once per backfill whatever the table's size), the window that ran the verify pass, and a raw window that ran out of keys are left out of them; the overall rates below include both passes.`,
    '',
    table(
      ['', 'items/s per window', 'ratio', 'items/s over the whole run'],
      [
        [
          'backfill',
          med(b.backfill),
          `${f2(b.ratio)} ${mark(b.ratio >= TARGETS.backfillOverRaw)}`,
          `${int(b.backfillOverall)} (scan, stamps, resumes, verify)`,
        ],
        ['raw conditional UpdateItem', med(b.raw), '', int(b.rawOverall)],
      ],
    ),
    '',
    `Requests per stamped item (scan pages and verify included): ${f2(b.requestsPerItem)}. CPU µs per stamped item (from /proc, all windows): backfill ${cpuText(b.cpuPerItem.backfill)}; raw ${cpuText(b.cpuPerItem.raw)}.`,
    '',
    `**Second run** over the fully stamped table (${r.plan.backfillSecondRuns} runs, each followed by the raw scan floor and by the verify alone): ${b.secondRun.writes} writes ${mark(b.secondRun.writes === 0)}; items read per second by its scans (a new backfill first counts what lacks a version; here that count finds nothing, so no stamping scan and no verify follow) ${med(b.secondRun.scanned)}; table items covered per second by the whole run ${med(b.secondRun.tableItems)}. The floor under it, DynamoDB Local scanning the same table with the counting request (${b.segments} segments, 1 MB pages, \`Select: COUNT\`, consistent) and nothing else, right after each run: ${med(b.secondRun.rawScan)} items/s. Table items covered per second by the second run over the raw scan's: ${f2(secondRunRatio(b))} ${mark(secondRunRatio(b) >= TARGETS.secondRunOverRawScan)} (target ≥ ${TARGETS.secondRunOverRawScan}; a ratio, because an absolute rate measures the machine as much as the code). Once migration 005 is recorded as done, \`migrate run\` only re-verifies (one counting scan, \`verifyOnly\`): ${med(b.secondRun.verifyOnly)} items/s.`,
  ].join('\n');
}

function coldStartSection(r: BenchResults): string {
  const c = r.coldStart;
  if (!c) return '_Not run._';
  const row = (b: typeof c.baseline, baseline: boolean) => [
    baseline ? 'baseline: DynamoDBDocumentClient + one UpdateCommand' : b.functions.join(', '),
    kib(b.bytes),
    kib(b.gzipBytes),
    kib(b.sourceMapBytes),
    med(b.cpu),
    one(b.netCpuMs),
    baseline ? '1.00' : `${f2(b.ratio)} ${mark(b.ratio <= TARGETS.coldStartOverBaseline)}`,
    `${med(b.wall)} → ${one(b.netWallMs)}${baseline ? '' : ` (${f2(b.wallRatio)})`}`,
    `${med(b.cpuWithSourceMaps)} → ${one(b.netCpuWithSourceMapsMs)}`,
  ];
  return [
    `Every function of the stack (cdk/shellgate-stack.ts) bundled by CDK itself into a scratch cloud assembly — ${c.bundling} — and the baseline (bench/fixtures/update-only.ts) bundled by the same construct. The section runs first, before DynamoDB Local starts. Each window starts a fresh \`node\` per bundle that imports it and reports its own CPU time and its time since start; net = median − the median of the same for \`node -e 0\` (CPU ${med(c.node.cpu, one)} ms, wall ${med(c.node.wall, one)} ms). The target compares **CPU time**, which leaves out the time a process waits for a core on this shared machine (a Lambda cold start is CPU-bound too); wall time is shown beside it. The environment is the one CDK gives the functions; the last column adds \`--enable-source-maps\`, which the functions run with. Target: net ≤ ${TARGETS.coldStartOverBaseline} × the baseline's.`,
    '',
    table(
      [
        'bundle',
        'minified',
        'gzip -9',
        'source map',
        'CPU ms',
        'net CPU ms',
        'ratio',
        'wall ms → net (ratio)',
        'CPU ms with source maps → net',
      ],
      [row(c.baseline, true), ...c.bundles.map((b) => row(b, false))],
    ),
  ].join('\n');
}

/** RESULTS.md: the targets first, a table per section, the machine, and the data it came from. */
export function renderReport(r: BenchResults): string {
  const outcomes = evaluate(r);
  const passed = outcomes.filter((o) => o.pass).length;
  const versions = Object.entries(r.versions)
    .map(([k, v]) => `${k} ${v}`)
    .join(' · ');
  return `# Benchmarks

Generated by \`${r.command}\` on ${r.startedAt} in ${int(r.durationSeconds)} s${r.quick ? ' (**quick run: shortened windows, not valid for `npm run bench:check`**)' : ''}. Do not edit: run the command again. \`npm run bench:check\` re-evaluates the targets from the data embedded at the end of this file.

Benchmarks report; they are not tests. Every speed target is a ratio of two sides measured in the same run: they alternate window by window (A B A B …; ${r.plan.windows} windows of ${r.plan.windowMs} ms each for throughput, ${r.plan.contention.windows} of ${r.plan.contention.windowMs} ms for contention, ${r.plan.backfillWindowMs} ms for the backfill, ${r.plan.coldStartWindows} process starts per bundle) and are compared by their medians, because absolute numbers on a shared machine drift by up to 50 % within a minute. Each median is shown **bold** with the range of its windows (min–max) beside it. Everything runs on 127.0.0.1 against DynamoDB Local (in memory), started by the run.

## Targets — ${passed} of ${outcomes.length} met

${table(
  ['section', 'target', 'measured', ''],
  outcomes.map((o) => [o.section, o.target, o.measured, mark(o.pass)]),
)}

## Machine

${r.machine.cpus} × ${r.machine.cpuModel}, ${r.machine.memoryGiB} GiB, ${r.machine.os}; 1-minute load average ${one(r.machine.loadAverage.start)} at the start, ${one(r.machine.loadAverage.end)} at the end (other work on the machine counts against both sides alike).
${versions}.
Section times: ${Object.entries(r.sectionSeconds)
    .map(([k, v]) => `${k} ${int(v)} s`)
    .join(', ')}.

## 1. DynamoDB requests per API operation

${requestsSection(r)}

## 2. Store overhead

${storeSection(r)}

## 3. API overhead

${apiSection(r)}

## 4. Contention on one object

${contentionSection(r)}

## 5. Backfill

${backfillSection(r)}

## 6. Cold start

${coldStartSection(r)}

## Scale on paper

What these numbers mean on real DynamoDB — partition limits, index write amplification, hot keys, transactions, Lambda concurrency, capacity units and cost per million calls — is in [docs/scaling.md](../docs/scaling.md).

${embed(r)}`;
}
