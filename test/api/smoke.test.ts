import { beforeAll, expect, it } from 'vitest';
import { type Call, createTestApi } from '#test/support/api.ts';

let call: Call;
beforeAll(async () => {
  ({ call } = await createTestApi());
});

it('creates, reads and lists a provider with credentials redacted', async () => {
  const created = await call('POST', '/v1/providers', {
    body: { name: 'openai', type: 'openai', credentials: { API_KEY: 'sk-secret-value-1' } },
  });
  expect(created.status).toBe(201);
  expect(created.body.credentials).toEqual({ API_KEY: 'REDACTED' });
  expect(created.headers.etag).toBe(`"${created.body.metadata.id}:1"`);
  const got = await call('GET', '/v1/providers/openai');
  expect(got.status).toBe(200);
  expect(got.body.metadata.resourceVersion).toBe(1);
  const list = await call('GET', '/v1/providers');
  expect(list.body.items.map((p: { metadata: { name: string } }) => p.metadata.name)).toEqual([
    'openai',
  ]);
});
