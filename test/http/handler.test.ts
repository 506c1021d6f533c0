import { describe, expect, it } from 'vitest';
import { createOfflineApi } from '#test/support/api.ts';

/**
 * The handler pipeline (`lib/http/handler.ts`) over the real route table and a store no request
 * reaches: what it parses, refuses and answers before the database is asked anything.
 */

const { call } = createOfflineApi();

describe('requests', () => {
  it('bad input is a 400 naming each field and writes nothing', async () => {
    const res = await call('POST', '/v1/providers', {
      body: { name: 'Bad_Name', type: 'x', credentials: {}, extra: 1 },
    });
    expect(res.status).toBe(400);
    expect(res.headers['content-type']).toBe('application/problem+json');
    const fields = res.body.errors.map((e: { field: string }) => e.field);
    expect(fields).toEqual(expect.arrayContaining(['body.name', 'body.credentials', 'body']));
    expect((await call('GET', '/v1/providers/Bad_Name')).status).toBe(400);
  });

  it('malformed JSON is 400, a wrong content type 415, an unknown route 404', async () => {
    expect((await call('POST', '/v1/providers', { rawBody: '{"name":' })).status).toBe(400);
    const wrongType = await call('POST', '/v1/providers', {
      rawBody: 'name=x',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect(wrongType.status).toBe(415);
    expect((await call('GET', '/v1/nothing-here')).status).toBe(404);
  });
});
