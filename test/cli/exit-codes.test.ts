import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type CliTestSystem,
  REPO_ROOT,
  runCommand,
  startCliTestSystem,
} from '#test/support/cli.ts';

let t: CliTestSystem;

beforeAll(async () => {
  t = await startCliTestSystem();
  await t.api('POST', '/v1/providers', { name: 'taken', type: 'github', credentials: { T: 'x' } });
  await t.api('POST', '/v1/sandboxes', { name: 'uses-it', spec: { providers: ['taken'] } });
});
afterAll(async () => {
  await t?.system.stop();
});

/** A port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  return typeof address === 'object' && address ? address.port : 0;
}

async function mint(scopes: string[]): Promise<string> {
  const res = await fetch(`${t.system.url}/dev/token`, {
    method: 'POST',
    body: JSON.stringify({ scopes }),
  });
  return ((await res.json()) as { token: string }).token;
}

describe('exit codes', () => {
  it('0 for help and version; the help documents the exit codes', async () => {
    const [help, version] = await Promise.all([t.cli(['--help']), t.cli(['--version'])]);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('Exit codes:');
    expect(help.stdout).toMatch(/^ +4 +conflict/m);
    expect(version.code).toBe(0);
    expect(version.stdout).toMatch(/^\d+\.\d+\.\d+\n$/);
  });

  it('2 for usage errors and for INVALID_ARGUMENT, with each failing field', async () => {
    const results = await Promise.all([
      t.cli(['sandboxes', 'list']),
      t.cli(['sandbox', 'get']),
      t.cli(['sandbox', 'list', '-o', 'xml']),
      t.cli(['sandbox', 'provider', 'attach', 'a', 'b', '--retry', 'many']),
      t.cli(['provider', 'create', 'x', '--type', 'github', '--credential', 'NOT_SET_ANYWHERE']),
      t.cli(['sandbox']),
    ]);
    for (const r of results) expect(r.code, r.stderr).toBe(2);
    expect(results[0]?.stderr).toMatch(/unknown command 'sandboxes'/);

    const invalid = await t.cli(['sandbox', 'create', 'Bad_Name', '--log-level', 'loud']);
    expect(invalid.code).toBe(2);
    expect(invalid.stderr).toMatch(/^Error: the request is invalid:\n {2}body\.name: /);
    expect(invalid.stderr).toMatch(/^ {2}body\.spec\.logLevel: /m);
  });

  it('3 for NOT_FOUND', async () => {
    const res = await t.cli(['sandbox', 'get', 'nope']);
    expect(res.code).toBe(3);
    expect(res.stderr).toMatch(/^Error: .*nope.* does not exist/i);
    expect(res.stdout).toBe('');
  });

  it('4 for ALREADY_EXISTS, FAILED_PRECONDITION and ABORTED', async () => {
    const [exists, attached, stale] = await Promise.all([
      t.cli(['provider', 'create', 'taken', '--type', 'github', '--credential', 'T=y']),
      t.cli(['provider', 'delete', 'taken']),
      t.cli(['provider', 'update', 'taken', '--config', 'a=b', '--if-version', '7']),
    ]);
    expect(exists.code).toBe(4);
    expect(exists.stderr).toMatch(/already exists/);
    expect(attached.code).toBe(4);
    expect(attached.stderr).toContain('uses-it');
    expect(stale.code).toBe(4);
    expect(stale.stderr).toMatch(/modified by another operation/);
  });

  it('5 for no token, a bad token, or a token without the scope', async () => {
    const [none, forged, narrow] = await Promise.all([
      t.cli(['sandbox', 'list'], { env: { SHELLGATE_TOKEN: undefined } }),
      t.cli(['sandbox', 'list', '--token', `${t.system.token.slice(0, -4)}AAAA`]),
      mint(['sandbox:read']).then((token) => t.cli(['provider', 'list', '--token', token])),
    ]);
    expect(none.code).toBe(5);
    expect(none.stderr).toContain('shellgate login --dev');
    expect(forged.code).toBe(5);
    expect(narrow.code).toBe(5);
    expect(narrow.stderr).toMatch(/provider:read/);
  });

  it('6 when the API cannot be reached', async () => {
    const res = await t.cli(['sandbox', 'list'], {
      env: { SHELLGATE_ENDPOINT: `http://127.0.0.1:${await closedPort()}` },
    });
    expect(res.code).toBe(6);
    expect(res.stderr).toMatch(
      /^Error: cannot reach the shellgate API at http:\/\/127\.0\.0\.1:\d+/,
    );
  });
});

describe('endpoint and token', () => {
  it('login --dev mints a token on the dev server and keeps it for later commands; logout forgets it', async () => {
    // arrange
    const configDir = mkdtempSync(join(tmpdir(), 'shellgate-login-'));
    const env = { SHELLGATE_TOKEN: undefined, SHELLGATE_CONFIG_DIR: configDir };
    // act
    const login = await t.cli(['login', '--dev', '--scopes', 'sandbox:read'], { env });
    const [allowed, denied] = await Promise.all([
      t.cli(['sandbox', 'list', '-o', 'json'], { env }),
      t.cli(['provider', 'list'], { env }),
    ]);
    const logout = await t.cli(['logout'], { env });
    const after = await t.cli(['sandbox', 'list'], { env });
    // assert
    expect(login.code).toBe(0);
    expect(login.stdout).toMatch(/^✓ Logged in to http:\/\/127\.0\.0\.1:\d+ with a dev token/);
    expect(allowed.code).toBe(0);
    expect(JSON.parse(allowed.stdout).items).toHaveLength(1);
    expect(denied.code).toBe(5);
    expect(logout.stdout).toMatch(/^✓ Logged out/);
    expect(after.code).toBe(5);
  });

  it('login --dev --print prints a token for SHELLGATE_TOKEN', async () => {
    const printed = await t.cli(['login', '--dev', '--print'], {
      env: { SHELLGATE_TOKEN: undefined },
    });
    expect(printed.code).toBe(0);
    const token = printed.stdout.trim();
    const res = await t.cli(['provider', 'get', 'taken', '-o', 'json'], {
      env: { SHELLGATE_TOKEN: token },
    });
    expect(JSON.parse(res.stdout).metadata.name).toBe('taken');
  });

  it('defaults to the local dev server named by .shellgate/local.json in the working directory', async () => {
    // arrange
    const cwd = mkdtempSync(join(tmpdir(), 'shellgate-local-'));
    mkdirSync(join(cwd, '.shellgate'));
    writeFileSync(join(cwd, '.shellgate', 'local.json'), JSON.stringify({ url: t.system.url }));
    // act
    const res = await t.cli(['health'], { cwd, env: { SHELLGATE_ENDPOINT: undefined } });
    // assert
    expect([res.code, res.stdout]).toEqual([0, `✓ ${t.system.url} is ok\n`]);
  });
});

describe('the package bin', () => {
  it('cli/bin.js runs the CLI on Node 24', async () => {
    const res = await t.cli(['provider', 'list', '-o', 'json'], {
      command: { file: process.execPath, args: [join(REPO_ROOT, 'cli', 'bin.js')] },
    });
    expect(res.code).toBe(0);
    expect(JSON.parse(res.stdout).items[0].metadata.name).toBe('taken');
  });

  it('npx shellgate resolves to the repository’s own bin', async () => {
    const res = await runCommand(['--no-install', 'shellgate', '--help'], {
      cwd: REPO_ROOT,
      command: { file: 'npx', args: [] },
    });
    expect(res.code, res.stderr).toBe(0);
    expect(res.stdout).toMatch(/^Usage: shellgate /);
  });
});
