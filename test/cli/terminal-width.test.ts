import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { emptyCounts, type ProgressSnapshot } from '#lib/jobs/progress.ts';
import { type CliTestSystem, startCliTestSystem } from '#test/support/cli.ts';
import { seedLegacyItems } from '#test/support/legacy-items.ts';
import { createTestStore, dynamoEndpoint } from '#test/support/store.ts';
import { table } from '../../cli/format.ts';
import { runCli } from '../../cli/main.ts';
import { fitProgressLine, fittedProgressOutput } from '../../cli/progress.ts';
import { formatProgressBar, ProgressDisplay } from '../../cli/progress-bar.ts';

/** Tables and the migrate progress line on a terminal of a given width. */

/** A terminal `columns` wide, or a pipe. */
function terminal(columns?: number) {
  return {
    text: '',
    isTTY: columns !== undefined,
    columns,
    write(chunk: string) {
      this.text += chunk;
      return true;
    },
  };
}

function snapshot(overrides: Partial<ProgressSnapshot> = {}): ProgressSnapshot {
  return {
    phase: 'backfill',
    dryRun: false,
    counts: {
      ...emptyCounts(),
      scanned: 1_500_000,
      stamped: 1_200_000,
      skipped: 250_000,
      conflicts: 12,
    },
    phaseScanned: 1_500_000,
    phaseProcessed: 1_500_000,
    estimatedTotal: 3_000_000,
    segments: 16,
    segmentsDone: 3,
    elapsedMs: 2_000,
    itemsPerSecond: 7_500,
    etaSeconds: 200,
    ...overrides,
  };
}

describe('tables', () => {
  const header = ['NAME', 'TYPE', 'CONFIG', 'VERSION'];
  const rows = [
    [
      'a-rather-long-provider-name',
      'github',
      'region=eu-west-1, org=acme, team=platform-core',
      '12',
    ],
    ['short', 'openai', '-', '1'],
  ];

  it('fit the terminal: the widest columns but the first are cut with …', () => {
    const out = table(header, rows, 60).split('\n');
    for (const line of out) expect(line.length).toBeLessThanOrEqual(60);
    expect(out[1]).toBe('a-rather-long-provider-name  github  region=eu-wes…  12');
    expect(out[2]).toMatch(/^short +openai +- +1$/);
  });

  it('are not cut for a pipe, nor below a header', () => {
    expect(table(header, rows)).toContain('team=platform-core');
    const narrow = table(header, rows, 20).split('\n');
    expect(narrow[0]).toMatch(/^NAME +TYPE +CONFIG +VERSION$/);
    expect(narrow[1]!.startsWith('a-rather-long-provider-name  github  regio…')).toBe(true);
  });

  describe('from the CLI', () => {
    let t: CliTestSystem;
    beforeAll(async () => {
      t = await startCliTestSystem();
      await t.api('POST', '/v1/providers', {
        name: 'wide',
        type: 'github',
        credentials: { A_VERY_LONG_CREDENTIAL_NAME: 'x', ANOTHER_ONE: 'y' },
        config: { region: 'eu-west-1', organisation: 'a-rather-long-organisation-name' },
      });
    });
    afterAll(async () => {
      await t?.system.stop();
    });

    it('are as wide as the terminal standard output is, and whole in a pipe', async () => {
      const io = (stdout: ReturnType<typeof terminal>) => ({
        stdout,
        stderr: terminal(),
        env: {
          SHELLGATE_ENDPOINT: t.system.url,
          SHELLGATE_TOKEN: t.system.token,
          SHELLGATE_CONFIG_DIR: t.configDir,
        },
        cwd: process.cwd(),
      });
      const narrow = terminal(64);
      const pipe = terminal();
      expect(await runCli(['provider', 'list'], io(narrow))).toBe(0);
      expect(await runCli(['provider', 'list'], io(pipe))).toBe(0);
      for (const line of narrow.text.trimEnd().split('\n')) {
        expect(line.length, line).toBeLessThanOrEqual(64);
      }
      expect(narrow.text).toMatch(/^wide +github +.*…/m);
      expect(pipe.text).toContain('organisation=a-rather-long-organisation-name');
    });
  });
});

describe('the migrate progress line', () => {
  const whole = formatProgressBar('005-resource-version', snapshot(), 10_000);

  it('keeps the percent and the ETA however narrow the terminal', () => {
    expect(whole).toMatch(/ 50% {2}scanned .* ETA 3:20$/);
    for (const columns of [140, 120, 100, 80, 60, 48, 40, 32, 24]) {
      const line = fitProgressLine(whole, columns);
      expect({ columns, fits: line.length <= columns }).toEqual({ columns, fits: true });
      expect(line, `${columns}`).toContain('50%');
      expect(line, `${columns}`).toMatch(/ETA 3:20$/);
    }
  });

  it('gives up the stats from the right, then the bar, then the label', () => {
    expect(fitProgressLine(whole, whole.length)).toBe(whole);
    const at100 = fitProgressLine(whole, 100);
    expect(at100).toMatch(
      /^005-resource-version backfill \[[█░]{10,24}\] {2}50% {2}scanned 1,500,000\/3,000,000/,
    );
    expect(at100).not.toContain('items/s');
    const at48 = fitProgressLine(whole, 48);
    expect(at48).toMatch(/^005-resource-version backfill( \[[█░]+\])? +50% {2}ETA 3:20$/);
    expect(fitProgressLine(whole, 24)).toBe('005-reso…  50%  ETA 3:20');
  });

  it('is fitted on each redraw as the display draws it, to the width of the moment', () => {
    // arrange
    const tty = terminal(56);
    const display = new ProgressDisplay(fittedProgressOutput(tty), { intervalMs: 0 });
    // act
    display.update('005-resource-version', snapshot());
    tty.columns = 36;
    display.update('005-resource-version', snapshot({ phaseProcessed: 2_400_000, etaSeconds: 80 }));
    display.finish();
    // assert
    const frames = tty.text
      .split('\r\x1b[2K')
      .filter(Boolean)
      .map((f) => f.replace(/\n$/, ''));
    expect(frames).toHaveLength(2);
    expect(frames[0]!.length).toBeLessThanOrEqual(56);
    expect(frames[0]).toMatch(/ 50% .*ETA 3:20$/);
    expect(frames[1]!.length).toBeLessThanOrEqual(36);
    expect(frames[1]).toMatch(/ 80% .*ETA 1:20$/);
  });

  it('`shellgate migrate run` on a narrow terminal keeps them on every line', async () => {
    // arrange
    const store = await createTestStore();
    await seedLegacyItems(store, { legacy: 200 });
    const stdout = terminal();
    const stderr = terminal(44);
    // act
    const code = await runCli(
      [
        'migrate',
        'run',
        '--dynamo-endpoint',
        dynamoEndpoint(),
        '--table',
        store.tableName,
        '--rate',
        '0',
      ],
      { stdout, stderr, env: {}, cwd: process.cwd() },
    );
    // assert
    expect(code).toBe(0);
    const frames = stderr.text
      .split('\r\x1b[2K')
      .slice(1)
      .map((f) => f.replace(/\n[\s\S]*$/, ''))
      .filter(Boolean);
    expect(frames.length).toBeGreaterThan(0);
    for (const frame of frames) {
      expect(frame.length, frame).toBeLessThanOrEqual(44);
      expect(frame).toMatch(/\d+% {2}(.* {2})?ETA (\d+:\d\d|--:--)$/);
    }
  });
});
