import { describe, expect, it } from 'vitest';
import { itemsByKey, seedLegacyItems } from '#test/support/legacy-items.ts';
import { createTestStore } from '#test/support/store.ts';
import { migrateCommand } from '../../cli/migrate.ts';

function output(isTTY: boolean) {
  return {
    text: '',
    isTTY,
    columns: 120,
    write(chunk: string) {
      this.text += chunk;
      return true;
    },
  };
}

describe('shellgate migrate', () => {
  it('run on a terminal shows a live progress bar and finishes', async () => {
    // arrange
    const store = await createTestStore();
    await seedLegacyItems(store, { legacy: 300, versioned: 20 });
    const stdout = output(false);
    const stderr = output(true);

    // act
    const code = await migrateCommand(store, { action: 'run', rate: 0 }, { stdout, stderr });

    // assert
    expect(code).toBe(0);
    expect(stderr.text).toContain('\r\x1b[2K005-resource-version backfill [');
    expect(stderr.text).toMatch(/stamped 300 .*skipped 20 .*items\/s .*ETA/);
    expect(stderr.text).toContain('005-resource-version verify [');
    // The migration's own record is read too, and left alone as not an object.
    expect(stdout.text).toContain(
      '005-resource-version: done — scanned 321, stamped 300, skipped 20, not objects 1, conflicts 0',
    );

    const status = output(false);
    expect(await migrateCommand(store, { action: 'status' }, { stdout: status, stderr })).toBe(0);
    // A second run re-verifies, with a bar, and writes nothing.
    const again = output(false);
    const verifyBar = output(true);
    expect(
      await migrateCommand(store, { action: 'run' }, { stdout: again, stderr: verifyBar }),
    ).toBe(0);
    expect(verifyBar.text).toContain('005-resource-version verify [');
    // The verify reads migration 006's record too, which the first run created after it.
    expect(again.text).toContain('005-resource-version: already done — verify read 322 items');
    const [header, row] = status.text.trim().split('\n');
    expect(header).toMatch(
      /^MIGRATION\s+STATUS\s+SCANNED\s+STAMPED\s+SKIPPED\s+REMAINING\s+LEASE$/,
    );
    expect(row).toMatch(/^005-resource-version\s+done\s+321\s+300\s+20\s+0\s+-$/);
  });

  it('run into a pipe prints plain progress lines; status as JSON', async () => {
    const store = await createTestStore();
    await seedLegacyItems(store, { legacy: 100 });
    const stdout = output(false);
    const stderr = output(false);

    const code = await migrateCommand(
      store,
      { action: 'run', rate: 0, segments: 2, output: 'json' },
      { stdout, stderr },
    );

    expect(code).toBe(0);
    expect(stderr.text).not.toContain('\r');
    expect(stderr.text).toMatch(/^005-resource-version backfill \d+%/m);
    expect(JSON.parse(stdout.text)).toMatchObject([
      { status: 'done', counts: { stamped: 100 } },
      { id: '006-provider-refs', status: 'done', counts: { recorded: 0 } },
    ]);
    const status = output(false);
    await migrateCommand(store, { action: 'status', output: 'json' }, { stdout: status, stderr });
    expect(JSON.parse(status.text)).toMatchObject([
      { id: '005-resource-version', status: 'done', totals: { stamped: 100 } },
      { id: '006-provider-refs', status: 'done', remaining: 0 },
    ]);
  });

  it('--dry-run counts what it would stamp and writes nothing', async () => {
    const store = await createTestStore();
    await seedLegacyItems(store, { legacy: 70, versioned: 5, nonObjects: 12 });
    const before = await itemsByKey(store);
    const stdout = output(false);

    const code = await migrateCommand(
      store,
      { action: 'run', dryRun: true },
      { stdout, stderr: output(true) },
    );

    expect(code).toBe(0);
    expect(stdout.text).toContain('dry run — would stamp 70, already versioned 5, not objects 12');
    expect(await itemsByKey(store)).toEqual(before);
  });

  it('a stopped run exits 1 and says how to resume', async () => {
    const store = await createTestStore();
    await seedLegacyItems(store, { legacy: 50 });
    const stop = new AbortController();
    stop.abort();
    const stdout = output(false);

    const code = await migrateCommand(
      store,
      { action: 'run', rate: 0 },
      { stdout, stderr: output(false), signal: stop.signal },
    );

    expect(code).toBe(1);
    expect(stdout.text).toContain('stopped; run again to resume');
  });
});
