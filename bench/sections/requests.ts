import { randomUUID } from 'node:crypto';
import { Kind, keys } from '#lib/domain/keys.ts';
import { PROVIDER_REFS_MIGRATION } from '#lib/domain/provider-refs.ts';
import type { Store } from '#lib/store/store.ts';
import type { Cost } from '../expected-requests.ts';
import type { Call, LocalApi } from '../support/local.ts';
import { type Capacity, meter } from '#test/support/sdk-meter.ts';

/** One request to measure, prepared by its scenario. */
interface Probe {
  method: string;
  path: string;
  body?: unknown;
  headers?: Record<string, string>;
  status: number;
}

interface Scenario {
  /** Matches an entry of `expectedCosts`. */
  id: string;
  /** `store` is the handlers' own, for state no route writes (a migration's record). */
  prepare(call: Call, name: (prefix: string) => string, store: Store): Promise<Probe>;
}

export interface MeasuredCost {
  id: string;
  status: number;
  cost: Cost;
  capacity: Capacity;
}

async function ok(call: Call, method: string, path: string, body?: unknown) {
  const res = await call(method, path, body);
  if (res.status >= 300) {
    throw new Error(`setup ${method} ${path} → ${res.status} ${JSON.stringify(res.body)}`);
  }
  return res.body;
}

const provider = (call: Call, name: string) =>
  ok(call, 'POST', '/v1/providers', { name, type: 'openai', credentials: { API_KEY: 'k' } });

const sandbox = (call: Call, name: string, providers: string[] = [], labels = {}) =>
  ok(call, 'POST', '/v1/sandboxes', { name, labels, spec: { image: 'img', providers } });

async function readySandbox(call: Call, name: string) {
  await sandbox(call, name);
  return ok(call, 'PUT', `/v1/sandboxes/${name}/status`, { phase: 'READY' });
}

/** Version of a sandbox's settings object. */
async function settingsVersion(call: Call, name: string): Promise<number> {
  return (await ok(call, 'GET', `/v1/sandboxes/${name}/config`)).settingsResourceVersion;
}

/** A write's request, and the version its client-driven variant sends. */
type ModalProbe = Probe & { version: number };

/** The precondition in the body, or in the query string of a request without one. */
function withExpectedVersion(probe: Probe, version: number): Probe {
  if (probe.body !== undefined) {
    return { ...probe, body: { ...(probe.body as object), expectedResourceVersion: version } };
  }
  const separator = probe.path.includes('?') ? '&' : '?';
  return { ...probe, path: `${probe.path}${separator}expectedResourceVersion=${version}` };
}

/** One write in both CAS modes: the same setup and request, with and without the version. */
function bothModes(
  id: string,
  prepare: (call: Call, name: (prefix: string) => string) => Promise<ModalProbe>,
): Scenario[] {
  return [
    {
      id: `${id} client-driven`,
      prepare: async (call, name) => {
        const { version, ...probe } = await prepare(call, name);
        return withExpectedVersion(probe, version);
      },
    },
    {
      id: `${id} server-driven`,
      prepare: async (call, name) => {
        const { version: _version, ...probe } = await prepare(call, name);
        return probe;
      },
    },
  ];
}

