import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import type { CfnElement } from 'aws-cdk-lib';
import type { CloudAssembly } from 'aws-cdk-lib/cx-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { routeGroups } from '#lib/http/routes.ts';
import { createShellgateApp } from '../../cdk/shellgate-app.ts';
import { httpFunctionId } from '../../cdk/shellgate-stack.ts';
import { CDK_JSON_CONTEXT, TEST_CONTEXT } from './app.ts';

/**
 * Size budgets of a function's code (`index.mjs`, the source map not counted), recorded in
 * docs/deploy.md. Everything a function runs is parsed at each cold start, so growth past
 * these is a decision, not an accident.
 */
const BUDGET_BYTES = { http: 1.25 * 1024 * 1024, job: 640 * 1024 };

interface Bundle {
  logicalId: string;
  handler: string;
  dir: string;
}

let outdir: string;
let assembly: CloudAssembly;
let bundles: Bundle[];

beforeAll(() => {
  // act: the synth `cdk synth` runs, esbuild bundling and cdk-nag included. Only the built-in
  // CloudFormation validation is left to `cdk synth` itself: it alone takes 10-17 s.
  outdir = mkdtempSync(path.join(tmpdir(), 'shellgate-synth-'));
  const { app, stack } = createShellgateApp({
    outdir,
    builtinCloudFormationValidation: false,
    context: { ...CDK_JSON_CONTEXT, ...TEST_CONTEXT },
  });
  assembly = app.synth();
  const template = assembly.getStackByName(stack.stackName).template as {
    Resources: Record<string, { Type: string; Properties: Record<string, unknown> }>;
  };
  // shellgate's functions; the deploy trigger's provider is aws-cdk-lib's own code.
  const ours = new Set(
    [
      ...Object.values(stack.httpFunctions).map((f) => f.function),
      stack.jobs.migrate.job.function,
      stack.jobs.reconcile.job.function,
    ].map((fn) => stack.getLogicalId(fn.node.defaultChild as CfnElement)),
  );
  bundles = Object.entries(template.Resources)
    .filter(([id, r]) => r.Type === 'AWS::Lambda::Function' && ours.has(id))
    .map(([logicalId, r]) => {
      const key = (r.Properties.Code as { S3Key: string }).S3Key;
      return {
        logicalId,
        handler: r.Properties.Handler as string,
        dir: path.join(outdir, `asset.${key.replace(/\.zip$/, '')}`),
      };
    });
}, 120_000);

afterAll(() => {
  if (outdir) rmSync(outdir, { recursive: true, force: true });
});

const isJob = (b: Bundle) => !b.handler.endsWith('.handler');

describe('synth with bundling', () => {
  it('bundles every function', () => {
    expect(bundles.map((b) => b.handler).sort()).toEqual([
      ...Object.keys(routeGroups).map(() => 'index.handler'),
      'index.migrate',
      'index.reconcile',
    ]);
  });

  it('gives every function an ESM bundle with its source map, within the size budget', () => {
    for (const b of bundles) {
      const code = path.join(b.dir, 'index.mjs');
      expect(existsSync(code), `${b.logicalId}: ${code}`).toBe(true);
      expect(existsSync(`${code}.map`), `${b.logicalId}: source map`).toBe(true);
      const budget = isJob(b) ? BUDGET_BYTES.job : BUDGET_BYTES.http;
      expect(statSync(code).size, `${b.logicalId} bundle size`).toBeLessThanOrEqual(budget);
    }
  });

  it('gives each HTTP function its own routes only; meta also the route table, for OpenAPI', () => {
    // arrange
    const all = Object.values(routeGroups).flatMap((g) => g.routes);
    for (const group of Object.values(routeGroups)) {
      const bundle = bundles.find((b) => b.logicalId.startsWith(httpFunctionId(group.fn)))!;
      // act
      const code = readFileSync(path.join(bundle.dir, 'index.mjs'), 'utf8');
      const bundled = all.filter((r) => code.includes(`operationId:"${r.operationId}"`));
      // assert
      const expected = group.fn === 'meta' ? all : group.routes;
      expect(
        bundled.map((r) => r.operationId),
        group.fn,
      ).toEqual(expected.map((r) => r.operationId));
    }
  });

  it('bundles the AWS SDK into every function that uses DynamoDB', () => {
    for (const b of bundles.filter((b) => !b.logicalId.startsWith('MetaFunction'))) {
      const code = readFileSync(path.join(b.dir, 'index.mjs'), 'utf8');
      expect(code, b.logicalId).toContain('DynamoDBClient');
    }
  });

  it('produces bundles that load on Node 24 and serve a request', async () => {
    // arrange: load every bundle in a fresh Node process, as Lambda would. No node_modules is
    // reachable from the bundles' directory, so an import left outside a bundle fails the load.
    for (let dir = outdir; dir !== path.dirname(dir); dir = path.dirname(dir)) {
      expect(existsSync(path.join(dir, 'node_modules')), dir).toBe(false);
    }
    const script = `
      const [files] = [JSON.parse(process.argv[1])];
      const out = {};
      for (const [id, file] of Object.entries(files)) out[id] = Object.keys(await import(file)).sort();
      const meta = await import(files.meta);
      const event = { version: '2.0', routeKey: 'GET /healthz', rawPath: '/healthz', rawQueryString: '',
        headers: {}, requestContext: { requestId: 'bundle-test', http: { method: 'GET', path: '/healthz' } },
        isBase64Encoded: false };
      const res = await meta.handler(event, { getRemainingTimeInMillis: () => 10_000 });
      out.healthz = { statusCode: res.statusCode, body: JSON.parse(res.body) };
      const unmatched = await meta.handler({ ...event, routeKey: '$default', rawPath: '/v1/nothing' },
        { getRemainingTimeInMillis: () => 10_000 });
      out.unmatched = { statusCode: unmatched.statusCode, type: unmatched.headers['content-type'] };
      console.log(JSON.stringify(out));`;
    const metaId = bundles.find((b) => b.logicalId.startsWith('MetaFunction'))!.logicalId;
    const files = Object.fromEntries(
      bundles.map((b) => [
        b.logicalId === metaId ? 'meta' : b.logicalId,
        pathToFileURL(path.join(b.dir, 'index.mjs')).href,
      ]),
    );
    // act
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ['--input-type=module', '--enable-source-maps', '-e', script, JSON.stringify(files)],
      {
        env: {
          PATH: process.env.PATH,
          SHELLGATE_TABLE: 'shellgate-bundle-test',
          AWS_REGION: 'us-east-1',
          POWERTOOLS_METRICS_DISABLED: 'true',
          POWERTOOLS_LOG_LEVEL: 'SILENT',
        },
      },
    );
    // assert
    const out = JSON.parse(stdout.trim().split('\n').at(-1)!);
    for (const b of bundles) {
      const exported = out[b.logicalId === metaId ? 'meta' : b.logicalId];
      expect(exported, b.logicalId).toContain(b.handler.replace(/^index\./, ''));
    }
    expect(out.healthz).toEqual({ statusCode: 200, body: { status: 'ok' } });
    expect(out.unmatched).toEqual({ statusCode: 404, type: 'application/problem+json' });
  });
});
