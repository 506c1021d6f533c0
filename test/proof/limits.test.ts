import { createHash, randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NetworkRule, PolicyOperation } from '#lib/domain/inputs.ts';
import { LIMITS } from '#lib/domain/limits.ts';
import { applyOperations, composePolicy } from '#lib/domain/network-rules.ts';
import { routes } from '#lib/http/routes.ts';
import { defaultStore } from '#lib/http/store.ts';
import { PLATFORM } from '#lib/platform-limits.ts';
import type { Store } from '#lib/store/store.ts';
import { DEV_ISSUER } from '#local/dev-auth.ts';
import { type LocalSystem, startLocalSystem } from '#local/system.ts';
import { createHttpCall, type HttpCall } from '#test/support/http-client.ts';
import { problemShapeErrors } from '#test/support/problems.ts';
import { requestKey } from '#test/support/request-key.ts';
import { dynamoEndpoint } from '#test/support/store.ts';

/**
 * The limits suite: every route driven, with valid data, to each limit it can reach (the
 * biggest object, the most children, the most revisions, the longest selector, the largest
 * response), keyed and unkeyed, over HTTP through the dev server, which enforces Lambda's 6 MB
 * response limit as AWS does. A request at a limit succeeds; one just past it is a 4xx
 * problem naming the field and writes nothing (no write command the handlers send takes
 * effect while it runs). No answer is a 5xx or larger than 6 MB.
 */

let system: LocalSystem;
let call: HttpCall;

beforeAll(async () => {
  system = await startLocalSystem({
    port: 0,
    dynamoEndpoint: dynamoEndpoint(),
    table: `shellgate-limits-${randomUUID().slice(0, 8)}`,
    stateDir: mkdtempSync(join(tmpdir(), 'shellgate-limits-')),
    schedules: false,
    log: () => {},
  });
  call = createHttpCall(system.url, system.token);
  // The dev server's handlers run in this process on the instance's store: watch its writes.
  watchWrites(defaultStore());
}, 120_000);
afterAll(async () => {
  await system?.stop();
});

type Answer = Awaited<ReturnType<HttpCall>>;

/** What every answer of this suite must be: not a 5xx, not over Lambda's response limit. */
function expectWithinPlatform(res: Answer, what: string) {
  expect(res.status, `${what}: ${res.text.slice(0, 300)}`).toBeLessThan(500);
  expect(Buffer.byteLength(res.text), what).toBeLessThan(PLATFORM.lambda.responseBytes);
}

const covered = new Set<string>();
const routeOf = (method: string, path: string) => {
  const p = path.split('?')[0]!;
  const found = routes.find(
    (r) => r.method === method && new RegExp(`^${r.path.replace(/\{[^}]+\}/g, '[^/]+')}$`).test(p),
  );
  if (!found) throw new Error(`no route for ${method} ${p}`);
  return found.operationId;
};

/** A request at a limit: a 2xx; keyed, its replay is the same answer. */
async function atLimit(method: string, path: string, body?: unknown): Promise<Answer> {
  covered.add(routeOf(method, path));
  const res = await call(method, path, { body });
  expectWithinPlatform(res, `${method} ${path}`);
  expect(res.status, `${method} ${path}: ${res.text.slice(0, 300)}`).toBeLessThan(300);
  return res;
}

/** The same, with an Idempotency-Key: the success and its replay are one answer. */
async function atLimitKeyed(method: string, path: string, body?: unknown): Promise<Answer> {
  covered.add(routeOf(method, path));
  const headers = { 'idempotency-key': `limits-${randomUUID()}` };
  const first = await call(method, path, { body, headers });
  expectWithinPlatform(first, `${method} ${path} (keyed)`);
  expect(first.status, first.text.slice(0, 300)).toBeLessThan(300);
  const replay = await call(method, path, { body, headers });
  expect(replay.status).toBe(first.status);
  expect(replay.headers['idempotent-replayed']).toBe('true');
  expect(replay.body).toEqual(first.body);
  return first;
}

/** The write commands of the handlers' store that took effect since the last look. */
const written: string[] = [];
const WRITE_COMMANDS = /^(Put|Update|Delete|TransactWrite|BatchWrite)(Item|Items)?Command$/;

function watchWrites(target: Store) {
  target.client.middlewareStack.add(
    (next, context) => async (args) => {
      const result = await next(args);
      const command = (context as { commandName?: string }).commandName ?? '';
      const input = args.input as { Key?: Record<string, unknown>; Item?: Record<string, unknown> };
      if (WRITE_COMMANDS.test(command)) {
        const key = requestKey(input.Key) ?? requestKey(input.Item);
        written.push(key ? `${command} ${key.pk}|${key.sk}` : command);
      }
      return result;
    },
    { step: 'initialize', name: 'limits-write-watch' },
  );
}

/**
 * A request just past a limit: a 4xx naming `field` (a 409, which has no field errors, says
 * `field` in its detail), and the table as it was.
 */
