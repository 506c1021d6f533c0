import type { ApiResponse } from './api.ts';
import { assertNoSecrets, registerSecrets } from './secrets.ts';

export interface HttpCallOptions {
  body?: unknown;
  /** Sent as is, instead of JSON-encoding `body`. */
  rawBody?: string;
  headers?: Record<string, string>;
  /** The bearer token; null: no Authorization header. @default the client's token */
  token?: string | null;
}

export type HttpCall = (
  method: string,
  path: string,
  opts?: HttpCallOptions,
) => Promise<ApiResponse & { text: string }>;

/**
 * Calls a running server (the dev server) over HTTP. Like the in-process helper, it registers
 * the credentials it sends and checks every response, headers and body, for all registered
 * secrets before the test sees it.
 */
export function createHttpCall(baseUrl: string, defaultToken?: string): HttpCall {
  return async (method, path, opts = {}) => {
    registerSecrets(opts.body);
    const body = opts.rawBody ?? (opts.body === undefined ? undefined : JSON.stringify(opts.body));
    const token = opts.token === undefined ? defaultToken : opts.token;
    const res = await fetch(`${baseUrl}${path}`, {
      method,
      headers: {
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...opts.headers,
      },
      body,
    });
    const text = await res.text();
    const headers = Object.fromEntries(res.headers);
    assertNoSecrets(text);
    assertNoSecrets(JSON.stringify(headers));
    // The reference page is HTML; every other answer is JSON and must parse as such.
    if (headers['content-type']?.startsWith('text/html')) {
      return { status: res.status, headers, body: text, text };
    }
    let parsed: unknown;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      throw new Error(`${method} ${path} answered ${res.status} with a body that is not JSON`);
    }
    return { status: res.status, headers, body: parsed, text };
  };
}
