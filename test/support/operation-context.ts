import { randomUUID } from 'node:crypto';
import { newStats, type OperationContext } from '#lib/domain/context.ts';
import type { Store } from '#lib/store/store.ts';

/**
 * An `OperationContext` as the handler pipeline builds one for a request: a request id of its
 * own and the caller's precondition, if any. Domain tests call the use-cases with it directly.
 */
export function contextOf(
  store: Store,
  precondition: { expectedResourceVersion?: number; expectedId?: string } = {},
): OperationContext {
  return { store, requestId: randomUUID(), ...precondition, stats: newStats() };
}

/** The error a call fails with; a call that succeeds fails the test. */
export async function failureOf(call: Promise<unknown>): Promise<Error & { code?: string }> {
  try {
    await call;
  } catch (err) {
    return err as Error & { code?: string };
  }
  throw new Error('expected the call to fail');
}

/** A settled call: its value, or the code of the error it failed with. */
export async function settle<T>(
  call: Promise<T>,
): Promise<{ ok: true; value: T } | { ok: false; code: string; error: unknown }> {
  try {
    return { ok: true, value: await call };
  } catch (error) {
    return { ok: false, code: (error as { code?: string }).code ?? 'UNKNOWN', error };
  }
}
