import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { type ApiResponse, type Call, createTestApi } from '#test/support/api.ts';

/**
 * SPEC §7 over HTTP through the handlers: the answers of the policy lifecycle's routes when the
 * stored state refuses them (which kind is missing, what a 409 carries), the preconditions
 * every mutating request may carry (§3), and the global policy's hold on every sandbox policy
 * write (§7.4).
 */

let call: Call;
beforeAll(async () => {
  ({ call } = await createTestApi());
});

const RULE = { endpoints: [{ host: 'api.github.com', ports: [443] }] };
const drafts = (sandbox: string) => `/v1/sandboxes/${sandbox}/config/policy/drafts`;

async function ok(method: string, path: string, body?: unknown): Promise<ApiResponse> {
  const res = await call(method, path, { body });
  expect(res.status, `${method} ${path}: ${JSON.stringify(res.body)}`).toBeLessThan(300);
  return res;
}

async function sandbox(): Promise<string> {
  const name = `pl-${randomUUID().slice(0, 8)}`;
  await ok('POST', '/v1/sandboxes', { name, spec: {} });
  return name;
}

async function submit(name: string, dedupKey: string, ruleName = 'github') {
  const res = await ok('POST', drafts(name), { ruleName, rule: RULE, dedupKey });
  return res.body as { metadata: { id: string; name: string; resourceVersion: number } };
}

const etagOf = (o: { metadata: { id: string; resourceVersion: number } }) =>
  `"${o.metadata.id}:${o.metadata.resourceVersion}"`;

async function latestPolicyVersion(name: string): Promise<number> {
  return (await ok('GET', `/v1/sandboxes/${name}/config`)).body.policyVersion;
}

describe('a missing object is named by its kind', () => {
  it('every draft route: 404 names the sandbox when it is missing, else the draft', async () => {
    // arrange
    const name = await sandbox();
    const ghost = 'd00000000000000000000000';
    const routes: Array<[string, string, unknown?]> = [
      ['GET', ''],
      ['PATCH', '', { rule: RULE }],
      ['POST', '/approve', {}],
      ['POST', '/reject', {}],
      ['POST', '/undo', {}],
      ['GET', '/history'],
    ];

    for (const [method, suffix, body] of routes) {
      // act
      const noSandbox = await call(method, `${drafts('pl-absent')}/${ghost}${suffix}`, { body });
      const noDraft = await call(method, `${drafts(name)}/${ghost}${suffix}`, { body });

      // assert
      expect([noSandbox.status, noSandbox.body.detail], `${method} ${suffix}`).toEqual([
        404,
        'sandbox pl-absent does not exist.',
      ]);
      expect([noDraft.status, noDraft.body.detail], `${method} ${suffix}`).toEqual([
        404,
        `policy draft ${ghost} does not exist.`,
      ]);
    }
    for (const [method, path, body] of [
      ['POST', drafts('pl-absent'), { ruleName: 'g', rule: RULE }],
      ['GET', drafts('pl-absent')],
      ['DELETE', drafts('pl-absent')],
      ['POST', `${drafts('pl-absent')}/approve`, {}],
    ] as const) {
      const res = await call(method, path, { body });
      expect([res.status, res.body.detail], `${method} ${path}`).toEqual([
        404,
        'sandbox pl-absent does not exist.',
      ]);
    }
    const named = await call('POST', `${drafts(name)}/approve`, {
      body: { drafts: [{ id: ghost }] },
    });
    expect([named.status, named.body.detail]).toEqual([
      404,
      `policy draft ${ghost} does not exist.`,
    ]);
  });
});

