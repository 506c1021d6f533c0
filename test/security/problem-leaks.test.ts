import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { createDocumentClient } from '#lib/store/client.ts';
import { Store } from '#lib/store/store.ts';
import { type ApiResponse, type Call, createTestApi } from '#test/support/api.ts';
import { internalLeaks, problemShapeErrors } from '#test/support/problems.ts';
import { createTestStore, dynamoEndpoint } from '#test/support/store.ts';

/**
 * Errors never leak internals: for every kind of failure — validation, missing objects,
 * conflicts, refused states, transport limits, authentication, and failures of DynamoDB itself
 * — the problem body names no key attribute or layout, item attribute, table, exception, SDK
 * term or stack frame.
 */

let call: Call;
let store: Store;
let tables: string[];
let sessionId: string;

const token = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');

beforeAll(async () => {
  ({ call, store } = await createTestApi());
  tables = [store.tableName];
  const ok = async (method: string, path: string, body?: unknown) => {
    const res = await call(method, path, { body });
    expect(res.status, `${method} ${path}`).toBeLessThan(300);
    return res;
  };
  await ok('POST', '/v1/providers', {
    name: 'p',
    type: 'x',
    credentials: { K: 'leak-test-secret' },
  });
  await ok('POST', '/v1/providers', {
    name: 'free',
    type: 'x',
    credentials: { K: 'leak-test-secret' },
  });
  await ok('POST', '/v1/sandboxes', { name: 'box', spec: { providers: ['p'], policy: { a: 1 } } });
  await ok('POST', '/v1/sandboxes', { name: 'new', spec: {} });
  await ok('PUT', '/v1/sandboxes/box/status', { phase: 'READY' });
  await ok('PUT', '/v1/sandboxes/box/config/settings/mode', { value: 'x' });
  await ok('PUT', '/v1/sandboxes/box/services/web', { targetPort: 80 });
  await ok('PUT', '/v1/inference/routes/r', { providerName: 'p', modelId: 'm' });
  await ok('PUT', '/v1/settings/theme', { value: 'dark' });
  const session = await ok('POST', '/v1/sandboxes/box/ssh-sessions', {});
  sessionId = session.body.metadata.id;
  await call('PUT', '/v1/settings/other', {
    body: { value: 1 },
    headers: { 'idempotency-key': 'used-once' },
  });
}, 60_000);

interface Failure {
  what: string;
  status: number;
  run: () => Promise<ApiResponse>;
}

const body = (method: string, path: string, b: unknown, headers: Record<string, string> = {}) =>
  call(method, path, { body: b, headers });

