import { randomBytes } from 'node:crypto';
import { LIMITS } from '#lib/domain/limits.ts';
import { InvalidArgument } from '#lib/errors.ts';
import type { Store } from '#lib/store/store.ts';
import type { WriteResult } from '#lib/store/types.ts';

/** What every use-case runs with: the store, the request's id and the caller's precondition. */
export interface OperationContext {
  store: Store;
  /** The write receipt; derived from the Idempotency-Key when one was sent. */
  requestId: string;
  expectedResourceVersion?: number;
  expectedId?: string;
  /** Observations for logs and metrics, filled in by the use-case. */
  stats: WriteStats;
  /**
   * When the request must have its answer (epoch ms): the function's deadline less a margin.
   * Writes that keep re-applying until they commit (server-driven merges) stop trying then.
   */
  deadline?: number;
}

/** How long a write that re-applies until it commits may take when the caller set no deadline. */
const DEFAULT_BUDGET_MS = 10_000;

/** The time a write of this request may keep re-applying until (epoch ms). */
export function deadlineOf(ctx: OperationContext): number {
  return ctx.deadline ?? Date.now() + DEFAULT_BUDGET_MS;
}

export interface WriteStats {
  attempts: number;
  resolvedByReceipt: boolean;
}

export function newStats(): WriteStats {
  return { attempts: 0, resolvedByReceipt: false };
}

/** Records a write's attempts and receipt use on the context and passes its result through. */
export function observe<T extends Pick<WriteResult<unknown>, 'attempts' | 'resolvedByReceipt'>>(
  ctx: OperationContext,
  result: T,
): T {
  ctx.stats.attempts += result.attempts;
  ctx.stats.resolvedByReceipt ||= result.resolvedByReceipt;
  return result;
}

export function preconditionOf(ctx: OperationContext) {
  return {
    requestId: ctx.requestId,
    expectedResourceVersion: ctx.expectedResourceVersion,
    expectedId: ctx.expectedId,
  };
}

/** A name for an object created without one: `<prefix>-<8 random base36 characters>`. */
export function generateName(prefix: string): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789';
  const suffix = Array.from(randomBytes(8), (b) => alphabet[b % alphabet.length]).join('');
  return `${prefix}-${suffix}`;
}

/**
 * Keeps every object well under DynamoDB's 400 KB item limit, naming the field that grew:
 * checked on every write that can grow an object, with its labels.
 * @default maxBytes LIMITS.objectBytes
 */
export function assertObjectSize(
  object: { data: unknown; labels?: unknown },
  field: string,
  maxBytes: number = LIMITS.objectBytes,
): void {
  const size = Buffer.byteLength(JSON.stringify(object), 'utf8');
  if (size > maxBytes) {
    throw new InvalidArgument([
      { field, message: `makes the object ${size} bytes; the limit is ${maxBytes} bytes` },
    ]);
  }
}
