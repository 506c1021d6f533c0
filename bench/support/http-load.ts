/**
 * An HTTP load generator in a process of its own, so that the caller's work (building and
 * parsing HTTP) does not share the event loop of the server it measures, as a real client
 * never would. The parent sends one window at a time and gets back what was done.
 */
import { Agent, request } from 'node:http';
import { performance } from 'node:perf_hooks';

export interface LoadWindow {
  url: string;
  token: string;
  durationMs: number;
  /** One sandbox per worker and the version of its settings object. */
  sandboxes: string[];
  versions: number[];
  /** First setting value to write; each write uses the next. */
  firstValue: number;
}

export interface LoadResult {
  ops: number;
  seconds: number;
  versions: number[];
  nextValue: number;
  cpuMicros: number;
}

const agents = new Map<number, Agent>();

function put(
  agent: Agent,
  url: URL,
  token: string,
  path: string,
  body: string,
): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        agent,
        host: url.hostname,
        port: url.port,
        method: 'PUT',
        path,
        headers: {
          authorization: `Bearer ${token}`,
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(body),
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }),
        );
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

async function runLoad(w: LoadWindow): Promise<LoadResult> {
  const c = w.sandboxes.length;
  let agent = agents.get(c);
  if (!agent) {
    agent = new Agent({ keepAlive: true, maxSockets: c });
    agents.set(c, agent);
  }
  const url = new URL(w.url);
  const versions = [...w.versions];
  let value = w.firstValue;
  let ops = 0;
  const cpu = process.cpuUsage();
  const started = performance.now();
  const deadline = started + w.durationMs;
  await Promise.all(
    w.sandboxes.map(async (name, i) => {
      while (performance.now() < deadline) {
        const body = JSON.stringify({ value: value++, expectedResourceVersion: versions[i] });
        const res = await put(
          agent,
          url,
          w.token,
          `/v1/sandboxes/${name}/config/settings/mode`,
          body,
        );
        if (res.status !== 200) throw new Error(`setting write: ${res.status} ${res.text}`);
        versions[i] = (JSON.parse(res.text) as { resourceVersion: number }).resourceVersion;
        ops++;
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  const used = process.cpuUsage(cpu);
  return { ops, seconds, versions, nextValue: value, cpuMicros: used.user + used.system };
}

if (process.send) {
  process.on('message', (w: LoadWindow) => {
    runLoad(w).then(
      (result) => process.send?.({ result }),
      (err: Error) => process.send?.({ error: err.message }),
    );
  });
}
