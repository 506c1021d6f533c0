import { randomUUID } from 'node:crypto';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';
import type { z } from 'zod/mini';
import { REDACTED } from '#lib/api/render.ts';
import { isMutating, routeKey } from '#lib/contract/contract.ts';
import { newStats, type OperationContext } from '#lib/domain/context.ts';
import { type FieldViolation, InvalidArgument, NotFound, ShellgateError } from '#lib/errors.ts';
import type { Store } from '#lib/store/store.ts';
import { authorize, type Claims, principalOf } from './auth.ts';
import { parseBody } from './body.ts';
import type { HttpEvent } from './event.ts';
import {
  claim,
  complete,
  type IdempotencyScope,
  idempotencyScope,
  release,
  type StoredResponse,
} from './idempotency.ts';
import { logger, observeInvocation, recordMetrics } from './observability.ts';
import { parseIfNoneMatch, parsePreconditions } from './preconditions.ts';
import { type HttpResponse, methodNotAllowed, problemResponse } from './problem.ts';
import type { Reply, Route, RouteGroup } from './route.ts';
import { defaultStore } from './store.ts';

/** Zod issues → field violations with `body.`/`path.`/`query.` prefixes. */
function violations(where: string, error: z.core.$ZodError): FieldViolation[] {
  return error.issues.map((issue) => ({
    field: [where, ...issue.path.map(String)].join('.'),
    message:
      issue.code === 'unrecognized_keys'
        ? `unknown field(s): ${issue.keys.join(', ')}`
        : issue.code === 'invalid_key'
          ? // A map key's own rule says more than zod's "Invalid key in record".
            (issue.issues[0]?.message ?? issue.message)
          : issue.message,
  }));
}

interface ParsedInput {
  params: Record<string, unknown>;
  query: Record<string, unknown>;
  body: Record<string, unknown>;
}

function parseInput(route: Route, event: HttpEvent): ParsedInput {
  const errors: FieldViolation[] = [];
  const check = (where: string, schema: z.ZodMiniType | undefined, value: unknown) => {
    if (!schema) {
      const extra = Object.keys((value as object) ?? {});
      if (extra.length)
        errors.push({ field: `${where}.${extra[0]}`, message: 'is not a parameter of this route' });
      return {};
    }
    const res = schema.safeParse(value ?? {});
    if (!res.success) {
      errors.push(...violations(where, res.error));
      return {};
    }
    return res.data as Record<string, unknown>;
  };
  const params = check('path', route.params, event.pathParameters);
  const query = check('query', route.query, event.queryStringParameters);
  let body: Record<string, unknown> = {};
  const rawBody = parseBody(route, event);
  if (route.body) {
    if (typeof rawBody !== 'object' || rawBody === null || Array.isArray(rawBody)) {
      errors.push({ field: 'body', message: 'must be a JSON object' });
    } else {
      body = check('body', route.body, rawBody);
    }
  }
  if (errors.length) throw new InvalidArgument(errors);
  return { params, query, body };
}

export interface HandlerDeps {
  /** @default the table named by SHELLGATE_TABLE */
  store?: Store;
  /** For a request no route matched: the methods its path allows (a 405), or none (a 404). */
  allowedMethods?: (path: string) => Promise<readonly string[]>;
  /** When the answer must be sent (epoch ms); writes that re-apply until they commit stop then. */
  deadline?: number;
}

/** Time kept back from the function's deadline to answer a write that ran out of it. */
const ANSWER_MARGIN_MS = 2_000;

function respond(
  route: Route,
  status: number,
  body: unknown,
  headers: Record<string, string>,
): HttpResponse {
  const type = route.mediaType ?? 'application/json';
  return {
    statusCode: status,
    headers: { 'content-type': type, ...headers },
    body: type === 'application/json' ? JSON.stringify(body) : String(body),
  };
}

