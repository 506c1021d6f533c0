import { randomUUID } from 'node:crypto';
import { LIMITS } from '#lib/domain/limits.ts';
import type { Call } from '#test/support/api.ts';
import { registerSecret } from '#test/support/secrets.ts';

/** An object's identity as its ETag carries it. */
export interface Version {
  id: string;
  version: number;
}

/** A draft as its routes name it (`name`, its id) and as preconditions do (`id`, `version`). */
export interface DraftVersion extends Version {
  name: string;
  reviewVersion: number;
}

/** The objects the fuzz run finds in the table, so that routes reach their checks with them. */
export interface World {
  /** `fz-prov`: attached to `fz-box`, 30 config entries of 8000 bytes. */
  provider: Version;
  /** `fz-spare`: attached nowhere. */
  spare: Version;
  /** `fz-box`: READY, lists `fz-prov`, revisions 1 and 2, setting `mode`, a session, service `web`. */
  box: Version;
  /** `fz-new`: PROVISIONING. */
  fresh: Version;
  /** `fz-full`: lists 32 providers. */
  full: Version;
  revisions: Record<1 | 2, Version>;
  boxSettings: Version;
  globalSettings: Version;
  session: Version;
  service: Version;
  route: Version;
  /**
   * `fz-drafts`: its base policy has rule `web` (any binary) and rule `bin` (the most binaries
   * but one); its drafts are one PENDING, one APPROVED and one REJECTED.
   */
  drafts: Version;
  /** The latest policy revision of `fz-drafts`. */
  draftsPolicyVersion: number;
  pending: DraftVersion;
  approved: DraftVersion;
  rejected: DraftVersion;
  /**
   * `fz-crowd` holds one PENDING draft more than one approval commits (keys `crowd-<i>`); the
   * limits suite fills a sandbox to `LIMITS.draftsPerSandbox`.
   */
  crowd: Version;
  /** The global policy's head: revision 1, lifted, so that no sandbox is managed globally. */
  globalPolicy: Version;
  /** The Idempotency-Key of the seeded global-settings write. */
  idempotencyKey: string;
}

export const DRAFT_RULE = { endpoints: [{ host: 'api.example.com', ports: [443] }] };
export const BIN_BINARIES = Array.from(
  { length: LIMITS.networkRuleBinaries - 1 },
  (_, i) => `/usr/bin/b${i}`,
);

/** Credential values the run sends; few and distinctive, so checking responses stays cheap. */
export const SECRETS = Array.from({ length: 8 }, (_, i) => `fz-secret-${i}-${randomUUID()}`);

export const BIG_CONFIG_ENTRIES = 30;
export const BIG_VALUE_BYTES = 8000;

function versionOf(res: { status: number; headers: Record<string, string> }, what: string) {
  const m = /^"([0-9a-f-]{36}):(\d+)"$/.exec(res.headers.etag ?? '');
  if (res.status >= 300 || !m) throw new Error(`seeding ${what} failed: ${res.status}`);
  return { id: m[1]!, version: Number(m[2]) };
}