async function pastLimit(
  method: string,
  path: string,
  body: unknown,
  field: string,
  opts: { keyed?: boolean; status?: number; code?: string } = {},
) {
  covered.add(routeOf(method, path));
  written.length = 0;
  const headers: Record<string, string> = opts.keyed
    ? { 'idempotency-key': `limits-${randomUUID()}` }
    : {};
  const res = await call(method, path, { body, headers });
  expectWithinPlatform(res, `${method} ${path}`);
  expect(res.status, res.text.slice(0, 300)).toBe(opts.status ?? 400);
  expect(problemShapeErrors(res)).toEqual([]);
  if (opts.code) expect(res.body.code).toBe(opts.code);
  if (res.status === 409) {
    expect(res.body.detail, res.text.slice(0, 300)).toContain(field);
  } else {
    const fields = (res.body.errors ?? []).map((e: { field: string }) => e.field);
    expect(
      fields.some((f: string) => f === field || f.startsWith(`${field}.`)),
      `${field} in ${res.text.slice(0, 300)}`,
    ).toBe(true);
  }
  // Nothing written: no write the handlers sent took effect (a failed condition writes nothing),
  // but for the key's claim, which the refusal gave back.
  expect(
    written.filter((w) => !w.includes(' idem#')),
    `${method} ${path}`,
  ).toEqual([]);
  if (headers['idempotency-key']) {
    const principal = JSON.stringify([DEV_ISSUER, 'dev-user']);
    const id = createHash('sha256')
      .update(`${principal}\n${headers['idempotency-key']}`)
      .digest('base64url');
    expect(await defaultStore().records.get({ pk: `idem#${id}`, sk: '@' })).toBeUndefined();
  }
}

/** Follows every page of a list; each page is within the platform's limits. */
async function allPages(path: string): Promise<{ names: string[]; pages: number }> {
  const names: string[] = [];
  let pages = 0;
  let token: string | undefined;
  do {
    const sep = path.includes('?') ? '&' : '?';
    const res = await atLimit('GET', `${path}${token ? `${sep}pageToken=${token}` : ''}`);
    names.push(
      ...res.body.items.map(
        (i: { metadata?: { name: string }; name?: string }) => i.metadata?.name ?? i.name,
      ),
    );
    token = res.body.nextPageToken;
    pages++;
  } while (token);
  return { names, pages };
}

const value = (n: number, c = 'v') => c.repeat(n);
/** `count` map entries whose values have `bytes` bytes each. */
const entries = (count: number, bytes: number, prefix = 'K') =>
  Object.fromEntries(
    Array.from({ length: count }, (_, i) => [
      `${prefix}_${i}`,
      value(bytes, String.fromCharCode(97 + (i % 26))),
    ]),
  );

/** Credentials: each value its own, so none appears inside another response's text. */
const secretEntries = (count: number, bytes: number, prefix = 'K') =>
  Object.fromEntries(
    Array.from({ length: count }, (_, i) => {
      const id = `sec-${randomUUID()}-`;
      return [`${prefix}_${i}`, `${id}${'#'.repeat(Math.max(0, bytes - id.length))}`];
    }),
  );

/** An object's stored size as the service measures it. */
const objectBytes = (o: unknown) => Buffer.byteLength(JSON.stringify(o));

describe('providers at their limits', () => {
  it('the most credentials and config entries, and the largest object', async () => {
    // 32 credentials and 64 config entries, near the 300 KiB object limit with the longest keys
    const credentials = secretEntries(LIMITS.providerCredentials, 7000, 'C'.repeat(200));
    const config = entries(LIMITS.providerConfig, 600, 'G'.repeat(200));
    expect(objectBytes({ credentials, config })).toBeLessThan(LIMITS.objectBytes);
    await atLimit('POST', '/v1/providers', { name: 'max-p', type: 't', credentials, config });
    await atLimitKeyed('POST', '/v1/providers', {
      name: 'max-p-keyed',
      type: 't',
      credentials,
      config,
    });
    await pastLimit(
      'POST',
      '/v1/providers',
      { name: 'p-33', type: 't', credentials: secretEntries(33, 10) },
      'body.credentials',
    );
    await pastLimit(
      'POST',
      '/v1/providers',
      { name: 'p-65', type: 't', credentials: { K: 'x' }, config: entries(65, 10) },
      'body.config',
      { keyed: true },
    );
    await pastLimit(
      'POST',
      '/v1/providers',
      {
        name: 'p-big',
        type: 't',
        credentials: secretEntries(32, 8192),
        config: entries(8, 8192),
      },
      'body',
    );
    await atLimit('GET', '/v1/providers/max-p');
  });

  it('PATCH to the object limit, and past it', async () => {
    await atLimit('POST', '/v1/providers', {
      name: 'grow-p',
      type: 't',
      credentials: secretEntries(30, 8000),
    });
    await atLimitKeyed('PATCH', '/v1/providers/grow-p', { config: entries(5, 8000, 'X') });
    await pastLimit('PATCH', '/v1/providers/grow-p', { config: entries(10, 8000, 'Y') }, 'body');
    await pastLimit(
      'PATCH',
      '/v1/providers/grow-p',
      { credentials: secretEntries(3, 10, 'Z') },
      'body.credentials',
      { keyed: true },
    );
  });

  it('a list of the largest providers comes back in pages', async () => {
    for (let i = 0; i < 24; i++) {
      await atLimit('POST', '/v1/providers', {
        name: `wide-${String(i).padStart(2, '0')}`,
        type: 't',
        credentials: { K: 'x' },
        config: entries(36, 8000),
      });
    }
    const { names, pages } = await allPages('/v1/providers?pageSize=1000');
    expect(pages).toBeGreaterThan(1);
    expect(new Set(names).size).toBe(names.length);
    expect(names.filter((n) => n.startsWith('wide-'))).toHaveLength(24);
  });
});