/** `If-None-Match` matched (RFC 9110 §15.4.5): the ETag, and no body or content headers. */
function notModified(etag: string): HttpResponse {
  return { statusCode: 304, headers: { etag }, body: '' };
}

/** A HEAD request gets the GET response's headers without its body (RFC 9110 §9.3.2). */
function withoutBody(response: HttpResponse): HttpResponse {
  return {
    ...response,
    headers: { ...response.headers, 'content-length': String(Buffer.byteLength(response.body)) },
    body: '',
  };
}

function replayResponse(replay: StoredResponse): HttpResponse {
  return {
    statusCode: replay.statusCode,
    headers: {
      'content-type': 'application/json',
      'idempotent-replayed': 'true',
      ...(replay.etag ? { etag: replay.etag } : {}),
      ...(replay.location ? { location: replay.location } : {}),
    },
    body: replay.body,
  };
}

/** What only the first response may carry (its contract's `secrets`) is not kept for replays. */
function withoutSecrets(route: Route, body: unknown): unknown {
  if (!route.secrets?.length || !body || typeof body !== 'object') return body;
  const redacted: Record<string, unknown> = { ...body };
  for (const field of route.secrets) if (field in redacted) redacted[field] = REDACTED;
  return redacted;
}

/**
 * Serves one request with the route it matched (none: 405 when its path is known, else 404):
 * validates, authorizes, applies preconditions and idempotency, runs the route's use-case, and
 * maps the result or error. A HEAD request is served by its GET route, without the body.
 */
export async function handleHttp(
  route: Route | undefined,
  event: HttpEvent,
  deps: HandlerDeps = {},
): Promise<HttpResponse> {
  const requestId = event.requestContext?.requestId ?? randomUUID();
  const stats = newStats();
  const outcome = await serve(route, event, requestId, stats, deps);
  const observed = {
    route: route?.operationId ?? 'unknown',
    status: outcome.response.statusCode,
    attempts: stats.attempts,
    resolvedByReceipt: stats.resolvedByReceipt,
  };
  logger.info('request', {
    requestId,
    ...observed,
    outcome: outcome.code ?? (outcome.replayed ? 'REPLAYED' : 'OK'),
  });
  recordMetrics({ ...observed, code: outcome.code, replayed: outcome.replayed });
  outcome.response.headers['x-request-id'] = requestId;
  return event.requestContext?.http?.method === 'HEAD' && outcome.response.statusCode !== 304
    ? withoutBody(outcome.response)
    : outcome.response;
}

interface Outcome {
  response: HttpResponse;
  /** The problem's code when the request failed. */
  code?: string;
  replayed: boolean;
}

/** Validates, authorizes, applies preconditions and idempotency, and runs the route. */
async function serve(
  route: Route | undefined,
  event: HttpEvent,
  requestId: string,
  stats: OperationContext['stats'],
  { store, allowedMethods, deadline }: HandlerDeps,
): Promise<Outcome> {
  const instance = event.rawPath ?? '';
  let ifMatch = false;
  try {
    if (!route) {
      const method = event.requestContext?.http?.method ?? '';
      const allowed = (await allowedMethods?.(instance)) ?? [];
      if (allowed.length) throw methodNotAllowed(method, instance, allowed);
      throw new NotFound('Route', `${method} ${instance}`);
    }
    const claims = event.requestContext?.authorizer?.jwt?.claims as Claims | undefined;
    authorize(route, claims);
    const input = parseInput(route, event);
    const pre = parsePreconditions(route, event.headers ?? {}, input);
    const ifNoneMatch = parseIfNoneMatch(route, event.headers ?? {});
    ifMatch = pre.fromIfMatch;
    const st = store ?? defaultStore();
    const idemKey = event.headers?.['idempotency-key'];
    const scope =
      isMutating(route) && idemKey !== undefined
        ? idempotencyScope(idemKey, principalOf(claims), {
            routeKey: event.routeKey,
            path: instance,
            query: event.rawQueryString ?? '',
            body: event.body ?? '',
          })
        : undefined;
    let receipt = requestId;
    if (scope) {
      const claimed = await claim(st, scope);
      if ('replay' in claimed) return { response: replayResponse(claimed.replay), replayed: true };
      receipt = claimed.requestId;
    }
    const ctx: OperationContext = {
      store: st,
      requestId: receipt,
      expectedResourceVersion: pre.expectedResourceVersion,
      expectedId: pre.expectedId,
      stats,
      ...(deadline !== undefined ? { deadline } : {}),
    };
    const response = await runRoute(route, input, ctx, scope);
    const etag = response.headers.etag;
    // The answer is the one the client holds: 304 with its ETag and no body.
    if (ifNoneMatch && etag !== undefined && response.statusCode === 200 && ifNoneMatch(etag)) {
      return { response: notModified(etag), replayed: false };
    }
    return { response, replayed: false };
  } catch (err) {
    const response = problemResponse(err, { instance, requestId, ifMatch });
    if (response.statusCode >= 500) {
      logger.error('request failed', {
        error: err instanceof Error ? { name: err.name, stack: err.stack } : String(err),
      });
    }
    return {
      response,
      code: err instanceof ShellgateError ? err.code : 'INTERNAL',
      replayed: false,
    };
  }
}

