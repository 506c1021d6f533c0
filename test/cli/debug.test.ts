import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CliTestSystem, startCliTestSystem } from '#test/support/cli.ts';
import { registerSecrets } from '#test/support/secrets.ts';
import { redact } from '../../cli/debug.ts';

/**
 * `--debug`: request and response lines on standard error, every secret redacted. Every run
 * also fails if any registered secret appears in its output (`runCommand`).
 */

let t: CliTestSystem;

beforeAll(async () => {
  t = await startCliTestSystem();
  registerSecrets({ token: t.system.token });
});
afterAll(async () => {
  await t?.system.stop();
});

describe('shellgate --debug', () => {
  it('shows a write as it was sent and answered, without the token or the credential', async () => {
    // arrange
    registerSecrets({ TOKEN: 'debug-secret-credential' });
    // act
    const res = await t.cli([
      '--debug',
      'provider',
      'create',
      'dbg',
      '--type',
      'github',
      '--credential',
      'TOKEN=debug-secret-credential',
    ]);
    // assert
    expect(res.code).toBe(0);
    expect(res.stdout).toBe('✓ Created provider dbg (resource version 1)\n');
    const lines = res.stderr.split('\n');
    expect(lines[0]).toBe(`> POST ${t.system.url}/v1/providers`);
    expect(lines).toContain('> authorization: Bearer REDACTED');
    expect(lines).toContain('> content-type: application/json');
    expect(lines).toContainEqual(expect.stringMatching(/^> idempotency-key: [0-9a-f-]{36}$/));
    expect(lines).toContain('> {"name":"dbg","type":"github","credentials":{"TOKEN":"REDACTED"}}');
    expect(lines).toContainEqual(expect.stringMatching(/^< 201 Created \(\d+ ms\)$/));
    expect(lines).toContain('< location: /v1/providers/dbg');
    expect(lines).toContainEqual(expect.stringMatching(/^< etag: "[0-9a-f-]{36}:1"$/));
    expect(lines).toContainEqual(
      expect.stringMatching(/^< \{"metadata":\{.*"credentials":\{"TOKEN":"REDACTED"\}/),
    );
  });

  it('redacts the SSH session token of a create and a failed request still shows its answer', async () => {
    // arrange
    await t.api('POST', '/v1/sandboxes', { name: 'dbg-sb', spec: {} });
    await t.api('PUT', '/v1/sandboxes/dbg-sb/status', { phase: 'READY' });
    // act
    const created = await t.cli(['--debug', 'ssh-session', 'create', 'dbg-sb', '-o', 'json']);
    const missing = await t.cli(['--debug', 'sandbox', 'get', 'nope']);
    // assert: stdout is the one place the token goes (`runCommand` registered nothing for it).
    expect(created.code).toBe(0);
    const token = JSON.parse(created.stdout).token as string;
    expect(token).toMatch(/^sgs_/);
    expect(created.stderr).not.toContain(token);
    expect(created.stderr).toMatch(/^< \{.*"token":"REDACTED"/m);
    expect(missing.code).toBe(3);
    expect(missing.stderr).toMatch(/^< 404 Not Found \(\d+ ms\)$/m);
    expect(missing.stderr).toContain('< content-type: application/problem+json');
    expect(missing.stderr).toContain('Error: sandbox nope does not exist.');
  });

  it('shows the dev token request of login --dev without the minted token', async () => {
    const res = await t.cli(['--debug', 'login', '--dev', '--print']);
    expect(res.code).toBe(0);
    const minted = res.stdout.trim();
    expect(res.stderr).toContain(`> POST ${t.system.url}/dev/token`);
    expect(res.stderr).toContain('< {"token":"REDACTED"}');
    expect(res.stderr).not.toContain(minted);
  });

  it('without --debug, says nothing on stderr', async () => {
    const res = await t.cli(['provider', 'list']);
    expect(res.stderr).toBe('');
  });

  it('redacts nested secrets and leaves the rest as it is', () => {
    expect(
      redact({
        credentials: { A: 'x', B: 'y' },
        token: 't',
        items: [{ credentials: { C: 'z' }, config: { token_ttl: '3' } }],
        count: 2,
      }),
    ).toEqual({
      credentials: { A: 'REDACTED', B: 'REDACTED' },
      token: 'REDACTED',
      items: [{ credentials: { C: 'REDACTED' }, config: { token_ttl: '3' } }],
      count: 2,
    });
  });
});
