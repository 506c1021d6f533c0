import { fork } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import type { FunctionName } from '#lib/contract/index.ts';
import { localContext, matchRoute, toApiGatewayEvent } from '#local/event.ts';
import { meter, timeSend } from '#test/support/sdk-meter.ts';
import type { LoadResult, LoadWindow } from '../support/http-load.ts';
import type { Bench, Call, LocalApi } from '../support/local.ts';
import { type OverheadRow, overheadRow } from '../support/overhead.ts';
import { CpuAccount } from '../support/process-cpu.ts';
import {
  type CapturedUpdate,
  captureUpdate,
  createSettingsObjects,
  rawSettingWrite,
} from '../support/settings-write.ts';
import { type Spread, spread } from '../support/stats.ts';
import { runWindow, type WindowPlan } from '../support/windows.ts';

export interface ApiOverheadResult {
  rows: OverheadRow[];
  request: CapturedUpdate;
}

/** The HTTP load generator process (support/http-load.ts), one window at a time. */
function startLoadGenerator() {
  const child = fork(new URL('../support/http-load.ts', import.meta.url), [], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  return {
    run: (w: LoadWindow) =>
      new Promise<LoadResult>((resolve, reject) => {
        child.once('message', (m: { result?: LoadResult; error?: string }) =>
          m.result ? resolve(m.result) : reject(new Error(m.error)),
        );
        child.send(w);
      }),
    pid: child.pid ?? -1,
    stop: () => child.kill(),
  };
}

async function sandboxWithSettings(call: Call, name: string): Promise<number> {
  const created = await call('POST', '/v1/sandboxes', { name, spec: { image: 'img' } });
  if (created.status !== 201) throw new Error(`create ${name}: ${created.status}`);
  const config = await call('GET', `/v1/sandboxes/${name}/config`);
  return config.body.settingsResourceVersion as number;
}

/**
 * A client-driven setting write through the whole local HTTP path — dev server, API Gateway v2
 * event, the real middy/zod handler, the store, DynamoDB Local — against the raw UpdateItem
 * that the handler's store sends for it, alternating window by window. The HTTP requests come
 * from a load generator in a process of its own (a caller is never inside the server); the raw
 * writes are sent from this process, which is otherwise idle during their windows.
 */
export async function measureApiOverhead(
  bench: Bench,
  api: LocalApi,
  plan: WindowPlan,
  concurrencies: readonly number[],
): Promise<ApiOverheadResult> {
  const raw = bench.rawClient();
  const objects = bench.store(api.table);
  const apiMeter = meter(api.store.client);
  const rawMeter = meter(raw);
  let value = 0;

  const probe = 'probe-api';
  const probeWrite = async (value: number, expectedResourceVersion: number) => {
    const res = await api.call('PUT', `/v1/sandboxes/${probe}/config/settings/mode`, {
      value,
      expectedResourceVersion,
    });
    if (res.status !== 200) throw new Error(`probe write: ${res.status}`);
    return res.body.resourceVersion as number;
  };
  // Past version 1, whose condition also accepts a legacy item: the measured writes are too.
  const probeVersion = await probeWrite(0, await sandboxWithSettings(api.call, probe));
  const captured = await captureUpdate(
    api.store.client,
    { value: -1, expected: probeVersion },
    () => probeWrite(-1, probeVersion),
  );
  const rawWrite = rawSettingWrite(raw, api.table, captured);

  const load = startLoadGenerator();
  const rows: OverheadRow[] = [];
  try {
    for (const c of concurrencies) {
      const names = Array.from({ length: c }, (_, w) => `api-c${c}-w${w}`);
      let apiVersions = await Promise.all(names.map((n) => sandboxWithSettings(api.call, n)));
      const rawKeys = names.map((n) => ({ pk: `raw#${n}`, sk: 'settings' }));
      const rawVersions = await createSettingsObjects(objects, rawKeys);
      const apiWindow = async (durationMs: number) => {
        const res = await load.run({
          url: api.url,
          token: api.token,
          durationMs,
          sandboxes: names,
          versions: apiVersions,
          firstValue: value,
        });
        apiVersions = res.versions;
        value = res.nextValue;
        return res;
      };
      const rawOp = async (w: number) => {
        rawVersions[w] = await rawWrite(rawKeys[w]!, rawVersions[w]!, ++value);
      };
      await apiWindow(plan.warmupMs);
      await runWindow(c, plan.warmupMs, rawOp);
      rows.push(
        await overheadRow(
          c,
          plan.windows,
          {
            window: () => apiWindow(plan.windowMs),
            cpu: new CpuAccount({
              'HTTP client': load.pid,
              'server (bench)': process.pid,
              'DynamoDB Local': bench.db.pid,
            }),
            meter: apiMeter,
          },
          {
            window: () => runWindow(c, plan.windowMs, rawOp),
            cpu: new CpuAccount({ bench: process.pid, 'DynamoDB Local': bench.db.pid }),
            meter: rawMeter,
          },
        ),
      );
    }
  } finally {
    load.stop();
  }
  apiMeter.remove();
  rawMeter.remove();
  raw.destroy();
  objects.client.destroy();
  return { rows, request: captured };
}

export interface HandlerCpuRow {
  request: string;
  /** CPU µs per request outside the SDK's `send`, per window. */
  handler: Spread;
  /** CPU µs per request inside `send`, for context. */
  sdk: Spread;
  /**
   * The same, counting as SDK time only what runs inside the middleware stack (the work `send`
   * does before the stack runs then counts as the handler's).
   */
  handlerOutsideStack: Spread;
  /** Wall-clock ms per request. */
  latencyMs: Spread;
}

/**
 * The handler's own CPU per request: requests run one at a time, in process, through the real
 * Lambda entry points (middy, zod, the use-case, the store); the process CPU time of each
 * invocation minus the CPU time spent inside the SDK's `send` (a middleware at the outermost
 * step measures it) is what the handler itself costs.
 */
export async function measureHandlerCpu(
  api: LocalApi,
  plan: WindowPlan,
  requestsPerWindow: number,
): Promise<HandlerCpuRow[]> {
  const sdk = timeSend(api.store.client);
  const stack = meter(api.store.client, { cpu: true });
  const name = 'cpu-probe';
  let version = await sandboxWithSettings(api.call, name);
  const claims = { sub: 'bench', scope: 'shellgate:all' };
  const invoke = async (method: string, path: string, body?: unknown) => {
    const match = matchRoute(method, path);
    if (!match) throw new Error(`no route for ${method} ${path}`);
    const text = body === undefined ? '' : JSON.stringify(body);
    const event = toApiGatewayEvent(
      {
        method,
        path,
        rawQueryString: '',
        headers: text ? { 'content-type': 'application/json' } : {},
        body: text,
      },
      match,
      claims,
    );
    const fn = match.route.fn as FunctionName;
    const context = localContext(fn);
    const started = process.threadCpuUsage();
    const res = await api.handlers[fn](event, context);
    const cpu = process.threadCpuUsage(started);
    if (res.statusCode >= 300) throw new Error(`${method} ${path}: ${res.statusCode}`);
    return { cpu: cpu.user + cpu.system, body: JSON.parse(res.body) };
  };
  let value = 0;
  const requests: Record<string, () => Promise<{ cpu: number }>> = {
    'PUT setting (client-driven, 1 UpdateItem)': async () => {
      const res = await invoke('PUT', `/v1/sandboxes/${name}/config/settings/mode`, {
        value: ++value,
        expectedResourceVersion: version,
      });
      version = res.body.resourceVersion;
      return res;
    },
    'GET sandbox (1 GetItem)': () => invoke('GET', `/v1/sandboxes/${name}`),
  };

  const rows: HandlerCpuRow[] = [];
  for (const [label, request] of Object.entries(requests)) {
    for (let i = 0; i < requestsPerWindow; i++) await request();
    const handler: number[] = [];
    const inSdk: number[] = [];
    const latency: number[] = [];
    const stackOnly: number[] = [];
    for (let w = 0; w < plan.windows; w++) {
      sdk.reset();
      stack.reset();
      let total = 0;
      const started = performance.now();
      for (let i = 0; i < requestsPerWindow; i++) total += (await request()).cpu;
      latency.push((performance.now() - started) / requestsPerWindow);
      handler.push((total - sdk.cpuMicros) / requestsPerWindow);
      inSdk.push(sdk.cpuMicros / requestsPerWindow);
      stackOnly.push((total - stack.sdkCpuMicros) / requestsPerWindow);
    }
    rows.push({
      request: label,
      handler: spread(handler),
      sdk: spread(inSdk),
      handlerOutsideStack: spread(stackOnly),
      latencyMs: spread(latency),
    });
  }
  sdk.remove();
  stack.remove();
  return rows;
}
