import { isUtf8 } from 'node:buffer';
import { randomUUID } from 'node:crypto';
import type { Context } from 'aws-lambda';
import type { Contract } from '#lib/contract/contract.ts';
import { contracts, type FunctionName } from '#lib/contract/index.ts';
import type { HttpEvent } from '#lib/http/event.ts';
import { compilePath, matchPath, servingMethod } from '#lib/http/paths.ts';

const compiled = contracts.map((route) => ({ route, path: compilePath(route.path) }));

export interface RouteMatch {
  /** The contract of the route: what API Gateway knows of it. */
  route: Contract<FunctionName>;
  params: Record<string, string>;
}

/**
 * Matches like API Gateway: literal segments, `{param}` for one segment, values URL-decoded.
 * HEAD matches the GET route of the path (deployed, each GET route has a HEAD twin).
 */
export function matchRoute(method: string, path: string): RouteMatch | undefined {
  const serving = servingMethod(method);
  for (const c of compiled) {
    if (c.route.method !== serving) continue;
    const params = matchPath(c.path, path);
    if (params) return { route: c.route, params };
  }
  return undefined;
}

export interface RawRequest {
  method: string;
  path: string;
  rawQueryString: string;
  headers: Record<string, string>;
  /** Text, or the bytes as read: bytes that are not UTF-8 are passed base64-encoded. */
  body: string | Uint8Array;
  sourceIp?: string;
}

/**
 * The event's body as API Gateway passes it: text when it can, else base64 with
 * `isBase64Encoded`, which is how a body that is no UTF-8 text reaches the function.
 */
function eventBody(body: string | Uint8Array): { body?: string; isBase64Encoded: boolean } {
  if (body.length === 0) return { isBase64Encoded: false };
  if (typeof body === 'string') return { body, isBase64Encoded: false };
  const bytes = Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  return isUtf8(bytes)
    ? { body: bytes.toString('utf8'), isBase64Encoded: false }
    : { body: bytes.toString('base64'), isBase64Encoded: true };
}

/** The API Gateway HTTP API (payload 2.0) event a request becomes. */
export function toApiGatewayEvent(
  req: RawRequest,
  match: RouteMatch | undefined,
  claims: Record<string, unknown> | undefined,
): HttpEvent {
  const query = new URLSearchParams(req.rawQueryString);
  const queryStringParameters: Record<string, string> = {};
  for (const [k, v] of query) {
    // API Gateway joins repeated parameters with commas.
    queryStringParameters[k] = k in queryStringParameters ? `${queryStringParameters[k]},${v}` : v;
  }
  const now = new Date();
  // A HEAD request keeps its own method in the route key, as its deployed HEAD route does.
  const key = match
    ? `${req.method === 'HEAD' ? 'HEAD' : match.route.method} ${match.route.path}`
    : '$default';
  return {
    version: '2.0',
    routeKey: key,
    rawPath: req.path,
    rawQueryString: req.rawQueryString,
    headers: req.headers,
    queryStringParameters: Object.keys(queryStringParameters).length
      ? queryStringParameters
      : undefined,
    pathParameters: match && Object.keys(match.params).length ? match.params : undefined,
    ...eventBody(req.body),
    requestContext: {
      accountId: 'local',
      apiId: 'local',
      domainName: 'localhost',
      domainPrefix: 'localhost',
      http: {
        method: req.method,
        path: req.path,
        protocol: 'HTTP/1.1',
        sourceIp: req.sourceIp ?? '127.0.0.1',
        userAgent: req.headers['user-agent'] ?? '',
      },
      requestId: randomUUID(),
      routeKey: key,
      stage: '$default',
      time: now.toISOString(),
      timeEpoch: now.getTime(),
      authorizer: {
        principalId: String(claims?.sub ?? ''),
        integrationLatency: 0,
        jwt: { claims: (claims ?? {}) as Record<string, string>, scopes: [] },
      },
    },
  } as HttpEvent;
}

/** A Lambda context for a local invocation. */
export function localContext(functionName: string, timeoutMs = 29_000): Context {
  const deadline = Date.now() + timeoutMs;
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:local:000000000000:function:${functionName}`,
    memoryLimitInMB: '1024',
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: 'local',
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => {},
    fail: () => {},
    succeed: () => {},
  };
}
