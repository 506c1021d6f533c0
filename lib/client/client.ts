import { randomUUID } from 'node:crypto';
import { contractsById, type OperationId, operationIds } from '#lib/contract/index.ts';
import { ApiError, ConnectionError } from './errors.ts';
import type {
  OperationInput,
  OperationMethods,
  OperationResponse,
  OperationResult,
  RequestOptions,
} from './types.ts';

export interface ClientOptions {
  /** Base URL of the API, e.g. `http://127.0.0.1:8080`. */
  endpoint: string;
  /** Bearer token; public routes work without one. */
  token?: string;
  /**
   * Extra attempts after a throttled (429), unavailable (503) or dropped request. Writes are
   * retried with the same `Idempotency-Key`, so a write that already took effect is answered
   * with its original success. @default 2
   */
  retries?: number;
  /** Per attempt. @default 30 000 */
  timeoutMs?: number;
  /** Longest wait between attempts, whatever `Retry-After` says. @default 5 000 */
  maxRetryDelayMs?: number;
  /** @default `shellgate-client` */
  userAgent?: string;
  /** @default globalThis.fetch */
  fetch?: typeof fetch;
}

type QueryValue = string | number | boolean | Record<string, string> | undefined | null;

/** `labelSelector` and other maps travel as `k=v,k2=v2`. */
function queryValue(value: Exclude<QueryValue, undefined | null>): string {
  if (typeof value === 'object') {
    return Object.entries(value)
      .map(([k, v]) => `${k}=${v}`)
      .join(',');
  }
  return String(value);
}

/** Fills `{name}` segments of a route path with URL-encoded values. */
export function buildPath(
  template: string,
  params: Record<string, string | number> = {},
  query: Record<string, QueryValue> = {},
): string {
  const path = template.replace(/\{(\w+)\}/g, (_, key: string) => {
    const value = params[key];
    if (value === undefined || value === '') throw new TypeError(`missing path parameter ${key}`);
    return encodeURIComponent(String(value));
  });
  const search = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) {
    if (v !== undefined && v !== null) search.set(k, queryValue(v));
  }
  const qs = search.toString();
  return qs ? `${path}?${qs}` : path;
}

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener(
      'abort',
      () => {
        clearTimeout(timer);
        reject(signal.reason);
      },
      { once: true },
    );
  });

/** Whether a failed attempt may be sent again (a write only with its idempotency key). */
function retryable(err: unknown): boolean {
  if (err instanceof ApiError) return err.status === 429 || err.status === 503;
  if (err instanceof ConnectionError) {
    // Refused: nothing listens there; trying again at once would not change that.
    const code = (err.cause as { cause?: { code?: string } })?.cause?.code;
    return code !== 'ECONNREFUSED' && code !== 'ENOTFOUND';
  }
  return false;
}

class ClientCore {
  readonly endpoint: string;
  readonly #token?: string;
  readonly #retries: number;
  readonly #timeoutMs: number;
  readonly #maxRetryDelayMs: number;
  readonly #userAgent: string;
  readonly #fetch: typeof fetch;

  constructor(options: ClientOptions) {
    this.endpoint = options.endpoint.replace(/\/+$/, '');
    this.#token = options.token;
    this.#retries = options.retries ?? 2;
    this.#timeoutMs = options.timeoutMs ?? 30_000;
    this.#maxRetryDelayMs = options.maxRetryDelayMs ?? 5_000;
    this.#userAgent = options.userAgent ?? 'shellgate-client';
    this.#fetch = options.fetch ?? globalThis.fetch;
  }

  /**
   * Sends one operation and answers its status, ETag and body; an error response throws
   * {@link ApiError}, a failed connection {@link ConnectionError}.
   */
  async request<K extends OperationId>(
    operationId: K,
    input: OperationInput<K> = {} as OperationInput<K>,
    options: RequestOptions = {},
  ): Promise<OperationResponse<K>> {
    const op = contractsById[operationId];
    const { params, query, body } = input as {
      params?: Record<string, string | number>;
      query?: Record<string, QueryValue>;
      body?: unknown;
    };
    const url = `${this.endpoint}${buildPath(op.path, params, query)}`;
    const mutating = op.method !== 'GET';
    const headers: Record<string, string> = {
      accept: 'application/json',
      'user-agent': this.#userAgent,
      ...(this.#token ? { authorization: `Bearer ${this.#token}` } : {}),
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      ...(mutating ? { 'idempotency-key': options.idempotencyKey ?? randomUUID() } : {}),
      ...(options.ifMatch ? { 'if-match': options.ifMatch } : {}),
      ...options.headers,
    };
    const payload = body === undefined ? undefined : JSON.stringify(body);

    for (let attempt = 0; ; attempt++) {
      try {
        return await this.#attempt(operationId, url, op.method, headers, payload, options.signal);
      } catch (err) {
        if (attempt >= this.#retries || !retryable(err) || options.signal?.aborted) throw err;
        const advised = err instanceof ApiError ? err.retryAfterSeconds : undefined;
        const backoff = 200 * 2 ** attempt * (0.5 + Math.random() / 2);
        await sleep(
          Math.min(this.#maxRetryDelayMs, advised !== undefined ? advised * 1000 : backoff),
          options.signal,
        );
      }
    }
  }

  async #attempt<K extends OperationId>(
    operationId: K,
    url: string,
    method: string,
    headers: Record<string, string>,
    payload: string | undefined,
    signal: AbortSignal | undefined,
  ): Promise<OperationResponse<K>> {
    const timeout = AbortSignal.timeout(this.#timeoutMs);
    let res: Response;
    let text: string;
    try {
      res = await this.#fetch(url, {
        method,
        headers,
        body: payload,
        signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
      });
      text = await res.text();
    } catch (err) {
      if (signal?.aborted) throw err;
      throw new ConnectionError(operationId, this.endpoint, timeout.aborted ? timeout.reason : err);
    }
    if (!res.ok) throw ApiError.fromResponse(operationId, res.status, text, res.headers);
    return {
      status: res.status,
      etag: res.headers.get('etag') ?? undefined,
      headers: res.headers,
      body: (text && /json/.test(res.headers.get('content-type') ?? 'json')
        ? JSON.parse(text)
        : text || undefined) as OperationResult<K>,
    };
  }
}

for (const id of operationIds) {
  Object.defineProperty(ClientCore.prototype, id, {
    value(this: ClientCore, input?: OperationInput<typeof id>, options?: RequestOptions) {
      return this.request(id, input, options).then((r) => r.body);
    },
    writable: true,
    configurable: true,
  });
}

/**
 * A typed client of the shellgate HTTP API with one method per route, named by its contract's
 * `operationId`: `client.getSandbox({ params: { name: 'dev' } })`. Method and path come from the
 * contract table (`lib/contract/`), request and response types from its zod schemas.
 */
export type ShellgateClient = ClientCore & OperationMethods;
export const ShellgateClient = ClientCore as new (options: ClientOptions) => ShellgateClient;
