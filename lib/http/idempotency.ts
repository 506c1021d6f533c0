import { createHash, randomUUID } from 'node:crypto';
import { IdempotencyMismatch, InvalidArgument, Unavailable } from '#lib/errors.ts';
import type { Item } from '#lib/store/attributes.ts';
import type { Store } from '#lib/store/store.ts';
import type { DynamoAction } from './route.ts';

/**
 * The DynamoDB actions idempotency itself needs, besides the route's own: `claim` puts the
 * key's record (and updates it to take over an expired or released claim), `complete` puts the
 * chunks of a large response and updates the record, `replay` queries the chunks, and
 * `release` updates the record after a failure so that a retry runs again.
 */
export const IDEMPOTENCY_DYNAMO_ACTIONS = [
  'dynamodb:PutItem',
  'dynamodb:UpdateItem',
  'dynamodb:DeleteItem',
  'dynamodb:Query',
] as const satisfies readonly DynamoAction[];

/** How long a replayable response is kept. */
export const IDEMPOTENCY_TTL_SECONDS = 24 * 3600;
/** How long a claim blocks a concurrent request with the same key before it may take over. */
export const CLAIM_LEASE_MS = 30_000;
/**
 * Responses up to this size are kept on the key's record itself; larger ones go to chunk
 * records, so the record never needs the whole response and stays far below 400 KB.
 */
export const INLINE_RESPONSE_BYTES = 64 * 1024;
/** One chunk record's share of a large response: with its key, well under 400 KB. */
export const RESPONSE_CHUNK_BYTES = 300 * 1024;

const KEY_SYNTAX = /^[\x21-\x7e]{1,255}$/;

export interface StoredResponse {
  statusCode: number;
  body: string;
  etag?: string;
  location?: string;
}

export interface IdempotencyScope {
  recordKey: { pk: string; sk: string };
  fingerprint: string;
  /** This request's claim on the key (one per attempt: the lease and the chunks are its own). */
  owner: string;
}

/** A claim that lets the request run: the write receipt every write of the request carries. */
export interface Claimed {
  requestId: string;
}

const sha256 = (s: string) => createHash('sha256').update(s).digest('base64url');

/**
 * Scopes a client's Idempotency-Key to its principal (see `principalOf`); the fingerprint
 * covers the request. A key from a token that names nobody is refused: two such callers would
 * share one key space and could be replayed each other's responses.
 */
export function idempotencyScope(
  key: string,
  principal: string | undefined,
  request: { routeKey: string; path: string; query: string; body: string },
): IdempotencyScope {
  if (!KEY_SYNTAX.test(key)) {
    throw new InvalidArgument([
      { field: 'header.idempotency-key', message: 'must be 1–255 visible ASCII characters' },
    ]);
  }
  if (principal === undefined) {
    throw new InvalidArgument([
      {
        field: 'header.idempotency-key',
        message: 'needs a token that names its caller (sub, client_id or azp)',
      },
    ]);
  }
  const id = sha256(`${principal}\n${key}`);
  return {
    recordKey: { pk: `idem#${id}`, sk: '@' },
    fingerprint: sha256(`${request.routeKey}\n${request.path}\n${request.query}\n${request.body}`),
    owner: randomUUID(),
  };
}

/**
 * The write receipt of one claim. A fresh claim (a new key, or one whose record expired) gets
 * a new receipt, so no item written under an earlier use of the key can be mistaken for this
 * request's write; a claim taken over from a request that died, or released after a failure,
 * keeps the receipt only when it is the same request (same fingerprint) being retried.
 */
const receiptOf = (scope: IdempotencyScope, claim: string) =>
  `idem:${scope.recordKey.pk.slice('idem#'.length)}:${claim}`;

/**
 * Claims the key before the request runs, so two requests with one key never run at once.
 * Returns the stored response when an earlier request with this key already succeeded.
 * The same key with another request → 422; while the first is still running → 503.
 */
