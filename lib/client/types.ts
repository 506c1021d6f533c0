import type { z } from 'zod/mini';
import type { ContractOf, OperationId } from '#lib/contract/index.ts';
import type { ErrorCode } from '#lib/errors.ts';

/** What a part of a request is, by its contract: undefined when the route takes none. */
type Part<K extends OperationId, P extends 'params' | 'query' | 'body'> = ContractOf<K>[P];

/** Path and query values arrive as strings; the client also takes what they parse to. */
type Loosened<Input, Output> = {
  [K in keyof Input]: K extends keyof Output ? Input[K] | Output[K] : Input[K];
};

type ParamsPart<K extends OperationId> =
  Part<K, 'params'> extends infer P extends z.ZodMiniType
    ? { params: Loosened<z.input<P>, z.output<P>> }
    : { params?: undefined };

type QueryPart<K extends OperationId> =
  Part<K, 'query'> extends infer Q extends z.ZodMiniType
    ? { query?: Partial<Loosened<z.input<Q>, z.output<Q>>> }
    : { query?: undefined };

type BodyPart<K extends OperationId> =
  Part<K, 'body'> extends infer B extends z.ZodMiniType
    ? object extends z.input<B>
      ? { body?: z.input<B> }
      : { body: z.input<B> }
    : { body?: undefined };

/** What an operation takes: path parameters, query string and JSON body, as the API names them. */
export type OperationInput<K extends OperationId> = ParamsPart<K> & QueryPart<K> & BodyPart<K>;

/** The JSON body an operation answers with on success. */
export type OperationResult<K extends OperationId> = z.output<
  ReturnType<ContractOf<K>['response']>
>;

export type OperationBody<K extends OperationId> =
  Part<K, 'body'> extends infer B extends z.ZodMiniType ? z.input<B> : never;

export interface RequestOptions {
  /** Sent as `If-Match`: a strong ETag `"<id>:<resourceVersion>"` makes the write client-driven. */
  ifMatch?: string;
  /**
   * Sent with a mutating request so that a retry of a write whose response was lost answers the
   * original success. @default a fresh UUID per call, reused by the client's own retries
   */
  idempotencyKey?: string;
  signal?: AbortSignal;
  headers?: Record<string, string>;
}

export interface OperationResponse<K extends OperationId> {
  status: number;
  /** The `ETag` header, `"<id>:<resourceVersion>"`, on single-object responses. */
  etag?: string;
  headers: Headers;
  body: OperationResult<K>;
}

/** One method per operation of the contract table, named by its `operationId`. */
export type OperationMethods = {
  [K in OperationId]: object extends OperationInput<K>
    ? (input?: OperationInput<K>, options?: RequestOptions) => Promise<OperationResult<K>>
    : (input: OperationInput<K>, options?: RequestOptions) => Promise<OperationResult<K>>;
};

/** An RFC 9457 problem as the API sends it. */
export interface Problem {
  type?: string;
  title?: string;
  status: number;
  detail?: string;
  code?: ErrorCode | string;
  instance?: string;
  requestId?: string;
  /** `INVALID_ARGUMENT`: each failing field. */
  errors?: { field: string; message: string }[];
  /** `ABORTED`: the version stored now. */
  currentResourceVersion?: number;
  /** `ABORTED`: the object as stored now, redacted. */
  current?: unknown;
  /** `FAILED_PRECONDITION`: e.g. `{sandboxes: [...]}`. */
  details?: Record<string, unknown>;
}

export type { OperationId };
