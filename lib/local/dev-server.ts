import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Context } from 'aws-lambda';
import type { JWTPayload } from 'jose';
import { ShellgateError, Unauthenticated } from '#lib/errors.ts';
import { authorize } from '#lib/http/auth.ts';
import type { HttpEvent } from '#lib/http/handler.ts';
import { MAX_BODY_BYTES } from '#lib/http/body.ts';
import { HttpRejection, type HttpResponse, problemResponse } from '#lib/http/problem.ts';
import type { FunctionName } from '#lib/http/route.ts';
import type { DevAuthority } from './dev-auth.ts';
import { localContext, matchRoute, toApiGatewayEvent } from './event.ts';

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

class TooLarge extends Error {}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES + 1024) throw new TooLarge();
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function send(res: ServerResponse, out: HttpResponse): void {
  res.writeHead(out.statusCode, out.headers);
  res.end(out.body);
}

/** API Gateway hands claims to the function as strings. */
function asGatewayClaims(payload: Record<string, unknown>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(payload).map(([k, v]) => [
      k,
      typeof v === 'string' ? v : Array.isArray(v) ? `[${v.join(' ')}]` : String(v),
    ]),
  );
}

/**
 * API Gateway's JWT authorizer also requires `exp` and refuses an `iat` in the future; the
 * signature, issuer, audience, `exp` and `nbf` checks are the authority's.
 */
/** Verified tokens kept at most; the cache starts over past it. */
const MAX_CACHED_TOKENS = 1000;

function checkTimes(payload: JWTPayload): JWTPayload {
  const now = Math.floor(Date.now() / 1000);
  if (typeof payload.exp !== 'number') throw new Error('the token has no exp claim');
  if (payload.iat !== undefined && payload.iat > now) throw new Error('the token is issued later');
  return payload;
}

/** The body of `POST /dev/token`: which scopes and how long, both optional. */
function tokenRequest(body: string): { scopes?: string[]; ttlSeconds?: number } {
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
 * Serves the route table on a local port by turning each request into an API Gateway v2 event
 * for the very same handler modules, after the JWT authorizer step (dev-key tokens).
 */
export async function startDevServer(opts: DevServerOptions): Promise<DevServer> {
  // A token's signature is checked once; its claims are reused until it expires.
  const verified = new Map<string, { claims: Record<string, string>; exp: number }>();
  const verifiedClaims = async (token: string): Promise<Record<string, string>> => {
    const hit = verified.get(token);
    if (hit && hit.exp > Date.now() / 1000) return hit.claims;
    let payload: JWTPayload;
    try {
      payload = checkTimes(await opts.authority.verify(token));
    } catch {
      verified.delete(token);
      throw new Unauthenticated('The bearer token is invalid or expired.');
    }
    const claims = asGatewayClaims(payload);
    if (verified.size >= MAX_CACHED_TOKENS) verified.clear();
    verified.set(token, { claims, exp: payload.exp as number });
    return claims;
  };

  const server = createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const method = req.method ?? 'GET';
    const problem = (err: unknown) =>
      send(res, problemResponse(err, { instance: url.pathname, requestId: 'local' }));
    try {
      const body = await readBody(req);
      if (method === 'POST' && url.pathname === '/dev/token') {
        const token = await opts.authority.mint(tokenRequest(body));
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
      let claims: Record<string, string> | undefined;
      if (match?.route.scope) {
        const auth = headers.authorization ?? '';
        const m = /^Bearer\s+(\S+)$/i.exec(auth);
        if (!m) throw new Unauthenticated();
        claims = await verifiedClaims(m[1]!);
        authorize(match.route, claims);
      }
      const event = toApiGatewayEvent(
        {
          method,
          path: url.pathname,
          rawQueryString: url.search.slice(1),
          headers,
          body,
          sourceIp: req.socket.remoteAddress,
        },
        match,
        claims,
      );
      const fn = match?.route.fn ?? 'meta';
      send(res, await opts.handlers[fn](event, localContext(fn)));
    } catch (err) {
      if (err instanceof TooLarge) {
        return problem(new HttpRejection(413, 'body', `must be at most ${MAX_BODY_BYTES} bytes`));
      }
      if (err instanceof SyntaxError) {
        return problem(new HttpRejection(400, 'body', 'is not valid JSON'));
      }
      if (!(err instanceof ShellgateError) || err.code === 'INTERNAL') {
        console.error('dev server error', err);
      }
      problem(err);
    }
  });
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