/** Creates the objects every route of the fuzz run points at. */
export async function seedWorld(call: Call): Promise<World> {
  const ok = async (what: string, ...args: Parameters<Call>) =>
    versionOf(await call(...args), what);

  const config = Object.fromEntries(
    Array.from({ length: BIG_CONFIG_ENTRIES }, (_, i) => [
      `c${String(i).padStart(2, '0')}`,
      'v'.repeat(BIG_VALUE_BYTES),
    ]),
  );
  await ok('fz-prov', 'POST', '/v1/providers', {
    body: {
      name: 'fz-prov',
      type: 'openai',
      labels: { env: 'fz' },
      credentials: { API_KEY: SECRETS[0] },
      config,
    },
  });
  await ok('fz-spare', 'POST', '/v1/providers', {
    body: { name: 'fz-spare', type: 'github', credentials: { TOKEN: SECRETS[1] } },
  });
  for (let i = 0; i < 32; i++) {
    await ok(`fz-p${i}`, 'POST', '/v1/providers', {
      body: { name: `fz-p${i}`, type: 'x', credentials: { K: SECRETS[2 + (i % 6)] } },
    });
  }
  await ok('fz-box', 'POST', '/v1/sandboxes', {
    body: {
      name: 'fz-box',
      labels: { env: 'fz', 'app.example.com/tier': 'web' },
      spec: { image: 'ubuntu:24.04', providers: ['fz-prov'], policy: { allow: ['*'] } },
    },
  });
  await ok('fz-box status', 'PUT', '/v1/sandboxes/fz-box/status', {
    body: { phase: 'READY', conditions: [{ type: 'Ready', status: 'True' }] },
  });
  await ok('fz-box policy', 'PUT', '/v1/sandboxes/fz-box/config/policy', {
    body: { policy: { allow: ['api.example.com'] } },
  });
  const boxSettings = await ok('mode', 'PUT', '/v1/sandboxes/fz-box/config/settings/mode', {
    body: { value: 'fast' },
  });
  const created = await call('POST', '/v1/sandboxes/fz-box/ssh-sessions', {
    body: { ttlSeconds: 3600 },
  });
  const session = versionOf(created, 'session');
  registerSecret(created.body.token);
  const service = await ok('web', 'PUT', '/v1/sandboxes/fz-box/services/web', {
    body: { targetPort: 8080 },
  });
  await ok('fz-new', 'POST', '/v1/sandboxes', { body: { name: 'fz-new', spec: {} } });
  await ok('fz-full', 'POST', '/v1/sandboxes', {
    body: {
      name: 'fz-full',
      spec: { providers: Array.from({ length: 32 }, (_, i) => `fz-p${i}`) },
    },
  });
  const route = await ok('fz-route', 'PUT', '/v1/inference/routes/fz-route', {
    body: { providerName: 'fz-prov', modelId: 'gpt-4o' },
  });
  const idempotencyKey = `fz-seed-${randomUUID()}`;
  await ok('theme', 'PUT', '/v1/settings/theme', {
    body: { value: 'dark' },
    headers: { 'idempotency-key': idempotencyKey },
  });

  await ok('fz-drafts', 'POST', '/v1/sandboxes', {
    body: {
      name: 'fz-drafts',
      spec: {
        policy: {
          networkPolicies: {
            web: { endpoints: [{ host: 'web.example.com', ports: [443] }] },
            bin: {
              endpoints: [{ host: 'bin.example.com', ports: [22] }],
              binaries: BIN_BINARIES.map((path) => ({ path })),
            },
          },
        },
      },
    },
  });
  const draft = async (sandbox: string, dedupKey: string, ruleName = 'fz-rule') => {
    const res = await call('POST', `/v1/sandboxes/${sandbox}/config/policy/drafts`, {
      body: { ruleName, rule: DRAFT_RULE, dedupKey },
    });
    versionOf(res, `draft ${dedupKey}`);
    return res.body.metadata.name as string;
  };
  const decide = (id: string, decision: 'approve' | 'reject') =>
    ok(
      `${decision} ${id}`,
      'POST',
      `/v1/sandboxes/fz-drafts/config/policy/drafts/${id}/${decision}`,
      {
        body: {},
      },
    );
  const pendingId = await draft('fz-drafts', 'fz-pending');
  const approvedId = await draft('fz-drafts', 'fz-approved', 'fz-granted');
  await decide(approvedId, 'approve');
  const rejectedId = await draft('fz-drafts', 'fz-rejected');
  await decide(rejectedId, 'reject');
  await ok('fz-crowd', 'POST', '/v1/sandboxes', { body: { name: 'fz-crowd', spec: {} } });
  for (let i = 0; i <= LIMITS.approveAllDrafts; i++) await draft('fz-crowd', `crowd-${i}`);
  await ok('global policy', 'PUT', '/v1/config/policy', { body: { policy: { allow: ['*'] } } });
  const globalPolicy = await ok('global policy lifted', 'DELETE', '/v1/config/policy');

  const get = (what: string, path: string) => ok(what, 'GET', path);
  const getDraft = async (id: string): Promise<DraftVersion> => {
    const res = await call('GET', `/v1/sandboxes/fz-drafts/config/policy/drafts/${id}`);
    return { ...versionOf(res, `draft ${id}`), name: id, reviewVersion: res.body.reviewVersion };
  };
  return {
    provider: await get('fz-prov', '/v1/providers/fz-prov'),
    spare: await get('fz-spare', '/v1/providers/fz-spare'),
    box: await get('fz-box', '/v1/sandboxes/fz-box'),
    fresh: await get('fz-new', '/v1/sandboxes/fz-new'),
    full: await get('fz-full', '/v1/sandboxes/fz-full'),
    revisions: await revisions(call),
    boxSettings,
    globalSettings: await get('global settings', '/v1/settings'),
    session,
    service,
    route,
    drafts: await get('fz-drafts', '/v1/sandboxes/fz-drafts'),
    draftsPolicyVersion: (await call('GET', '/v1/sandboxes/fz-drafts/config')).body.policyVersion,
    pending: await getDraft(pendingId),
    approved: await getDraft(approvedId),
    rejected: await getDraft(rejectedId),
    crowd: await get('fz-crowd', '/v1/sandboxes/fz-crowd'),
    globalPolicy,
    idempotencyKey,
  };
}

async function revisions(call: Call): Promise<Record<1 | 2, Version>> {
  const res = await call('GET', '/v1/sandboxes/fz-box/config/policy/revisions');
  const byVersion = new Map<number, Version>(
    res.body.items.map(
      (r: { version: number; metadata: { id: string; resourceVersion: number } }) => [
        r.version,
        { id: r.metadata.id, version: r.metadata.resourceVersion },
      ],
    ),
  );
  const [one, two] = [byVersion.get(1), byVersion.get(2)];
  if (!one || !two) throw new Error('seeding the policy revisions failed');
  return { 1: one, 2: two };
}
