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
  dynamo: readonly DynamoAction[];
  // biome-ignore lint/suspicious/noExplicitAny: each entry's input is checked by its own schemas.
  run(ctx: OperationContext, input: any): Promise<Reply>;
}

/** The routes one function serves: a module of `lib/http/routes/`, and all it loads. */
export interface RouteGroup {
  fn: FunctionName;
  routes: readonly Route[];
}

/** The routes of function `fn`, each marked with it. */
export function routeGroup(fn: FunctionName, routes: readonly Omit<Route, 'fn'>[]): RouteGroup {
  return { fn, routes: routes.map((route) => ({ ...route, fn })) };
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