describe('sandboxes at their limits', () => {
  it('the largest sandbox, the most providers, the longest selector', async () => {
    for (let i = 0; i < LIMITS.providersPerSandbox + 1; i++) {
      await atLimit('POST', '/v1/providers', {
        name: `att-${i}`,
        type: 't',
        credentials: { K: 'x' },
        config: entries(36, 8000),
      });
    }
    const providers = Array.from({ length: LIMITS.providersPerSandbox }, (_, i) => `att-${i}`);
    const labels = Object.fromEntries(
      Array.from({ length: LIMITS.labels }, (_, i) => [
        `l${i}.example.com/${'k'.repeat(60)}`,
        'v'.repeat(63),
      ]),
    );
    const environment = entries(LIMITS.environment, 1500, 'E');
    const policy = { blob: value(LIMITS.policyBytes - 20) };
    const spec = { environment, providers, policy };
    expect(objectBytes({ spec, labels })).toBeLessThan(LIMITS.objectBytes);
    await atLimit('POST', '/v1/sandboxes', { name: 'max-s', labels, spec });
    await atLimitKeyed('POST', '/v1/sandboxes', {
      name: 'max-s-keyed',
      labels,
      spec: { ...spec, providers: providers.slice(0, 4) },
    });
    await pastLimit(
      'POST',
      '/v1/sandboxes',
      { name: 's-33', spec: { providers: [...providers, 'att-32'] } },
      'body.spec.providers',
    );
    await pastLimit(
      'POST',
      '/v1/sandboxes',
      { name: 's-129', spec: { environment: entries(129, 1) } },
      'body.spec.environment',
      { keyed: true },
    );
    await pastLimit(
      'POST',
      '/v1/sandboxes',
      { name: 's-big', spec: { environment: entries(40, 8000) } },
      'body.spec',
    );
    await pastLimit(
      'POST',
      '/v1/sandboxes',
      { name: 's-policy', spec: { policy: { blob: value(LIMITS.policyBytes) } } },
      'body.spec.policy',
    );
    await atLimit('GET', '/v1/sandboxes/max-s');
    const selector = Object.entries(labels)
      .slice(0, 20)
      .map(([k, v]) => `${k}=${v}`)
      .join(',');
    expect(Buffer.byteLength(selector)).toBeLessThanOrEqual(LIMITS.labelSelectorBytes);
    const selected = await atLimit(
      'GET',
      `/v1/sandboxes?labelSelector=${encodeURIComponent(selector)}`,
    );
    expect(selected.body.items.map((s: { metadata: { name: string } }) => s.metadata.name)).toEqual(
      ['max-s', 'max-s-keyed'],
    );
    const tooMany = Object.entries(labels)
      .slice(0, 21)
      .map(([k]) => `${k}=v`)
      .join(',');
    await pastLimit(
      'GET',
      `/v1/sandboxes?labelSelector=${encodeURIComponent(tooMany)}`,
      undefined,
      'query.labelSelector',
    );
    await pastLimit('GET', '/v1/sandboxes?pageSize=1001', undefined, 'query.pageSize');
  });

  it('32 attached providers near the object limit come back in pages', async () => {
    const { names, pages } = await allPages('/v1/sandboxes/max-s/providers');
    expect(pages).toBeGreaterThan(1);
    expect(names).toEqual(Array.from({ length: 32 }, (_, i) => `att-${i}`));
  });

  it('attach up to 32 providers; the 33rd is 400', async () => {
    await atLimit('POST', '/v1/sandboxes', { name: 'attach-s', spec: { providers: [] } });
    await atLimit('PUT', '/v1/sandboxes/attach-s/status', {
      phase: 'READY',
      conditions: Array.from({ length: LIMITS.conditions }, (_, i) => ({
        type: `C${i}`,
        status: 'True',
        reason: value(128, 'r'),
        message: value(1024, 'm'),
      })),
    });
    await pastLimit(
      'PUT',
      '/v1/sandboxes/attach-s/status',
      {
        phase: 'READY',
        conditions: Array.from({ length: LIMITS.conditions + 1 }, (_, i) => ({
          type: `C${i}`,
          status: 'True',
        })),
      },
      'body.conditions',
    );
    for (let i = 0; i < 31; i++) await atLimit('PUT', `/v1/sandboxes/attach-s/providers/att-${i}`);
    await atLimitKeyed('PUT', '/v1/sandboxes/attach-s/providers/att-31');
    await pastLimit('PUT', '/v1/sandboxes/attach-s/providers/att-32', undefined, 'path.provider');
    await atLimitKeyed('DELETE', '/v1/sandboxes/attach-s/providers/att-31');
    await atLimit('DELETE', '/v1/sandboxes/attach-s/providers/att-30');
  });
});

