import { createHash } from 'node:crypto';
import { IdempotencyMismatch, InvalidArgument } from '#lib/errors.ts';
import type { Store } from '#lib/store/store.ts';

/** How long a replayable response is kept. */
export const IDEMPOTENCY_TTL_SECONDS = 24 * 3600;

const KEY_SYNTAX = /^[\x21-\x7e]{1,255}$/;

export interface StoredResponse {
  statusCode: number;
  body: string;
  etag?: string;
}

export interface IdempotencyScope {
  /** The write receipt every write of this request carries. */
  requestId: string;
  recordKey: { pk: string; sk: string };
  fingerprint: string;
}

const sha256 = (s: string) => createHash('sha256').update(s).digest('base64url');

/** Scopes a client's Idempotency-Key to its principal; the fingerprint covers the request. */
export function idempotencyScope(
  key: string,
  principal: string,
  request: { routeKey: string; path: string; query: string; body: string },
): IdempotencyScope {
  if (!KEY_SYNTAX.test(key)) {
    throw new InvalidArgument([
      { field: 'header.idempotency-key', message: 'must be 1–255 visible ASCII characters' },
    ]);
  }
  const id = sha256(`${principal}\n${key}`);
  return {
    requestId: `idem:${id}`,
    recordKey: { pk: `idem#${id}`, sk: '@' },
    fingerprint: sha256(`${request.routeKey}\n${request.path}\n${request.query}\n${request.body}`),
  };
}

/** The stored response of an earlier request with the same key, or undefined. */
export async function findReplay(
  store: Store,
  scope: IdempotencyScope,
): Promise<StoredResponse | undefined> {
  const record = await store.getRecord(scope.recordKey);
  if (!record || (typeof record.expires_at === 'number' && record.expires_at < Date.now() / 1000)) {
    return undefined;
  }
  if (record.fingerprint !== scope.fingerprint) throw new IdempotencyMismatch();
  return record.response as StoredResponse;
}

/** Keeps a successful response for replay (secrets already removed by the caller). */
export async function remember(
  store: Store,
  scope: IdempotencyScope,
  response: StoredResponse,
): Promise<void> {
  await store.putRecordIfAbsent(scope.recordKey, {
    fingerprint: scope.fingerprint,
    response,
    expires_at: Math.floor(Date.now() / 1000) + IDEMPOTENCY_TTL_SECONDS,
  });
}
