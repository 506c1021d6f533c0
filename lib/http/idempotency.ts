import { createHash, randomUUID } from 'node:crypto';
import { IdempotencyMismatch, InvalidArgument, Unavailable } from '#lib/errors.ts';
import type { Store } from '#lib/store/store.ts';
import type { DynamoAction } from './route.ts';

/**
 * The DynamoDB actions idempotency itself needs, besides the route's own: `claim` puts the
 * key's record (and updates it to take over an expired claim), `complete` updates it, and
 * `release` deletes it after a failure so that a retry runs again.
 */
export const IDEMPOTENCY_DYNAMO_ACTIONS = [
  'dynamodb:PutItem',
  'dynamodb:UpdateItem',
  'dynamodb:DeleteItem',
] as const satisfies readonly DynamoAction[];

/** How long a replayable response is kept. */
export const IDEMPOTENCY_TTL_SECONDS = 24 * 3600;
/** How long a claim blocks a concurrent request with the same key before it may take over. */
export const CLAIM_LEASE_MS = 30_000;

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
  /** This request's claim on the key. */
  owner: string;
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
    owner: randomUUID(),
  };
}

/**
 * Claims the key before the request runs, so two requests with one key never run at once.
 * Returns the stored response when an earlier request with this key already succeeded.
 * The same key with another request → 422; while the first is still running → 503.
 */
export async function claim(
  store: Store,
  scope: IdempotencyScope,
): Promise<StoredResponse | undefined> {
  const now = Date.now();
  const res = await store.records.claim(scope.recordKey, {
    fingerprint: scope.fingerprint,
    state: 'running',
    owner: scope.owner,
    lease_until: now + CLAIM_LEASE_MS,
    expires_at: Math.floor(now / 1000) + IDEMPOTENCY_TTL_SECONDS,
  });
  if (res.claimed) return undefined;
  const record = res.existing;
  if (record.fingerprint !== scope.fingerprint) throw new IdempotencyMismatch();
  if (record.state === 'done') return record.response as StoredResponse;
  // A request that died while holding the key: take its claim over once the lease ran out.
  if (typeof record.lease_until === 'number' && record.lease_until < now) {
    const taken = await store.records.updateIf(
      scope.recordKey,
      { owner: scope.owner, lease_until: now + CLAIM_LEASE_MS },
      { attribute: 'owner', expected: record.owner },
    );
    if (taken) return undefined;
  }
  throw new Unavailable(
    1,
    undefined,
    'A request with this Idempotency-Key is still in progress; retry shortly.',
  );
}

/** Keeps a successful response for replay (secrets already removed by the caller). */
export async function complete(
  store: Store,
  scope: IdempotencyScope,
  response: StoredResponse,
): Promise<void> {
  await store.records.updateIf(
    scope.recordKey,
    { state: 'done', response },
    { attribute: 'owner', expected: scope.owner },
  );
}

/** Gives the key back after a failure, so that a retry runs the request again. */
export async function release(store: Store, scope: IdempotencyScope): Promise<void> {
  await store.records.deleteIf(scope.recordKey, { attribute: 'owner', expected: scope.owner });
}