describe('config at its limits', () => {
  it('the largest policy, the deepest, and past them', async () => {
    await atLimit('POST', '/v1/sandboxes', { name: 'cfg', spec: {} });
    const deep = (levels: number): Record<string, unknown> =>
      levels <= 1 ? { leaf: 1 } : { n: deep(levels - 1) };
    await atLimit('PUT', '/v1/sandboxes/cfg/config/policy', { policy: deep(LIMITS.policyDepth) });
    await pastLimit(
      'PUT',
      '/v1/sandboxes/cfg/config/policy',
      { policy: deep(LIMITS.policyDepth + 1) },
      'body.policy',
    );
    await atLimitKeyed('PUT', '/v1/sandboxes/cfg/config/policy', {
      policy: { blob: value(LIMITS.policyBytes - 20) },
    });
    await pastLimit(
      'PUT',
      '/v1/sandboxes/cfg/config/policy',
      { policy: { blob: value(LIMITS.policyBytes) } },
      'body.policy',
      { keyed: true },
    );
    await atLimit('PUT', '/v1/sandboxes/cfg/config/policy/revisions/1/status', {
      status: 'FAILED',
      loadError: value(4096, 'e'),
    });
    await pastLimit(
      'PUT',
      '/v1/sandboxes/cfg/config/policy/revisions/2/status',
      { status: 'FAILED', loadError: value(4097, 'e') },
      'body.loadError',
    );
    await atLimitKeyed('PUT', '/v1/sandboxes/cfg/config/policy/revisions/2/status', {
      status: 'LOADED',
    });
  });

  it('the most revisions of the largest policies come back in pages', async () => {
    await atLimit('POST', '/v1/sandboxes', { name: 'revs', spec: {} });
    for (let v = 1; v <= 100; v++) {
      await atLimit('PUT', '/v1/sandboxes/revs/config/policy', {
        policy: { v, blob: value(LIMITS.policyBytes - 30) },
      });
    }
    const { names, pages } = await allPages(
      '/v1/sandboxes/revs/config/policy/revisions?pageSize=100',
    );
    expect(pages).toBeGreaterThan(1);
    expect(names).toHaveLength(100);
    await atLimit('PUT', '/v1/sandboxes/revs/config/policy/revisions/100/status', {
      status: 'LOADED',
    });
  });

  it('settings maps at their limit, sandbox and global', { timeout: 240_000 }, async () => {
    for (const base of ['/v1/sandboxes/cfg/config/settings', '/v1/settings']) {
      for (let i = 0; i < LIMITS.settingsKeys - 1; i++) {
        await atLimit('PUT', `${base}/${'k'.repeat(120)}-${i}`, {
          value: value(LIMITS.settingValueBytes),
        });
      }
      await atLimitKeyed('PUT', `${base}/last`, { value: value(LIMITS.settingValueBytes) });
      await pastLimit('PUT', `${base}/one-more`, { value: 'x' }, 'path.key');
      await pastLimit('PUT', `${base}/one-more`, { value: 'x' }, 'path.key', { keyed: true });
      await pastLimit(
        'PUT',
        `${base}/last`,
        { value: value(LIMITS.settingValueBytes + 1) },
        'body.value',
      );
      await atLimitKeyed('DELETE', `${base}/last`);
    }
    const config = await atLimit('GET', '/v1/sandboxes/cfg/config');
    expect(Object.keys(config.body.settings)).toHaveLength(LIMITS.settingsKeys - 1);
    await atLimit('GET', '/v1/settings');
  });
});