describe('what a refused draft decision answers', () => {
  it('a stale expectedReviewVersion is 409 ABORTED with the current draft; nothing changes', async () => {
    // arrange
    const name = await sandbox();
    const draft = await submit(name, 'k');
    const path = `${drafts(name)}/${draft.metadata.name}`;

    for (const [method, suffix, body] of [
      ['PATCH', '', { rule: RULE, expectedReviewVersion: 2 }],
      ['POST', '/approve', { expectedReviewVersion: 2 }],
      ['POST', '/reject', { expectedReviewVersion: 2 }],
      ['POST', '/undo', { expectedReviewVersion: 2 }],
    ] as const) {
      // act
      const res = await call(method, `${path}${suffix}`, { body });

      // assert
      expect(res.status, suffix).toBe(409);
      expect(res.body.code).toBe('ABORTED');
      expect(res.body.currentResourceVersion).toBe(1);
      expect(res.body.current).toMatchObject({
        metadata: { name: draft.metadata.name, resourceVersion: 1 },
        status: 'PENDING',
        reviewVersion: 1,
      });
    }
    expect((await ok('GET', path)).body.metadata.resourceVersion).toBe(1);
    expect(await latestPolicyVersion(name)).toBe(0);
  });

  it('a status the decision does not allow is 409 FAILED_PRECONDITION naming the draft and its status', async () => {
    // arrange
    const name = await sandbox();
    const pending = await submit(name, 'p');
    const approved = await submit(name, 'a', 'other');
    await ok('POST', `${drafts(name)}/${approved.metadata.name}/approve`, {});
    const version = await latestPolicyVersion(name);

    // act
    const refused = [
      await call('POST', `${drafts(name)}/${pending.metadata.name}/undo`, { body: {} }),
      await call('PATCH', `${drafts(name)}/${approved.metadata.name}`, { body: { rule: RULE } }),
      await call('POST', `${drafts(name)}/approve`, {
        body: { drafts: [{ id: pending.metadata.name }, { id: approved.metadata.name }] },
      }),
    ];

    // assert
    expect(refused.map((r) => [r.status, r.body.code, r.body.details])).toEqual([
      [409, 'FAILED_PRECONDITION', { draft: pending.metadata.name, status: 'PENDING' }],
      [409, 'FAILED_PRECONDITION', { draft: approved.metadata.name, status: 'APPROVED' }],
      [409, 'FAILED_PRECONDITION', { draft: approved.metadata.name, status: 'APPROVED' }],
    ]);
    expect((await ok('GET', `${drafts(name)}/${pending.metadata.name}`)).body.status).toBe(
      'PENDING',
    );
    expect(await latestPolicyVersion(name)).toBe(version);
  });
});

describe('preconditions of the lifecycle routes (SPEC §3)', () => {
  it('every draft body takes expectedResourceVersion and expectedId, and If-Match, and holds them', async () => {
    // arrange
    const name = await sandbox();
    const draft = await submit(name, 'k');
    const path = `${drafts(name)}/${draft.metadata.name}`;
    const { id } = draft.metadata;

    // act
    const staleBody = await call('POST', `${path}/approve`, {
      body: { expectedResourceVersion: 2, expectedId: id },
    });
    const otherId = await call('POST', `${path}/reject`, {
      body: { expectedResourceVersion: 1, expectedId: randomUUID() },
    });
    const staleIfMatch = await call('PATCH', path, {
      body: { rule: RULE },
      headers: { 'if-match': `"${id}:2"` },
    });
    const edited = await call('PATCH', path, {
      body: { rule: RULE, expectedResourceVersion: 1, expectedId: id },
    });
    const approved = await call('POST', `${path}/approve`, {
      body: {},
      headers: { 'if-match': etagOf(edited.body) },
    });

    // assert
    expect([staleBody.status, staleBody.body.code]).toEqual([409, 'ABORTED']);
    expect([otherId.status, otherId.body.code]).toEqual([409, 'ABORTED']);
    expect([staleIfMatch.status, staleIfMatch.body.code]).toEqual([412, 'ABORTED']);
    expect(edited.status).toBe(200);
    expect(approved.status).toBe(200);
    expect(approved.body.draft.status).toBe('APPROVED');
  });

  it('If-Match of a draft that was cleared does not decide the one submitted again under its name', async () => {
    // arrange: the same dedupKey makes the same draft name, and version 1 again
    const name = await sandbox();
    const first = await submit(name, 'again');
    await ok('DELETE', drafts(name));
    const second = await submit(name, 'again');
    expect(second.metadata.name).toBe(first.metadata.name);
    expect(second.metadata.resourceVersion).toBe(first.metadata.resourceVersion);

    // act
    const res = await call('POST', `${drafts(name)}/${first.metadata.name}/approve`, {
      body: {},
      headers: { 'if-match': etagOf(first) },
    });

    // assert
    expect([res.status, res.body.code]).toEqual([412, 'ABORTED']);
    expect(res.body.current.metadata.id).toBe(second.metadata.id);
    expect((await ok('GET', `${drafts(name)}/${second.metadata.name}`)).body.status).toBe(
      'PENDING',
    );
    expect(await latestPolicyVersion(name)).toBe(0);
  });

  it('a merge holds the sandbox version it is sent, in the body or If-Match', async () => {
    // arrange
    const name = await sandbox();
    const put = await ok('PUT', `/v1/sandboxes/${name}/config/policy`, { policy: { a: 1 } });
    const { id, resourceVersion } = put.body.sandbox.metadata;
    const operations = [{ op: 'addRule', ruleName: 'github', rule: RULE }];
    const path = `/v1/sandboxes/${name}/config/policy`;

    // act
    const staleBody = await call('PATCH', path, {
      body: { operations, expectedResourceVersion: resourceVersion + 1 },
    });
    const otherId = await call('PATCH', path, {
      body: { operations, expectedResourceVersion: resourceVersion, expectedId: randomUUID() },
    });
    const staleIfMatch = await call('PATCH', path, {
      body: { operations },
      headers: { 'if-match': `"${id}:${resourceVersion + 1}"` },
    });
    const versionAfterRefusals = await latestPolicyVersion(name);
    const merged = await call('PATCH', path, {
      body: { operations },
      headers: { 'if-match': `"${id}:${resourceVersion}"` },
    });

    // assert
    expect([staleBody.status, staleBody.body.code]).toEqual([409, 'ABORTED']);
    expect(staleBody.body.currentResourceVersion).toBe(resourceVersion);
    expect(staleBody.body.current.metadata.name).toBe(name);
    expect([otherId.status, otherId.body.code]).toEqual([409, 'ABORTED']);
    expect([staleIfMatch.status, staleIfMatch.body.code]).toEqual([412, 'ABORTED']);
    expect(versionAfterRefusals).toBe(1);
    expect(merged.status).toBe(200);
    expect(merged.body.revision.version).toBe(2);
  });

  it('the global DELETE takes expectedId, and clear takes the preconditions a DELETE may carry', async () => {
    // arrange
    const put = await ok('PUT', '/v1/config/policy', { policy: { allow: ['*'] } });
    const { id, resourceVersion } = put.body.metadata;

    // act
    let otherId: ApiResponse;
    let lifted: ApiResponse;
    try {
      otherId = await call(
        'DELETE',
        `/v1/config/policy?expectedResourceVersion=${resourceVersion}&expectedId=${randomUUID()}`,
      );
      lifted = await call('DELETE', `/v1/config/policy?expectedId=${id}`);
    } finally {
      // No other test may find it in force.
      await call('DELETE', '/v1/config/policy');
    }
    const cleared = await call(
      'DELETE',
      `${drafts(await sandbox())}?status=PENDING&expectedResourceVersion=0`,
    );

    // assert
    expect([otherId.status, otherId.body.code]).toEqual([409, 'ABORTED']);
    expect(lifted.status).toBe(200);
    expect([cleared.status, cleared.body]).toEqual([200, { deleted: 0 }]);
  });
});

