import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalSystem, startLocalSystem } from '#local/system.ts';
import { dynamoEndpoint } from '#test/support/store.ts';

/**
 * The README's policy-lifecycle session, run as written with bash and curl against the dev
 * server: every request answers 2xx but the one the README marks `# 409`.
 */

const README = readFileSync(join(import.meta.dirname, '..', '..', 'README.md'), 'utf8');

/** The shell block under the "The policy lifecycle" heading. */
function session(): string {
  const section = README.slice(README.indexOf('### The policy lifecycle'));
  const m = /```sh\n([\s\S]*?)```/.exec(section);
  if (!m) throw new Error('README: no shell block under "The policy lifecycle"');
  return m[1]!;
}

let system: LocalSystem;
beforeAll(async () => {
  system = await startLocalSystem({
    port: 0,
    dynamoEndpoint: dynamoEndpoint(),
    table: `shellgate-readme-${randomUUID().slice(0, 8)}`,
    stateDir: mkdtempSync(join(tmpdir(), 'shellgate-readme-')),
    schedules: false,
    log: () => {},
  });
}, 120_000);
afterAll(async () => {
  await system?.stop();
});

describe('README: the policy lifecycle session', () => {
  it('runs as written: each request 2xx, the marked one 409', async () => {
    // arrange: each curl of the session reports its status on stderr
    const lines = session();
    const curls = lines.split('\n').filter((l) => /\bcurl /.test(l) && !l.trim().startsWith('#'));
    const script = [
      'set -euo pipefail',
      `U=${system.url}; A="Authorization: Bearer ${system.token}"; J="content-type: application/json"`,
      `curl() { command curl -w '%{stderr}%{http_code}\\n' "$@"; }`,
      lines,
    ].join('\n');
    // act
    // The dev server answers in this process: the shell must not block it.
    const run = await new Promise<{ status: number | null; stdout: string; stderr: string }>(
      (resolve) => {
        const child = spawn('bash', ['-c', script]);
        let stdout = '';
        let stderr = '';
        child.stdout.on('data', (d) => {
          stdout += d;
        });
        child.stderr.on('data', (d) => {
          stderr += d;
        });
        child.on('close', (status) => resolve({ status, stdout, stderr }));
      },
    );
    // assert
    expect(run.status, `${run.stderr}\n${run.stdout}`).toBe(0);
    const statuses = run.stderr.trim().split('\n').map(Number);
    const expected = curls.map((l) => (l.endsWith('# 409') ? 409 : 'ok'));
    expect(statuses.map((s) => (s >= 200 && s < 300 ? 'ok' : s))).toEqual(expected);
    expect(run.stdout).toContain('"status":"REJECTED"');
    expect(run.stdout).toContain('"policySource":"GLOBAL"');
    expect(run.stdout).toContain('policy is managed globally');
  });
});
