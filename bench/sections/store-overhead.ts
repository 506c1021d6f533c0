import { randomUUID } from 'node:crypto';
import type { Bench } from '../support/local.ts';
import { meter } from '../support/meter.ts';
import { CpuAccount } from '../support/process-cpu.ts';
import {
  type CapturedUpdate,
  captureUpdate,
  createSettingsObjects,
  rawSettingWrite,
  SETTINGS_KIND,
  setSetting,
} from '../support/settings-write.ts';
import { ratioOf, type Spread } from '../support/stats.ts';
import { alternate, runWindow, type WindowPlan } from '../support/windows.ts';

export interface OverheadRow {
  concurrency: number;
  /** Operations per second of each window. */
  subject: Spread;
  raw: Spread;
  ratio: number;
  /** DynamoDB requests per operation, counted over every window. */
  requestsPerOp: { subject: number; raw: number };
  /**
   * CPU µs per operation of each process involved (from /proc, over every window): on a machine
   * this small, every process's CPU comes out of the same two cores.
   */
  cpuPerOp: { subject: Record<string, number>; raw: Record<string, number> };
  /** Every window's operations per second, in the order they ran. */
  windows: { subject: number[]; raw: number[] };
}

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
  const captured = await captureUpdate(store.client, () =>
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
    storeMeter.reset();
    rawMeter.reset();
    let storeOps = 0;
    let rawOps = 0;
    const pids = { bench: process.pid, 'DynamoDB Local': bench.db.pid };
    const storeCpu = new CpuAccount(pids);
    const rawCpu = new CpuAccount(pids);
    const result = await alternate(plan.windows, {
      subject: async () => {
        const t = await storeCpu.measure(() => runWindow(c, plan.windowMs, storeOp));
        storeOps += t.ops;
        return t.perSecond;
      },
      raw: async () => {
        const t = await rawCpu.measure(() => runWindow(c, plan.windowMs, rawOp));
        rawOps += t.ops;
        return t.perSecond;
      },
    });
    rows.push({
      concurrency: c,
      subject: result.spreads.subject,
      raw: result.spreads.raw,
      ratio: ratioOf(result.spreads.subject, result.spreads.raw),
      requestsPerOp: { subject: storeMeter.total / storeOps, raw: rawMeter.total / rawOps },
      cpuPerOp: { subject: storeCpu.perOp(storeOps), raw: rawCpu.perOp(rawOps) },
      windows: result.values,
    });
  }
  storeMeter.remove();
  rawMeter.remove();
  raw.destroy();
  store.client.destroy();
  await bench.dropTable(table);
  return { rows, request: captured };
}
