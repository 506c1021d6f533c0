import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CliTestSystem, runCommand, startCliTestSystem } from '#test/support/cli.ts';

/** `npm run smoke` runs this file. */
const SMOKE = fileURLToPath(new URL('../../scripts/smoke.ts', import.meta.url));
const smoke = (args: string[], env: Record<string, string | undefined> = {}) =>
  runCommand(args, { command: { file: process.execPath, args: [SMOKE] }, env });

let t: CliTestSystem;
beforeAll(async () => {
  t = await startCliTestSystem();
});
afterAll(async () => {
  await t?.system.stop();
});

async function smokeProviders(): Promise<string[]> {
  const list = await t.api('GET', '/v1/providers');
  return list.body.items
    .map((p: { metadata: { name: string } }) => p.metadata.name)
    .filter((n: string) => n.startsWith('smoke-'));
}

describe('npm run smoke against the dev server', () => {
  it('passes health, create, update, the CAS conflict and the delete, and leaves nothing behind', async () => {
    // act
    const run = await smoke(['--endpoint', t.system.url, '--token', t.system.token]);

    // assert
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const lines = run.stdout.trim().split('\n');
    expect(lines.map((l) => l.replace(/smoke-[0-9a-f]{8}/, 'smoke-*'))).toEqual([
      'ok   GET /healthz',
      'ok   POST /v1/providers (smoke-*)',
      'ok   PATCH /v1/providers/smoke-* at version 1',
      'ok   PATCH /v1/providers/smoke-* at stale version 1 → 409 ABORTED',
      'ok   DELETE /v1/providers/smoke-* at version 2',
      'ok   GET /v1/providers/smoke-* → 404',
      `smoke test passed against ${t.system.url}`,
    ]);
    expect(await smokeProviders()).toEqual([]);
  });

  it('takes a client-credentials token when given a token endpoint, as the pipeline does', async () => {
    // arrange: a token endpoint that hands out the dev token to the right client only.
    const seen: string[] = [];
    const issuer: Server = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => {
        body += c;
      });
      req.on('end', () => {
        seen.push(`${req.headers.authorization} ${body}`);
        const ok = req.headers.authorization === `Basic ${btoa('smoke-client:s3cret')}`;
        res.writeHead(ok ? 200 : 401, { 'content-type': 'application/json' });
        res.end(
          JSON.stringify(ok ? { access_token: t.system.token } : { error: 'invalid_client' }),
        );
      });
    });
    await new Promise<void>((r) => issuer.listen(0, '127.0.0.1', r));
    const tokenUrl = `http://127.0.0.1:${(issuer.address() as AddressInfo).port}/token`;

    try {
      // act
      const run = await smoke([], {
        SHELLGATE_ENDPOINT: t.system.url,
        SHELLGATE_TOKEN_URL: tokenUrl,
        SHELLGATE_CLIENT_ID: 'smoke-client',
        SHELLGATE_CLIENT_SECRET: 's3cret',
      });
      const wrong = await smoke([], {
        SHELLGATE_ENDPOINT: t.system.url,
        SHELLGATE_TOKEN_URL: tokenUrl,
        SHELLGATE_CLIENT_ID: 'smoke-client',
        SHELLGATE_CLIENT_SECRET: 'wrong',
      });

      // assert
      expect(run.code).toBe(0);
      expect(seen[0]).toMatch(/ grant_type=client_credentials&scope=shellgate%3Aall$/);
      expect(wrong.code).toBe(1);
      expect(wrong.stderr).toBe('FAIL token endpoint answered 401 without an access_token\n');
    } finally {
      issuer.close();
    }
  });

  it('fails with exit code 1 naming the step that failed, and leaves nothing behind', async () => {
    // arrange: a token that may read but not write fails the create.
    const readOnly = await t.api('POST', '/dev/token', { scopes: ['provider:read'] });
    expect(readOnly.status).toBe(200);

    // act
    const run = await smoke(['--endpoint', t.system.url, '--token', readOnly.body.token]);

    // assert
    expect(run.code).toBe(1);
    expect(run.stdout).toBe('ok   GET /healthz\n');
    expect(run.stderr).toMatch(/^FAIL create: expected 201, got 403 /);
    expect(await smokeProviders()).toEqual([]);
  });

  it('fails when the API cannot be reached, and refuses to run without an endpoint or a token', async () => {
    const unreachable = await smoke(['--endpoint', 'http://127.0.0.1:9', '--token', 'x']);
    const noEndpoint = await smoke(['--token', 'x']);
    const noToken = await smoke(['--endpoint', t.system.url]);

    expect(unreachable.code).toBe(1);
    expect(unreachable.stderr).toMatch(/^FAIL fetch failed/);
    expect(noEndpoint.code).toBe(2);
    expect(noEndpoint.stderr).toMatch(/--endpoint must be the API base URL/);
    expect(noToken.code).toBe(2);
    expect(noToken.stderr).toMatch(/--token/);
  });
});
