import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { build } from 'esbuild';
import { beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '#test/support/cli.ts';
import { createTestStore, dynamoEndpoint } from '#test/support/store.ts';

/**
 * The package as people install it: `npm pack`, installed from the tarball into an empty
 * project, runs `shellgate` on Node 24, with only its runtime dependencies.
 */

const run = promisify(execFile);
const pkg = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as {
  version: string;
  files: string[];
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
};
/** The repository's Node 24 first on the PATH: `#!/usr/bin/env node` finds it. */
const PATH = `${join(REPO_ROOT, 'node_modules/.bin')}:${process.env.PATH}`;
/**
 * What reaches the registry from this machine passes through: a proxy and the CA it signs
 * with (without `NODE_EXTRA_CA_CERTS` behind a TLS-inspecting proxy, every fetch fails with
 * SELF_SIGNED_CERT_IN_CHAIN and npm retries until the hook's timeout).
 */
const NETWORK = [
  'NODE_EXTRA_CA_CERTS',
  'SSL_CERT_FILE',
  'SSL_CERT_DIR',
  'HTTP_PROXY',
  'HTTPS_PROXY',
  'NO_PROXY',
  'http_proxy',
  'https_proxy',
  'no_proxy',
  'npm_config_cafile',
  'npm_config_registry',
  'npm_config_proxy',
  'npm_config_https_proxy',
];
const env = {
  ...Object.fromEntries(NETWORK.flatMap((k) => (process.env[k] ? [[k, process.env[k]]] : []))),
  PATH,
  HOME: process.env.HOME ?? tmpdir(),
  npm_config_update_notifier: 'false',
};

/** The package a bare import names: `@aws-sdk/lib-dynamodb/x` → `@aws-sdk/lib-dynamodb`. */
const packageOf = (specifier: string) =>
  specifier.startsWith('@')
    ? specifier.split('/').slice(0, 2).join('/')
    : (specifier.split('/')[0] ?? specifier);

const isBuiltin = (specifier: string) =>
  specifier.startsWith('node:') || builtinModules.includes(specifier);

/** The packages an entry point imports at run time once bundled (types are gone by then). */
async function runtimeImports(entryPoints: string[]): Promise<string[]> {
  const res = await build({
    entryPoints: entryPoints.map((e) => join(REPO_ROOT, e)),
    absWorkingDir: REPO_ROOT,
    bundle: true,
    platform: 'node',
    format: 'esm',
    packages: 'external',
    write: false,
    outdir: join(tmpdir(), 'shellgate-imports'),
    metafile: true,
    logLevel: 'silent',
  });
  const found = new Set<string>();
  for (const input of Object.values(res.metafile.inputs)) {
    for (const i of input.imports)
      if (i.external && !isBuiltin(i.path)) found.add(packageOf(i.path));
  }
  return [...found].sort();
}

describe('the shellgate package', () => {
  let app: string;
  let tarball: string;

  beforeAll(async () => {
    // arrange: pack (its prepack builds dist/cli.js) and install into an empty project.
    const out = mkdtempSync(join(tmpdir(), 'shellgate-pack-'));
    await run('npm', ['pack', '--pack-destination', out, '--silent'], { cwd: REPO_ROOT, env });
    tarball = join(out, readdirSync(out).find((f) => f.endsWith('.tgz'))!);
    app = mkdtempSync(join(tmpdir(), 'shellgate-install-'));
    writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'app', private: true }));
    // A registry connection that stalls is given up after 20 s and retried, rather than after
    // npm's default 5 minutes, which outlasted this hook.
    await run(
      'npm',
      [
        'install',
        '--prefer-offline',
        '--no-audit',
        '--no-fund',
        '--loglevel=error',
        '--fetch-timeout=20000',
        '--fetch-retries=5',
        tarball,
      ],
      { cwd: app, env, maxBuffer: 16 * 1024 * 1024 },
    );
  }, 240_000);

  const shellgate = (args: string[]) =>
    run(join(app, 'node_modules/.bin/shellgate'), args, { cwd: app, env }).catch(
      (err: { code?: number; stdout?: string; stderr?: string }) => ({
        code: err.code,
        stdout: err.stdout ?? '',
        stderr: err.stderr ?? '',
      }),
    );

  it('holds the built command and nothing of the repository besides', async () => {
    const { stdout } = await run('tar', ['tzf', tarball]);
    expect(stdout.trim().split('\n').sort()).toEqual(
      ['cli/bin.js', 'dist/cli.js', 'openapi.json', 'package.json', 'README.md']
        .map((f) => `package/${f}`)
        .sort(),
    );
    expect(pkg.files.sort()).toEqual(['cli/bin.js', 'dist/cli.js', 'openapi.json']);
  });

  it('installed, `shellgate --help` and `--version` work on Node 24', async () => {
    // act
    const help = await shellgate(['--help']);
    const version = await shellgate(['--version']);
    // assert
    expect(help.stderr).toBe('');
    expect(help.stdout).toMatch(/^Usage: shellgate \[options\] \[command\]/);
    expect(version.stdout.trim()).toBe(pkg.version);
    expect((await shellgate(['completion', 'bash'])).stdout).toContain('shellgate __complete');
  });

  it('installed, loads the AWS SDK for migrate from its own dependencies', async () => {
    // arrange
    const store = await createTestStore();
    // act
    const res = await shellgate([
      'migrate',
      'status',
      '--dynamo-endpoint',
      dynamoEndpoint(),
      '--table',
      store.tableName,
    ]);
    // assert
    expect(res.stderr).toContain(`Table ${store.tableName}`);
    expect(res.stdout).toMatch(/^MIGRATION\s+STATUS/);
    expect(res.stdout).toContain('005-resource-version');
  });

  it('depends at run time on what the command and the handlers import, and nothing else', async () => {
    // act
    const cli = await runtimeImports(['cli/shellgate.ts']);
    const functions = readdirSync(join(REPO_ROOT, 'functions'))
      .filter((f) => f.endsWith('.ts'))
      .map((f) => `functions/${f}`);
    const handlers = await runtimeImports(functions);
    // assert: every package imported is a runtime dependency...
    const imported = [...new Set([...cli, ...handlers])].sort();
    const dependencies = Object.keys(pkg.dependencies).sort();
    expect(imported.filter((p) => !dependencies.includes(p))).toEqual([]);
    // ...and every runtime dependency is imported, or is what an imported one needs beside it
    // (the logger loads the optional peer @aws-lambda-powertools/jmespath for correlation ids).
    const needs = (name: string) => {
      const manifest = JSON.parse(
        readFileSync(join(REPO_ROOT, 'node_modules', name, 'package.json'), 'utf8'),
      ) as { dependencies?: object; peerDependencies?: object };
      return [
        ...Object.keys(manifest.dependencies ?? {}),
        ...Object.keys(manifest.peerDependencies ?? {}),
      ];
    };
    const needed = new Set(imported.flatMap(needs));
    expect(dependencies.filter((d) => !imported.includes(d) && !needed.has(d))).toEqual([]);
    for (const devOnly of ['aws-cdk-lib', 'constructs', 'jose']) {
      expect(dependencies).not.toContain(devOnly);
      expect(pkg.devDependencies[devOnly], devOnly).toBeDefined();
    }
  });
});
