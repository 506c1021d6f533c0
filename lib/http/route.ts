import type { z } from 'zod/mini';
import type { Contract, ContractGroup, TypedContract } from '#lib/contract/contract.ts';
import type { FunctionName } from '#lib/contract/index.ts';
import type { OperationContext } from '#lib/domain/context.ts';
import type { Page, StoredObject } from '#lib/store/types.ts';

/** DynamoDB actions a route's use-case performs; CDK grants each function exactly their union. */
export type DynamoAction =
  | 'dynamodb:GetItem'
  | 'dynamodb:BatchGetItem'
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
/** Reads of several items in one request (`Store.getMany`): the policy's and the drafts' routes. */
export const READ_MANY: readonly DynamoAction[] = [...READ, 'dynamodb:BatchGetItem'];
export const TX_MANY: readonly DynamoAction[] = [...TX, 'dynamodb:BatchGetItem'];

/** DynamoDB requests of one HTTP request, by request type. */
export type RequestCost = Partial<
  Record<
    | 'GetItem'
    | 'PutItem'
    | 'UpdateItem'
    | 'DeleteItem'
    | 'Query'
    | 'Scan'
    | 'BatchGetItem'
    | 'TransactWriteItems',
    number
  >
>;

/**
 * What a route's example costs: its contract's example request sent to the example world (the
 * objects the examples name, `test/support/examples.ts`). The request-cost suite asserts it
 * exactly, and the bench reports it (section 1).
 */
/** Where the design states the cost of a plain get, list or write. */
export const COST_RULES = 'docs/architecture.md, "Cost of each operation"';

export interface ExampleCost {
  requests: RequestCost;
  /** Where the design states or implies the cost. */
  source: string;
  /** Set when the one-request rule covers the route (a get, a create, a client-driven write). */
  oneRequest?: 'get' | 'create' | 'client-driven write';
}

export interface Reply {
  /** @default the route's status */
  status?: number;
  body: unknown;
  /** The object whose `"<id>:<resourceVersion>"` is the ETag. */
  etag?: { id: string; resourceVersion: number };
  /** Where the object a 201 created can be found: the `Location` header. */
  location?: string;
}

/** What a route's `run` receives: each part as its schema parses it (`{}`: the route has none). */
export type RouteInput<C extends TypedContract> = {
  params: Parsed<C['params']>;
  query: Parsed<C['query']>;
  body: Parsed<C['body']>;
};
type Parsed<S> = S extends z.ZodMiniType ? z.output<S> : Record<string, never>;

/**
 * How the HTTP layer serves one contract: what its use-case may do to the table, and the call
 * of the use-case. Facts of the implementation (not of the API) belong here, next to the
 * DynamoDB actions.
 */
export interface Binding<C extends TypedContract = TypedContract> {
  /** What the use-case may do to the table; CDK grants each function exactly their union. */
  dynamo: readonly DynamoAction[];
  /** Calls the use-case with the validated input and maps its result. */
  run(ctx: OperationContext, input: RouteInput<C>): Promise<Reply>;
  /**
   * The cost of the contract's example. A route whose cost depends on more than its example
   * (write modes, a stale version, state no route writes) states its scenarios in
   * `test/requests/expected.ts` instead.
   */
  cost?: ExampleCost;
}

/** A route as the handler serves it: its contract with its binding. */
export interface Route extends Contract<FunctionName> {
  dynamo: readonly DynamoAction[];
  cost?: ExampleCost;
  run(ctx: OperationContext, input: RouteInput<TypedContract>): Promise<Reply>;
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

/** One binding for each contract of a group, by operationId: no more, no fewer. */
export type Bindings<G extends ContractGroup> = {
  [C in G['contracts'][number] as C['operationId']]: Binding<C>;
};

/**
 * The routes of a contract group: each contract with its binding. A contract without a
 * binding, or a binding without a contract, does not compile.
 */
export function bindGroup<G extends ContractGroup<FunctionName>>(
  group: G,
  bindings: NoInfer<Bindings<G>>,
  options: Pick<RouteGroup, 'allowedMethods'> = {},
): RouteGroup {
  const byId = bindings as Record<string, Binding>;
  const routes = group.contracts.map((contract): Route => {
    const binding = byId[contract.operationId];
    if (!binding) throw new Error(`no binding for ${contract.operationId}`);
    return { ...contract, ...binding } as Route;
  });
  return { fn: group.fn, routes, ...options };
}

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