const scenarios: Scenario[] = [
  {
    id: 'createProvider',
    prepare: async (_call, name) => ({
      method: 'POST',
      path: '/v1/providers',
      body: { name: name('p'), type: 'openai', credentials: { API_KEY: 'k' } },
      status: 201,
    }),
  },
  {
    id: 'getProvider',
    prepare: async (call, name) => {
      const p = name('p');
      await provider(call, p);
      return { method: 'GET', path: `/v1/providers/${p}`, status: 200 };
    },
  },
  {
    id: 'listProviders',
    prepare: async () => ({ method: 'GET', path: '/v1/providers?pageSize=5', status: 200 }),
  },
  ...bothModes('updateProvider', async (call, name) => {
    const p = name('p');
    await provider(call, p);
    return {
      method: 'PATCH',
      path: `/v1/providers/${p}`,
      body: { config: { region: 'eu' } },
      status: 200,
      version: 1,
    };
  }),
  ...bothModes('deleteProvider', async (call, name) => {
    const p = name('p');
    await provider(call, p);
    return { method: 'DELETE', path: `/v1/providers/${p}`, status: 200, version: 1 };
  }),
  {
    id: 'createSandbox',
    prepare: async (_call, name) => ({
      method: 'POST',
      path: '/v1/sandboxes',
      body: { name: name('s'), spec: { image: 'img' } },
      status: 201,
    }),
  },
  {
    id: 'createSandbox with 2 providers',
    prepare: async (call, name) => {
      const [a, b] = [name('p'), name('p')];
      await provider(call, a);
      await provider(call, b);
      return {
        method: 'POST',
        path: '/v1/sandboxes',
        body: { name: name('s'), spec: { image: 'img', providers: [a, b] } },
        status: 201,
      };
    },
  },
  {
    id: 'getSandbox',
    prepare: async (call, name) => {
      const s = name('s');
      await sandbox(call, s);
      return { method: 'GET', path: `/v1/sandboxes/${s}`, status: 200 };
    },
  },
  {
    id: 'listSandboxes',
    prepare: async () => ({ method: 'GET', path: '/v1/sandboxes?pageSize=5', status: 200 }),
  },
  {
    id: 'listSandboxes labelSelector',
    prepare: async (call, name) => {
      await sandbox(call, name('s'), [], { team: 'bench' });
      return {
        method: 'GET',
        path: '/v1/sandboxes?labelSelector=team%3Dbench',
        status: 200,
      };
    },
  },
  ...bothModes('reportSandboxStatus', async (call, name) => {
    const s = name('s');
    await sandbox(call, s);
    return {
      method: 'PUT',
      path: `/v1/sandboxes/${s}/status`,
      body: { phase: 'READY' },
      status: 200,
      version: 1,
    };
  }),
  ...bothModes('attachProvider', async (call, name) => {
    const [s, p] = [name('s'), name('p')];
    await provider(call, p);
    await sandbox(call, s);
    return { method: 'PUT', path: `/v1/sandboxes/${s}/providers/${p}`, status: 200, version: 1 };
  }),
  {
    id: 'attachProvider stale version',
    prepare: async (call, name) => {
      const [s, p] = [name('s'), name('p')];
      await provider(call, p);
      await sandbox(call, s);
      await ok(call, 'PUT', `/v1/sandboxes/${s}/status`, { phase: 'READY' });
      return {
        method: 'PUT',
        path: `/v1/sandboxes/${s}/providers/${p}?expectedResourceVersion=1`,
        status: 409,
      };
    },
  },
  ...bothModes('detachProvider', async (call, name) => {
    const [s, p] = [name('s'), name('p')];
    await provider(call, p);
    await sandbox(call, s, [p]);
    return {
      method: 'DELETE',
      path: `/v1/sandboxes/${s}/providers/${p}`,
      status: 200,
      version: 1,
    };
  }),
  {
    id: 'listAttachedProviders',
    prepare: async (call, name) => {
      const [s, a, b] = [name('s'), name('p'), name('p')];
      await provider(call, a);
      await provider(call, b);
      await sandbox(call, s, [a, b]);
      return { method: 'GET', path: `/v1/sandboxes/${s}/providers`, status: 200 };
    },
  },
  ...bothModes('deleteSandbox', async (call, name) => {
    const [s, p] = [name('s'), name('p')];
    await provider(call, p);
    await sandbox(call, s, [p]);
    return { method: 'DELETE', path: `/v1/sandboxes/${s}`, status: 200, version: 1 };
  }),
  {
    id: 'getSandboxConfig',
    prepare: async (call, name) => {
      const s = name('s');
      await sandbox(call, s);
      return { method: 'GET', path: `/v1/sandboxes/${s}/config`, status: 200 };
    },
  },
  ...bothModes('putPolicy', async (call, name) => {
    const s = name('s');
    await sandbox(call, s);
    return {
      method: 'PUT',
      path: `/v1/sandboxes/${s}/config/policy`,
      body: { policy: { allow: ['*'] } },
      status: 200,
      version: 1,
    };
  }),
  {
    id: 'listPolicyRevisions',
    prepare: async (call, name) => {
      const s = name('s');
      await sandbox(call, s);
      await ok(call, 'PUT', `/v1/sandboxes/${s}/config/policy`, { policy: { a: 1 } });
      return { method: 'GET', path: `/v1/sandboxes/${s}/config/policy/revisions`, status: 200 };
    },
  },
  {
    id: 'reportPolicyRevisionStatus LOADED',
    prepare: async (call, name) => {
      const s = name('s');
      await sandbox(call, s);
      await ok(call, 'PUT', `/v1/sandboxes/${s}/config/policy`, { policy: { a: 1 } });
      await ok(call, 'PUT', `/v1/sandboxes/${s}/config/policy`, { policy: { a: 2 } });
      return {
        method: 'PUT',
        path: `/v1/sandboxes/${s}/config/policy/revisions/2/status`,
        body: { status: 'LOADED' },
        status: 200,
      };
    },
  },
  {
    id: 'reportPolicyRevisionStatus FAILED',
    prepare: async (call, name) => {
      const s = name('s');
      await sandbox(call, s);
      await ok(call, 'PUT', `/v1/sandboxes/${s}/config/policy`, { policy: { a: 1 } });
      return {
        method: 'PUT',
        path: `/v1/sandboxes/${s}/config/policy/revisions/1/status`,
        body: { status: 'FAILED', loadError: 'bad rule' },
        status: 200,
      };
    },
  },
  ...bothModes('setSandboxSetting', async (call, name) => {
    const s = name('s');
    await sandbox(call, s);
    return {
      method: 'PUT',
      path: `/v1/sandboxes/${s}/config/settings/mode`,
      body: { value: 'fast' },
      status: 200,
      version: await settingsVersion(call, s),
    };
  }),
  {
    id: 'setSandboxSetting stale version',
    prepare: async (call, name) => {
      const s = name('s');
      await sandbox(call, s);
      await ok(call, 'PUT', `/v1/sandboxes/${s}/config/settings/mode`, { value: 'slow' });
      return {
        method: 'PUT',
        path: `/v1/sandboxes/${s}/config/settings/mode`,
        body: { value: 'fast', expectedResourceVersion: 1 },
        status: 409,
      };
    },
  },
  {
    id: 'setSandboxSetting with Idempotency-Key',
    prepare: async (call, name) => {
      const s = name('s');
      await sandbox(call, s);
      return {
        method: 'PUT',
        path: `/v1/sandboxes/${s}/config/settings/mode`,
        body: { value: 'fast', expectedResourceVersion: await settingsVersion(call, s) },
        headers: { 'idempotency-key': name('key') },
        status: 200,
      };
    },
  },
  ...bothModes('deleteSandboxSetting', async (call, name) => {
    const s = name('s');
    await sandbox(call, s);
    const set = await ok(call, 'PUT', `/v1/sandboxes/${s}/config/settings/mode`, { value: 'x' });
    return {
      method: 'DELETE',
      path: `/v1/sandboxes/${s}/config/settings/mode`,
      status: 200,
      version: set.resourceVersion,
    };
  }),
  {
    // Runs before any other global-settings scenario: the table is fresh.
    id: 'getGlobalSettings first use',
    prepare: async () => ({ method: 'GET', path: '/v1/settings', status: 200 }),
  },
  {
    id: 'getGlobalSettings',
    prepare: async () => ({ method: 'GET', path: '/v1/settings', status: 200 }),
  },
  ...bothModes('setGlobalSetting', async (call, name) => {
    const current = await ok(call, 'GET', '/v1/settings');
    return {
      method: 'PUT',
      path: `/v1/settings/${name('k')}`,
      body: { value: true },
      status: 200,
      version: current.resourceVersion,
    };
  }),
  ...bothModes('deleteGlobalSetting', async (call, name) => {
    const key = name('k');
    const set = await ok(call, 'PUT', `/v1/settings/${key}`, { value: 1 });
    return {
      method: 'DELETE',
      path: `/v1/settings/${key}`,
      status: 200,
      version: set.resourceVersion,
    };
  }),
  {
    id: 'createSSHSession',
    prepare: async (call, name) => {
      const s = name('s');
      await readySandbox(call, s);
      return {
        method: 'POST',
        path: `/v1/sandboxes/${s}/ssh-sessions`,
        body: { ttlSeconds: 600 },
        status: 201,
      };
    },
  },
  {
    id: 'listSSHSessions',
    prepare: async (call, name) => {
      const s = name('s');
      await readySandbox(call, s);
      await ok(call, 'POST', `/v1/sandboxes/${s}/ssh-sessions`, {});
      return { method: 'GET', path: `/v1/sandboxes/${s}/ssh-sessions`, status: 200 };
    },
  },
  ...bothModes('revokeSSHSession', async (call, name) => {
    const s = name('s');
    await readySandbox(call, s);
    const session = await ok(call, 'POST', `/v1/sandboxes/${s}/ssh-sessions`, {});
    return {
      method: 'DELETE',
      path: `/v1/ssh-sessions/${session.metadata.id}`,
      status: 200,
      version: 1,
    };
  }),
  {
    id: 'exposeService create',
    prepare: async (call, name) => {
      const s = name('s');
      await sandbox(call, s);
      return {
        method: 'PUT',
        path: `/v1/sandboxes/${s}/services/web`,
        body: { targetPort: 8080 },
        status: 201,
      };
    },
  },
  ...bothModes('exposeService update', async (call, name) => {
    const s = name('s');
    await sandbox(call, s);
    await ok(call, 'PUT', `/v1/sandboxes/${s}/services/web`, { targetPort: 8080 });
    return {
      method: 'PUT',
      path: `/v1/sandboxes/${s}/services/web`,
      body: { targetPort: 9090 },
      status: 200,
      version: 1,
    };
  }),
  {
    id: 'listServices',
    prepare: async () => ({ method: 'GET', path: '/v1/services?pageSize=5', status: 200 }),
  },
  {
    id: 'listServices sandbox',
    prepare: async (call, name) => {
      const s = name('s');
      await sandbox(call, s);
      await ok(call, 'PUT', `/v1/sandboxes/${s}/services/web`, { targetPort: 8080 });
      return { method: 'GET', path: `/v1/services?sandbox=${s}`, status: 200 };
    },
  },
  {
    id: 'getService',
    prepare: async (call, name) => {
      const s = name('s');
      await sandbox(call, s);
      await ok(call, 'PUT', `/v1/sandboxes/${s}/services/web`, { targetPort: 8080 });
      return { method: 'GET', path: `/v1/sandboxes/${s}/services/web`, status: 200 };
    },
  },
  ...bothModes('deleteService', async (call, name) => {
    const s = name('s');
    await sandbox(call, s);
    await ok(call, 'PUT', `/v1/sandboxes/${s}/services/web`, { targetPort: 8080 });
    return { method: 'DELETE', path: `/v1/sandboxes/${s}/services/web`, status: 200, version: 1 };
  }),
  {
    id: 'upsertInferenceRoute create',
    prepare: async (_call, name) => ({
      method: 'PUT',
      path: `/v1/inference/routes/${name('r')}`,
      body: { providerName: 'p', modelId: 'm' },
      status: 201,
    }),
  },
  ...bothModes('upsertInferenceRoute update', async (call, name) => {
    const r = name('r');
    await ok(call, 'PUT', `/v1/inference/routes/${r}`, { providerName: 'p', modelId: 'm' });
    return {
      method: 'PUT',
      path: `/v1/inference/routes/${r}`,
      body: { providerName: 'p', modelId: 'm2' },
      status: 200,
      version: 1,
    };
  }),
  {
    id: 'getInferenceRoute',
    prepare: async (call, name) => {
      const r = name('r');
      await ok(call, 'PUT', `/v1/inference/routes/${r}`, { providerName: 'p', modelId: 'm' });
      return { method: 'GET', path: `/v1/inference/routes/${r}`, status: 200 };
    },
  },
  {
    id: 'listInferenceRoutes',
    prepare: async () => ({ method: 'GET', path: '/v1/inference/routes?pageSize=5', status: 200 }),
  },
  {
    // Last of the table's scenarios: from here on the handlers' store knows migration 006 is
    // done, as a deployed one does once `migrate run` has finished it.
    id: 'deleteProvider after migration 006',
    prepare: async (call, name, store) => {
      const [warm, p] = [name('p'), name('p')];
      await provider(call, warm);
      await provider(call, p);
      const id = PROVIDER_REFS_MIGRATION;
      const migration = { key: keys.migration(id), kind: Kind.Migration, name: id };
      const found = await store.get<{ status?: string }>(migration.key);
      if (!found) {
        await store.create({ ...migration, data: { status: 'done' } }, { requestId: randomUUID() });
      } else if (found.data.status !== 'done') {
        throw new Error(`migration ${id} is ${found.data.status} in the bench table`);
      }
      // The first delete after the migration finished reads its record once and keeps the answer.
      await ok(call, 'DELETE', `/v1/providers/${warm}`);
      return {
        method: 'DELETE',
        path: `/v1/providers/${p}?expectedResourceVersion=1`,
        status: 200,
      };
    },
  },
  { id: 'healthz', prepare: async () => ({ method: 'GET', path: '/healthz', status: 200 }) },
  {
    id: 'openapi',
    prepare: async () => ({ method: 'GET', path: '/v1/openapi.json', status: 200 }),
  },
  { id: 'docs', prepare: async () => ({ method: 'GET', path: '/docs', status: 200 }) },
];

/**
 * Sends each scenario's request through the full local HTTP path and counts the DynamoDB
 * requests the handlers' own client makes for it, one request at a time, with the capacity
 * units DynamoDB reports.
 */
export async function measureRequestCounts(api: LocalApi): Promise<MeasuredCost[]> {
  let n = 0;
  const name = (prefix: string) => `${prefix}-rc${++n}`;
  const counter = meter(api.store.client, { capacity: true });
  const out: MeasuredCost[] = [];
  try {
    for (const scenario of scenarios) {
      const probe = await scenario.prepare(api.call, name, api.store);
      counter.reset();
      const res = await api.call(probe.method, probe.path, probe.body, probe.headers);
      if (res.status !== probe.status) {
        throw new Error(
          `${scenario.id}: expected ${probe.status}, got ${res.status} ${JSON.stringify(res.body)}`,
        );
      }
      out.push({
        id: scenario.id,
        status: res.status,
        cost: { ...counter.counts },
        capacity: { ...counter.capacity },
      });
    }
  } finally {
    counter.remove();
  }
  return out;
}

export const scenarioIds = scenarios.map((s) => s.id);
