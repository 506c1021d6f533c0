import { connect, type Socket } from 'node:net';

export interface RawResponse {
  status: number;
  /** Lower-case names; a repeated header's values joined with `, `. */
  headers: Record<string, string>;
  body: Buffer;
}

/**
 * One TCP connection to an HTTP/1.1 server, written to byte for byte: what `fetch` cannot send
 * (raw bytes in a path, a header past any client's limit) and what it hides (whether the next
 * request reuses the connection). Responses are read in order, by content-length or chunked.
 */
export class RawConnection {
  private readonly socket: Socket;
  private buffer = Buffer.alloc(0);
  private waiting: (() => void) | undefined;
  private ended = false;
  /** Resolves when the server has closed the connection (or reset it). */
  readonly closed: Promise<void>;

  private constructor(socket: Socket) {
    this.socket = socket;
    socket.on('data', (chunk: Buffer) => {
      this.buffer = Buffer.concat([this.buffer, chunk]);
      this.waiting?.();
    });
    this.closed = new Promise((resolve) => {
      const end = () => {
        this.ended = true;
        this.waiting?.();
        resolve();
      };
      socket.once('end', end);
      socket.once('close', end);
      // A reset after the server's answer is read is still a close; writes may fail with it.
      socket.on('error', () => {});
    });
  }

  static open(url: string): Promise<RawConnection> {
    const { hostname, port } = new URL(url);
    return new Promise((resolve, reject) => {
      const socket = connect(Number(port), hostname, () => resolve(new RawConnection(socket)));
      socket.once('error', reject);
    });
  }

  /** Writes bytes as they are; resolves when the kernel took them (or the connection failed). */
  write(data: string | Buffer): Promise<void> {
    return new Promise((resolve) => {
      if (this.socket.destroyed) return resolve();
      this.socket.write(typeof data === 'string' ? Buffer.from(data, 'latin1') : data, () =>
        resolve(),
      );
    });
  }

  /** The next response on the connection. */
  async response(): Promise<RawResponse> {
    for (;;) {
      const parsed = this.parse();
      if (parsed) return parsed;
      if (this.ended)
        throw new Error(
          `the connection closed before a whole response: ${this.buffer.length} bytes`,
        );
      await new Promise<void>((resolve) => {
        this.waiting = resolve;
      });
      this.waiting = undefined;
    }
  }

  private parse(): RawResponse | undefined {
    const end = this.buffer.indexOf('\r\n\r\n');
    if (end === -1) return undefined;
    const [statusLine = '', ...lines] = this.buffer
      .subarray(0, end)
      .toString('latin1')
      .split('\r\n');
    const headers: Record<string, string> = {};
    for (const line of lines) {
      const colon = line.indexOf(':');
      const name = line.slice(0, colon).trim().toLowerCase();
      const value = line.slice(colon + 1).trim();
      headers[name] = name in headers ? `${headers[name]}, ${value}` : value;
    }
    const status = Number(statusLine.split(' ')[1]);
    if (headers['transfer-encoding'] === 'chunked') {
      const chunked = dechunk(this.buffer.subarray(end + 4));
      if (!chunked) return undefined;
      this.buffer = this.buffer.subarray(end + 4 + chunked.length);
      return { status, headers, body: chunked.body };
    }
    const length = Number(headers['content-length'] ?? 0);
    if (this.buffer.length < end + 4 + length) return undefined;
    const body = this.buffer.subarray(end + 4, end + 4 + length);
    this.buffer = this.buffer.subarray(end + 4 + length);
    return { status, headers, body };
  }

  destroy(): void {
    this.socket.destroy();
  }
}

/** A whole chunked body at the start of `data` and the bytes it took, or undefined if partial. */
function dechunk(data: Buffer): { body: Buffer; length: number } | undefined {
  const chunks: Buffer[] = [];
  let at = 0;
  for (;;) {
    const eol = data.indexOf('\r\n', at);
    if (eol === -1) return undefined;
    const size = Number.parseInt(data.subarray(at, eol).toString('latin1'), 16);
    if (data.length < eol + 2 + size + 2) return undefined;
    chunks.push(data.subarray(eol + 2, eol + 2 + size));
    at = eol + 2 + size + 2;
    if (size === 0) return { body: Buffer.concat(chunks), length: at };
  }
}

/** An HTTP/1.1 request's bytes; `content-length` is added for a body unless a header says how. */
export function rawRequest(
  method: string,
  target: string | Buffer,
  headers: Record<string, string>,
  body?: string | Buffer,
): Buffer {
  const framed =
    body === undefined || 'content-length' in headers || 'transfer-encoding' in headers
      ? headers
      : { ...headers, 'content-length': String(Buffer.byteLength(body)) };
  const lines = Object.entries(framed).map(([k, v]) => `${k}: ${v}\r\n`);
  return Buffer.concat([
    Buffer.from(`${method} `),
    typeof target === 'string' ? Buffer.from(target, 'latin1') : target,
    Buffer.from(` HTTP/1.1\r\n${lines.join('')}\r\n`, 'latin1'),
    typeof body === 'string' ? Buffer.from(body) : (body ?? Buffer.alloc(0)),
  ]);
}