describe('sessions, services and inference routes at their limits', () => {
  it('the longest TTL, the largest port, the longest names', async () => {
    await atLimit('POST', '/v1/sandboxes', { name: 'svc', spec: {} });
    await atLimit('PUT', '/v1/sandboxes/svc/status', { phase: 'READY' });
    const session = await atLimit('POST', '/v1/sandboxes/svc/ssh-sessions', {
      ttlSeconds: LIMITS.ttlSecondsMax,
    });
    await pastLimit(
      'POST',
      '/v1/sandboxes/svc/ssh-sessions',
      { ttlSeconds: LIMITS.ttlSecondsMax + 1 },
      'body.ttlSeconds',
      { keyed: true },
    );
    await atLimit('GET', '/v1/sandboxes/svc/ssh-sessions?pageSize=1000');
    await atLimitKeyed('DELETE', `/v1/ssh-sessions/${session.body.metadata.id}`);
    const longest = `s${'e'.repeat(61)}x`;
    await atLimitKeyed('PUT', `/v1/sandboxes/svc/services/${longest}`, { targetPort: 65535 });
    await pastLimit(
      'PUT',
      '/v1/sandboxes/svc/services/web',
      { targetPort: 65536 },
      'body.targetPort',
    );
    await pastLimit(
      'PUT',
      `/v1/sandboxes/svc/services/${longest}y`,
      { targetPort: 1 },
      'path.service',
    );
    await atLimit('GET', `/v1/sandboxes/svc/services/${longest}`);
    await atLimit('GET', '/v1/services?pageSize=1000');
    await atLimit('DELETE', `/v1/sandboxes/svc/services/${longest}`);
    const modelId = value(256, 'm');
    await atLimitKeyed('PUT', '/v1/inference/routes/r1', {
      providerName: 'max-p',
      modelId,
      timeoutSeconds: 3600,
    });
    await pastLimit(
      'PUT',
      '/v1/inference/routes/r1',
      { providerName: 'max-p', modelId: `${modelId}m` },
      'body.modelId',
    );
    await atLimit('GET', '/v1/inference/routes/r1');
    await atLimit('GET', '/v1/inference/routes?pageSize=1000');
  });
});

describe('deletes of the largest objects', () => {
  it('delete answers carry what was deleted, within the limits', async () => {
    await atLimit('PUT', '/v1/sandboxes/max-s/status', { phase: 'READY' });
    for (let i = 0; i < 10; i++) await atLimit('POST', '/v1/sandboxes/max-s/ssh-sessions', {});
    for (let i = 0; i < 10; i++) {
      await atLimit('PUT', `/v1/sandboxes/max-s/services/svc-${i}`, { targetPort: 1000 + i });
    }
    await atLimitKeyed('DELETE', '/v1/sandboxes/max-s');
    await atLimit('DELETE', '/v1/sandboxes/max-s-keyed');
    await atLimit('DELETE', '/v1/providers/att-32');
    await atLimitKeyed('DELETE', '/v1/providers/max-p-keyed');
  });
});

describe('a provider listed by more sandboxes than a refusal names', () => {
  it('its delete is 409 naming a bounded number of them', async () => {
    await atLimit('POST', '/v1/providers', { name: 'shared', type: 't', credentials: { K: 'x' } });
    for (let i = 0; i <= LIMITS.sandboxesNamed; i++) {
      await atLimit('POST', '/v1/sandboxes', {
        name: `user-${String(i).padStart(3, '0')}`,
        spec: { providers: ['shared'] },
      });
    }
    written.length = 0;
    const res = await call('DELETE', '/v1/providers/shared');
    expectWithinPlatform(res, 'DELETE /v1/providers/shared');
    expect(res.status).toBe(409);
    expect(res.body.code).toBe('FAILED_PRECONDITION');
    expect(res.body.details.sandboxes).toHaveLength(LIMITS.sandboxesNamed);
    expect(written.filter((w) => !w.includes(' idem#'))).toEqual([]);
  });
});

/**
 * A network rule of exactly `bytes` bytes as JSON: one endpoint, and binaries whose paths (each
 * within `LIMITS.binaryPathBytes`, their count within `LIMITS.networkRuleBinaries`) fill it.
 */
function ruleOfBytes(bytes: number, tag: string): NetworkRule {
  const endpoints = [{ host: `${tag}.example.com`, ports: [443] }];
  const bare = Buffer.byteLength(JSON.stringify({ endpoints, binaries: [] }));
  // Each binary is `{"path":"…"}` (11 bytes and its path) and a comma but the first.
  const budget = bytes - bare + 1;
  const count = Math.ceil(budget / (12 + LIMITS.binaryPathBytes));
  const pathBytes = budget - 12 * count;
  const binaries = Array.from({ length: count }, (_, i) => {
    const prefix = `/${tag}/${i}/`;
    const length = Math.floor(pathBytes / count) + (i < pathBytes % count ? 1 : 0);
    return { path: prefix.padEnd(length, 'p') };
  });
  const rule = { endpoints, binaries };
  expect(Buffer.byteLength(JSON.stringify(rule))).toBe(bytes);
  expect(binaries.length).toBeLessThanOrEqual(LIMITS.networkRuleBinaries);
  return rule;
}

/** A small rule of its own: one endpoint named after `i`. */
const smallRule = (i: number, bytes = 0): NetworkRule => ({
  endpoints: [{ host: `h${i}.example.com`, ports: [443, 8443] }],
  ...(bytes ? { binaries: [{ path: `/bin/${i}-`.padEnd(bytes, 'b') }] } : {}),
});

