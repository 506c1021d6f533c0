import { createServer, type IncomingMessage } from 'node:http';

export interface ProxiedRequest {
  method: string;
  /** Path and query string. */
  url: string;
  body: string;
}

export interface InterposingProxy {
  url: string;
  /** Every request that passed, in order. */
  requests: ProxiedRequest[];
  close(): Promise<void>;
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * An HTTP proxy to `target` that calls `before` with each request and forwards it only once
 * `before` has finished: a test can make a concurrent write land exactly between a client's
 * read and its write.
 */
export async function startInterposingProxy(
  target: string,
  before: (req: ProxiedRequest) => Promise<void> | void = () => {},
): Promise<InterposingProxy> {
  const requests: ProxiedRequest[] = [];
  const server = createServer(async (req, res) => {
    try {
      const request = {
        method: req.method ?? 'GET',
        url: req.url ?? '/',
        body: await readBody(req),
      };
      requests.push(request);
      await before(request);
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(req.headers)) {
        if (v !== undefined && k !== 'host' && k !== 'connection') {
          headers[k] = Array.isArray(v) ? v.join(',') : v;
        }
      }
      const upstream = await fetch(`${target}${request.url}`, {
        method: request.method,
        headers,
        body: request.body === '' ? undefined : request.body,
      });
      const out: Record<string, string> = {};
      upstream.headers.forEach((v, k) => {
        if (k !== 'content-length' && k !== 'transfer-encoding' && k !== 'connection') out[k] = v;
      });
      res.writeHead(upstream.status, out);
      res.end(await upstream.text());
    } catch (err) {
      res.writeHead(502, { 'content-type': 'text/plain' });
      res.end(String(err));
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