/** Failures after which the request's own write may have landed. */
const SERVER_FAILURES = new Set(['UNAVAILABLE', 'RESOURCE_EXHAUSTED', 'INTERNAL']);

/** Runs the use-case; with an idempotency claim, keeps its success or gives the key back. */
async function runRoute(
  route: Route,
  input: ParsedInput,
  ctx: OperationContext,
  scope: IdempotencyScope | undefined,
): Promise<HttpResponse> {
  let reply: Reply;
  try {
    reply = await route.run(ctx, input);
  } catch (err) {
    if (scope) {
      const refused = err instanceof ShellgateError && !SERVER_FAILURES.has(err.code);
      await release(ctx.store, scope, { refused }).catch(() => {});
    }
    throw err;
  }
  const status = reply.status ?? route.status;
  const etag = reply.etag ? `"${reply.etag.id}:${reply.etag.resourceVersion}"` : undefined;
  if (scope) {
    // The write took effect: it is answered as a success whatever happens to its record. A
    // record left running is taken over after its lease by a retry, which then finds its
    // receipt on what it wrote.
    await complete(ctx.store, scope, {
      statusCode: status,
      body: JSON.stringify(withoutSecrets(route, reply.body)),
      ...(etag ? { etag } : {}),
      ...(reply.location ? { location: reply.location } : {}),
    }).catch((err: unknown) => {
      logger.warn('idempotency record not completed', {
        error: err instanceof Error ? { name: err.name, message: err.message } : String(err),
      });
    });
  }
  return respond(route, status, reply.body, {
    ...(etag ? { etag } : {}),
    ...(reply.location ? { location: reply.location } : {}),
  });
}

/**
 * A Lambda entry point for one function's routes. It knows only `group`'s routes, so a bundle
 * holds only their schemas and use-cases; any other route key is a 404 (a 405 from the group
 * that answers unmatched requests, when the path is known). `HEAD <path>` is the GET route's.
 */
export function createHttpHandler(group: RouteGroup, deps: HandlerDeps = {}) {
  const byKey = new Map(group.routes.map((route) => [routeKey(route), route]));
  const routeOf = (key: string) => byKey.get(key.startsWith('HEAD ') ? `GET ${key.slice(5)}` : key);
  const withGroup: HandlerDeps = { allowedMethods: group.allowedMethods, ...deps };
  return middy<HttpEvent, HttpResponse, Error, Context>()
    .use(observeInvocation())
    .handler((event, context) =>
      handleHttp(routeOf(event.routeKey), event, {
        ...withGroup,
        deadline: Date.now() + context.getRemainingTimeInMillis() - ANSWER_MARGIN_MS,
      }),
    );
}
