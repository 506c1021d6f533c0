import { beforeAll, describe, expect, it } from 'vitest';
import { keys } from '#lib/domain/keys.ts';
import { getConfig } from '#lib/domain/policy.ts';
import { createSandbox } from '#lib/domain/sandboxes.ts';
import { writeSetting } from '#lib/domain/settings.ts';
import type { SettingsData } from '#lib/domain/types.ts';
import { FailedPrecondition } from '#lib/errors.ts';
import type { Store } from '#lib/store/store.ts';
import { type Call, createTestApi } from '#test/support/api.ts';
import { objectsOver } from '#test/support/objects.ts';
import { contextOf, failureOf, settle } from '#test/support/operation-context.ts';
import { meter } from '#test/support/sdk-meter.ts';
import { createTestStore } from '#test/support/store.ts';

/** Global and sandbox settings (`lib/domain/settings.ts`). */

let call: Call;
let store: Store;
beforeAll(async () => {
  ({ call, store } = await createTestApi());
});
const { sandbox } = objectsOver(() => ({ call, store }));

describe('settings', () => {
  it('50 concurrent server-driven writers of distinct global settings keys all succeed, each in one request', async () => {
    // arrange: the settings object exists; count what each write sends
    const initial = (await call('GET', '/v1/settings')).body.resourceVersion;
    const sent: string[] = [];
    const name = 'count-settings-writes';
    store.client.middlewareStack.add(
      (next, context) => async (args) => {
        sent.push((context as { commandName?: string }).commandName ?? '');
        return next(args);
      },
      { step: 'initialize', name },
    );
    // act
    const results = await Promise.all(
      Array.from({ length: 50 }, (_, i) =>
        call('PUT', `/v1/settings/key${i}`, { body: { value: i } }),
      ),
    );
    store.client.middlewareStack.remove(name);
    // assert: no writer gives up, nothing is lost, the version counts every change once
    expect(results.map((r) => r.status)).toEqual(Array(50).fill(200));
    expect(sent).toEqual(Array(50).fill('UpdateItemCommand'));
    const settings = await call('GET', '/v1/settings');
    for (let i = 0; i < 50; i++) expect(settings.body.settings[`key${i}`]).toBe(i);
    expect(settings.body.resourceVersion).toBe(initial + 50);
    expect(new Set(results.map((r) => r.body.resourceVersion)).size).toBe(50);
  });

  it('sandbox settings: set, no-op, delete', async () => {
    const s = await sandbox();
    const name = s.metadata.name;
    const set = await call('PUT', `/v1/sandboxes/${name}/config/settings/verbose`, {
      body: { value: true },
    });
    expect(set.body).toEqual({ settings: { verbose: true }, resourceVersion: 2 });
    const same = await call('PUT', `/v1/sandboxes/${name}/config/settings/verbose`, {
      body: { value: true, expectedResourceVersion: 2 },
    });
    expect(same.body.resourceVersion).toBe(2);
    const del = await call(
      'DELETE',
      `/v1/sandboxes/${name}/config/settings/verbose?expectedResourceVersion=2`,
    );
    expect(del.body).toEqual({ settings: {}, resourceVersion: 3 });
  });
});

