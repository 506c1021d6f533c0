import { beforeAll, describe, expect, it } from 'vitest';
import type { Store } from '#lib/store/store.ts';
import { type Call, createTestApi } from '#test/support/api.ts';
import { objectsOver } from '#test/support/objects.ts';

/** SSH sessions of a sandbox (`lib/domain/sessions.ts`) and the pages of their list. */

let call: Call;
let store: Store;
beforeAll(async () => {
  ({ call, store } = await createTestApi());
});
const { sandbox, ready } = objectsOver(() => ({ call, store }));

describe('ssh sessions', () => {
  it('only for a READY sandbox; the token only in the create response; revoke is idempotent', async () => {
    const s = await sandbox();
    const name = s.metadata.name;
    const early = await call('POST', `/v1/sandboxes/${name}/ssh-sessions`, { body: {} });
    expect(early.status).toBe(409);
    expect(early.body.code).toBe('FAILED_PRECONDITION');

    await ready(name);
    const created = await call('POST', `/v1/sandboxes/${name}/ssh-sessions`, {
      body: { ttlSeconds: 60 },
    });
    expect(created.status).toBe(201);
    expect(created.body.token).toMatch(/^sgs_/);
    const listed = await call('GET', `/v1/sandboxes/${name}/ssh-sessions`);
    expect(JSON.stringify(listed.body)).not.toContain(created.body.token);
    expect(listed.body.items).toHaveLength(1);

    const id = created.body.metadata.id;
    const r1 = await call('DELETE', `/v1/ssh-sessions/${id}`);
    expect(r1.body.session.revoked).toBe(true);
    expect(r1.body.session.metadata.resourceVersion).toBe(2);
    const r2 = await call('DELETE', `/v1/ssh-sessions/${id}`);
    expect(r2.status).toBe(200);
    expect(r2.body.session.metadata.resourceVersion).toBe(2);
  });
});

describe('page tokens found by fuzzing', () => {
  it('a page token of one list is refused by another, with a 400', async () => {
    await call('POST', '/v1/sandboxes', { body: { name: 'tok', spec: { policy: { a: 1 } } } });
    await call('PUT', '/v1/sandboxes/tok/config/policy', { body: { policy: { a: 2 } } });
    const revisions = await call('GET', '/v1/sandboxes/tok/config/policy/revisions?pageSize=1');
    expect(revisions.body.nextPageToken).toBeTruthy();
    const misplaced = await call(
      'GET',
      `/v1/sandboxes/tok/ssh-sessions?pageToken=${revisions.body.nextPageToken}`,
    );
    expect(misplaced.status).toBe(400);
    expect(misplaced.body.errors[0].field).toBe('query.pageToken');
    const next = await call(
      'GET',
      `/v1/sandboxes/tok/config/policy/revisions?pageSize=1&pageToken=${revisions.body.nextPageToken}`,
    );
    expect(next.body.items[0].version).toBe(1);
  });
});
