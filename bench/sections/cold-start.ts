import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { gzipSync } from 'node:zlib';
import { App, Duration, Stack } from 'aws-cdk-lib';
import { type Spread, spread } from '../support/stats.ts';

export interface BundleRow {
  /** The functions (construct ids) built from this bundle. */
  functions: string[];
  entry: string;
  bytes: number;
  gzipBytes: number;
  sourceMapBytes: number;
  /** CPU ms of a fresh Node process that imports the bundle, per window. */
  cpu: Spread;
  /** The same process's ms from start to loaded, per window. */
  wall: Spread;
  /** CPU ms with `--enable-source-maps`, as the functions run deployed. */
  cpuWithSourceMaps: Spread;
  /** Median CPU minus the median CPU of `node -e 0`. */
  netCpuMs: number;
  netWallMs: number;
  netCpuWithSourceMapsMs: number;
  /** `netCpuMs` over the baseline's: the target. */
  ratio: number;
  /** `netWallMs` over the baseline's. */
  wallRatio: number;
}

export interface ColdStartResult {
  /** `node -e 0`, the reference every load is net of. */
  node: { cpu: Spread; wall: Spread };
  baseline: BundleRow;
  bundles: BundleRow[];
  /** The bundling options, as the CDK construct passes them to esbuild. */
  bundling: string;
}

interface Built {
  id: string;
  entry: string;
  file: string;
}

/** The Lambda environment the handlers read when they load (CDK sets the same variables). */
const LAMBDA_ENV = {
  AWS_REGION: 'us-east-1',
  SHELLGATE_TABLE: 'shellgate',
  POWERTOOLS_SERVICE_NAME: 'shellgate',
  POWERTOOLS_METRICS_NAMESPACE: 'shellgate',
  POWERTOOLS_LOG_LEVEL: 'INFO',
};

/**
 * Builds every function of the real stack (cdk/shellgate-stack.ts) with CDK itself — the same
 * NodejsFunction bundling that `cdk deploy` runs — plus the baseline (a DynamoDBDocumentClient
 * and one UpdateCommand) through the same `ShellgateFunction` construct, into a scratch
 * cloud assembly.
 */
async function buildBundles(outdir: string): Promise<{ built: Built[]; baseline: Built }> {
  const { ShellgateStack } = await import('../../cdk/shellgate-stack.ts');
  const { ShellgateFunction } = await import('../../cdk/constructs/shellgate-function.ts');
  const { settingsFromContext } = await import('../../cdk/settings.ts');
  const app = new App({
    outdir,
    context: {
      jwtIssuer: 'https://issuer.example.com/',
      jwtAudience: 'shellgate',
      'aws:cdk:enable-asset-metadata': true,
      'aws:cdk:enable-path-metadata': true,
    },
  });
  new ShellgateStack(app, 'Shellgate', { settings: settingsFromContext(app.node) });
  const baselineStack = new Stack(app, 'Baseline');
  new ShellgateFunction(baselineStack, 'UpdateOnly', {
    entry: 'bench/fixtures/update-only.ts',
    description: 'cold-start baseline',
    tableName: 'shellgate',
    tableResources: ['*'],
    dynamoActions: [],
    timeout: Duration.seconds(3),
  });
  const assembly = app.synth();
  const built: Built[] = [];
  for (const stack of assembly.stacks) {
    const resources = (stack.template as { Resources: Record<string, TemplateResource> }).Resources;
    for (const resource of Object.values(resources)) {
      if (resource.Type !== 'AWS::Lambda::Function') continue;
      const path = resource.Metadata?.['aws:cdk:path'] ?? '';
      // Only shellgate's own functions: not aws-cdk-lib's handlers (the deploy trigger's).
      if (!path.endsWith('/Function/Resource')) continue;
      const asset = resource.Metadata?.['aws:asset:path'];
      if (!asset) throw new Error(`${path}: no asset path in the template metadata`);
      built.push({
        id: path.split('/').slice(1, -2).join('/'),
        entry: `${resource.Properties?.Handler ?? ''}`,
        file: join(outdir, asset, 'index.mjs'),
      });
    }
  }
  const baseline = built.find((b) => b.id === 'UpdateOnly');
  if (!baseline) throw new Error('the baseline bundle was not built');
  return { built: built.filter((b) => b !== baseline), baseline };
}