/** Every kind of failure the API answers, by the status it must have. */
const failures: Failure[] = [
  // 400
  { what: 'a missing field', status: 400, run: () => body('POST', '/v1/providers', {}) },
  {
    what: 'an unknown field',
    status: 400,
    run: () => body('POST', '/v1/sandboxes', { spec: {}, x: 1 }),
  },
  {
    what: 'a wrong type',
    status: 400,
    run: () => body('PUT', '/v1/sandboxes/box/services/web', { targetPort: '80' }),
  },
  {
    what: 'malformed JSON',
    status: 400,
    run: () => call('POST', '/v1/providers', { rawBody: '{"type":' }),
  },
  {
    what: 'a body to a route without one',
    status: 400,
    run: () => call('GET', '/v1/providers', { rawBody: '{}' }),
  },
  { what: 'an invalid name', status: 400, run: () => call('GET', '/v1/sandboxes/..%2F..%2Fetc') },
  { what: 'an invalid query', status: 400, run: () => call('GET', '/v1/providers?pageSize=0&x=1') },
  {
    what: 'a forged page token',
    status: 400,
    run: () => call('GET', `/v1/providers?pageToken=${token({ s: 'Provider', k: {} })}`),
  },
  {
    what: 'a policy too deep for the table',
    status: 400,
    run: () => body('PUT', '/v1/sandboxes/box/config/policy', { policy: deep(40) }),
  },
  {
    what: 'a number the table cannot store',
    status: 400,
    run: () => body('PUT', '/v1/sandboxes/box/config/policy', { policy: { n: 1e300 } }),
  },
  {
    what: 'a lone surrogate',
    status: 400,
    run: () => call('PUT', '/v1/settings/x', { rawBody: '{"value":"\\ud800"}' }),
  },
  {
    what: 'a malformed If-Match',
    status: 400,
    run: () => body('PUT', '/v1/settings/x', { value: 1 }, { 'if-match': 'W/"x"' }),
  },
  {
    what: 'a malformed Idempotency-Key',
    status: 400,
    run: () => body('PUT', '/v1/settings/x', { value: 1 }, { 'idempotency-key': 'a b' }),
  },
  {
    what: 'a type change',
    status: 400,
    run: () => body('PATCH', '/v1/providers/p', { type: 'y' }),
  },
  {
    what: 'an object over 300 KiB',
    status: 400,
    run: () => body('PATCH', '/v1/providers/p', { config: big(40) }),
  },
  // 401, 403
  { what: 'no token', status: 401, run: () => call('GET', '/v1/providers', { scopes: null }) },
  {
    what: 'a missing scope',
    status: 403,
    run: () => call('GET', '/v1/providers', { scopes: ['sandbox:read'] }),
  },
  // 404
  ...[
    '/v1/providers/none',
    '/v1/sandboxes/none',
    '/v1/sandboxes/none/config',
    '/v1/sandboxes/box/services/none',
    '/v1/inference/routes/none',
    '/v1/sandboxes/none/ssh-sessions',
    '/v1/nothing/here',
  ].map((path) => ({ what: `GET ${path}`, status: 404, run: () => call('GET', path) })),
  {
    what: 'a missing revision',
    status: 404,
    run: () =>
      body('PUT', '/v1/sandboxes/box/config/policy/revisions/9/status', { status: 'LOADED' }),
  },
  {
    what: 'a missing session',
    status: 404,
    run: () => call('DELETE', `/v1/ssh-sessions/${randomUUID()}`),
  },
  {
    what: 'a setting of a missing sandbox',
    status: 404,
    run: () => body('PUT', '/v1/sandboxes/none/config/settings/k', { value: 1 }),
  },
  // 409
  {
    what: 'a taken provider name',
    status: 409,
    run: () => body('POST', '/v1/providers', { name: 'p', type: 'x', credentials: { K: 'v' } }),
  },
  {
    what: 'a taken sandbox name (a transaction)',
    status: 409,
    run: () => body('POST', '/v1/sandboxes', { name: 'box', spec: {} }),
  },
  {
    what: 'a stale provider',
    status: 409,
    run: () => body('PATCH', '/v1/providers/p', { config: {}, expectedResourceVersion: 9 }),
  },
  {
    what: 'a stale sandbox (attach)',
    status: 409,
    run: () => call('PUT', '/v1/sandboxes/box/providers/free?expectedResourceVersion=9'),
  },
  {
    what: 'a stale setting',
    status: 409,
    run: () => body('PUT', '/v1/settings/theme', { value: 'x', expectedResourceVersion: 9 }),
  },
  {
    what: 'a stale revision',
    status: 409,
    run: () =>
      body('PUT', '/v1/sandboxes/box/config/policy/revisions/1/status', {
        status: 'FAILED',
        expectedResourceVersion: 9,
      }),
  },
  {
    what: 'a stale session',
    status: 409,
    run: () => call('DELETE', `/v1/ssh-sessions/${sessionId}?expectedResourceVersion=9`),
  },
  {
    what: 'a stale service',
    status: 409,
    run: () =>
      body('PUT', '/v1/sandboxes/box/services/web', { targetPort: 81, expectedResourceVersion: 9 }),
  },
  {
    what: 'a stale inference route',
    status: 409,
    run: () =>
      body('PUT', '/v1/inference/routes/r', {
        providerName: 'p',
        modelId: 'm',
        expectedResourceVersion: 9,
      }),
  },
  { what: 'an attached provider', status: 409, run: () => call('DELETE', '/v1/providers/p') },
  {
    what: 'a missing provider at create',
    status: 409,
    run: () => body('POST', '/v1/sandboxes', { spec: { providers: ['none'] } }),
  },
  {
    what: 'a missing provider at attach',
    status: 409,
    run: () => call('PUT', '/v1/sandboxes/box/providers/none'),
  },
  {
    what: 'a sandbox not READY',
    status: 409,
    run: () => body('POST', '/v1/sandboxes/new/ssh-sessions', {}),
  },
  {
    what: 'phase DELETING',
    status: 409,
    run: () => body('PUT', '/v1/sandboxes/box/status', { phase: 'DELETING' }),
  },
  // 412, 413, 415, 422
  {
    what: 'a stale If-Match',
    status: 412,
    run: () =>
      body('PUT', '/v1/settings/theme', { value: 'y' }, { 'if-match': `"${randomUUID()}:1"` }),
  },
  {
    what: 'a body over 512 KiB',
    status: 413,
    run: () => call('PUT', '/v1/settings/x', { rawBody: `{"value":"${'x'.repeat(530_000)}"}` }),
  },
  {
    what: 'a text body',
    status: 415,
    run: () =>
      call('PUT', '/v1/settings/x', {
        rawBody: 'value=1',
        headers: { 'content-type': 'text/plain' },
      }),
  },
  {
    what: 'a reused Idempotency-Key',
    status: 422,
    run: () => body('PUT', '/v1/settings/other', { value: 2 }, { 'idempotency-key': 'used-once' }),
  },
];

