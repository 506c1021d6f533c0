import { ScanCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import { createHttpHandler } from '#lib/http/handler.ts';
import { routeGroups } from '#lib/http/routes.ts';
import { Store } from '#lib/store/store.ts';
import { localContext, matchRoute, toApiGatewayEvent } from '#local/event.ts';
import { type Call, createTestApi } from '#test/support/api.ts';
import { loseResponses } from '#test/support/faults.ts';
import { requestKey } from '#test/support/request-key.ts';
import { createTestStore } from '#test/support/store.ts';

let call: Call;
let store: Store;
beforeAll(async () => {
  ({ call, store } = await createTestApi());
});

/** Moves every idempotency record of the table past its 24 h window, as time would. */
async function expireIdempotencyRecords(s: Store): Promise<number> {
  const res = await s.client.send(
    new ScanCommand({
      TableName: s.tableName,
      FilterExpression: 'begins_with(pk, :idem) AND sk = :self',
      ExpressionAttributeValues: { ':idem': 'idem#', ':self': '@' },
    }),
  );
  for (const item of res.Items ?? []) {
    await s.client.send(
      new UpdateCommand({
        TableName: s.tableName,
        Key: { pk: item.pk, sk: item.sk },
        UpdateExpression: 'SET expires_at = :past, lease_until = :zero',
        ExpressionAttributeValues: { ':past': Math.floor(Date.now() / 1000) - 60, ':zero': 0 },
      }),
    );
  }
  return res.Items?.length ?? 0;
}

/** Loses the response of the next request of one command, once. */
function loseFirst(s: Store, command: string) {
  let done = false;
  return loseResponses(s.client, (name) => {
    if (done || name !== command) return false;
    done = true;
    return true;
  });
}

/** A keyed PUT of a setting, as API Gateway hands it to the config function with `claims`. */
async function putSetting(
  handler: ReturnType<typeof createHttpHandler>,
  path: string,
  value: string,
  key: string,
  claims: Record<string, string>,
) {
  const event = toApiGatewayEvent(
    {
      method: 'PUT',
      path,
      rawQueryString: '',
      headers: { 'content-type': 'application/json', 'idempotency-key': key },
      body: JSON.stringify({ value }),
    },
    matchRoute('PUT', path),
    claims,
  );
  const res = await handler(event, localContext('config'));
  return { status: res.statusCode, body: JSON.parse(res.body ?? '{}'), headers: res.headers };
}

const keyed = (key: string) => ({ 'Idempotency-Key': key });

describe('an Idempotency-Key reused after its window is a new request', () => {
  it('a server-driven setting write applies', async () => {
    // arrange
    const first = await call('PUT', '/v1/settings/window-a', {
      body: { value: 'one' },
      headers: keyed('window-setting'),
    });
    expect(first.status).toBe(200);
    expect(await expireIdempotencyRecords(store)).toBeGreaterThan(0);
    // act: the same key a day later, for another write of the same object
    const later = await call('PUT', '/v1/settings/window-b', {
      body: { value: 'two' },
      headers: keyed('window-setting'),
    });
    // assert
    expect(later.status).toBe(200);
    expect(later.headers['idempotent-replayed']).toBeUndefined();
    expect(later.body.settings['window-b']).toBe('two');
    expect(later.body.resourceVersion).toBe(first.body.resourceVersion + 1);
    const read = await call('GET', '/v1/settings');
    expect(read.body.settings).toMatchObject({ 'window-a': 'one', 'window-b': 'two' });
  });

  it('a credential rotation replaces the credential', async () => {
    await call('POST', '/v1/providers', {
      body: { name: 'rotated', type: 't', credentials: { TOKEN: 'first-secret-aaa' } },
    });
    const rotate = (token: string) =>
      call('PATCH', '/v1/providers/rotated', {
        body: { credentials: { TOKEN: token } },
        headers: keyed('rotation'),
      });
    expect((await rotate('second-secret-bbb')).status).toBe(200);
    await expireIdempotencyRecords(store);
    const third = await rotate('third-secret-ccc');
    expect(third.status).toBe(200);
    expect(third.body.metadata.resourceVersion).toBe(3);
    const stored = await store.get<{ credentials: Record<string, string> }>({
      pk: 'provider#rotated',
      sk: '@',
    });
    expect(stored?.data.credentials.TOKEN).toBe('third-secret-ccc');
  });

  it('a create of a taken name is 409, not the old object', async () => {
    const body = { name: 'taken-later', type: 't', credentials: { K: 'create-secret-ddd' } };
    expect((await call('POST', '/v1/providers', { body, headers: keyed('create') })).status).toBe(
      201,
    );
    await expireIdempotencyRecords(store);
    const again = await call('POST', '/v1/providers', { body, headers: keyed('create') });
    expect(again.status).toBe(409);
    expect(again.body.code).toBe('ALREADY_EXISTS');
  });
});

describe('a key given back after a failure whose write had landed', () => {
  /** A handler over a store whose SDK does not retry, so a lost response fails the request. */
  async function fragileApi() {
    const base = await createTestStore({ maxAttempts: 1 });
    const s = new Store(base.client, base.tableName);
    const handler = createHttpHandler(routeGroups.config, { store: s });
    const put = (path: string, value: string, key: string) =>
      putSetting(handler, path, value, key, { sub: 'fragile-user', scope: 'shellgate:all' });
    return { s, put };
  }

  it('retried with another body, the new write applies', async () => {
    const { s, put } = await fragileApi();
    expect((await put('/v1/settings/base', 'x', 'other-key')).status).toBe(200);
    // arrange: the write lands, its response is lost, the request fails and gives the key back
    const faults = loseFirst(s, 'UpdateItemCommand');
    const failed = await put('/v1/settings/landed', 'first', 'fail-then-other');
    faults.remove();
    expect(failed.status).toBe(503);
    // act
    const other = await put('/v1/settings/landed', 'second', 'fail-then-other');
    // assert: not taken for a retry of the first request
    expect(other.status).toBe(200);
    expect(other.body.settings.landed).toBe('second');
    const stored = await s.get<{ settings: Record<string, string> }>({
      pk: 'settings#global',
      sk: '@',
    });
    expect(stored?.data.settings.landed).toBe('second');
    // created, base, first (landed, answered 503), second
    expect(stored?.resourceVersion).toBe(4);
  });

  it('retried with the same body, it is recognised by its receipt and not applied twice', async () => {
    const { s, put } = await fragileApi();
    expect((await put('/v1/settings/base', 'x', 'k0')).status).toBe(200);
    const faults = loseFirst(s, 'UpdateItemCommand');
    expect((await put('/v1/settings/same', 'v', 'fail-then-same')).status).toBe(503);
    faults.remove();
    const retry = await put('/v1/settings/same', 'v', 'fail-then-same');
    expect(retry.status).toBe(200);
    expect(retry.body.settings.same).toBe('v');
    expect(retry.body.resourceVersion).toBe(3);
  });
});

describe('a keyed write whose response is large, or whose record cannot be completed', () => {
  it('a response larger than a record replays exactly', async () => {
    // arrange: a sandbox close to the 300 KiB object limit
    const environment: Record<string, string> = {};
    for (let i = 0; i < 29; i++) environment[`VAR_${i}`] = 'e'.repeat(8000);
    const created = await call('POST', '/v1/sandboxes', {
      body: { name: 'near-limit', spec: { environment } },
    });
    expect(created.status).toBe(201);
    const policy = { blob: 'p'.repeat(63 * 1024) };
    const put = () =>
      call('PUT', '/v1/sandboxes/near-limit/config/policy', {
        body: { policy },
        headers: keyed('near-limit-policy'),
      });
    // act
    const first = await put();
    const replay = await put();
    // assert
    expect(first.status).toBe(200);
    expect(JSON.stringify(first.body).length).toBeGreaterThan(350 * 1024);
    expect(replay.status).toBe(200);
    expect(replay.headers['idempotent-replayed']).toBe('true');
    expect(replay.body).toEqual(first.body);
    const revisions = await call('GET', '/v1/sandboxes/near-limit/config/policy/revisions');
    expect(revisions.body.items).toHaveLength(1);
  });

  it('a write that took effect is a success even when its record cannot be kept', async () => {
    // arrange: every write of the completed response to the key's record fails
    const s = await createTestStore();
    const { call: callS } = await createTestApi(s);
    const name = 'refuse-complete';
    s.client.middlewareStack.add(
      (next) => async (args) => {
        const input = args.input as {
          Key?: Record<string, unknown>;
          UpdateExpression?: string;
          ExpressionAttributeValues?: Record<string, unknown>;
        };
        const pk = requestKey(input.Key)?.pk;
        const values = JSON.stringify(input.ExpressionAttributeValues ?? {});
        if (pk?.startsWith('idem#') && values.includes('"done"')) {
          throw Object.assign(new Error('refused'), { name: 'ValidationException', $metadata: {} });
        }
        return next(args);
      },
      { step: 'build', name },
    );
    const write = () =>
      callS('PUT', '/v1/settings/kept', { body: { value: 'once' }, headers: keyed('no-record') });
    // act
    const first = await write();
    // assert: answered as what happened
    expect(first.status).toBe(200);
    expect(first.body.settings.kept).toBe('once');
    // a retry while the first claim's lease runs is told to wait; after it, it takes over and
    // finds its own receipt on the object: the same success, not a second write
    expect((await write()).status).toBe(503);
    await expireIdempotencyRecords(s);
    const retry = await write();
    s.client.middlewareStack.remove(name);
    expect(retry.status).toBe(200);
    expect(retry.body.resourceVersion).toBe(first.body.resourceVersion);
  });
});

describe('the principal of an Idempotency-Key', () => {
  const callAs = (claims: Record<string, string>, value: string, key: string) =>
    putSetting(
      createHttpHandler(routeGroups.config, { store }),
      '/v1/settings/principal',
      value,
      key,
      {
        scope: 'shellgate:all',
        ...claims,
      },
    );

  it('two clients without `sub` never share a key', async () => {
    const a = await callAs({ azp: 'client-a' }, 'from-a', 'shared-key');
    const b = await callAs({ azp: 'client-b' }, 'from-b', 'shared-key');
    expect(a.status).toBe(200);
    expect(b.status).toBe(200);
    expect(b.headers['idempotent-replayed']).toBeUndefined();
    expect(b.body.settings.principal).toBe('from-b');
  });

  it('the same subject at two issuers is two principals', async () => {
    const a = await callAs({ iss: 'https://a.example', sub: 'u' }, 'iss-a', 'iss-key');
    const b = await callAs({ iss: 'https://b.example', sub: 'u' }, 'iss-b', 'iss-key');
    expect(a.status).toBe(200);
    expect(b.status).toBe(200);
    expect(b.body.settings.principal).toBe('iss-b');
  });

  it('a keyed write from a token that names nobody is 400 and writes nothing', async () => {
    const before = await call('GET', '/v1/settings');
    const res = await callAs({}, 'nobody', 'nobody-key');
    expect(res.status).toBe(400);
    expect(res.body.errors[0].field).toBe('header.idempotency-key');
    const after = await call('GET', '/v1/settings');
    expect(after.body).toEqual(before.body);
  });
});
