import type { z } from 'zod/mini';
import type * as Views from '#lib/api/view-schemas.ts';

export type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/** Every scope a route may need, in the order the API lists them. */
export const ALL_SCOPES = [
  'provider:read',
  'provider:write',
  'sandbox:read',
  'sandbox:write',
  'config:read',
  'config:write',
  'inference:read',
  'inference:write',
  /** The in-sandbox supervisor's: submit drafts and read them (SPEC §7.3). */
  'policy:propose',
] as const;
export type Scope = (typeof ALL_SCOPES)[number];
/** Grants every scope. */
export const SUPER_SCOPE = 'shellgate:all';

type Schema = z.ZodMiniType;

/**
 * A valid request of the route, as it travels: path and query values as strings. Tests send it
 * as is (the auth matrix, the fuzz run's default model); a test checks that it passes the
 * route's own schemas.
 */
export interface Example {
  params?: Readonly<Record<string, string>>;
  query?: Readonly<Record<string, string>>;
  body?: Readonly<Record<string, unknown>>;
}

/**
 * What a route is to its callers, with nothing of how it is served: the HTTP binding
 * (`lib/http/routes/<fn>.ts`) adds the DynamoDB actions and the use-case. The OpenAPI
 * document, the typed client, the dev server's gateway, CDK's API routes and the tests read
 * contracts; a function's bundle loads only its own group's.
 */
export interface ContractSpec {
  method: Method;
  path: string;
  /** The client's method name, the OpenAPI operationId, the metrics' route dimension. */
  operationId: string;
  summary: string;
  /** Null: public. */
  scope: Scope | null;
  /** Further scopes that each also allow the route (any one of them, or `scope`, suffices). */
  alsoScopes?: readonly Scope[];
  params?: Schema;
  query?: Schema;
  body?: Schema;
  /**
   * The success body's shape, picked from the response schemas (`lib/api/view-schemas.ts`),
   * which only the OpenAPI document and the client load: the handlers never build them.
   */
  response(views: typeof Views): Schema;
  status: number;
  /**
   * Whether the route creates an object, so that a precondition is a mistake (as in
   * Kubernetes). An action on an object (approve a draft) is a POST that creates nothing.
   * @default whether the method is POST
   */
  creates?: boolean;
  /**
   * A write that creates the object when it is missing (a PUT; a draft submit, which otherwise
   * adds its hits to the draft of its dedupKey): then 201 with `Location`, else `status`.
   */
  upsert?: boolean;
  /**
   * Whether the success body is one object that an ETag names. A route acting on many objects
   * at once (approve-all, clear) answers none.
   * @default whether the route has a scope and its response is no list
   */
  etag?: boolean;
  /**
   * The success body's media type; anything but JSON is a string body sent as is.
   * @default application/json
   */
  mediaType?: string;
  /**
   * Whether the route answers 404 for a missing object (the OpenAPI document declares it). A
   * route whose path names no object that could be missing (an upsert, the global settings)
   * sets it to false. The other errors a route declares follow from what it is: 401/403 from
   * its scope, 409/412/422 from being a write, 415 from taking a body.
   * @default whether the route has path parameters
   */
  notFound?: boolean;
  /**
   * Top-level members of the success body that only this response may carry (a token shown
   * once). An idempotent replay answers them as `REDACTED`.
   */
  secrets?: readonly string[];
  example: Example;
}

/** A route's contract within its group: it knows the function that serves it. */
export type Contract<F extends string = string> = ContractSpec & { readonly fn: F };

type DeepReadonly<T> = T extends (infer E)[]
  ? readonly DeepReadonly<E>[]
  : T extends object
    ? { readonly [K in keyof T]: DeepReadonly<T[K]> }
    : T;

/** What a schema takes on the wire, as an example may write it. */
type Wire<S> = S extends Schema ? DeepReadonly<z.input<S>> : never;

/** The example a contract must carry: exactly the parts its schemas take. */
type ExampleOf<P, Q, B> = (P extends Schema ? { params: Wire<P> } : { params?: never }) &
  (Q extends Schema ? { query?: Partial<Wire<Q>> } : { query?: never }) &
  (B extends Schema ? { body: Wire<B> } : { body?: never });

/** A contract as written in its group's module, before its function is known. */
interface ContractInput<Id extends string, P, Q, B, R extends Schema, S>
  extends Omit<
    ContractSpec,
    'operationId' | 'params' | 'query' | 'body' | 'response' | 'secrets' | 'example'
  > {
  operationId: Id;
  params?: P;
  query?: Q;
  body?: B;
  response(views: typeof Views): R;
  secrets?: S;
  example: ExampleOf<P, Q, B>;
}

/**
 * A contract with the types of its own schemas (undefined: the route takes no such part), from
 * which the typed client and the bindings' `run` infer their inputs and results.
 */
export type TypedContract<
  Id extends string = string,
  P extends Schema | undefined = Schema | undefined,
  Q extends Schema | undefined = Schema | undefined,
  B extends Schema | undefined = Schema | undefined,
  R extends Schema = Schema,
> = ContractSpec & {
  readonly operationId: Id;
  readonly params: P;
  readonly query: Q;
  readonly body: B;
  response(views: typeof Views): R;
};

/**
 * One route's contract. Its example must fit its schemas, and its secrets must be members of
 * its response, or this does not compile.
 */
export function contract<
  const Id extends string,
  P extends Schema | undefined = undefined,
  Q extends Schema | undefined = undefined,
  B extends Schema | undefined = undefined,
  R extends Schema = Schema,
  const S extends readonly string[] = [],
>(
  spec: ContractInput<Id, P, Q, B, R, S>,
): S extends readonly (keyof z.output<R>)[]
  ? TypedContract<Id, P, Q, B, R>
  : { error: 'a secret is not a member of the response'; secrets: S } {
  return spec as never;
}

/** The routes one function serves, in the order the API lists them. */
export interface ContractGroup<F extends string = string, C extends TypedContract = TypedContract> {
  readonly fn: F;
  /** What the function's routes are about: its tag's description in the OpenAPI document. */
  readonly description: string;
  readonly contracts: readonly (C & { readonly fn: F })[];
}

/** The contracts of function `fn`, each marked with it. */
export function contractGroup<F extends string, C extends TypedContract>(
  fn: F,
  description: string,
  contracts: readonly C[],
): ContractGroup<F, C> {
  return { fn, description, contracts: contracts.map((c) => ({ ...c, fn })) };
}

/** The scopes that each allow a route (empty: public); `shellgate:all` allows every route. */
export const allowedScopes = (r: Pick<ContractSpec, 'scope' | 'alsoScopes'>): Scope[] =>
  r.scope === null ? [] : [r.scope, ...(r.alsoScopes ?? [])];

export const routeKey = (r: Pick<ContractSpec, 'method' | 'path'>) => `${r.method} ${r.path}`;

/** A route that creates an object takes no precondition. */
export const isCreate = (r: Pick<ContractSpec, 'method' | 'creates'>) =>
  r.creates ?? r.method === 'POST';

/** Mutating routes accept preconditions and Idempotency-Key. */
export const isMutating = (r: Pick<ContractSpec, 'method'>) => r.method !== 'GET';
