import type { ContractSpec } from '#lib/contract/contract.ts';
import { encodeJson } from './values.ts';

/** A request under construction: a valid base, then perturbations, then breakers. */
export interface FuzzRequest {
  /** Path parameter values, not yet encoded. */
  params: Record<string, string>;
  query: Array<[string, string]>;
  headers: Record<string, string>;
  /** The JSON body (RawJson fragments allowed); undefined: no body. */
  json?: unknown;
  /** A raw body text, sent instead of `json`. */
  text?: string;
}

/**
 * The order in which the handler checks a request: the first broken rule in this order decides
 * the answer. Field violations (stage `fields`) are all reported together.
 */
export const Stage = {
  /** No route matches (an empty path segment): 404. */
  route: 0,
  bodySize: 1.0,
  bodyNotTaken: 1.1,
  contentType: 1.2,
  json: 1.3,
  /** JSON that no field accepts: lone surrogates, `__proto__` and empty keys, nesting past 32. */
  plainJson: 1.4,
  fields: 2,
  ifMatch: 3,
  idempotencyKey: 4,
  idempotencyMismatch: 5,
  /** Valid input that the stored state refuses. */
  state: 6,
} as const;

export interface Expectation {
  status: number;
  code: string;
  /** For 400/413/415: a violation of this field or of something inside it. */
  field?: string;
  /** For ABORTED: the version the conflict reports. */
  currentResourceVersion?: number;
}

export interface Breaker {
  /** The rule it breaks, e.g. `body.labels: key syntax`. */
  rule: string;
  stage: number;
  /**
   * The parts of the request it decides. Two breakers of one case never share a slot, nor does
   * one's slot contain the other's (`body` contains `body.name`).
   */
  slots: string[];
  apply(req: FuzzRequest): void;
  expect: Expectation;
}

export const invalidField = (field: string): Expectation => ({
  status: 400,
  code: 'INVALID_ARGUMENT',
  field,
});

export function slotsConflict(a: Breaker, b: Breaker): boolean {
  return a.slots.some((x) =>
    b.slots.some((y) => x === y || x.startsWith(`${y}.`) || y.startsWith(`${x}.`)),
  );
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  v !== null && typeof v === 'object' && !Array.isArray(v);

/** Sets a body member, creating the objects on the way; `__proto__` becomes an own key. */
export function setAt(req: FuzzRequest, path: readonly string[], value: unknown): void {
  if (!isObject(req.json)) req.json = {};
  let node = req.json as Record<string, unknown>;
  for (const key of path.slice(0, -1)) {
    if (!isObject(node[key])) define(node, key, {});
    node = node[key] as Record<string, unknown>;
  }
  define(node, path[path.length - 1]!, value);
}

function define(node: Record<string, unknown>, key: string, value: unknown) {
  Object.defineProperty(node, key, { value, enumerable: true, writable: true, configurable: true });
}

export function deleteAt(req: FuzzRequest, path: readonly string[]): void {
  let node = req.json;
  for (const key of path.slice(0, -1)) {
    if (!isObject(node)) return;
    node = node[key];
  }
  if (isObject(node)) delete node[path[path.length - 1]!];
}

export function setQuery(req: FuzzRequest, name: string, value: string): void {
  req.query = [...req.query.filter(([k]) => k !== name), [name, value]];
}

/** The path, query string and body text of a request to `route`. */
export function encodeRequest(route: Pick<ContractSpec, 'path'>, req: FuzzRequest) {
  const path = route.path.replace(/\{(\w+)\}/g, (_, p: string) =>
    encodeURIComponent(req.params[p] ?? ''),
  );
  const query = req.query
    .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`)
    .join('&');
  const body = req.text ?? (req.json === undefined ? undefined : encodeJson(req.json));
  return { url: query ? `${path}?${query}` : path, body };
}
