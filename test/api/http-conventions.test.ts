import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openApiDocument } from '#lib/http/openapi.ts';
import { routes } from '#lib/http/routes.ts';
import { type LocalSystem, startLocalSystem } from '#local/system.ts';
import { problemShapeErrors } from '#test/support/problems.ts';
import { dynamoEndpoint } from '#test/support/store.ts';

/**
 * What generic HTTP clients rely on, over the dev server: 405 with `Allow`, HEAD on every GET
 * route, 304 for `If-None-Match`, `Location` on every 201, an ETag on every successful DELETE;
 * and every response's status and headers as the OpenAPI document declares them for its
 * operation.
 */

let system: LocalSystem;

beforeAll(async () => {
  system = await startLocalSystem({
    port: 0,
    dynamoEndpoint: dynamoEndpoint(),
    table: `shellgate-conventions-${randomUUID().slice(0, 8)}`,
    stateDir: mkdtempSync(join(tmpdir(), 'shellgate-conventions-')),
    schedules: false,
    log: () => {},
  });
});
afterAll(async () => {
  await system?.stop();
});

interface Answer {
  status: number;
  headers: Record<string, string>;
  text: string;
  // biome-ignore lint/suspicious/noExplicitAny: tests read whatever the route returned.
  body: any;
}

/** Every answer of a route, by operationId, to check against the document at the end. */
const seen: Array<{ operationId: string; answer: Answer }> = [];

const operationIdOf = (method: string, path: string) => {
  const [p = ''] = path.split('?');
  const m = method === 'HEAD' ? 'GET' : method;
  return routes.find(
    (r) =>
      r.method === m &&
      new RegExp(`^${r.path.replace(/\{\w+\}/g, '[^/]+')}$`).test(p) &&
      // `/v1/sandboxes/{name}` must not match a longer literal route.
      r.path.split('/').length === p.split('/').length,
  )?.operationId;
};

