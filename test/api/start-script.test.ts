import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, describe, expect, it } from 'vitest';
import { createDocumentClient } from '#lib/store/client.ts';
import { dynamoEndpoint } from '#test/support/store.ts';

const REPO_ROOT = new URL('../..', import.meta.url).pathname;

/** `npm start`'s script as a child process, until it says where the API is. */
async function start(args: string[]): Promise<{ child: ChildProcess; url: string; token: string }> {
  const child = spawn(process.execPath, ['scripts/start.ts', ...args], {
    cwd: REPO_ROOT,
    env: { ...process.env, NODE_OPTIONS: '' },
  });
  let out = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no start within 60 s:\n${out}`)), 60_000);
    child.stderr?.on('data', (d) => {
      out += d;
    });
    child.stdout?.on('data', (d) => {
      out += d;
      const url = /API\s+(http:\/\/\S+)/.exec(out)?.[1];
      const token = /export SHELLGATE_TOKEN=(\S+)/.exec(out)?.[1];
      if (url && token) {
        clearTimeout(timer);
        resolve({ child, url, token });
      }
    });
    child.on('exit', (code) => reject(new Error(`exited ${code} before starting:\n${out}`)));
  });
}

const exited = (child: ChildProcess) =>
  new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));

describe('npm start -- --dynamodb-endpoint URL', () => {
  const children: ChildProcess[] = [];
  afterAll(() => {
    for (const c of children) c.kill('SIGKILL');
  });

  it('runs the system on that DynamoDB, in the table given, and leaves it running on exit', async () => {
    // arrange
    const table = `shellgate-start-${randomUUID().slice(0, 8)}`;
    const endpoint = dynamoEndpoint();
    const { child, url, token } = await start([
      '--port',
      '0',
      '--dynamodb-endpoint',
      endpoint,
      '--table',
      table,
      '--state-dir',
      mkdtempSync(join(tmpdir(), 'shellgate-start-')),
    ]);
    children.push(child);
    // act
    const res = await fetch(`${url}/v1/providers`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'from-outside', type: 'github', credentials: { T: 'v' } }),
    });
    const db = createDocumentClient({ endpoint });
    const item = await db.send(
      new GetCommand({ TableName: table, Key: { pk: 'provider#from-outside', sk: '@' } }),
    );
    child.kill('SIGINT');
    const code = await exited(child);
    // assert
    expect(res.status).toBe(201);
    expect(item.Item).toMatchObject({ name: 'from-outside', resource_version: 1 });
    expect(code).toBe(0);
    const admin = new DynamoDBClient({
      endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
    const tables = await admin.send(new ListTablesCommand({}));
    expect(tables.TableNames).toContain(table);
    admin.destroy();
    db.destroy();
  }, 90_000);
});
