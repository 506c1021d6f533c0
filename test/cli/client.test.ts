import { createServer, type IncomingHttpHeaders } from 'node:http';
import { createServer as createNetServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as views from '#lib/api/view-schemas.ts';
import { ShellgateClient } from '#lib/client/client.ts';
import { ApiError, ConnectionError } from '#lib/client/errors.ts';
import type { OperationResult } from '#lib/client/types.ts';
import { contractsById, type OperationId, operationIds } from '#lib/contract/index.ts';
import { type CliTestSystem, startCliTestSystem } from '#test/support/cli.ts';
import { seedExampleWorld } from '#test/support/examples.ts';
import { createHttpCall } from '#test/support/http-client.ts';

let t: CliTestSystem;
let client: ShellgateClient;

beforeAll(async () => {
  t = await startCliTestSystem();
  client = new ShellgateClient({ endpoint: t.system.url, token: t.system.token });
});
afterAll(async () => {
  await t?.system.stop();
});

/** The error a call must fail with. */
function failureOf(call: Promise<unknown>): Promise<ApiError> {
  return call.then(
    () => {
      throw new Error('expected the call to fail');
    },
    (err: unknown) => err as ApiError,
  );
}

/** A server that answers each request with the next of `replies`, and records what it got. */
async function scriptedServer(replies: { status: number; body: unknown; headers?: object }[]) {
  const seen: IncomingHttpHeaders[] = [];
  const server = createServer((req, res) => {
    seen.push(req.headers);
    req.resume();
    const reply = replies[Math.min(seen.length - 1, replies.length - 1)]!;
    res.writeHead(reply.status, { 'content-type': 'application/json', ...reply.headers });
    res.end(JSON.stringify(reply.body));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  return {
    url: `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`,
    seen,
    close: () => new Promise((resolve) => server.close(resolve)),
  };
}

describe('ShellgateClient against the dev server', () => {
  it('calls every operation of the contract table; each answer matches the declared response schema', async () => {
    // arrange: every response is checked against the schema its type comes from
    const exercised = new Set<OperationId>();
    const check = async <K extends OperationId>(
      id: K,
      result: Promise<OperationResult<K>>,
    ): Promise<OperationResult<K>> => {
      const body = await result;
      const parsed = contractsById[id].response(views).safeParse(body);
      expect(parsed.success, `${id}: ${JSON.stringify(parsed.error?.issues)}`).toBe(true);
      exercised.add(id);
      return body;
    };
    const c = client;
    const name = { params: { name: 'box' } };

    // act
    await check(
      'createProvider',
      c.createProvider({ body: { name: 'gh', type: 'github', credentials: { T: 's' } } }),
    );
    await check('listProviders', c.listProviders({ query: { pageSize: 10 } }));
    await check('getProvider', c.getProvider({ params: { name: 'gh' } }));
    await check(
      'updateProvider',
      c.updateProvider({ params: { name: 'gh' }, body: { config: { a: 'b' } } }),
    );
    await check(
      'createSandbox',
      c.createSandbox({ body: { name: 'box', labels: { env: 't' }, spec: { image: 'u' } } }),
    );
    await check('listSandboxes', c.listSandboxes({ query: { labelSelector: { env: 't' } } }));
    await check('getSandbox', c.getSandbox(name));
    await check(
      'reportSandboxStatus',
      c.reportSandboxStatus({ ...name, body: { phase: 'READY' } }),
    );
    await check('attachProvider', c.attachProvider({ params: { name: 'box', provider: 'gh' } }));
    await check('listAttachedProviders', c.listAttachedProviders(name));
    await check('detachProvider', c.detachProvider({ params: { name: 'box', provider: 'gh' } }));
    await check('putPolicy', c.putPolicy({ ...name, body: { policy: { network: 'deny' } } }));
    await check('listPolicyRevisions', c.listPolicyRevisions(name));
    await check(
      'reportPolicyRevisionStatus',
      c.reportPolicyRevisionStatus({
        params: { name: 'box', version: 1 },
        body: { status: 'LOADED' },
      }),
    );
    await check('getSandboxConfig', c.getSandboxConfig(name));
    await check(
      'setSandboxSetting',
      c.setSandboxSetting({ params: { name: 'box', key: 'k' }, body: { value: 1 } }),
    );
    await check(
      'deleteSandboxSetting',
      c.deleteSandboxSetting({ params: { name: 'box', key: 'k' } }),
    );
    await check('getGlobalSettings', c.getGlobalSettings());
    await check(
      'setGlobalSetting',
      c.setGlobalSetting({ params: { key: 'g' }, body: { value: 'v' } }),
    );
    await check('deleteGlobalSetting', c.deleteGlobalSetting({ params: { key: 'g' } }));
    const rule = (host: string) => ({ endpoints: [{ host, ports: [443] }] });
    await check(
      'mergePolicy',
      c.mergePolicy({
        ...name,
        body: { operations: [{ op: 'addRule', ruleName: 'gh', rule: rule('api.github.com') }] },
      }),
    );
    const draft = await check(
      'submitPolicyDraft',
      c.submitPolicyDraft({
        ...name,
        body: { ruleName: 'pypi', rule: rule('pypi.org'), dedupKey: 'pypi', rationale: 'denied' },
      }),
    );
    const aDraft = { params: { name: 'box', id: draft.metadata.name } };
    await check('listPolicyDrafts', c.listPolicyDrafts({ ...name, query: { status: 'PENDING' } }));
    await check('getPolicyDraft', c.getPolicyDraft(aDraft));
    await check(
      'editPolicyDraft',
      c.editPolicyDraft({ ...aDraft, body: { rule: rule('pypi.org'), expectedReviewVersion: 1 } }),
    );
    await check('approvePolicyDraft', c.approvePolicyDraft({ ...aDraft, body: {} }));
    await check('undoPolicyDraft', c.undoPolicyDraft({ ...aDraft, body: {} }));
    await check('rejectPolicyDraft', c.rejectPolicyDraft({ ...aDraft, body: { reason: 'no' } }));
    await check('listPolicyDraftHistory', c.listPolicyDraftHistory(aDraft));
    await c.submitPolicyDraft({ ...name, body: { ruleName: 'npm', rule: rule('npmjs.org') } });
    await check('approvePolicyDrafts', c.approvePolicyDrafts({ ...name, body: {} }));
    await c.submitPolicyDraft({ ...name, body: { ruleName: 'cargo', rule: rule('crates.io') } });
    await check(
      'clearPolicyDrafts',
      c.clearPolicyDrafts({ ...name, query: { status: 'PENDING' } }),
    );
    await check('putGlobalPolicy', c.putGlobalPolicy({ body: { policy: { allow: ['*'] } } }));
    await check('getGlobalPolicy', c.getGlobalPolicy());
    await check('listGlobalPolicyRevisions', c.listGlobalPolicyRevisions());
    await check(
      'deleteGlobalPolicy',
      c.deleteGlobalPolicy({ query: { expectedPolicyVersion: 1 } }),
    );
    const session = await check(
      'createSSHSession',
      c.createSSHSession({ ...name, body: { ttlSeconds: 60 } }),
    );
    await check('listSSHSessions', c.listSSHSessions(name));
    await check('revokeSSHSession', c.revokeSSHSession({ params: { id: session.metadata.id } }));
    await check(
      'exposeService',
      c.exposeService({ params: { name: 'box', service: 'web' }, body: { targetPort: 80 } }),
    );
    await check('listServices', c.listServices({ query: { sandbox: 'box' } }));
    await check('getService', c.getService({ params: { name: 'box', service: 'web' } }));
    await check('deleteService', c.deleteService({ params: { name: 'box', service: 'web' } }));
    await check(
      'upsertInferenceRoute',
      c.upsertInferenceRoute({ params: { name: 'r' }, body: { providerName: 'gh', modelId: 'm' } }),
    );
    await check('listInferenceRoutes', c.listInferenceRoutes());
    await check('getInferenceRoute', c.getInferenceRoute({ params: { name: 'r' } }));
    await check('healthz', c.healthz());
    await check('openapi', c.openapi());
    await check('docs', c.docs());
    const current = await c.getSandbox(name);
    await check(
      'deleteSandbox',
      c.deleteSandbox({
        ...name,
        query: { expectedResourceVersion: current.metadata.resourceVersion },
      }),
    );
    await check('deleteProvider', c.deleteProvider({ params: { name: 'gh' } }));
    // Every other operation (a route added since this sequence was written) with its example,
    // in API order, in the example world as it stands before the first of them.
    const others = operationIds.filter((id) => !exercised.has(id));
    if (others.length) {
      const http = createHttpCall(t.system.url, t.system.token);
      await seedExampleWorld((method, path, body) => http(method, path, { body }), others[0]);
    }
    for (const id of others) {
      const input = contractsById[id].example as Parameters<typeof c.request>[1];
      await check(
        id,
        c.request(id, input).then((r) => r.body as OperationResult<typeof id>),
      );
    }

    // assert
    expect([...exercised].sort()).toEqual([...operationIds].sort());
  });

  it('a stale write throws ApiError with the code, the current version and object; If-Match makes it 412', async () => {
    // arrange
    const created = await client.request('createProvider', {
      body: { name: 'stale', type: 'github', credentials: { T: 's' } },
    });
    await client.updateProvider({ params: { name: 'stale' }, body: { config: { a: '1' } } });
    // act
    const [byBody, byIfMatch] = await Promise.all(
      [
        client.updateProvider({
          params: { name: 'stale' },
          body: { config: { a: '2' }, expectedResourceVersion: 1 },
        }),
        client.updateProvider(
          { params: { name: 'stale' }, body: { config: { a: '3' } } },
          { ifMatch: created.etag },
        ),
      ].map((p) =>
        p.then(
          () => undefined,
          (err: unknown) => err,
        ),
      ),
    );
    // assert
    expect(created.status).toBe(201);
    expect(created.etag).toBe(`"${created.body.metadata.id}:1"`);
    for (const [err, status] of [
      [byBody, 409],
      [byIfMatch, 412],
    ] as const) {
      expect(err).toBeInstanceOf(ApiError);
      const e = err as ApiError;
      expect([e.status, e.code, e.operationId]).toEqual([status, 'ABORTED', 'updateProvider']);
      expect(e.currentResourceVersion).toBe(2);
      expect(e.current).toMatchObject({ metadata: { name: 'stale', resourceVersion: 2 } });
    }
  });

  it('INVALID_ARGUMENT carries each failing field', async () => {
    const err = await failureOf(client.createSandbox({ body: { name: 'Bad', spec: {} } }));
    expect(err).toBeInstanceOf(ApiError);
    expect((err as ApiError).errors).toEqual([expect.objectContaining({ field: 'body.name' })]);
  });
});

describe('ShellgateClient transport', () => {
  it('retries 503 and 429 with the same Idempotency-Key, then answers the success', async () => {
    // arrange
    const server = await scriptedServer([
      {
        status: 503,
        body: { code: 'UNAVAILABLE', detail: 'later' },
        headers: { 'retry-after': '0' },
      },
      { status: 429, body: { code: 'RESOURCE_EXHAUSTED' }, headers: { 'retry-after': '0' } },
      { status: 200, body: { settings: {}, resourceVersion: 2 } },
    ]);
    const c = new ShellgateClient({ endpoint: server.url, token: 'tok' });
    try {
      // act
      const res = await c.setGlobalSetting({ params: { key: 'k' }, body: { value: 1 } });
      // assert
      expect(res.resourceVersion).toBe(2);
      expect(server.seen).toHaveLength(3);
      const keys = server.seen.map((h) => h['idempotency-key']);
      expect(new Set(keys).size).toBe(1);
      expect(keys[0]).toMatch(/^[0-9a-f-]{36}$/);
      expect(server.seen[0]?.authorization).toBe('Bearer tok');
    } finally {
      await server.close();
    }
  });

  it('gives up after its retries, and never retries a conflict', async () => {
    const throttled = await scriptedServer([
      {
        status: 429,
        body: { code: 'RESOURCE_EXHAUSTED', detail: 'slow down' },
        headers: { 'retry-after': '0' },
      },
    ]);
    const conflict = await scriptedServer([
      { status: 409, body: { code: 'ABORTED', detail: 'modified', currentResourceVersion: 4 } },
    ]);
    try {
      const e1 = await failureOf(
        new ShellgateClient({ endpoint: throttled.url, retries: 1 }).getGlobalSettings(),
      );
      expect([e1.code, e1.message, e1.retryAfterSeconds]).toEqual([
        'RESOURCE_EXHAUSTED',
        'slow down',
        0,
      ]);
      expect(throttled.seen).toHaveLength(2);
      const e2 = await failureOf(
        new ShellgateClient({ endpoint: conflict.url }).getGlobalSettings(),
      );
      expect([e2.code, e2.currentResourceVersion]).toEqual(['ABORTED', 4]);
      expect(conflict.seen).toHaveLength(1);
    } finally {
      await throttled.close();
      await conflict.close();
    }
  });

  it('maps a body that is not a problem (API Gateway’s own 401) by its status', async () => {
    const server = await scriptedServer([{ status: 401, body: { message: 'Unauthorized' } }]);
    try {
      const err = await failureOf(new ShellgateClient({ endpoint: server.url }).listSandboxes());
      expect(err).toBeInstanceOf(ApiError);
      expect([err.status, err.code, err.message]).toEqual([401, 'UNAUTHENTICATED', 'Unauthorized']);
    } finally {
      await server.close();
    }
  });

  it('throws ConnectionError when nothing listens at the endpoint', async () => {
    const probe = createNetServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const address = probe.address();
    await new Promise((resolve) => probe.close(resolve));
    const endpoint = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
    const err = await new ShellgateClient({ endpoint }).healthz().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConnectionError);
    expect((err as ConnectionError).message).toContain('ECONNREFUSED');
  });
});
