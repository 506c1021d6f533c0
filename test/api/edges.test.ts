import { beforeAll, describe, expect, it } from 'vitest';
import { keys } from '#lib/domain/keys.ts';
import type { SandboxData } from '#lib/domain/types.ts';
import { change } from '#lib/store/expression.ts';
import type { Store } from '#lib/store/store.ts';
import { type ApiResponse, type Call, createTestApi } from '#test/support/api.ts';

let call: Call;
let store: Store;
beforeAll(async () => {
  ({ call, store } = await createTestApi());
});

const LAMBDA_RESPONSE_BYTES = 6 * 1024 * 1024;
const responseBytes = (res: ApiResponse) => Buffer.byteLength(JSON.stringify(res.body));

/** Follows a list's pages; every page must fit a Lambda response. */
async function everyPage(path: string): Promise<{ names: string[]; pages: number }> {
  const names: string[] = [];
  let pages = 0;
  let token: string | undefined;
  do {
    const sep = path.includes('?') ? '&' : '?';
    const res = await call('GET', `${path}${token ? `${sep}pageToken=${token}` : ''}`);
    expect(res.status).toBe(200);
    expect(responseBytes(res)).toBeLessThan(LAMBDA_RESPONSE_BYTES);
    expect(res.body.items.length).toBeGreaterThan(0);
    names.push(...res.body.items.map((i: { metadata: { name: string } }) => i.metadata.name));
    token = res.body.nextPageToken;
    pages++;
  } while (token);
  return { names, pages };
}

describe('label selectors are bounded', () => {
  it('150 requirements are 400 naming the selector, and 20 are served', async () => {
    const terms = (n: number) => Array.from({ length: n }, (_, i) => `k${i}=v`).join(',');
    const tooMany = await call('GET', `/v1/sandboxes?labelSelector=${terms(150)}`);
    expect(tooMany.status).toBe(400);
    expect(tooMany.body.errors[0].field).toBe('query.labelSelector');
    const most = await call('GET', `/v1/sandboxes?labelSelector=${terms(20)}`);
    expect(most.status).toBe(200);
  });

  it('a selector longer than 4096 bytes is 400', async () => {
    const long = `${'a'.repeat(63)}=${'b'.repeat(63)}`;
    const selector = Array.from(
      { length: 20 },
      (_, i) => `p${i}${'d'.repeat(60)}.${'e'.repeat(60)}.com/${long}`,
    ).join(',');
    expect(selector.length).toBeGreaterThan(4096);
    const res = await call('GET', `/v1/sandboxes?labelSelector=${encodeURIComponent(selector)}`);
    expect(res.status).toBe(400);
    expect(res.body.errors[0].field).toBe('query.labelSelector');
  });
});

describe('list pages are bounded by bytes as well as by count', () => {
  it('100 revisions of 64 KiB policies come back in pages under 6 MB', async () => {
    // arrange: 6.2 MiB of revisions
    await call('POST', '/v1/sandboxes', { body: { name: 'rev-pages', spec: {} } });
    for (let v = 1; v <= 100; v++) {
      const res = await call('PUT', '/v1/sandboxes/rev-pages/config/policy', {
        body: { policy: { v, blob: 'r'.repeat(63 * 1024) } },
      });
      expect(res.status).toBe(200);
    }
    // act
    const { names, pages } = await everyPage(
      '/v1/sandboxes/rev-pages/config/policy/revisions?pageSize=100',
    );
    // assert: all of them, newest first, each once, over more than one page
    expect(pages).toBeGreaterThan(1);
    expect(names).toEqual(Array.from({ length: 100 }, (_, i) => `rev-pages-${100 - i}`));
  });

  it('a page of maximal sandboxes stops before 6 MB', async () => {
    const environment: Record<string, string> = {};
    for (let i = 0; i < 36; i++) environment[`VAR_${i}`] = 's'.repeat(8000);
    for (let i = 0; i < 24; i++) {
      const res = await call('POST', '/v1/sandboxes', {
        body: {
          name: `big-${String(i).padStart(2, '0')}`,
          labels: { big: 'yes' },
          spec: { environment },
        },
      });
      expect(res.status).toBe(201);
    }
    const { names, pages } = await everyPage('/v1/sandboxes?labelSelector=big=yes&pageSize=1000');
    expect(pages).toBeGreaterThan(1);
    expect(names).toEqual(
      Array.from({ length: 24 }, (_, i) => `big-${String(i).padStart(2, '0')}`),
    );
  });
});

