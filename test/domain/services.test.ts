import { beforeAll, describe, expect, it } from 'vitest';
import type { Store } from '#lib/store/store.ts';
import { type Call, createTestApi } from '#test/support/api.ts';
import { objectsOver } from '#test/support/objects.ts';

/** Services a sandbox exposes (`lib/domain/services.ts`). */

let call: Call;
let store: Store;
beforeAll(async () => {
  ({ call, store } = await createTestApi());
});
const { sandbox } = objectsOver(() => ({ call, store }));

describe('services', () => {
  it('expose creates then updates through CAS', async () => {
    const s = await sandbox();
    const name = s.metadata.name;
    const c = await call('PUT', `/v1/sandboxes/${name}/services/web`, {
      body: { targetPort: 3000, domain: true },
    });
    expect(c.status).toBe(201);
    expect(c.body.url).toContain('web--');
    const u = await call('PUT', `/v1/sandboxes/${name}/services/web`, {
      body: { targetPort: 3001, expectedResourceVersion: 1 },
    });
    expect(u.status).toBe(200);
    expect(u.body.targetPort).toBe(3001);
    expect(u.body.metadata.resourceVersion).toBe(2);
    const list = await call('GET', `/v1/services?sandbox=${name}`);
    expect(list.body.items).toHaveLength(1);
    expect(
      (await call('DELETE', `/v1/sandboxes/${name}/services/web?expectedResourceVersion=2`)).status,
    ).toBe(200);
    expect((await call('GET', `/v1/sandboxes/${name}/services/web`)).status).toBe(404);
  });
});
