import { beforeAll, describe, expect, it } from 'vitest';
import type { Store } from '#lib/store/store.ts';
import { type Call, createTestApi } from '#test/support/api.ts';
import { objectsOver } from '#test/support/objects.ts';

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