/** `{blob}` padded so that `of(policy)` is exactly `LIMITS.policyBytes` bytes as JSON. */
function baseFilling(of: (base: Record<string, unknown>) => Record<string, unknown>) {
  const unpadded = Buffer.byteLength(JSON.stringify(of({ blob: '' })));
  const base = { blob: value(LIMITS.policyBytes - unpadded) };
  expect(Buffer.byteLength(JSON.stringify(of(base)))).toBe(LIMITS.policyBytes);
  return base;
}

const DRAFTS = (sandbox: string) => `/v1/sandboxes/${sandbox}/config/policy/drafts`;

describe('policy merges at their limits', () => {
  it('the most operations, making the largest policy; past them', async () => {
    await atLimit('POST', '/v1/sandboxes', { name: 'merge-max', spec: {} });
    const operations: PolicyOperation[] = Array.from(
      { length: LIMITS.mergeOperations },
      (_, i) => ({
        op: 'addRule',
        ruleName: `r-${i}`,
        rule: smallRule(i, 900),
      }),
    );
    const base = baseFilling((b) => applyOperations(b, operations));
    await atLimit('PUT', '/v1/sandboxes/merge-max/config/policy', { policy: base });
    const merged = await atLimitKeyed('PATCH', '/v1/sandboxes/merge-max/config/policy', {
      operations,
    });
    expect(merged.body.revision.version).toBe(2);
    expect(objectBytes(merged.body.revision.policy)).toBe(LIMITS.policyBytes);
    await pastLimit(
      'PATCH',
      '/v1/sandboxes/merge-max/config/policy',
      { operations: [...operations, { op: 'removeRule', ruleName: 'absent' }] },
      'body.operations',
    );
    await pastLimit(
      'PATCH',
      '/v1/sandboxes/merge-max/config/policy',
      { operations: [{ op: 'addRule', ruleName: 'one-more', rule: smallRule(999) }] },
      'body.operations',
      { keyed: true },
    );
    await pastLimit(
      'PATCH',
      '/v1/sandboxes/merge-max/config/policy',
      {
        operations: [
          {
            op: 'addRule',
            ruleName: 'r-0',
            rule: {
              endpoints: [
                {
                  host: 'h0.example.com',
                  ports: Array.from({ length: LIMITS.networkEndpointPorts - 1 }, (_, i) => i + 1),
                },
              ],
            },
          },
        ],
      },
      'body.operations.0.rule',
    );
  });
});

