import { isUtf8 } from 'node:buffer';
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { Context } from 'aws-lambda';
import type { FunctionName } from '#lib/contract/index.ts';
import { ShellgateError } from '#lib/errors.ts';
import type { HttpEvent } from '#lib/http/event.ts';
import { HttpRejection, type HttpResponse, problemResponse } from '#lib/http/problem.ts';
import { createGatewayAuthorizer } from './authorizer.ts';
import type { DevAuthority } from './dev-auth.ts';
import { localContext, matchRoute, toApiGatewayEvent } from './event.ts';
import {
  answerClientError,
  bodyTooLarge,
  headerLimitViolation,
  missingHost,
  NODE_MAX_HEADER_BYTES,
  RequestAborted,
  readBody,
  withinLambdaResponseLimit,
} from './platform.ts';

export type LambdaHttpHandler = (event: HttpEvent, context: Context) => Promise<HttpResponse>;

export interface DevServerOptions {
  port: number;
  /** @default 127.0.0.1 */
  host?: string;
  handlers: Record<FunctionName, LambdaHttpHandler>;
  authority: DevAuthority;
}

export interface DevServer {
  url: string;
  server: Server;
  close(): Promise<void>;
}

/**
 * Sends a whole answer with its length, as API Gateway does (never chunked). The answer to a
 * HEAD has no body but keeps the length its GET would have, which the handler states.
 */
function send(res: ServerResponse, out: HttpResponse): void {
  res.writeHead(out.statusCode, {
    ...out.headers,
    'content-length': out.headers['content-length'] ?? String(Buffer.byteLength(out.body)),
  });
  res.end(out.body);
}

/** The body of `POST /dev/token`: which scopes and how long, both optional. */
function tokenRequest(bytes: Buffer): { scopes?: string[]; ttlSeconds?: number } {
  if (!isUtf8(bytes)) throw new HttpRejection(400, 'body', 'is not valid UTF-8');
  const body = bytes.toString('utf8');
  const asked = body.trim() ? (JSON.parse(body) as unknown) : {};
  const { scopes, ttlSeconds } = (asked ?? {}) as { scopes?: unknown; ttlSeconds?: unknown };
  if (
    asked === null ||
    typeof asked !== 'object' ||
    Array.isArray(asked) ||
    (scopes !== undefined &&
      !(Array.isArray(scopes) && scopes.every((s) => typeof s === 'string'))) ||
    (ttlSeconds !== undefined && !Number.isInteger(ttlSeconds))
  ) {
    throw new HttpRejection(400, 'body', 'takes {scopes?: string[], ttlSeconds?: integer}');
  }
  return { scopes: scopes as string[] | undefined, ttlSeconds: ttlSeconds as number | undefined };
}

/**
 * Serves the contract table on a local port by turning each request into an API Gateway v2 event
 * for the very same handler modules, after what API Gateway does first: its payload and header
 * limits and its JWT authorizer (dev-key tokens). A handler's answer goes through Lambda's
 * response limit.
 */
export async function startDevServer(opts: DevServerOptions): Promise<DevServer> {
  const authorizer = createGatewayAuthorizer(opts.authority);

  // Node answers a missing Host with an empty 400 of its own; the handler answers it instead.
  const nodeOptions = { maxHeaderSize: NODE_MAX_HEADER_BYTES, requireHostHeader: false };
  const server = createServer(nodeOptions, async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const method = req.method ?? 'GET';
    const problem = (err: unknown) =>
      send(res, problemResponse(err, { instance: url.pathname, requestId: 'local' }));
    try {
      const read = await readBody(req);
      if (read.kind === 'past-payload-limit') {
        res.setHeader('connection', 'close');
        return problem(bodyTooLarge());
      }
      const headerViolation = missingHost(req) ?? headerLimitViolation(req);
      if (headerViolation) return problem(headerViolation);
      if (read.kind === 'too-large') return problem(bodyTooLarge());
      if (method === 'POST' && url.pathname === '/dev/token') {
        const token = await opts.authority.mint(tokenRequest(read.bytes));
        return send(res, {
          statusCode: 200,
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ token }),
        });
      }
      const match = matchRoute(method, url.pathname);
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(req.headers)) {
        if (v !== undefined) headers[k] = Array.isArray(v) ? v.join(',') : v;
      }
      const claims = await authorizer.authorize(match?.route, headers.authorization);
      const event = toApiGatewayEvent(
        {
          method,
          path: url.pathname,
          rawQueryString: url.search.slice(1),
          headers,
          body: read.bytes,
          sourceIp: req.socket.remoteAddress,
        },
        match,
        claims,
      );
      const fn = match?.route.fn ?? 'meta';
      send(res, withinLambdaResponseLimit(fn, await opts.handlers[fn](event, localContext(fn))));
    } catch (err) {
      // Nothing to answer: the connection is gone, or `clientError` has answered.
      if (err instanceof RequestAborted) return;
      if (err instanceof SyntaxError) {
        return problem(new HttpRejection(400, 'body', 'is not valid JSON'));
      }
      if (!(err instanceof ShellgateError) || err.code === 'INTERNAL') {
        console.error('dev server error', err);
      }
      problem(err);
    }
  });
  server.on('clientError', answerClientError);
  const host = opts.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, host, () => resolve());
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : opts.port;
  return {
    url: `http://${host}:${port}`,
    server,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
