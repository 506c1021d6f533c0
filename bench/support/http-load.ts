/**
 * An HTTP load generator in a process of its own, so that the caller's work (building and
 * parsing HTTP) does not share the event loop of the server it measures, as a real client
 * never would. The parent sends one window at a time and gets back what was done.
 */
import { connect, type Socket } from 'node:net';
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

/**
 * One keep-alive HTTP/1.1 connection that sends a request and reads its response (status line,
 * headers, a Content-Length or chunked body) — the least a caller can do, so that on a two-core
 * machine the caller takes as little CPU as possible from the server it measures.
 */
class Connection {
  private socket: Socket | undefined;
  private buffer: Buffer = Buffer.alloc(0);
  private waiting: ((res: { status: number; body: string }) => void) | undefined;
  private failed: ((err: Error) => void) | undefined;
  private readonly host: string;
  private readonly port: number;

  constructor(url: URL) {
    this.host = url.hostname;
    this.port = Number(url.port);
  }

  private open(): Promise<Socket> {
    return new Promise((resolve, reject) => {
      const socket = connect({ host: this.host, port: this.port, noDelay: true }, () =>
        resolve(socket),
      );
      socket.on('data', (chunk: Buffer) => this.onData(chunk));
      socket.on('error', (err) => {
        this.socket = undefined;
        this.failed?.(err);
        reject(err);
      });
      socket.on('close', () => {
        this.socket = undefined;
      });
    });
  }

  private onData(chunk: Buffer): void {
    this.buffer = this.buffer.length ? Buffer.concat([this.buffer, chunk]) : chunk;
    const response = this.parse();
    if (!response) return;
    const done = this.waiting;
    this.waiting = undefined;
    done?.(response);
  }

  /** A whole response at the start of the buffer (then consumed), or undefined for more data. */
  private parse(): { status: number; body: string } | undefined {
    const end = this.buffer.indexOf('\r\n\r\n');
    if (end < 0) return undefined;
    const head = this.buffer.subarray(0, end).toString('latin1');
    const status = Number(head.slice(9, 12));
    const length = /\r\ncontent-length:\s*(\d+)/i.exec(head);
    if (length) {
      const size = Number(length[1]);
      if (this.buffer.length < end + 4 + size) return undefined;
      const body = this.buffer.subarray(end + 4, end + 4 + size).toString('utf8');
      this.buffer = this.buffer.subarray(end + 4 + size);
      return { status, body };
    }
    if (!/\r\ntransfer-encoding:\s*chunked/i.test(head)) {
      this.failed?.(new Error(`response without a length: ${head}`));
      return undefined;
    }
    const parts: Buffer[] = [];
    let at = end + 4;
    for (;;) {
      const line = this.buffer.indexOf('\r\n', at);
      if (line < 0) return undefined;
      const size = Number.parseInt(this.buffer.subarray(at, line).toString('latin1'), 16);
      if (this.buffer.length < line + 2 + size + 2) return undefined;
      if (size === 0) {
        this.buffer = this.buffer.subarray(line + 4);
        return { status, body: Buffer.concat(parts).toString('utf8') };
      }
      parts.push(this.buffer.subarray(line + 2, line + 2 + size));
      at = line + 2 + size + 2;
    }
  }

  async send(request: string): Promise<{ status: number; body: string }> {
    this.socket ??= await this.open();
    const socket = this.socket;
    return new Promise((resolve, reject) => {
      this.waiting = resolve;
      this.failed = reject;
      socket.write(request);
    });
  }

  close(): void {
    this.socket?.destroy();
  }
}

const pools = new Map<string, Connection[]>();

function settingWrite(host: string, token: string, sandbox: string, body: string): string {
  return (
    `PUT /v1/sandboxes/${sandbox}/config/settings/mode HTTP/1.1\r\n` +
    `host: ${host}\r\n` +
    `authorization: Bearer ${token}\r\n` +
    'content-type: application/json\r\n' +
    `content-length: ${Buffer.byteLength(body)}\r\n` +
    'connection: keep-alive\r\n\r\n' +
    body
  );
}

async function runLoad(w: LoadWindow): Promise<LoadResult> {
  const url = new URL(w.url);
  const key = `${w.url} ${w.sandboxes.length}`;
  let pool = pools.get(key);
  if (!pool) {
    pool = w.sandboxes.map(() => new Connection(url));
    pools.set(key, pool);
  }
  const connections = pool;
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
        const res = await connections[i]!.send(settingWrite(url.host, w.token, name, body));
        if (res.status !== 200) throw new Error(`setting write: ${res.status} ${res.body}`);
        versions[i] = (JSON.parse(res.body) as { resourceVersion: number }).resourceVersion;
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
