import { randomUUID } from 'node:crypto';
import { meter } from '#test/support/sdk-meter.ts';
import type { Bench } from '../support/local.ts';
import { type OverheadRow, overheadRow } from '../support/overhead.ts';
import { CpuAccount } from '../support/process-cpu.ts';
import {
  type CapturedUpdate,
  captureUpdate,
  createSettingsObjects,
  rawSettingWrite,
  SETTINGS_KIND,
  setSetting,
} from '../support/settings-write.ts';
import { runWindow, type WindowPlan } from '../support/windows.ts';

export interface StoreOverheadResult {
  rows: OverheadRow[];
  request: CapturedUpdate;
}

/**
 * The store's client-driven update (expression fast path) against a raw UpdateItem that sends
 * the very expression, condition and return values the store sent, each worker on its own
 * object, the two sides alternating window by window.
 */
export async function measureStoreOverhead(
  bench: Bench,
  plan: WindowPlan,
  concurrencies: readonly number[],
): Promise<StoreOverheadResult> {
  const table = await bench.newTable('bench-store');
  const store = bench.store(table);
  const raw = bench.rawClient();
  const keysOf = (side: string, c: number) =>
    Array.from({ length: c }, (_, w) => ({ pk: `${side}#c${c}#w${w}`, sk: 'settings' }));

  const probe = { pk: 'probe', sk: 'settings' };
  const [probeVersion] = await createSettingsObjects(store, [probe]);
  const captured = await captureUpdate(store.client, { value: -1, expected: probeVersion! }, () =>
    store.update(probe, { kind: SETTINGS_KIND, name: probe.pk }, setSetting(-1), {
      expectedResourceVersion: probeVersion!,
      requestId: randomUUID(),
    }),
  );
  const rawWrite = rawSettingWrite(raw, table, captured);
  const storeMeter = meter(store.client);
  const rawMeter = meter(raw);

  const rows: OverheadRow[] = [];
  let value = 0;
  for (const c of concurrencies) {
    const storeKeys = keysOf('store', c);
    const rawKeys = keysOf('raw', c);
    const storeVersions = await createSettingsObjects(store, storeKeys);
    const rawVersions = await createSettingsObjects(store, rawKeys);
    const storeOp = async (w: number) => {
      const res = await store.update(
        storeKeys[w]!,
        { kind: SETTINGS_KIND, name: storeKeys[w]!.pk },
        setSetting(++value),
        { expectedResourceVersion: storeVersions[w]!, requestId: randomUUID() },
      );
      storeVersions[w] = res.object.resourceVersion;
    };
    const rawOp = async (w: number) => {
      rawVersions[w] = await rawWrite(rawKeys[w]!, rawVersions[w]!, ++value);
    };
    await runWindow(c, plan.warmupMs, storeOp);
    await runWindow(c, plan.warmupMs, rawOp);
    const pids = { bench: process.pid, 'DynamoDB Local': bench.db.pid };
    rows.push(
      await overheadRow(
        c,
        plan.windows,
        {
          window: () => runWindow(c, plan.windowMs, storeOp),
          cpu: new CpuAccount(pids),
          meter: storeMeter,
        },
        {
          window: () => runWindow(c, plan.windowMs, rawOp),
          cpu: new CpuAccount(pids),
          meter: rawMeter,
        },
      ),
    );
  }
  storeMeter.remove();
  rawMeter.remove();
  raw.destroy();
  store.client.destroy();
  await bench.dropTable(table);
  return { rows, request: captured };
}