describe('a global policy in force holds every sandbox policy write (SPEC §7.4)', () => {
  it('PUT, merge, approve, undo, reject of an approved draft and approve-all are 409 and write nothing', async () => {
    // arrange
    const name = await sandbox();
    const approved = await submit(name, 'approved');
    await ok('POST', `${drafts(name)}/${approved.metadata.name}/approve`, {});
    const pending = await submit(name, 'pending', 'other');
    const version = await latestPolicyVersion(name);
    await ok('PUT', '/v1/config/policy', { policy: { allow: ['*'] } });
    const policy = `/v1/sandboxes/${name}/config/policy`;
    const writes: Array<[string, string, unknown]> = [
      ['PUT', policy, { policy: { a: 2 } }],
      ['PATCH', policy, { operations: [{ op: 'addRule', ruleName: 'x', rule: RULE }] }],
      ['POST', `${drafts(name)}/${pending.metadata.name}/approve`, {}],
      ['POST', `${drafts(name)}/${approved.metadata.name}/undo`, {}],
      ['POST', `${drafts(name)}/${approved.metadata.name}/reject`, {}],
      ['POST', `${drafts(name)}/approve`, {}],
    ];

    try {
      for (const [method, path, body] of writes) {
        // act
        const res = await call(method, path, { body });

        // assert
        expect([res.status, res.body.code, res.body.detail], `${method} ${path}`).toEqual([
          409,
          'FAILED_PRECONDITION',
          'policy is managed globally',
        ]);
      }
      const config = await ok('GET', `/v1/sandboxes/${name}/config`);
      expect(config.body.policySource).toBe('GLOBAL');
      expect(config.body.policyVersion).toBe(version);
      const statuses = (await ok('GET', drafts(name))).body.items.map(
        (d: { status: string }) => d.status,
      );
      expect(statuses.sort()).toEqual(['APPROVED', 'PENDING']);
      // Submitting, and rejecting a PENDING draft, change no policy: they go on.
      await ok('POST', drafts(name), { ruleName: 'third', rule: RULE, dedupKey: 'third' });
      await ok('POST', `${drafts(name)}/${pending.metadata.name}/reject`, {});
    } finally {
      await ok('DELETE', '/v1/config/policy');
    }

    // Lifted: the sandbox's own policy is written again.
    await ok('POST', `${drafts(name)}/${approved.metadata.name}/undo`, {});
    expect(await latestPolicyVersion(name)).toBe(version + 1);
  });
});
