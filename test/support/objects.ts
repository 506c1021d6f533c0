import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { expect } from 'vitest';
import type { Store } from '#lib/store/store.ts';
import type { Call } from './api.ts';

/**
 * Builders of the objects the domain tests start from, each checking that its write succeeded,
 * and a raw read of an item. `api` is read when a builder runs, so a test file can create its
 * API in `beforeAll` and its builders at module scope.
 */
export function objectsOver(api: () => { call: Call; store: Store }) {
  let n = 0;
  /** A name no other object of the test file has. */
  const unique = (p: string) => `${p}-${++n}`;

  async function provider(name = unique('p')) {
    const res = await api().call('POST', '/v1/providers', {
      body: { name, type: 'openai', credentials: { API_KEY: `sk-${name}-secret` } },
    });
    expect(res.status).toBe(201);
    return res.body;
  }

  async function sandbox(body: Record<string, unknown> = {}) {
    const name = (body.name as string) ?? unique('s');
    const res = await api().call('POST', '/v1/sandboxes', { body: { name, spec: {}, ...body } });
    expect(res.status).toBe(201);
    return res.body;
  }

  /** Reports the sandbox READY, as its supervisor would. */
  async function ready(name: string) {
    const res = await api().call('PUT', `/v1/sandboxes/${name}/status`, {
      body: { phase: 'READY' },
    });
    expect(res.status).toBe(200);
    return res.body;
  }

  /** The item as stored, read consistently: what the API shows is checked against it. */
  async function rawItem(key: { pk: string; sk: string }) {
    const { client, tableName } = api().store;
    return (
      await client.send(new GetCommand({ TableName: tableName, Key: key, ConsistentRead: true }))
    ).Item;
  }

  return { unique, provider, sandbox, ready, rawItem };
}