describe('settings precedence: a key the global settings hold is theirs', () => {
  // The global settings are one per table: these tests have a table of their own.
  let db: Store;
  let n = 0;
  const box = async () => {
    const name = `prec-${++n}`;
    await createSandbox(contextOf(db), { name, spec: {} });
    return name;
  };
  const sandboxSettings = async (name: string) =>
    (await db.get<SettingsData>(keys.sandboxSettings(name)))!;
  beforeAll(async () => {
    db = await createTestStore();
  });

  it('setting or deleting a sandbox key that is set globally is 409 FAILED_PRECONDITION naming the key, and writes nothing', async () => {
    // arrange: the sandbox held `level` before the global settings took it
    const name = await box();
    await writeSetting(contextOf(db), { sandbox: name }, 'level', 1);
    await writeSetting(contextOf(db), 'global', 'level', 9);
    const before = await sandboxSettings(name);

    // act
    const set = await failureOf(writeSetting(contextOf(db), { sandbox: name }, 'level', 2));
    const del = await failureOf(writeSetting(contextOf(db), { sandbox: name }, 'level', undefined));
    const clientDriven = await failureOf(
      writeSetting(
        contextOf(db, { expectedResourceVersion: before.resourceVersion }),
        { sandbox: name },
        'level',
        3,
      ),
    );

    // assert
    for (const err of [set, del, clientDriven]) {
      expect(err).toBeInstanceOf(FailedPrecondition);
      expect(err.message).toMatch(/^setting level is set globally/);
      expect((err as FailedPrecondition).details).toMatchObject({
        field: 'path.key',
        key: 'level',
      });
    }
    expect(await sandboxSettings(name)).toEqual(before);
    const cfg = await getConfig(contextOf(db), name);
    expect(cfg.settings?.data.settings).toEqual({ level: 1 });
    expect(cfg.effectiveSettings.level).toEqual({ value: 9, scope: 'GLOBAL' });
  });

  it('a key the global settings do not hold is one GetItem of them and the blind UpdateItem; a global write never looks at sandboxes', async () => {
    // arrange
    const name = await box();
    await writeSetting(contextOf(db), 'global', 'theme', 'dark');
    const counter = meter(db.client);

    // act
    const set = await writeSetting(contextOf(db), { sandbox: name }, 'mode', 'fast');
    const setCost = { ...counter.counts };
    counter.reset();
    const del = await writeSetting(contextOf(db), { sandbox: name }, 'mode', undefined);
    const delCost = { ...counter.counts };
    counter.reset();
    await writeSetting(contextOf(db), 'global', 'mode', 'slow');
    const globalCost = { ...counter.counts };
    counter.remove();

    // assert
    expect(setCost).toEqual({ GetItem: 1, UpdateItem: 1 });
    expect(delCost).toEqual({ GetItem: 1, UpdateItem: 1 });
    expect(globalCost).toEqual({ UpdateItem: 1 });
    expect(set.data.settings).toEqual({ mode: 'fast' });
    expect(del.data.settings).toEqual({});
    expect(del.resourceVersion).toBe(set.resourceVersion + 1);
  });

  it('a missing sandbox is 404 NOT_FOUND whatever the key, also one the global settings hold', async () => {
    // arrange
    await writeSetting(contextOf(db), 'global', 'held', true);

    // act
    const held = await failureOf(writeSetting(contextOf(db), { sandbox: 'nope' }, 'held', false));
    const free = await failureOf(writeSetting(contextOf(db), { sandbox: 'nope' }, 'free', false));

    // assert
    expect(held.code).toBe('NOT_FOUND');
    expect(free.code).toBe('NOT_FOUND');
  });

  it('a global set racing sandbox writes of the same key: every outcome is one a serial order gives, and the global value applies', async () => {
    const ROUNDS = 20;
    let taken = 0;
    let refused = 0;
    for (let round = 0; round < ROUNDS; round++) {
      // arrange
      const name = await box();
      const key = `race${round}`;
      const clock = () => performance.now();

      // act: the global set and four sandbox writers of the key, all at once
      const global = (async () => {
        const start = clock();
        await writeSetting(contextOf(db), 'global', key, 'global');
        return { start, end: clock() };
      })();
      const writers = Array.from({ length: 4 }, async (_, i) => {
        const start = clock();
        const r = await settle(writeSetting(contextOf(db), { sandbox: name }, key, `sandbox-${i}`));
        return { start, end: clock(), ...r };
      });
      const [g, ...sandboxWrites] = await Promise.all([global, ...writers]);

      // assert: each sandbox write was taken or refused, refused only once the global set began,
      // taken only if it began before the global set answered
      for (const w of sandboxWrites) {
        if (w.ok) {
          taken++;
          expect(w.start).toBeLessThan(g!.end);
        } else {
          refused++;
          expect(w.code).toBe('FAILED_PRECONDITION');
          expect(w.end).toBeGreaterThan(g!.start);
        }
      }
      // the sandbox holds the value of one write that was taken (or nothing), and the global
      // value applies to it either way
      const cfg = await getConfig(contextOf(db), name);
      const values = sandboxWrites.flatMap((w) => (w.ok ? [w.value.data.settings[key]] : []));
      const stored = cfg.settings?.data.settings[key];
      if (values.length === 0) expect(stored).toBeUndefined();
      else expect(values).toContain(stored);
      expect(cfg.effectiveSettings[key]).toEqual({ value: 'global', scope: 'GLOBAL' });
      // and from now on the key is refused
      expect(
        (await failureOf(writeSetting(contextOf(db), { sandbox: name }, key, 'late'))).code,
      ).toBe('FAILED_PRECONDITION');
    }
    // the rounds did race: writes were taken and refused
    expect(taken).toBeGreaterThan(0);
    expect(refused).toBeGreaterThan(0);
  });
});