async function http(
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<Answer> {
  const res = await fetch(`${system.url}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${system.token}`,
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      ...headers,
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  const answer = {
    status: res.status,
    headers: Object.fromEntries(res.headers),
    text,
    body: text && res.headers.get('content-type')?.includes('json') ? JSON.parse(text) : text,
  };
  const operationId = operationIdOf(method, path);
  if (operationId && method !== 'HEAD') seen.push({ operationId, answer });
  return answer;
}

// biome-ignore lint/suspicious/noExplicitAny: a response object or a $ref to one.
type Responses = Record<string, any>;

const etagOf = (o: { metadata: { id: string; resourceVersion: number } }) =>
  `"${o.metadata.id}:${o.metadata.resourceVersion}"`;

/** One object of every kind, so that every route has something to answer with. */
async function arrange() {
  const provider = await http('POST', '/v1/providers', {
    name: 'conv-p',
    type: 'github',
    credentials: { TOKEN: 'conv-secret-value' },
  });
  const sandbox = await http('POST', '/v1/sandboxes', {
    name: 'conv-sb',
    spec: { image: 'img', providers: ['conv-p'] },
  });
  await http('PUT', '/v1/sandboxes/conv-sb/status', { phase: 'READY' });
  await http('PATCH', '/v1/providers/conv-p', { config: { org: 'acme' } });
  await http('PUT', '/v1/sandboxes/conv-sb/providers/conv-p');
  await http('PUT', '/v1/sandboxes/conv-sb/config/policy', { policy: { a: 1 } });
  await http('PUT', '/v1/sandboxes/conv-sb/config/policy/revisions/1/status', { status: 'LOADED' });
  await http('PUT', '/v1/sandboxes/conv-sb/config/settings/k1', { value: 'v' });
  await http('PUT', '/v1/settings/k1', { value: true });
  const session = await http('POST', '/v1/sandboxes/conv-sb/ssh-sessions', { ttlSeconds: 60 });
  const service = await http('PUT', '/v1/sandboxes/conv-sb/services/web', { targetPort: 8080 });
  const inference = await http('PUT', '/v1/inference/routes/conv-r', {
    providerName: 'conv-p',
    modelId: 'm',
  });
  const rule = (host: string) => ({ endpoints: [{ host, ports: [443] }] });
  await http('PATCH', '/v1/sandboxes/conv-sb/config/policy', {
    operations: [{ op: 'addRule', ruleName: 'gh', rule: rule('api.github.com') }],
  });
  const drafts = '/v1/sandboxes/conv-sb/config/policy/drafts';
  const draftBody = { ruleName: 'pypi', rule: rule('pypi.org'), dedupKey: 'pypi' };
  const draft = await http('POST', drafts, draftBody);
  // The same dedupKey again: a hit on the draft, 200.
  const hit = await http('POST', drafts, draftBody);
  const aDraft = `${drafts}/${draft.body.metadata.name}`;
  await http('PATCH', aDraft, { rule: rule('pypi.org') });
  await http('POST', `${aDraft}/approve`, {});
  await http('POST', `${aDraft}/undo`, {});
  await http('POST', `${aDraft}/reject`, { reason: 'not needed' });
  await http('POST', drafts, { ruleName: 'npm', rule: rule('registry.npmjs.org') });
  await http('POST', `${drafts}/approve`, {});
  await http('POST', drafts, { ruleName: 'cargo', rule: rule('crates.io') });
  // In force from here on: the sandbox policy writes above came first.
  await http('PUT', '/v1/config/policy', { policy: { allow: ['*'] } });
  return { provider, sandbox, session, service, inference, draft, hit };
}

/** A concrete path of a route template, naming the objects `arrange` made. */
function concrete(template: string, made: { session: Answer; draft: Answer }): string {
  const name = template.startsWith('/v1/providers')
    ? 'conv-p'
    : template.startsWith('/v1/inference')
      ? 'conv-r'
      : 'conv-sb';
  const values: Record<string, string> = {
    name,
    provider: 'conv-p',
    service: 'web',
    key: 'k1',
    version: '1',
    id: template.includes('/drafts/')
      ? (made.draft.body.metadata.name as string)
      : (made.session.body.metadata.id as string),
  };
  return template.replace(/\{(\w+)\}/g, (_, k: string) => values[k]!);
}

describe('HTTP conventions', () => {
  let made: Awaited<ReturnType<typeof arrange>>;
  beforeAll(async () => {
    made = await arrange();
  });

  it('answers a known path with a method it does not serve 405 with Allow; an unknown path 404', async () => {
    // act
    const onCollection = await http('DELETE', '/v1/providers');
    const onObject = await http('POST', '/v1/providers/conv-p');
    const onPublic = await http('PUT', '/v1/openapi.json');
    const unknown = await http('DELETE', '/v1/nothing-here');
    // assert
    expect(onCollection.status).toBe(405);
    expect(onCollection.headers.allow).toBe('GET, HEAD, POST');
    expect(onObject.status).toBe(405);
    expect(onObject.headers.allow).toBe('GET, HEAD, PATCH, DELETE');
    expect(onPublic.headers.allow).toBe('GET, HEAD');
    for (const res of [onCollection, onObject, onPublic]) {
      expect(problemShapeErrors(res)).toEqual([]);
      expect(res.body.errors).toEqual([{ field: 'method', message: expect.any(String) }]);
    }
    expect(unknown.status).toBe(404);
    expect(unknown.body.code).toBe('NOT_FOUND');
  });

  it('serves HEAD on every GET route: the GET status and headers, no body', async () => {
    const gets = routes.filter((r) => r.method === 'GET');
    for (const route of gets) {
      const path = concrete(route.path, made);
      // act
      const get = await http('GET', path);
      const head = await http('HEAD', path);
      // assert
      expect({ path, status: head.status }).toEqual({ path, status: get.status });
      expect(get.status).toBe(200);
      expect(head.text).toBe('');
      expect(head.headers['content-length']).toBe(String(Buffer.byteLength(get.text)));
      expect(head.headers['content-type']).toBe(get.headers['content-type']);
      expect(head.headers.etag).toBe(get.headers.etag);
    }
  });

  it('answers a GET whose ETag If-None-Match names 304 with the ETag and no body, on every GET route with an ETag', async () => {
    const gets = routes.filter((r) => r.method === 'GET');
    let conditional = 0;
    for (const route of gets) {
      const path = concrete(route.path, made);
      const get = await http('GET', path);
      const etag = get.headers.etag;
      if (etag === undefined) continue;
      conditional++;
      // act
      const same = await http('GET', path, undefined, { 'if-none-match': etag });
      const weakInAList = await http('GET', path, undefined, {
        'if-none-match': `"00000000-0000-4000-8000-000000000000:1", W/${etag}`,
      });
      const any = await http('GET', path, undefined, { 'if-none-match': '*' });
      const head = await http('HEAD', path, undefined, { 'if-none-match': etag });
      const other = await http('GET', path, undefined, {
        'if-none-match': '"00000000-0000-4000-8000-000000000000:1"',
      });
      // assert
      for (const res of [same, weakInAList, any, head]) {
        expect({ path, status: res.status, etag: res.headers.etag, text: res.text }).toEqual({
          path,
          status: 304,
          etag,
          text: '',
        });
      }
      expect({ path, status: other.status, text: other.text }).toEqual({
        path,
        status: 200,
        text: get.text,
      });
    }
    expect(conditional).toBeGreaterThan(5);
    // A list carries no ETag: If-None-Match does not condition it.
    const list = await http('GET', '/v1/providers', undefined, { 'if-none-match': '*' });
    expect(list.status).toBe(200);
    expect(list.headers.etag).toBeUndefined();
    expect(list.body.items.length).toBeGreaterThan(0);
  });

  it('answers If-None-Match with an older ETag with the object as it is now', async () => {
    // arrange
    const before = await http('GET', '/v1/providers/conv-p');
    await http('PATCH', '/v1/providers/conv-p', { config: { tier: 'gold' } });
    // act
    const after = await http('GET', '/v1/providers/conv-p', undefined, {
      'if-none-match': before.headers.etag!,
    });
    // assert
    expect(after.status).toBe(200);
    expect(after.body.config.tier).toBe('gold');
    expect(after.headers.etag).toBe(etagOf(after.body));
    expect(after.headers.etag).not.toBe(before.headers.etag);
  });

  it('refuses a malformed If-None-Match, and If-None-Match on a write, naming the header and writing nothing', async () => {
    // arrange
    const before = await http('GET', '/v1/providers/conv-p');
    // act
    const malformed = await http('GET', '/v1/providers/conv-p', undefined, {
      'if-none-match': 'no-quotes',
    });
    const onWrite = await http(
      'PATCH',
      '/v1/providers/conv-p',
      { config: { x: 'y' } },
      {
        'if-none-match': '*',
      },
    );
    const missing = await http('GET', '/v1/providers/conv-missing', undefined, {
      'if-none-match': '*',
    });
    // assert
    for (const res of [malformed, onWrite]) {
      expect(res.status).toBe(400);
      expect(problemShapeErrors(res)).toEqual([]);
      expect(res.body.errors).toEqual([
        { field: 'header.if-none-match', message: expect.any(String) },
      ]);
    }
    expect(missing.status).toBe(404);
    const after = await http('GET', '/v1/providers/conv-p');
    expect(after.body.metadata.resourceVersion).toBe(before.body.metadata.resourceVersion);
  });

  it('answers every 201 with Location, the path that reads what it created', async () => {
    const created = [
      made.provider,
      made.sandbox,
      made.session,
      made.service,
      made.inference,
      made.draft,
    ];
    for (const res of created) expect(res.status).toBe(201);
    expect(created.map((r) => r.headers.location)).toEqual([
      '/v1/providers/conv-p',
      '/v1/sandboxes/conv-sb',
      `/v1/ssh-sessions/${made.session.body.metadata.id}`,
      '/v1/sandboxes/conv-sb/services/web',
      '/v1/inference/routes/conv-r',
      `/v1/sandboxes/conv-sb/config/policy/drafts/${made.draft.body.metadata.name}`,
    ]);
    for (const res of [made.provider, made.sandbox, made.service, made.inference, made.draft]) {
      const read = await http('GET', res.headers.location!);
      expect(read.status).toBe(200);
      expect(read.body.metadata.id).toBe(res.body.metadata.id);
    }
    // An update through an upsert is a 200 without Location.
    const updated = await http('PUT', '/v1/sandboxes/conv-sb/services/web', { targetPort: 9090 });
    expect(updated.status).toBe(200);
    expect(updated.headers.location).toBeUndefined();
    // So is a draft submit that finds the draft of its dedupKey.
    expect(made.hit.status).toBe(200);
    expect(made.hit.headers.location).toBeUndefined();
    expect(made.hit.body.hitCount).toBe(2);
  });

  it('replays a keyed create with its Location', async () => {
    const key = randomUUID();
    const body = { name: 'conv-replayed', type: 't', credentials: { K: 'conv-secret-2' } };
    const first = await http('POST', '/v1/providers', body, { 'idempotency-key': key });
    const replay = await http('POST', '/v1/providers', body, { 'idempotency-key': key });
    expect(replay.headers['idempotent-replayed']).toBe('true');
    expect(replay.status).toBe(201);
    expect(replay.headers.location).toBe(first.headers.location);
    expect(replay.headers.location).toBe('/v1/providers/conv-replayed');
  });

  it('answers every successful DELETE with the ETag of what it deleted', async () => {
    const deletes = routes.filter((r) => r.method === 'DELETE');
    // Children first: the sandbox's own delete removes them, the provider's needs it gone. The
    // global setting before the sandbox's: a key the global settings hold is not the sandbox's
    // to delete (SPEC §7.4).
    const order = [
      'revokeSSHSession',
      'deleteService',
      'deleteGlobalSetting',
      'deleteSandboxSetting',
      'detachProvider',
      'clearPolicyDrafts',
      'deleteGlobalPolicy',
      'deleteSandbox',
      'deleteProvider',
    ];
    expect(deletes.map((r) => r.operationId).sort()).toEqual([...order].sort());
    for (const operationId of order) {
      const route = deletes.find((r) => r.operationId === operationId)!;
      // act
      const res = await http('DELETE', concrete(route.path, made));
      // assert
      expect({ operationId, status: res.status }).toEqual({ operationId, status: 200 });
      if (operationId === 'clearPolicyDrafts') {
        // It deletes every PENDING draft: no one object for an ETag to name.
        expect([res.body, res.headers.etag]).toEqual([{ deleted: 1 }, undefined]);
        continue;
      }
      const object =
        res.body.metadata !== undefined ? res.body : (res.body.session ?? res.body.sandbox);
      const expected =
        object?.metadata !== undefined
          ? etagOf(object)
          : // Settings are `{settings, resourceVersion}`: their ETag names the settings object.
            expect.stringMatching(new RegExp(`^"[0-9a-f-]{36}:${res.body.resourceVersion}"$`));
      expect({ operationId, etag: res.headers.etag }).toEqual({ operationId, etag: expected });
    }
  });

  it('answers only the statuses and headers the OpenAPI document declares', () => {
    const doc = openApiDocument() as {
      paths: Record<string, Record<string, { operationId: string; responses: Responses }>>;
      components: { responses: Record<string, { headers?: Record<string, unknown> }> };
    };
    const declared = new Map(
      Object.values(doc.paths).flatMap((item) =>
        Object.values(item).map((op) => [op.operationId, op.responses] as const),
      ),
    );
    const checked = new Set<string>();
    for (const { operationId, answer } of seen) {
      const responses = declared.get(operationId)!;
      const raw = responses[String(answer.status)];
      expect({ operationId, status: answer.status, declared: raw !== undefined }).toEqual({
        operationId,
        status: answer.status,
        declared: true,
      });
      const response = raw.$ref
        ? doc.components.responses[raw.$ref.split('/').pop() as string]!
        : raw;
      const names = Object.keys(response.headers ?? {}).map((h) => h.toLowerCase());
      for (const header of ['etag', 'location', 'retry-after', 'idempotent-replayed']) {
        // A declared header may be absent (a replay header on a first answer); an undeclared
        // one must never be sent.
        if (answer.headers[header] !== undefined) {
          expect({ operationId, header, declared: names.includes(header) }).toEqual({
            operationId,
            header,
            declared: true,
          });
        }
      }
      // ETag and Location are promised: every success that declares them carries them.
      for (const header of ['etag', 'location']) {
        if (answer.status < 300 && names.includes(header)) {
          expect({ operationId, header, sent: answer.headers[header] !== undefined }).toEqual({
            operationId,
            header,
            sent: true,
          });
        }
      }
      checked.add(operationId);
    }
    expect([...checked].sort()).toEqual(routes.map((r) => r.operationId).sort());
  });
});
