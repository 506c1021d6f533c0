import type { z } from 'zod/mini';
import type * as Views from '#lib/api/view-schemas.ts';
import type { OperationContext } from '#lib/domain/context.ts';
import type { Page, StoredObject } from '#lib/store/types.ts';

export type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/** The Lambda functions routes are grouped into; each gets only its routes' permissions. */
export type FunctionName = 'providers' | 'sandboxes' | 'config' | 'sessions' | 'inference' | 'meta';

export type Scope =
  | 'provider:read'
  | 'provider:write'
  | 'sandbox:read'
  | 'sandbox:write'
  | 'config:read'
  | 'config:write'
  | 'inference:read'
  | 'inference:write';

export const ALL_SCOPES: readonly Scope[] = [
  'provider:read',
  'provider:write',
  'sandbox:read',
  'sandbox:write',
  'config:read',
  'config:write',
  'inference:read',
  'inference:write',
];
export const SUPER_SCOPE = 'shellgate:all';

/** DynamoDB actions a route's use-case performs; CDK grants each function exactly their union. */
export type DynamoAction =
  | 'dynamodb:GetItem'
  | 'dynamodb:Query'
  | 'dynamodb:PutItem'
  | 'dynamodb:UpdateItem'
  | 'dynamodb:DeleteItem'
  | 'dynamodb:ConditionCheckItem';

export const READ: readonly DynamoAction[] = ['dynamodb:GetItem', 'dynamodb:Query'];
export const CAS: readonly DynamoAction[] = [...READ, 'dynamodb:PutItem', 'dynamodb:UpdateItem'];
/** Transactions that delete bookkeeping records. */
export const CAS_DELETE: readonly DynamoAction[] = [...CAS, 'dynamodb:DeleteItem'];
/** Transactions that also check another object's state. */
export const TX: readonly DynamoAction[] = [...CAS_DELETE, 'dynamodb:ConditionCheckItem'];

export interface Reply {
  /** @default the route's status */
  status?: number;
  body: unknown;
  /** The object whose `"<id>:<resourceVersion>"` is the ETag. */
  etag?: { id: string; resourceVersion: number };
  /** Where the object a 201 created can be found: the `Location` header. */
  location?: string;
}

export interface Route {
  method: Method;
  path: string;
  fn: FunctionName;
  operationId: string;
  summary: string;
  /** Null: public. */
  scope: Scope | null;
  params?: z.ZodMiniType;
  query?: z.ZodMiniType;
  body?: z.ZodMiniType;
  /**
   * The success body's shape, picked from the response schemas (`lib/api/view-schemas.ts`),
   * which only the OpenAPI document and the client load: the handlers never build them.
   */
  response(views: typeof Views): z.ZodMiniType;
  status: number;
  /** A PUT that creates the object when it is missing: then 201 with `Location`, else `status`. */
  upsert?: boolean;
  /**
   * The success body's media type; anything but JSON is a string body sent as is.
   * @default application/json
   */
  mediaType?: string;
  /**
   * Whether the route answers 404 for a missing object (the OpenAPI document declares it). A
   * route whose path names no object that could be missing (an upsert, the global settings)
   * sets it to false.
   * @default whether the route has path parameters
   */
  notFound?: boolean;
  dynamo: readonly DynamoAction[];
  // biome-ignore lint/suspicious/noExplicitAny: each entry's input is checked by its own schemas.
  run(ctx: OperationContext, input: any): Promise<Reply>;
}

/** The routes one function serves: a module of `lib/http/routes/`, and all it loads. */
export interface RouteGroup {
  fn: FunctionName;
  routes: readonly Route[];
  /**
   * For the function that answers requests no route matched (`$default`): the methods the API
   * serves on a path, so that a known path with a wrong method is a 405 with `Allow`, not a 404.
   */
  allowedMethods?: (path: string) => Promise<readonly string[]>;
}

/** The routes of function `fn`, each marked with it. */
export function routeGroup(
  fn: FunctionName,
  routes: readonly Omit<Route, 'fn'>[],
  options: Pick<RouteGroup, 'allowedMethods'> = {},
): RouteGroup {
  return { fn, routes: routes.map((route) => ({ ...route, fn })), ...options };
}

export const routeKey = (r: Pick<Route, 'method' | 'path'>) => `${r.method} ${r.path}`;

/** Mutating routes accept preconditions and Idempotency-Key. */
export const isMutating = (r: Pick<Route, 'method'>) => r.method !== 'GET';

/** A page of objects as a list body, each rendered by `view`. */
export function page<D>(p: Page<StoredObject<D>>, view: (o: StoredObject<D>) => unknown) {
  return {
    items: p.items.map(view),
    ...(p.nextPageToken ? { nextPageToken: p.nextPageToken } : {}),
  };
}

/** One object as the body, its version as the ETag. */
export function one<D>(obj: StoredObject<D>, view: (o: StoredObject<D>) => unknown): Reply {
  return { body: view(obj), etag: obj };
}

/** A path of the API with its `{param}` segments filled in, URL-encoded. */
export function pathTo(template: string, params: Record<string, string>): string {
  return template.replace(/\{(\w+)\}/g, (_, key: string) => encodeURIComponent(params[key] ?? ''));
}

/** A created object: 201 with the object, its ETag, and `Location` the path that reads it. */
export function created<D>(
  obj: StoredObject<D>,
  view: (o: StoredObject<D>) => unknown,
  location: string,
): Reply {
  return { status: 201, body: view(obj), etag: obj, location };
}