describe('policy drafts at their limits', () => {
  it(`a sandbox holds ${LIMITS.draftsPerSandbox} of the largest drafts; one more is 409`, {
    timeout: 600_000,
  }, async () => {
    await atLimit('POST', '/v1/sandboxes', { name: 'drafts-full', spec: {} });
    const draft = (i: number) => ({
      ruleName: `r${'u'.repeat(58)}${String(i).padStart(3, '0')}`,
      rule: ruleOfBytes(LIMITS.networkRuleBytes, `d${i}`),
      dedupKey: `k${i}-`.padEnd(256, 'k'),
      hits: 100,
      rationale: value(LIMITS.draftTextBytes, 'w'),
    });
    for (let i = 0; i < LIMITS.draftsPerSandbox - 1; i++) {
      await atLimit('POST', DRAFTS('drafts-full'), draft(i));
    }
    await atLimitKeyed('POST', DRAFTS('drafts-full'), draft(LIMITS.draftsPerSandbox - 1));
    const over = draft(LIMITS.draftsPerSandbox);
    await pastLimit('POST', DRAFTS('drafts-full'), over, `${LIMITS.draftsPerSandbox} drafts`, {
      status: 409,
      code: 'FAILED_PRECONDITION',
    });
    await pastLimit('POST', DRAFTS('drafts-full'), over, `${LIMITS.draftsPerSandbox} drafts`, {
      status: 409,
      code: 'FAILED_PRECONDITION',
      keyed: true,
    });
    // A hit is never refused: the full sandbox still counts it.
    const hit = await atLimit('POST', DRAFTS('drafts-full'), draft(0));
    expect([hit.status, hit.body.hitCount]).toEqual([200, 200]);
    // Every draft in one page of the largest list, and in pages of the default size.
    const all = await atLimit('GET', `${DRAFTS('drafts-full')}?pageSize=1000`);
    expect(all.body.items).toHaveLength(LIMITS.draftsPerSandbox);
    const { names, pages } = await allPages(DRAFTS('drafts-full'));
    expect([new Set(names).size, pages]).toEqual([LIMITS.draftsPerSandbox, 3]);
    await atLimit('GET', `${DRAFTS('drafts-full')}/${names[0]}`);
    await pastLimit('POST', `${DRAFTS('drafts-full')}/approve`, {}, 'body.drafts');
    const cleared = await atLimitKeyed('DELETE', DRAFTS('drafts-full'));
    expect(cleared.body).toEqual({ deleted: LIMITS.draftsPerSandbox });
    await atLimit('POST', DRAFTS('drafts-full'), draft(0));
  });

  it('a rule, a rationale and a reason at their limits, and past them', async () => {
    await atLimit('POST', '/v1/sandboxes', { name: 'drafts-rule', spec: {} });
    const rule = ruleOfBytes(LIMITS.networkRuleBytes, 'big');
    const submitted = await atLimit('POST', DRAFTS('drafts-rule'), {
      ruleName: 'big',
      rule,
      rationale: value(LIMITS.draftTextBytes, 'w'),
    });
    const path = `${DRAFTS('drafts-rule')}/${submitted.body.metadata.name}`;
    await pastLimit(
      'POST',
      DRAFTS('drafts-rule'),
      { ruleName: 'big', rule: ruleOfBytes(LIMITS.networkRuleBytes + 1, 'big') },
      'body.rule',
    );
    await pastLimit(
      'POST',
      DRAFTS('drafts-rule'),
      { ruleName: 'big', rule: smallRule(1), rationale: value(LIMITS.draftTextBytes + 1) },
      'body.rationale',
      { keyed: true },
    );
    await atLimitKeyed('PATCH', path, { rule: ruleOfBytes(LIMITS.networkRuleBytes, 'edited') });
    await pastLimit(
      'PATCH',
      path,
      { rule: ruleOfBytes(LIMITS.networkRuleBytes + 1, 'edited') },
      'body.rule',
    );
    await pastLimit(
      'POST',
      `${path}/reject`,
      { reason: value(LIMITS.draftTextBytes + 1) },
      'body.reason',
    );
    await atLimitKeyed('POST', `${path}/reject`, { reason: value(LIMITS.draftTextBytes, 'n') });
    await atLimit('POST', `${path}/approve`, {});
    await atLimit('POST', `${path}/reject`, { reason: value(LIMITS.draftTextBytes, 'm') });
    await atLimit('POST', `${path}/approve`, {});
    await atLimitKeyed('POST', `${path}/undo`, {});
    // The history of every decision, oldest first, in pages.
    const events: string[] = [];
    let token: string | undefined;
    do {
      const res = await atLimit(
        'GET',
        `${path}/history?pageSize=2${token ? `&pageToken=${token}` : ''}`,
      );
      events.push(...res.body.items.map((e: { type: string }) => e.type));
      token = res.body.nextPageToken;
    } while (token);
    expect(events).toEqual([
      'SUBMITTED',
      'EDITED',
      'REJECTED',
      'APPROVED',
      'REJECTED',
      'APPROVED',
      'UNDONE',
    ]);
    await pastLimit('GET', `${path}/history?pageSize=1001`, undefined, 'query.pageSize');
  });

  it(`approve-all commits ${LIMITS.approveAllDrafts} drafts in one transaction; one more is 400`, async () => {
    await atLimit('POST', '/v1/sandboxes', { name: 'approve-max', spec: {} });
    // Rules as large as the policy they all go into allows.
    const rules = Array.from({ length: LIMITS.approveAllDrafts + 1 }, (_, i) => smallRule(i, 1000));
    const ids: string[] = [];
    for (const [i, rule] of rules.entries()) {
      const res = await atLimit('POST', DRAFTS('approve-max'), { ruleName: `r-${i}`, rule });
      ids.push(res.body.metadata.name);
    }
    await pastLimit('POST', `${DRAFTS('approve-max')}/approve`, {}, 'body.drafts');
    await pastLimit(
      'POST',
      `${DRAFTS('approve-max')}/approve`,
      { drafts: ids.map((id) => ({ id, expectedReviewVersion: 1 })) },
      'body.drafts',
      { keyed: true },
    );
    // The draft and its event each, the sandbox, the head, the global check, the revision: 100.
    const approved = await atLimitKeyed('POST', `${DRAFTS('approve-max')}/approve`, {
      drafts: ids.slice(0, LIMITS.approveAllDrafts).map((id) => ({ id, expectedReviewVersion: 1 })),
    });
    expect(2 * LIMITS.approveAllDrafts + 4).toBe(PLATFORM.dynamodb.transactionItems);
    expect(approved.body.drafts).toHaveLength(LIMITS.approveAllDrafts);
    expect(approved.body.revision.version).toBe(1);
    expect(Object.keys(approved.body.revision.policy.networkPolicies)).toHaveLength(
      LIMITS.approveAllDrafts,
    );
    const last = await atLimit('GET', `${DRAFTS('approve-max')}?status=PENDING`);
    expect(last.body.items.map((d: { metadata: { name: string } }) => d.metadata.name)).toEqual([
      ids[LIMITS.approveAllDrafts],
    ]);
  });

  it('an approval composing the largest policy, and one past it; undo gives the base back', async () => {
    await atLimit('POST', '/v1/sandboxes', { name: 'compose-max', spec: {} });
    const rule = ruleOfBytes(LIMITS.networkRuleBytes, 'c');
    const base = baseFilling((b) => composePolicy(b, [{ ruleName: 'composed', rule }]));
    await atLimit('PUT', '/v1/sandboxes/compose-max/config/policy', { policy: base });
    const fits = await atLimit('POST', DRAFTS('compose-max'), { ruleName: 'composed', rule });
    const over = await atLimit('POST', DRAFTS('compose-max'), {
      ruleName: 'over',
      rule: smallRule(1),
    });
    const approved = await atLimitKeyed(
      'POST',
      `${DRAFTS('compose-max')}/${fits.body.metadata.name}/approve`,
      { expectedReviewVersion: 1 },
    );
    expect(objectBytes(approved.body.revision.policy)).toBe(LIMITS.policyBytes);
    await pastLimit(
      'POST',
      `${DRAFTS('compose-max')}/${over.body.metadata.name}/approve`,
      {},
      'path.id',
    );
    await pastLimit('POST', `${DRAFTS('compose-max')}/approve`, {}, 'body.drafts');
    const undone = await atLimit(
      'POST',
      `${DRAFTS('compose-max')}/${fits.body.metadata.name}/undo`,
      {},
    );
    expect(undone.body.revision.policy).toEqual(base);
  });

  it('the policy head holds the approved rules until the object limit, and refuses the next', async () => {
    // arrange: drafts of one large rule under other keys grant nothing new, but the head keeps
    // each approval's rule so that an undo takes back only what no other approval grants
    await atLimit('POST', '/v1/sandboxes', { name: 'head-max', spec: {} });
    const rule = ruleOfBytes(LIMITS.networkRuleBytes, 'same');
    const approved: Array<{ id: string; ruleName: string; rule: NetworkRule }> = [];
    let next = 0;
    const submit = async () => {
      const res = await atLimit('POST', DRAFTS('head-max'), {
        ruleName: 'same',
        rule,
        dedupKey: `same-${next++}`,
      });
      return res.body.metadata.name as string;
    };

    // act: approve until the head would pass the object limit
    for (;;) {
      const id = await submit();
      const grant = { id, ruleName: 'same', rule };
      if (objectBytes({ data: { base: {}, approved: [...approved, grant] } }) > LIMITS.objectBytes)
        break;
      await atLimit('POST', `${DRAFTS('head-max')}/${id}/approve`, {});
      approved.push(grant);
    }
    expect(objectBytes({ data: { base: {}, approved } })).toBeGreaterThan(
      LIMITS.objectBytes - LIMITS.networkRuleBytes - 200,
    );

    // assert
    const refused = await call('GET', `${DRAFTS('head-max')}?status=PENDING`);
    const [pending] = refused.body.items;
    await pastLimit(
      'POST',
      `${DRAFTS('head-max')}/${pending.metadata.name}/approve`,
      {},
      'path.id',
      { keyed: true },
    );
    await pastLimit('POST', `${DRAFTS('head-max')}/approve`, {}, 'body.drafts');
    // Taking one back makes room again.
    await atLimit('POST', `${DRAFTS('head-max')}/${approved[0]!.id}/reject`, {});
    await atLimit('POST', `${DRAFTS('head-max')}/${pending.metadata.name}/approve`, {});
  });
});

