import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import { ensureTable } from '#lib/store/admin.ts';
import { createDocumentClient } from '#lib/store/client.ts';
import { Store } from '#lib/store/store.ts';
import { runCommand } from '#test/support/cli.ts';
import {
  itemsByKey,
  keyString,
  type SeedSet,
  seedLegacyItems,
} from '#test/support/legacy-items.ts';
import { dynamoEndpoint } from '#test/support/store.ts';
import { runCli } from '../../cli/main.ts';

/** A table of its own with `legacy` unversioned object items (and items that are not objects). */
async function legacyTable(legacy: number): Promise<{ table: string; seed: SeedSet }> {
  const table = `shellgate-cli-migrate-${randomUUID().slice(0, 8)}`;
  const admin = new DynamoDBClient({
    endpoint: dynamoEndpoint(),
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  await ensureTable(admin, table);
  admin.destroy();
  const seed = await seedLegacyItems(store(table), { legacy, nonObjects: 5 });
  return { table, seed };
}

const store = (table: string) =>
  new Store(createDocumentClient({ endpoint: dynamoEndpoint() }), table);

/** How many of the seeded legacy items are still without a version. */
async function unversioned(table: string, seed: SeedSet): Promise<number> {
  const stored = await itemsByKey(store(table));
  return seed.legacy.filter((i) => stored.get(keyString(i))?.resource_version === undefined).length;
}

let endpoint: string;
beforeAll(() => {
  endpoint = dynamoEndpoint();
});

describe('shellgate migrate', () => {
  it('status, a dry run, then a run with plain progress lines when not on a terminal', async () => {
    // arrange
    const { table, seed } = await legacyTable(40);
    const db = ['--dynamo-endpoint', endpoint, '--table', table];

    // act + assert: pending
    const before = await runCommand(['migrate', 'status', ...db]);
    expect(before.code, before.stderr).toBe(0);
    expect(before.stdout).toMatch(/^MIGRATION +STATUS/);
    expect(before.stdout).toMatch(/^005-resource-version +pending/m);
    expect(before.stderr).toBe(`Table ${table} on ${endpoint}\n`);

    // a dry run writes nothing
    const dry = await runCommand(['migrate', 'run', '--dry-run', ...db]);
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stdout).toMatch(/^005-resource-version: dry run — would stamp 40,/);
    expect(await unversioned(table, seed)).toBe(40);

    // the run: summary on stdout, progress on stderr as whole lines (no redraws)
    const run = await runCommand(['migrate', 'run', '--segments', '2', ...db]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/^005-resource-version: done — .*stamped 40,/);
    expect(run.stderr).toMatch(/^005-resource-version backfill \d+% +scanned/m);
    expect(run.stderr).not.toContain('\r');
    expect(await unversioned(table, seed)).toBe(0);

    // status from the environment instead of flags, as JSON
    const after = await runCommand(['migrate', 'status', '-o', 'json'], {
      env: { DYNAMODB_ENDPOINT: endpoint, SHELLGATE_TABLE: table },
    });
    expect(after.code, after.stderr).toBe(0);
    expect(JSON.parse(after.stdout)).toEqual([
      expect.objectContaining({ id: '005-resource-version', status: 'done', remaining: 0 }),
      expect.objectContaining({ id: '006-provider-refs', status: 'done', remaining: 0 }),
    ]);
  });

  it('draws a progress bar on a terminal; defaults to the dev server’s table from .shellgate/local.json', async () => {
    // arrange
    const { table, seed } = await legacyTable(15);
    const cwd = mkdtempSync(join(tmpdir(), 'shellgate-migrate-'));
    mkdirSync(join(cwd, '.shellgate'));
    writeFileSync(
      join(cwd, '.shellgate', 'local.json'),
      JSON.stringify({ url: 'http://127.0.0.1:1', dynamoEndpoint: endpoint, table }),
    );
    let out = '';
    let err = '';
    // act
    const code = await runCli(['migrate', 'run'], {
      stdout: { write: (s: string) => (out += s) },
      stderr: { write: (s: string) => (err += s), isTTY: true, columns: 100 },
      env: {},
      cwd,
    });
    // assert
    expect(code, err).toBe(0);
    expect(out).toMatch(/^005-resource-version: done/);
    expect(err).toContain('\r\x1b[2K005-resource-version backfill [');
    expect(err).toMatch(/█+/);
    expect(await unversioned(table, seed)).toBe(0);
  });

  it('without a table to work on, exits 2 and says how to name one', async () => {
    const res = await runCommand(['migrate', 'status']);
    expect(res.code).toBe(2);
    expect(res.stderr).toMatch(/^Error: which table\?/);
  });
});
