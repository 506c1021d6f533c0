import { beforeAll, describe, expect, it } from 'vitest';
import type { Store } from '#lib/store/store.ts';
import { type Call, createTestApi } from '#test/support/api.ts';
import { objectsOver } from '#test/support/objects.ts';

/**
 * The handler pipeline where showing it takes the table: a replayed Idempotency-Key, a scope
 * that lets a read through, a refused create that wrote nothing. What it decides before it
 * reads or writes is tested offline, directly, in `test/http/`.
 */

let call: Call;
let store: Store;
beforeAll(async () => {
  ({ call, store } = await createTestApi());
});
const { unique } = objectsOver(() => ({ call, store }));

describe('requests', () => {
  it('Idempotency-Key: a replay returns the original success; another body is 422', async () => {
    const name = unique('p');
    const body = { name, type: 'openai', credentials: { K: 'idem-secret-1' } };
    const first = await call('POST', '/v1/providers', {
      body,
      headers: { 'Idempotency-Key': `k-${name}` },
    });
    const replay = await call('POST', '/v1/providers', {
      body,
      headers: { 'Idempotency-Key': `k-${name}` },
    });
    expect(first.status).toBe(201);
    expect(replay.status).toBe(201);
    expect(replay.body).toEqual(first.body);
    expect(replay.headers['idempotent-replayed']).toBe('true');
    const other = await call('POST', '/v1/providers', {
      body: { ...body, config: { a: 'b' } },
      headers: { 'Idempotency-Key': `k-${name}` },
    });
    expect(other.status).toBe(422);
    expect(other.body.code).toBe('IDEMPOTENCY_MISMATCH');
  });

  it('401 without a token, 403 without the scope, shellgate:all grants all', async () => {
    expect((await call('GET', '/v1/providers', { scopes: null })).status).toBe(401);
    const denied = await call('GET', '/v1/providers', { scopes: ['sandbox:read'] });
    expect(denied.status).toBe(403);
    expect(denied.body.code).toBe('PERMISSION_DENIED');
    expect((await call('GET', '/v1/providers', { scopes: ['provider:read'] })).status).toBe(200);
    expect((await call('GET', '/healthz', { scopes: null })).status).toBe(200);
  });
});

describe('limits and preconditions found by fuzzing', () => {
  it('a create refuses a version precondition: it has no version to be based on', async () => {
    const withVersion = await call('POST', '/v1/providers', {
      body: {
        name: 'pre-p',
        type: 't',
        credentials: { K: 'pre-secret-1' },
        expectedResourceVersion: 7,
      },
    });
    expect(withVersion.status).toBe(400);
    expect(withVersion.body.errors[0].field).toBe('body.expectedResourceVersion');
    const withIfMatch = await call('POST', '/v1/providers', {
      body: { name: 'pre-p', type: 't', credentials: { K: 'pre-secret-1' } },
      headers: { 'If-Match': '"7c2be8b8-26d7-43b6-9994-e1dcc7594fc7:5"' },
    });
    expect(withIfMatch.status).toBe(400);
    expect((await call('GET', '/v1/providers/pre-p')).status).toBe(404);
  });
});