describe('the global policy at its limits', () => {
  it('the largest global policy, the most revisions in pages, and its lifting', async () => {
    try {
      await atLimitKeyed('PUT', '/v1/config/policy', {
        policy: { blob: value(LIMITS.policyBytes - 20) },
      });
      await pastLimit(
        'PUT',
        '/v1/config/policy',
        { policy: { blob: value(LIMITS.policyBytes) } },
        'body.policy',
      );
      for (let v = 2; v <= 100; v++) {
        await atLimit('PUT', '/v1/config/policy', {
          policy: { v, blob: value(LIMITS.policyBytes - 30) },
          expectedPolicyVersion: v - 1,
        });
      }
      const current = await atLimit('GET', '/v1/config/policy');
      expect(current.body.version).toBe(100);
      const { pages } = await allPages('/v1/config/policy/revisions?pageSize=1000');
      expect(pages).toBeGreaterThan(1);
      await pastLimit(
        'GET',
        '/v1/config/policy/revisions?pageSize=1001',
        undefined,
        'query.pageSize',
      );
      await pastLimit(
        'DELETE',
        `/v1/config/policy?expectedPolicyVersion=${Number.MAX_SAFE_INTEGER + 1}`,
        undefined,
        'query.expectedPolicyVersion',
      );
      await atLimitKeyed('DELETE', '/v1/config/policy?expectedPolicyVersion=100');
    } finally {
      // Sandbox policy writes below must find no global policy in force.
      await call('DELETE', '/v1/config/policy');
    }
  });
});

describe('the meta routes', () => {
  it('health, the OpenAPI document and its reference page fit a response', async () => {
    await atLimit('GET', '/healthz');
    await atLimit('GET', '/v1/openapi.json');
    await atLimit('GET', '/docs');
  });

  it('every route of the route table was driven to its limits above', () => {
    const missing = routes.map((r) => r.operationId).filter((id) => !covered.has(id));
    expect(missing).toEqual([]);
  });
});
