import { beforeAll, describe, expect, it } from 'vitest';
import type { Store } from '#lib/store/store.ts';
import { type Call, createTestApi } from '#test/support/api.ts';
import { objectsOver } from '#test/support/objects.ts';

/**
 * A sandbox's policy (`lib/domain/policy.ts`) and the revisions a write of it creates
 * (`lib/domain/revisions.ts`; reports over many revisions: `policy-revisions.test.ts`).
 */

let call: Call;
let store: Store;
beforeAll(async () => {
  ({ call, store } = await createTestApi());
});
const { sandbox } = objectsOver(() => ({ call, store }));

describe('policy', () => {
  it('first policy is a CAS on the sandbox; later ones are revisions N+1; LOADED supersedes', async () => {
    const s = await sandbox();
    const name = s.metadata.name;
    const first = await call('PUT', `/v1/sandboxes/${name}/config/policy`, {
      body: { policy: { net: 'deny' }, expectedResourceVersion: 1 },
    });
    expect(first.status).toBe(200);
    expect(first.body.revision.version).toBe(1);
    expect(first.body.sandbox.metadata.resourceVersion).toBe(2);
    const second = await call('PUT', `/v1/sandboxes/${name}/config/policy`, {
      body: { policy: { net: 'allow' } },
    });
    expect(second.body.revision.version).toBe(2);

    const loaded1 = await call('PUT', `/v1/sandboxes/${name}/config/policy/revisions/1/status`, {
      body: { status: 'LOADED' },
    });
    expect(loaded1.body.status).toBe('LOADED');
    const loaded2 = await call('PUT', `/v1/sandboxes/${name}/config/policy/revisions/2/status`, {
      body: { status: 'LOADED' },
    });
    expect(loaded2.body.status).toBe('LOADED');

    const revisions = await call('GET', `/v1/sandboxes/${name}/config/policy/revisions`);
    expect(
      revisions.body.items.map((r: { version: number; status: string }) => [r.version, r.status]),
    ).toEqual([
      [2, 'LOADED'],
      [1, 'SUPERSEDED'],
    ]);
    const config = await call('GET', `/v1/sandboxes/${name}/config`);
    expect(config.body.currentPolicyVersion).toBe(2);
    expect(config.body.policyVersion).toBe(2);
    expect(config.body.policy).toEqual({ net: 'allow' });
  });

  it('concurrent policy writers never produce two revisions with the same number', async () => {
    const s = await sandbox();
    const name = s.metadata.name;
    const results = await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        call('PUT', `/v1/sandboxes/${name}/config/policy`, { body: { policy: { i } } }),
      ),
    );
    const ok = results.filter((r) => r.status === 200);
    const versions = ok.map((r) => r.body.revision.version);
    expect(new Set(versions).size).toBe(versions.length);
    const revisions = await call('GET', `/v1/sandboxes/${name}/config/policy/revisions`);
    expect(revisions.body.items).toHaveLength(ok.length);
  });
});
