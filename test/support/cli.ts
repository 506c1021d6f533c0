import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type LocalSystem, startLocalSystem } from '#local/system.ts';
import { assertNoSecrets } from './secrets.ts';
import { dynamoEndpoint } from './store.ts';

/** The CLI's entry file, run directly by this Node (faster than going through npx). */
export const CLI_ENTRY = fileURLToPath(new URL('../../cli/shellgate.ts', import.meta.url));
export const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  /** Replaces the test's default environment entries of the same name. */
  env?: Record<string, string | undefined>;
  /** @default a fresh empty directory (no `.shellgate/local.json`) */
  cwd?: string;
  /** Written to the child's standard input. */
  input?: string;
  /** @default [CLI_ENTRY] run by process.execPath */
  command?: { file: string; args: string[] };
}

/** Runs one command line as a child process and collects its exit code and output. */
export function runCommand(args: string[], options: RunOptions = {}): Promise<CliResult> {
  const command = options.command ?? { file: process.execPath, args: [CLI_ENTRY] };
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries({
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    ...options.env,
  })) {
    if (v !== undefined) env[k] = v;
  }
  return new Promise((resolve, reject) => {
    const child = spawn(command.file, [...command.args, ...args], {
      cwd: options.cwd ?? mkdtempSync(join(tmpdir(), 'shellgate-cli-cwd-')),
      env,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      stdout += d;
    });
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      stderr += d;
    });
    child.on('error', reject);
    child.on('close', (code) => {
      try {
        assertNoSecrets(stdout + stderr);
      } catch (err) {
        return reject(err);
      }
      resolve({ code, stdout, stderr });
    });
    child.stdin.end(options.input ?? '');
  });
}

export interface CliTestSystem {
  system: LocalSystem;
  /** A directory for `login` to keep tokens in, of this test file's own. */
  configDir: string;
  /** Runs `shellgate <args>` against the dev server with its token. */
  cli(args: string[], options?: RunOptions): Promise<CliResult>;
  /** Calls the API directly, bypassing the CLI. */
  // biome-ignore lint/suspicious/noExplicitAny: tests read whatever the route returned.
  api(method: string, path: string, body?: unknown): Promise<{ status: number; body: any }>;
}

/** One dev server on a free port, over a table of its own on the test run's DynamoDB Local. */
export async function startCliTestSystem(): Promise<CliTestSystem> {
  const system = await startLocalSystem({
    port: 0,
    dynamoEndpoint: dynamoEndpoint(),
    table: `shellgate-cli-${randomUUID().slice(0, 8)}`,
    stateDir: mkdtempSync(join(tmpdir(), 'shellgate-cli-')),
    schedules: false,
    log: () => {},
  });
  const configDir = mkdtempSync(join(tmpdir(), 'shellgate-cli-config-'));
  return {
    system,
    configDir,
    cli: (args, options = {}) =>
      runCommand(args, {
        ...options,
        env: {
          SHELLGATE_ENDPOINT: system.url,
          SHELLGATE_TOKEN: system.token,
          SHELLGATE_CONFIG_DIR: configDir,
          ...options.env,
        },
      }),
    api: async (method, path, body) => {
      const res = await fetch(`${system.url}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${system.token}`,
          ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const text = await res.text();
      return { status: res.status, body: text ? JSON.parse(text) : undefined };
    },
  };
}