describe('settings are bounded', () => {
  it('a settings map holds 64 keys; the 65th is 400 naming the key, server- and client-driven', async () => {
    // arrange: the global settings at their limit, every value at its longest
    for (let i = 0; i < 64; i++) {
      const res = await call('PUT', `/v1/settings/key-${i}`, { body: { value: 'v'.repeat(4096) } });
      expect(res.status).toBe(200);
    }
    const full = await call('GET', '/v1/settings');
    // act
    const serverDriven = await call('PUT', '/v1/settings/one-more', { body: { value: 'x' } });
    const clientDriven = await call('PUT', '/v1/settings/one-more', {
      body: { value: 'x', expectedResourceVersion: full.body.resourceVersion },
    });
    // assert: refused, nothing written; existing keys can still change
    for (const res of [serverDriven, clientDriven]) {
      expect(res.status).toBe(400);
      expect(res.body.errors[0].field).toBe('path.key');
    }
    expect((await call('GET', '/v1/settings')).body).toEqual(full.body);
    const change = await call('PUT', '/v1/settings/key-0', { body: { value: 'changed' } });
    expect(change.status).toBe(200);
  });

  it('a string value longer than 4096 bytes is 400', async () => {
    const res = await call('PUT', '/v1/settings/long', { body: { value: 'v'.repeat(4097) } });
    expect(res.status).toBe(400);
    expect(res.body.errors[0].field).toBe('body.value');
  });
});

describe('a sandbox being deleted acknowledges no write', () => {
  it('settings, services, revision reports and revokes are 409 FAILED_PRECONDITION', async () => {
    // arrange: a sandbox with children, then marked DELETING as a delete's first step does
    await call('POST', '/v1/sandboxes', { body: { name: 'going', spec: { policy: { a: 1 } } } });
    await call('PUT', '/v1/sandboxes/going/status', { body: { phase: 'READY' } });
    await call('PUT', '/v1/sandboxes/going/services/web', { body: { targetPort: 80 } });
    await call('PUT', '/v1/sandboxes/going/config/settings/old', { body: { value: 1 } });
    const session = await call('POST', '/v1/sandboxes/going/ssh-sessions', { body: {} });
    expect(session.status).toBe(201);
    const sandbox = await store.get<SandboxData>(keys.sandbox('going'));
    await store.transact(
      [
        {
          type: 'update',
          subject: { kind: 'Sandbox', name: 'going' },
          base: sandbox!,
          changes: [change.set(['phase'], 'DELETING')],
        },
        { type: 'freeze', key: keys.sandboxSettings('going') },
      ],
      { requestId: 'mark-deleting' },
    );
    const before = await store.queryAll(keys.sandboxPartition('going'));
    // act
    const writes = [
      await call('PUT', '/v1/sandboxes/going/config/settings/new', { body: { value: 2 } }),
      await call('DELETE', '/v1/sandboxes/going/config/settings/old'),
      await call('PUT', '/v1/sandboxes/going/services/web', { body: { targetPort: 81 } }),
      await call('DELETE', '/v1/sandboxes/going/services/web'),
      await call('PUT', '/v1/sandboxes/going/config/policy/revisions/1/status', {
        body: { status: 'FAILED', loadError: 'x' },
      }),
      await call('DELETE', `/v1/ssh-sessions/${session.body.metadata.id}`),
    ];
    // assert
    for (const res of writes) {
      expect(res.status).toBe(409);
      expect(res.body.code).toBe('FAILED_PRECONDITION');
    }
    expect(await store.queryAll(keys.sandboxPartition('going'))).toEqual(before);
  });
});