interface TemplateResource {
  Type: string;
  Metadata?: Record<string, string>;
  Properties?: { Handler?: string };
}

/** What a fresh process reports at its end: CPU time and time since it started, in ms. */
interface Load {
  cpuMs: number;
  wallMs: number;
}

const REPORT =
  'const u = process.cpuUsage(); process.stdout.write(JSON.stringify({ cpuMs: (u.user + u.system) / 1000, wallMs: performance.now() })); process.exit(0);';

/**
 * Starts Node, imports `file` (nothing for the `node -e 0` reference) and has the process report
 * its own CPU time and its time since start. CPU time does not count the time a process waits
 * for a core, which on a shared machine is most of the noise.
 */
function load(file: string | undefined, sourceMaps = false): Load {
  const code = file
    ? `await import(${JSON.stringify(pathToFileURL(file).href)}); ${REPORT}`
    : REPORT;
  const env: NodeJS.ProcessEnv = { ...process.env, ...LAMBDA_ENV };
  delete env.NODE_OPTIONS;
  const args = [...(sourceMaps ? ['--enable-source-maps'] : []), '--input-type=module', '-e', code];
  const res = spawnSync(process.execPath, args, { env, encoding: 'utf8' });
  if (res.status !== 0) throw new Error(`loading ${file ?? 'nothing'} failed: ${res.stderr}`);
  return JSON.parse(res.stdout) as Load;
}

export async function measureColdStart(windows: number): Promise<ColdStartResult> {
  const outdir = mkdtempSync(join(tmpdir(), 'shellgate-bench-cdk-'));
  try {
    const { built, baseline } = await buildBundles(outdir);
    const bundles = new Map<string, Built[]>();
    for (const b of built) bundles.set(b.file, [...(bundles.get(b.file) ?? []), b]);
    const files = [...bundles.keys()];
    const samples = new Map<string, Load[]>();
    const sample = (key: string, file: string | undefined, sourceMaps = false) =>
      samples.set(key, [...(samples.get(key) ?? []), load(file, sourceMaps)]);
    load(baseline.file);
    for (let w = 0; w < windows; w++) {
      sample('node', undefined);
      sample(baseline.file, baseline.file);
      sample(`${baseline.file}+maps`, baseline.file, true);
      for (const file of files) {
        sample(file, file);
        sample(`${file}+maps`, file, true);
      }
    }
    const of = (key: string, metric: keyof Load) => spread(samples.get(key)!.map((l) => l[metric]));
    const nodeCpu = of('node', 'cpuMs');
    const nodeWall = of('node', 'wallMs');
    const row = (file: string, functions: Built[], baseline?: BundleRow): BundleRow => {
      const cpu = of(file, 'cpuMs');
      const wall = of(file, 'wallMs');
      const withMaps = of(`${file}+maps`, 'cpuMs');
      const code = readFileSync(file);
      const netCpuMs = cpu.median - nodeCpu.median;
      const netWallMs = wall.median - nodeWall.median;
      const netCpuWithMapsMs = withMaps.median - nodeCpu.median;
      return {
        functions: functions.map((f) => f.id),
        entry: functions[0]?.entry ?? '',
        bytes: code.length,
        gzipBytes: gzipSync(code, { level: 9 }).length,
        sourceMapBytes: statSync(`${file}.map`).size,
        cpu,
        wall,
        cpuWithSourceMaps: withMaps,
        netCpuMs,
        netWallMs,
        netCpuWithSourceMapsMs: netCpuWithMapsMs,
        ratio: baseline ? netCpuMs / baseline.netCpuMs : 1,
        wallRatio: baseline ? netWallMs / baseline.netWallMs : 1,
      };
    };
    const base = row(baseline.file, [baseline]);
    return {
      node: { cpu: nodeCpu, wall: nodeWall },
      baseline: base,
      bundles: files.map((f) => row(f, bundles.get(f)!, base)),
      bundling:
        'NodejsFunction (cdk/constructs/shellgate-function.ts): esbuild, ESM, target node24, runtime NODEJS_24_X on ARM64, minify, keepNames, source map (no sources content), mainFields module,main, a require shim banner, bundleAwsSDK',
    };
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}
