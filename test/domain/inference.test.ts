import { beforeAll, describe, expect, it } from 'vitest';
import type { Store } from '#lib/store/store.ts';
import { type Call, createTestApi } from '#test/support/api.ts';
import { objectsOver } from '#test/support/objects.ts';

/** Inference routes (`lib/domain/inference.ts`). */

let call: Call;
let store: Store;
beforeAll(async () => {
  ({ call, store } = await createTestApi());
});
const { unique } = objectsOver(() => ({ call, store }));

describe('inference routes', () => {
  it('inference upsert creates at version 1 and updates through CAS', async () => {
    const name = unique('route');
    const c = await call('PUT', `/v1/inference/routes/${name}`, {
      body: { providerName: 'openai', modelId: 'gpt' },
    });
    expect(c.status).toBe(201);
    expect(c.body.metadata.resourceVersion).toBe(1);
    expect(c.body.timeoutSeconds).toBe(60);
    const u = await call('PUT', `/v1/inference/routes/${name}`, {
      body: { providerName: 'openai', modelId: 'gpt-2', expectedResourceVersion: 1 },
    });
    expect(u.body.metadata.resourceVersion).toBe(2);
    const stale = await call('PUT', `/v1/inference/routes/${name}`, {
      body: { providerName: 'openai', modelId: 'gpt-3', expectedResourceVersion: 1 },
    });
    expect(stale.status).toBe(409);
    expect((await call('GET', `/v1/inference/routes/${name}`)).body.modelId).toBe('gpt-2');
  });
});