export async function claim(
  store: Store,
  scope: IdempotencyScope,
): Promise<{ replay: StoredResponse } | Claimed> {
  const now = Date.now();
  const receipt = randomUUID();
  const res = await store.records.claim(scope.recordKey, {
    fingerprint: scope.fingerprint,
    state: 'running',
    owner: scope.owner,
    receipt,
    lease_until: now + CLAIM_LEASE_MS,
    expires_at: Math.floor(now / 1000) + IDEMPOTENCY_TTL_SECONDS,
  });
  if (res.claimed) return { requestId: receiptOf(scope, receipt) };
  const record = res.existing;
  const sameRequest = record.fingerprint === scope.fingerprint;
  // A key given back after a failure: the same request retried keeps its receipt (its write
  // may have landed before the failure); another request under the key starts a new claim.
  if (record.state === 'released') {
    const kept = sameRequest && typeof record.receipt === 'string' ? record.receipt : receipt;
    return takeOver(store, scope, record, { fingerprint: scope.fingerprint, receipt: kept });
  }
  if (!sameRequest) throw new IdempotencyMismatch();
  if (record.state === 'done') return { replay: await storedResponse(store, scope, record) };
  // A request that died while holding the key: take its claim over once the lease ran out.
  if (typeof record.lease_until === 'number' && record.lease_until < now) {
    return takeOver(store, scope, record, {});
  }
  throw stillRunning();
}

const stillRunning = () =>
  new Unavailable(
    1,
    undefined,
    'A request with this Idempotency-Key is still in progress; retry shortly.',
  );

async function takeOver(
  store: Store,
  scope: IdempotencyScope,
  record: Item,
  changes: { fingerprint?: string; receipt?: string },
): Promise<Claimed> {
  const taken = await store.records.updateIf(
    scope.recordKey,
    { ...changes, state: 'running', owner: scope.owner, lease_until: Date.now() + CLAIM_LEASE_MS },
    { attribute: 'owner', expected: record.owner },
  );
  if (!taken) throw stillRunning();
  return { requestId: receiptOf(scope, String(changes.receipt ?? record.receipt)) };
}

const chunkPrefix = (owner: string) => `body#${owner}#`;

async function storedResponse(
  store: Store,
  scope: IdempotencyScope,
  record: Item,
): Promise<StoredResponse> {
  const response = record.response as StoredResponse & { chunks?: number };
  if (response.chunks === undefined) return response;
  const chunks = await store.records.query(scope.recordKey.pk, chunkPrefix(String(record.owner)));
  const body = Buffer.concat(
    chunks
      .sort((a, b) => (String(a.sk) < String(b.sk) ? -1 : 1))
      .map((c) => Buffer.from(c.part as Uint8Array)),
  ).toString('utf8');
  const { chunks: _count, ...rest } = response;
  return { ...rest, body };
}

/**
 * Keeps a successful response for replay (secrets already removed by the caller). A response
 * larger than {@link INLINE_RESPONSE_BYTES} is written first as chunk records keyed by this
 * claim's owner, then the record points at them: a replay never sees a half-written response.
 */
export async function complete(
  store: Store,
  scope: IdempotencyScope,
  response: StoredResponse,
): Promise<void> {
  const bytes = Buffer.from(response.body, 'utf8');
  let kept: StoredResponse & { chunks?: number } = response;
  if (bytes.length > INLINE_RESPONSE_BYTES) {
    const count = Math.ceil(bytes.length / RESPONSE_CHUNK_BYTES);
    const expires = Math.floor(Date.now() / 1000) + IDEMPOTENCY_TTL_SECONDS;
    await Promise.all(
      Array.from({ length: count }, (_, i) =>
        store.records.putNew(
          {
            pk: scope.recordKey.pk,
            sk: `${chunkPrefix(scope.owner)}${String(i).padStart(4, '0')}`,
          },
          {
            part: bytes.subarray(i * RESPONSE_CHUNK_BYTES, (i + 1) * RESPONSE_CHUNK_BYTES),
            expires_at: expires,
          },
        ),
      ),
    );
    kept = { ...response, body: '', chunks: count };
  }
  await store.records.updateIf(
    scope.recordKey,
    { state: 'done', response: kept },
    { attribute: 'owner', expected: scope.owner },
  );
}

/**
 * Gives the key back after a failure, so that a retry runs the request again. A request the
 * service refused (a 4xx: it wrote nothing of its own) leaves nothing behind. After any other
 * failure its write may have landed, so the record stays (state `released`) with its receipt:
 * a retry of the same request finds its own write instead of applying it twice.
 */
export async function release(
  store: Store,
  scope: IdempotencyScope,
  opts: { refused: boolean },
): Promise<void> {
  const guard = { attribute: 'owner', expected: scope.owner };
  if (opts.refused) await store.records.deleteIf(scope.recordKey, guard);
  else await store.records.updateIf(scope.recordKey, { state: 'released' }, guard);
}
