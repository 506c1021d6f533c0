import { beforeAll, describe, expect, it } from 'vitest';
import { LIMITS } from '#lib/domain/limits.ts';
import { PLATFORM, RESPONSE_BUDGET } from '#lib/platform-limits.ts';
import type { Store } from '#lib/store/store.ts';
import { type ApiResponse, type Call, createTestApi } from '#test/support/api.ts';
import { putLegacySandboxes } from '#test/support/legacy-items.ts';

let call: Call;
let store: Store;
beforeAll(async () => {
  ({ call, store } = await createTestApi());
});

let n = 0;
const unique = (p: string) => `${p}-${++n}`;

/** 37 config values of 8000 bytes: a provider just under the 300 KiB object limit. */
const BIG_CONFIG = Object.fromEntries(
  Array.from({ length: 37 }, (_, i) => [`c${String(i).padStart(2, '0')}`, 'v'.repeat(8000)]),
);

async function provider(name: string, config: Record<string, string> = {}) {
  const res = await call('POST', '/v1/providers', {
    body: { name, type: 'openai', credentials: { API_KEY: `sk-${name}` }, config },
  });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
}

async function sandbox(name: string, providers: string[]) {
  const res = await call('POST', '/v1/sandboxes', { body: { name, spec: { providers } } });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
}

const listPath = (name: string, query = '') =>
  `/v1/sandboxes/${name}/providers${query ? `?${query}` : ''}`;

/** Every page from the first, following the tokens. */
async function allPages(name: string, query = ''): Promise<ApiResponse[]> {
  const pages: ApiResponse[] = [];
  let token: string | undefined;
  do {
    const q = [query, token ? `pageToken=${token}` : ''].filter(Boolean).join('&');
    const res = await call('GET', listPath(name, q));
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    pages.push(res);
    token = res.body.nextPageToken;
  } while (token && pages.length < 100);
  return pages;
}

const namesOf = (pages: ApiResponse[]) =>
  pages.flatMap((p) => p.body.items.map((i: { metadata: { name: string } }) => i.metadata.name));

describe('GET /v1/sandboxes/{name}/providers', () => {
  it('32 providers near the object limit come back over several pages, each under Lambda’s 6 MB, all once and in order', async () => {
    // arrange
    const names = Array.from({ length: LIMITS.providersPerSandbox }, () => unique('big'));
    for (const p of names) await provider(p, BIG_CONFIG);
    const box = unique('box');
    await sandbox(box, [...names].reverse());

    // act
    const pages = await allPages(box);

    // assert
    expect(pages.length).toBeGreaterThanOrEqual(3);
    for (const page of pages) {
      const bytes = Buffer.byteLength(JSON.stringify(page.body));
      expect(bytes).toBeLessThan(PLATFORM.lambda.responseBytes);
      expect(bytes).toBeLessThan(RESPONSE_BUDGET.pageBytes + 64 * 1024);
      expect(page.body.items.length).toBeGreaterThanOrEqual(1);
      expect(page.body.missing).toEqual([]);
      expect(page.body.items[0].credentials).toEqual({ API_KEY: 'REDACTED' });
    }
    expect(namesOf(pages)).toEqual([...names].reverse());
    expect(pages.at(-1)?.body.nextPageToken).toBeUndefined();
  });

  it('takes pageSize (default 100, 1–1000) and tokens bound to the sandbox', async () => {
    // arrange
    const names = Array.from({ length: 5 }, () => unique('p'));
    for (const p of names) await provider(p);
    const box = unique('box');
    const other = unique('box');
    await sandbox(box, names);
    await sandbox(other, names);

    // act
    const whole = await call('GET', listPath(box));
    const pages = await allPages(box, 'pageSize=2');
    const first = pages[0]!.body.nextPageToken as string;

    // assert
    expect(whole.body).toMatchObject({ missing: [] });
    expect(whole.body.nextPageToken).toBeUndefined();
    expect(namesOf([whole])).toEqual(names);
    expect(pages.map((p) => p.body.items.length)).toEqual([2, 2, 1]);
    expect(namesOf(pages)).toEqual(names);
    const base64 = /^[A-Za-z0-9_-]+$/;
    expect(first).toMatch(base64);
    // Another sandbox's token, another list's token, a forgery and bad sizes are 400.
    const revisions = Buffer.from(
      JSON.stringify({ s: `sandbox#${box}`, k: { pk: `sandbox#${box}`, sk: 'rev#0000000001' } }),
    ).toString('base64url');
    const forged = Buffer.from(
      JSON.stringify({ s: `sandbox#${box}`, k: { pk: `sandbox#${box}`, sk: 'providers#x' } }),
    ).toString('base64url');
    for (const query of [
      `pageToken=${first}&pageSize=2`,
      `pageToken=${revisions}`,
      `pageToken=${forged}`,
      'pageSize=0',
      'pageSize=1001',
      'limit=3',
    ]) {
      const target = query.startsWith(`pageToken=${first}`) ? other : box;
      const res = await call('GET', listPath(target, query));
      expect(res.status, query).toBe(400);
      expect(res.body.code, query).toBe('INVALID_ARGUMENT');
    }
  });

  it('continues after the last entry returned when the list changes between pages', async () => {
    // arrange
    const names = Array.from({ length: 6 }, () => unique('p'));
    for (const p of names) await provider(p);
    const box = unique('box');
    await sandbox(box, names);
    const page = (token?: string) =>
      call('GET', listPath(box, `pageSize=2${token ? `&pageToken=${token}` : ''}`));

    // act: the first entry goes after page 1; the last one returned goes after page 2
    const one = await page();
    await call('DELETE', `/v1/sandboxes/${box}/providers/${names[0]}`);
    const two = await page(one.body.nextPageToken);
    await call('DELETE', `/v1/sandboxes/${box}/providers/${names[3]}`);
    const three = await page(two.body.nextPageToken);

    // assert
    expect(namesOf([one])).toEqual(names.slice(0, 2));
    expect(namesOf([two])).toEqual(names.slice(2, 4));
    expect(namesOf([three])).toEqual(names.slice(4, 6));
    expect(three.body.nextPageToken).toBeUndefined();
  });

  it('names a listed provider that is gone in `missing` instead of hiding it', async () => {
    // arrange: a sandbox from before provider refs, whose provider `gone` was deleted
    const [a, b] = [unique('p'), unique('p')];
    await provider(a);
    await provider(b);
    const box = unique('legacy');
    await putLegacySandboxes(store, { [box]: [a, 'gone', b] });

    // act
    const whole = await call('GET', listPath(box));
    const pages = await allPages(box, 'pageSize=1');
    const detach = await call('DELETE', `/v1/sandboxes/${box}/providers/gone`);
    const after = await call('GET', listPath(box));

    // assert
    expect(whole.status).toBe(200);
    expect(namesOf([whole])).toEqual([a, b]);
    expect(whole.body.missing).toEqual(['gone']);
    expect(pages.map((p) => [namesOf([p]), p.body.missing])).toEqual([
      [[a], []],
      [[], ['gone']],
      [[b], []],
    ]);
    expect(detach.status).toBe(200);
    expect(after.body).toMatchObject({ missing: [] });
    expect(namesOf([after])).toEqual([a, b]);
  });
});
