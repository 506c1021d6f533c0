import { beforeAll, describe, expect, it } from 'vitest';
import { type Call, createTestApi } from '#test/support/api.ts';
import { createTestStore } from '#test/support/store.ts';

let call: Call;
beforeAll(async () => {
  ({ call } = await createTestApi());
});

async function sandboxWithRevisions(c: Call, name: string, count: number, policyBytes: number) {
  expect((await c('POST', '/v1/sandboxes', { body: { name, spec: {} } })).status).toBe(201);
  for (let v = 1; v <= count; v++) {
    const res = await c('PUT', `/v1/sandboxes/${name}/config/policy`, {
      body: { policy: { v, blob: 'x'.repeat(policyBytes) } },
    });
    expect(res.status).toBe(200);
  }
}

async function allRevisions(c: Call, name: string) {
  const out: Array<{ version: number; status: string }> = [];
  let token: string | undefined;
  do {
    const res = await c(
      'GET',
      `/v1/sandboxes/${name}/config/policy/revisions?pageSize=1000${token ? `&pageToken=${token}` : ''}`,
    );
    expect(res.status).toBe(200);
    out.push(...res.body.items);
    token = res.body.nextPageToken;
  } while (token);
  return out;
}

describe('reporting LOADED supersedes every older revision, whatever their size and number', () => {
  it('older pending revisions of 64 KiB policies past 4 MB in all', async () => {
    // arrange: 66 pending revisions of 63 KiB each (4.06 MiB of policies)
    await sandboxWithRevisions(call, 'big-policies', 66, 63 * 1024);
    // act
    const res = await call('PUT', '/v1/sandboxes/big-policies/config/policy/revisions/66/status', {
      body: { status: 'LOADED' },
    });
    // assert
    expect(res.status).toBe(200);
    expect(res.body.status).toBe('LOADED');
    const revisions = await allRevisions(call, 'big-policies');
    expect(revisions).toHaveLength(66);
    for (const r of revisions) expect(r.status).toBe(r.version === 66 ? 'LOADED' : 'SUPERSEDED');
    const sandbox = await call('GET', '/v1/sandboxes/big-policies');
    expect(sandbox.body.currentPolicyVersion).toBe(66);
  });

  it('more older revisions than one transaction holds', async () => {
    await sandboxWithRevisions(call, 'many-revisions', 130, 10);
    const res = await call(
      'PUT',
      '/v1/sandboxes/many-revisions/config/policy/revisions/130/status',
      { body: { status: 'LOADED' } },
    );
    expect(res.status).toBe(200);
    const revisions = await allRevisions(call, 'many-revisions');
    expect(revisions.filter((r) => r.status === 'SUPERSEDED')).toHaveLength(129);
    expect(revisions.find((r) => r.version === 130)?.status).toBe('LOADED');
  });

  it('a report interrupted between its transactions is completed by the next report', async () => {
    // arrange: a store whose second transaction fails as an outage would
    const store = await createTestStore({ maxAttempts: 1 });
    const { call: c } = await createTestApi(store);
    await sandboxWithRevisions(c, 'interrupted', 120, 10);
    let transactions = 0;
    store.client.middlewareStack.add(
      (next, context) => async (args) => {
        const command = (context as { commandName?: string }).commandName;
        if (command === 'TransactWriteItemsCommand' && ++transactions === 2) {
          throw Object.assign(new Error('unavailable'), {
            name: 'ServiceUnavailable',
            $metadata: { httpStatusCode: 503 },
          });
        }
        return next(args);
      },
      { step: 'initialize', name: 'fail-second-transaction' },
    );
    const report = () =>
      c('PUT', '/v1/sandboxes/interrupted/config/policy/revisions/120/status', {
        body: { status: 'LOADED' },
      });
    // act
    const first = await report();
    const second = await report();
    store.client.middlewareStack.remove('fail-second-transaction');
    // assert: the first answer says it failed; the retry finishes the work
    expect(first.status).toBe(503);
    expect(second.status).toBe(200);
    const revisions = await allRevisions(c, 'interrupted');
    expect(revisions.filter((r) => r.status === 'SUPERSEDED')).toHaveLength(119);
    expect((await c('GET', '/v1/sandboxes/interrupted')).body.currentPolicyVersion).toBe(120);
  });
});
