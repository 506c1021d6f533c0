import { afterAll, beforeAll, expect, it } from 'vitest';

// The handlers' logger and metrics read these when they load: import them only afterwards.
process.env.POWERTOOLS_METRICS_DISABLED = 'false';
process.env.POWERTOOLS_LOG_LEVEL = 'INFO';

const lines: string[] = [];
const write = process.stdout.write.bind(process.stdout);
beforeAll(() => {
  process.stdout.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
    lines.push(String(chunk));
    return (write as (...a: unknown[]) => boolean)(chunk, ...rest);
  }) as typeof process.stdout.write;
});
afterAll(() => {
  process.stdout.write = write;
});

it('one structured log line per request and EMF metrics by route; no secret reaches a log', async () => {
  const { createTestApi } = await import('#test/support/api.ts');
  const { call } = await createTestApi();
  const secret = 'sk-observability-secret-value';
  await call('POST', '/v1/providers', {
    body: { name: 'obs', type: 't', credentials: { K: secret } },
  });
  await call('PATCH', '/v1/providers/obs', { body: { config: { a: '1' } } });
  lines.length = 0;

  const stale = await call('PATCH', '/v1/providers/obs', {
    body: { credentials: { K: `${secret}-2` }, expectedResourceVersion: 1 },
  });
  expect(stale.status).toBe(409);

  const records = lines
    .flatMap((l) => l.split('\n'))
    .filter(Boolean)
    .map((l) => JSON.parse(l));
  const log = records.find((r) => r.message === 'request');
  expect(log).toMatchObject({ route: 'updateProvider', status: 409, outcome: 'ABORTED' });
  expect(log.requestId).toBeTruthy();
  const emf = records.filter((r) => r._aws?.CloudWatchMetrics);
  const byRoute = emf.find((r) => r.route === 'updateProvider');
  expect(byRoute?.Conflicts).toBe(1);
  expect(byRoute._aws.CloudWatchMetrics[0].Namespace).toBe('shellgate');
  const aggregate = emf.find((r) => r.route === undefined && r.Conflicts === 1);
  expect(aggregate).toBeDefined();
  expect(lines.join('')).not.toContain(secret);
});