function deep(levels: number) {
  let o: Record<string, unknown> = {};
  for (let i = 0; i < levels; i++) o = { a: o };
  return o;
}

function big(n: number) {
  return Object.fromEntries(Array.from({ length: n }, (_, i) => [`big${i}`, 'b'.repeat(8000)]));
}

function expectClean(res: ApiResponse, status: number) {
  expect(res.status).toBe(status);
  expect(problemShapeErrors(res)).toEqual([]);
  expect(internalLeaks(JSON.stringify(res.body), tables)).toEqual([]);
  expect(internalLeaks(JSON.stringify(res.headers), tables)).toEqual([]);
}

describe('failures of the API', () => {
  it.each(failures.map((f) => [f.what, f] as const))('%s', async (_, f) => {
    expectClean(await f.run(), f.status);
  });

  it('a page token of another child kind of the same sandbox names nothing internal', async () => {
    // Whatever the status, DynamoDB's refusal of the start key must not show through.
    const res = await call(
      'GET',
      `/v1/sandboxes/box/ssh-sessions?pageToken=${token({ s: 'sandbox#box', k: { pk: 'sandbox#box', sk: 'rev#0000000001' } })}`,
    );
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(problemShapeErrors(res)).toEqual([]);
    expect(internalLeaks(JSON.stringify({ ...res.body, instance: '' }), tables)).toEqual([]);
  });
});

describe('failures of DynamoDB', () => {
  /** The API over a store whose every request fails with `error` before reaching DynamoDB. */
  async function failingApi(error: () => Error) {
    const base = await createTestStore();
    const failing = new Store(
      createDocumentClient({ endpoint: dynamoEndpoint(), maxAttempts: 1 }),
      base.tableName,
    );
    failing.client.middlewareStack.add(
      () => async () => {
        throw error();
      },
      { step: 'initialize', name: 'fail-every-request' },
    );
    tables.push(base.tableName);
    return (await createTestApi(failing)).call;
  }

  /** An SDK error as DynamoDB's would read: its name, message, metadata and a stack. */
  const sdkError = (name: string, status: number) => () =>
    Object.assign(
      new Error(
        `${name}: One or more parameter values were invalid: Missing the key pk in the item (table ${tables[tables.length - 1]}, sk @, resource_version)`,
      ),
      {
        name,
        $fault: status >= 500 ? 'server' : 'client',
        $metadata: { httpStatusCode: status, requestId: 'ABCDEFGHIJKLMNOPQRSTUVWXYZ' },
      },
    );

  const cases: Array<[string, () => Error, number]> = [
    ['a ValidationException', sdkError('ValidationException', 400), 500],
    ['a ResourceNotFoundException', sdkError('ResourceNotFoundException', 400), 500],
    ['an AccessDeniedException', sdkError('AccessDeniedException', 400), 500],
    ['a throttling exception', sdkError('ProvisionedThroughputExceededException', 400), 429],
    ['an internal server error', sdkError('InternalServerError', 500), 503],
    [
      'a network error',
      () =>
        Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:8000'), { code: 'ECONNREFUSED' }),
      503,
    ],
    [
      'a bug (TypeError)',
      () => new TypeError("Cannot read properties of undefined (reading 'pk')"),
      500,
    ],
  ];

  it.each(cases)('%s: the problem names nothing internal', async (_, error, status) => {
    const api = await failingApi(error);
    for (const [method, path, b] of [
      ['GET', '/v1/providers/p', undefined],
      ['GET', '/v1/providers', undefined],
      ['POST', '/v1/providers', { type: 'x', credentials: { K: 'leak-test-secret' } }],
      ['PUT', '/v1/settings/x', { value: 1 }],
      ['POST', '/v1/sandboxes', { spec: {} }],
    ] as const) {
      const res = await api(method, path, { body: b });
      expectClean(res, status);
      if (status === 429 || status === 503) expect(res.headers['retry-after']).toMatch(/^\d+$/);
      if (status === 500) expect(res.body.detail).toBe('An internal error occurred.');
    }
  });
});
