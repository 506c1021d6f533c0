import { beforeAll, describe, expect, it } from 'vitest';
import { type Call, createTestApi } from '#test/support/api.ts';

let call: Call;
beforeAll(async () => {
  ({ call } = await createTestApi());
});

describe('Idempotency-Key', () => {
  it('concurrent requests with one key run once: one session, never two', async () => {
    await call('POST', '/v1/sandboxes', { body: { name: 'idem-box', spec: {} } });
    await call('PUT', '/v1/sandboxes/idem-box/status', { body: { phase: 'READY' } });
    for (let round = 0; round < 10; round++) {
      const key = `session-${round}`;
      const rs = await Promise.all(
        [0, 1, 2].map(() =>
          call('POST', '/v1/sandboxes/idem-box/ssh-sessions', {
            body: { ttlSeconds: 60 },
            headers: { 'Idempotency-Key': key },
          }),
        ),
      );
      for (const r of rs) expect([201, 503]).toContain(r.status);
      const ok = rs.filter((r) => r.status === 201);
      expect(ok.length).toBeGreaterThanOrEqual(1);
      expect(new Set(ok.map((r) => r.body.metadata.id)).size).toBe(1);
      for (const r of rs.filter((r) => r.status === 503)) {
        expect(r.headers['retry-after']).toBe('1');
      }
      // A later retry replays the first response, with the token withheld.
      const replay = await call('POST', '/v1/sandboxes/idem-box/ssh-sessions', {
        body: { ttlSeconds: 60 },
        headers: { 'Idempotency-Key': key },
      });
      expect(replay.status).toBe(201);
      expect(replay.body.metadata.id).toBe(ok[0]!.body.metadata.id);
      expect(replay.body.token).toBe('REDACTED');
    }
    const sessions = await call('GET', '/v1/sandboxes/idem-box/ssh-sessions');
    expect(sessions.body.items).toHaveLength(10);
  });

  it('a failed request gives the key back: the retry runs again', async () => {
    const conflict = await call('PATCH', '/v1/providers/idem-missing', {
      body: { config: { a: '1' } },
      headers: { 'Idempotency-Key': 'retry-after-404' },
    });
    expect(conflict.status).toBe(404);
    await call('POST', '/v1/providers', {
      body: { name: 'idem-missing', type: 't', credentials: { K: 'idem-secret-xyz' } },
    });
    const retried = await call('PATCH', '/v1/providers/idem-missing', {
      body: { config: { a: '1' } },
      headers: { 'Idempotency-Key': 'retry-after-404' },
    });
    expect(retried.status).toBe(200);
    expect(retried.body.metadata.resourceVersion).toBe(2);
  });
});
