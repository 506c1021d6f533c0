import type { FunctionName } from '#lib/contract/index.ts';
import { createHttpHandler } from '#lib/http/handler.ts';
import { routeGroups } from '#lib/http/routes.ts';
import type { Store } from '#lib/store/store.ts';
import { localContext, matchRoute, toApiGatewayEvent } from '#local/event.ts';
import { assertNoSecrets, registerSecrets } from './secrets.ts';
import { createTestStore, unreachableStore } from './store.ts';

export interface CallOptions {
  body?: unknown;
  /** Sent as is, instead of JSON-encoding `body`. */
  rawBody?: string;
  headers?: Record<string, string>;
  /** Scopes of the caller's token; null: no token at all. @default ['shellgate:all'] */
  scopes?: string[] | null;
  /** The token's claims as they are, instead of a token of `scopes` for `test-user`. */
  claims?: Record<string, string>;
}

export interface ApiResponse {
  status: number;
  headers: Record<string, string>;
  // biome-ignore lint/suspicious/noExplicitAny: tests read whatever the route returned.
  body: any;
}

export type Call = (method: string, path: string, opts?: CallOptions) => Promise<ApiResponse>;

/**
 * Calls the real Lambda handlers in-process with API Gateway v2 events, as the authorizer
 * would pass them (claims already verified), over a table of the test file's own.
 */
export async function createTestApi(store?: Store): Promise<{ store: Store; call: Call }> {
  const s = store ?? (await createTestStore());
  return { store: s, call: callHandlers(s) };
}

/**
 * The same calls over a store that no request reaches (`unreachableStore`): for offline tests
 * of what the handlers decide before they read or write. `reached` lists the commands that
 * tried; such a request fails as a 500.
 */
export function createOfflineApi(): { call: Call; reached: readonly string[] } {
  const { store, reached } = unreachableStore();
  return { call: callHandlers(store), reached };
}

/** A `Call` over the handlers of every function, each built over `store`. */
function callHandlers(s: Store): Call {
  const handlers = Object.fromEntries(
    Object.values(routeGroups).map((group) => [group.fn, createHttpHandler(group, { store: s })]),
  ) as Record<FunctionName, ReturnType<typeof createHttpHandler>>;

  const call: Call = async (method, path, opts = {}) => {
    const [p = '', q = ''] = path.split('?');
    const match = matchRoute(method, p);
    const body = opts.rawBody ?? (opts.body === undefined ? '' : JSON.stringify(opts.body));
    registerSecrets(opts.body);
    const headers: Record<string, string> = {
      ...(body ? { 'content-type': 'application/json' } : {}),
      ...Object.fromEntries(
        Object.entries(opts.headers ?? {}).map(([k, v]) => [k.toLowerCase(), v]),
      ),
    };
    const claims =
      opts.claims ??
      (opts.scopes === null
        ? undefined
        : { sub: 'test-user', scope: (opts.scopes ?? ['shellgate:all']).join(' ') });
    const event = toApiGatewayEvent(
      { method, path: p, rawQueryString: q, headers, body },
      match,
      claims,
    );
    const fn = match?.route.fn ?? 'meta';
    const res = await handlers[fn](event, localContext(fn));
    assertNoSecrets(res.body);
    assertNoSecrets(JSON.stringify(res.headers));
    return {
      status: res.statusCode,
      headers: res.headers,
      body: res.headers['content-type']?.startsWith('text/html')
        ? res.body
        : res.body
          ? JSON.parse(res.body)
          : undefined,
    };
  };
  return call;
}
