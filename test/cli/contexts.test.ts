import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CliTestSystem, startCliTestSystem } from '#test/support/cli.ts';
import { registerSecrets } from '#test/support/secrets.ts';

/**
 * Named contexts (`shellgate context set|use|list|current|delete`, `--context`): an endpoint
 * and token to switch to, kept in credentials.json beside the tokens `login` saves.
 */

let t: CliTestSystem;

beforeAll(async () => {
  t = await startCliTestSystem();
  registerSecrets({ token: t.system.token });
});
afterAll(async () => {
  await t?.system.stop();
});

/** The CLI with no endpoint or token in the environment: only the contexts say where. */
function bare(args: string[], configDir: string, input?: string) {
  return t.cli(args, {
    env: {
      SHELLGATE_ENDPOINT: undefined,
      SHELLGATE_TOKEN: undefined,
      SHELLGATE_CONFIG_DIR: configDir,
    },
    input,
  });
}

describe('shellgate context', () => {
  it('set, use, list, current: commands then talk to the current context with its token', async () => {
    // arrange
    const dir = mkdtempSync(join(tmpdir(), 'shellgate-contexts-'));
    // act
    const set = await bare(
      ['context', 'set', 'local', '--endpoint', t.system.url, '--with-token'],
      dir,
      `${t.system.token}\n`,
    );
    const elsewhere = await bare(
      ['context', 'set', 'prod', '--endpoint', 'http://127.0.0.1:9/'],
      dir,
    );
    const use = await bare(['context', 'use', 'local'], dir);
    const health = await bare(['provider', 'list', '-o', 'json'], dir);
    const current = await bare(['context', 'current'], dir);
    const list = await bare(['context', 'list'], dir);
    const json = await bare(['context', 'list', '-o', 'json'], dir);
    // assert
    expect(set.stdout).toBe('✓ Created context local\n');
    expect(elsewhere.code).toBe(0);
    expect(use.stdout).toBe(`✓ Switched to context local (${t.system.url})\n`);
    expect(health.code).toBe(0);
    expect(JSON.parse(health.stdout)).toEqual({ items: [] });
    expect(current.stdout).toBe('local\n');
    expect(list.stdout.split('\n')[0]).toMatch(/^CURRENT +NAME +ENDPOINT +TOKEN$/);
    expect(list.stdout).toMatch(
      new RegExp(`^\\* +local +${t.system.url.replaceAll('.', '\\.')} +yes$`, 'm'),
    );
    expect(list.stdout).toMatch(/^ +prod +http:\/\/127\.0\.0\.1:9 +-$/m);
    expect(JSON.parse(json.stdout).items).toEqual([
      { name: 'local', endpoint: t.system.url, current: true, hasToken: true },
      { name: 'prod', endpoint: 'http://127.0.0.1:9', current: false, hasToken: false },
    ]);
    // Kept beside login's tokens, readable by the owner only.
    const file = join(dir, 'credentials.json');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(JSON.parse(readFileSync(file, 'utf8'))).toMatchObject({
      tokens: {},
      currentContext: 'local',
      contexts: { local: { endpoint: t.system.url, token: t.system.token } },
    });
  });

  it('--context and SHELLGATE_CONTEXT pick another for one command; flags and env still win', async () => {
    // arrange
    const dir = mkdtempSync(join(tmpdir(), 'shellgate-contexts-'));
    await bare(
      ['context', 'set', 'local', '--endpoint', t.system.url, '--token', t.system.token],
      dir,
    );
    await bare(['context', 'set', 'down', '--endpoint', 'http://127.0.0.1:9'], dir);
    await bare(['context', 'use', 'down'], dir);
    // act
    const viaCurrent = await bare(['health'], dir);
    const viaFlag = await bare(['--context', 'local', 'health'], dir);
    const viaEnv = await t.cli(['health'], {
      env: { SHELLGATE_ENDPOINT: undefined, SHELLGATE_CONFIG_DIR: dir, SHELLGATE_CONTEXT: 'local' },
    });
    const endpointWins = await t.cli(['health'], { env: { SHELLGATE_CONFIG_DIR: dir } });
    const unknown = await bare(['--context', 'staging', 'health'], dir);
    // assert
    expect(viaCurrent.code).toBe(6);
    expect(viaCurrent.stderr).toContain('http://127.0.0.1:9');
    expect(viaFlag.stdout).toBe(`✓ ${t.system.url} is ok\n`);
    expect(viaEnv.stdout).toBe(`✓ ${t.system.url} is ok\n`);
    expect(endpointWins.code).toBe(0);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('no context named "staging" (saved: local, down)');
  });

  it('delete forgets a context and that it was current; names are checked', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'shellgate-contexts-'));
    await bare(['context', 'set', 'a', '--endpoint', t.system.url], dir);
    await bare(['context', 'use', 'a'], dir);
    expect((await bare(['context', 'delete', 'a'], dir)).stdout).toBe('✓ Deleted context a\n');
    expect((await bare(['context', 'current'], dir)).code).toBe(3);
    expect((await bare(['context', 'delete', 'a'], dir)).code).toBe(3);
    expect((await bare(['context', 'use', 'a'], dir)).code).toBe(2);
    const bad = await bare(['context', 'set', '../x', '--endpoint', t.system.url], dir);
    expect(bad.code).toBe(2);
    const noEndpoint = await bare(['context', 'set', 'b'], dir);
    expect(noEndpoint.code).toBe(2);
    expect(noEndpoint.stderr).toContain('context b needs --endpoint URL');
  });
});
