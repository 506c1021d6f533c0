import type { OperationId } from '#lib/contract/index.ts';
import type { ErrorCode } from '#lib/errors.ts';
import type { Problem } from './types.ts';

/** What a status means when the body is not a problem (e.g. API Gateway's own 401/403). */
const CODE_OF_STATUS: Record<number, ErrorCode> = {
  400: 'INVALID_ARGUMENT',
  401: 'UNAUTHENTICATED',
  403: 'PERMISSION_DENIED',
  404: 'NOT_FOUND',
  409: 'ABORTED',
  412: 'ABORTED',
  413: 'INVALID_ARGUMENT',
  415: 'INVALID_ARGUMENT',
  422: 'IDEMPOTENCY_MISMATCH',
  429: 'RESOURCE_EXHAUSTED',
  503: 'UNAVAILABLE',
};

/** The API answered with an error: its status, code and problem body. */
export class ApiError extends Error {
  readonly operationId: OperationId;
  readonly status: number;
  readonly code: ErrorCode | string;
  readonly problem: Problem;
  /** Seconds from `Retry-After` (429, 503). */
  readonly retryAfterSeconds?: number;

  constructor(operationId: OperationId, problem: Problem, retryAfterSeconds?: number) {
    super(problem.detail ?? problem.title ?? `HTTP ${problem.status}`);
    this.name = 'ApiError';
    this.operationId = operationId;
    this.status = problem.status;
    this.code = problem.code ?? CODE_OF_STATUS[problem.status] ?? 'INTERNAL';
    this.problem = problem;
    this.retryAfterSeconds = retryAfterSeconds;
  }

  /** `ABORTED`: the version stored now. */
  get currentResourceVersion(): number | undefined {
    return this.problem.currentResourceVersion;
  }

  /** `ABORTED`: the object as stored now (redacted), to retry from without another read. */
  get current(): unknown {
    return this.problem.current;
  }

  /** `INVALID_ARGUMENT`: each failing field. */
  get errors(): { field: string; message: string }[] {
    return this.problem.errors ?? [];
  }

  /** Builds the error from a response whose body may or may not be problem+json. */
  static fromResponse(operationId: OperationId, status: number, text: string, headers: Headers) {
    let parsed: unknown;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      parsed = undefined;
    }
    const body = (parsed && typeof parsed === 'object' ? parsed : {}) as Record<string, unknown>;
    const problem: Problem =
      typeof body.code === 'string'
        ? { ...(body as unknown as Problem), status }
        : {
            status,
            title: `HTTP ${status}`,
            detail:
              typeof body.message === 'string'
                ? body.message
                : text.trim().slice(0, 200) || `HTTP ${status}`,
          };
    const retryAfter = Number(headers.get('retry-after'));
    return new ApiError(
      operationId,
      problem,
      Number.isFinite(retryAfter) && retryAfter >= 0 && headers.has('retry-after')
        ? retryAfter
        : undefined,
    );
  }
}

/** The API could not be reached, or the connection failed before a response arrived. */
export class ConnectionError extends Error {
  readonly operationId: OperationId;
  readonly endpoint: string;
  constructor(operationId: OperationId, endpoint: string, cause: unknown) {
    const inner = (cause as { cause?: { code?: string; message?: string } })?.cause;
    const reason = inner?.code ?? inner?.message ?? (cause as Error)?.message ?? String(cause);
    super(`cannot reach the shellgate API at ${endpoint} (${reason})`, { cause });
    this.name = 'ConnectionError';
    this.operationId = operationId;
    this.endpoint = endpoint;
  }
}
