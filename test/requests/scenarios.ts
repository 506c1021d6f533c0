import { randomUUID } from 'node:crypto';
import type { OperationId } from '#lib/contract/index.ts';
import { Kind, keys } from '#lib/domain/keys.ts';
import { PROVIDER_REFS_MIGRATION } from '#lib/domain/provider-refs.ts';
import type { Route } from '#lib/http/route.ts';
import { routes } from '#lib/http/routes.ts';
import { exampleRequest, seedExampleWorld } from '#test/support/examples.ts';
import { expectedCosts, type ScenarioName, type TabledOperation } from './expected.ts';
import {
  bothModes,
  type Call,
  type NameOf,
  ok,
  provider,
  readySandbox,
  type Scenario,
  sandbox,
  settingsVersion,
} from './scenario.ts';

const RULE = { endpoints: [{ host: 'api.github.com', ports: [443] }] };

const draftPath = (sandboxName: string, id: string) =>
  `/v1/sandboxes/${sandboxName}/config/policy/drafts/${id}`;

/** A PENDING draft of `dedupKey` on sandbox `s`, made with the sandbox when it is missing. */
async function draft(call: Call, s: string, dedupKey: string) {
  const exists = await call('GET', `/v1/sandboxes/${s}`);
  if (exists.status === 404) await sandbox(call, s);
  return ok(call, 'POST', `/v1/sandboxes/${s}/config/policy/drafts`, {
    ruleName: `r-${dedupKey}`,
    rule: RULE,
    dedupKey,
  });
}

/** Lists are measured on a full page with a next one behind it. */
const PAGE_SIZE = 5;

async function several(make: (name: string) => Promise<unknown>, name: NameOf, prefix: string) {
  for (let i = 0; i <= PAGE_SIZE; i++) await make(name(prefix));
}

/**
 * The request each scenario of `expectedRequests` measures, under the same keys: a route or
 * scenario without the other does not compile.
 */
export const scenarios: { [Op in TabledOperation]: Record<ScenarioName<Op>, Scenario> } = {
  createProvider: {
    '': {
      prepare: async (_call, name) => ({
        method: 'POST',
        path: '/v1/providers',
        body: { name: name('p'), type: 'openai', credentials: { API_KEY: 'k' } },
        status: 201,
      }),
    },
  },
  listProviders: {
    '': {
      prepare: async (call, name) => {
        await several((p) => provider(call, p), name, 'p');
        return { method: 'GET', path: `/v1/providers?pageSize=${PAGE_SIZE}`, status: 200 };
      },
    },
  },
  updateProvider: bothModes(async (call, name) => {
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
  deleteProvider: {
    ...bothModes(async (call, name) => {
      const p = name('p');
      await provider(call, p);
      return { method: 'DELETE', path: `/v1/providers/${p}`, status: 200, version: 1 };
    }),
    'after migration 006': {
      // From here on the handlers' store knows migration 006 is done, as a deployed one does
      // once `migrate run` has finished it.
      onSharedTable: 'last',
      prepare: async (call, name, store) => {
        const [warm, p] = [name('p'), name('p')];
        await provider(call, warm);
        await provider(call, p);
        const id = PROVIDER_REFS_MIGRATION;
        const migration = { key: keys.migration(id), kind: Kind.Migration, name: id };
        const found = await store.get<{ status?: string }>(migration.key);
        if (!found) {
          await store.create(
            { ...migration, data: { status: 'done' } },
            { requestId: randomUUID() },
          );
        } else if (found.data.status !== 'done') {
          throw new Error(`migration ${id} is ${found.data.status} in the table`);
        }
        // The first delete after the migration finished reads its record once and keeps the
        // answer.
        await ok(call, 'DELETE', `/v1/providers/${warm}`);
        return {
          method: 'DELETE',
          path: `/v1/providers/${p}?expectedResourceVersion=1`,
          status: 200,
        };
      },
    },
  },

  createSandbox: {
    '': {
      prepare: async (_call, name) => ({
        method: 'POST',
        path: '/v1/sandboxes',
        body: { name: name('s'), spec: { image: 'img' } },
        status: 201,
      }),
    },
    'with 2 providers': {
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
  },
  listSandboxes: {
    '': {
      prepare: async (call, name) => {
        await several((s) => sandbox(call, s), name, 's');
        return { method: 'GET', path: `/v1/sandboxes?pageSize=${PAGE_SIZE}`, status: 200 };
      },
    },
    labelSelector: {
      prepare: async (call, name) => {
        // One the filter skips, one it keeps: both in the one Query.
        await sandbox(call, name('s'));
        await sandbox(call, name('s'), [], { team: 'bench' });
        return {
          method: 'GET',
          path: '/v1/sandboxes?labelSelector=team%3Dbench',
          status: 200,
        };
      },
    },
  },
  reportSandboxStatus: bothModes(async (call, name) => {
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
  attachProvider: {
    ...bothModes(async (call, name) => {
      const [s, p] = [name('s'), name('p')];
      await provider(call, p);
      await sandbox(call, s);
      return { method: 'PUT', path: `/v1/sandboxes/${s}/providers/${p}`, status: 200, version: 1 };
    }),
    'stale version': {
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
  },
  detachProvider: bothModes(async (call, name) => {
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
  listAttachedProviders: {
    '': {
      prepare: async (call, name) => {
        const [s, a, b] = [name('s'), name('p'), name('p')];
        await provider(call, a);
        await provider(call, b);
        await sandbox(call, s, [a, b]);
        return { method: 'GET', path: `/v1/sandboxes/${s}/providers`, status: 200 };
      },
    },
  },
  deleteSandbox: bothModes(async (call, name) => {
    const [s, p] = [name('s'), name('p')];
    await provider(call, p);
    await sandbox(call, s, [p]);
    return { method: 'DELETE', path: `/v1/sandboxes/${s}`, status: 200, version: 1 };
  }),

  putPolicy: bothModes(async (call, name) => {
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
  mergePolicy: {
    ...bothModes(async (call, name) => {
      const s = name('s');
      await sandbox(call, s);
      await ok(call, 'PUT', `/v1/sandboxes/${s}/config/policy`, { policy: { a: 1 } });
      return {
        method: 'PATCH',
        path: `/v1/sandboxes/${s}/config/policy`,
        body: { operations: [{ op: 'addRule', ruleName: 'r', rule: RULE }] },
        status: 200,
        version: 2,
      };
    }),
    'no-op': {
      prepare: async (call, name) => {
        const s = name('s');
        await sandbox(call, s);
        await ok(call, 'PUT', `/v1/sandboxes/${s}/config/policy`, { policy: { a: 1 } });
        return {
          method: 'PATCH',
          path: `/v1/sandboxes/${s}/config/policy`,
          body: { operations: [{ op: 'removeRule', ruleName: 'absent' }] },
          status: 200,
        };
      },
    },
  },
  listPolicyRevisions: {
    '': {
      prepare: async (call, name) => {
        const s = name('s');
        await sandbox(call, s);
        await ok(call, 'PUT', `/v1/sandboxes/${s}/config/policy`, { policy: { a: 1 } });
        return { method: 'GET', path: `/v1/sandboxes/${s}/config/policy/revisions`, status: 200 };
      },
    },
  },
  reportPolicyRevisionStatus: {
    LOADED: {
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
    FAILED: {
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
  },
  setSandboxSetting: {
    ...bothModes(async (call, name) => {
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
    'stale version': {
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
    'with Idempotency-Key': {
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
  },
  deleteSandboxSetting: bothModes(async (call, name) => {
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
  getGlobalSettings: {
    '': {
      prepare: async (call) => {
        await ok(call, 'GET', '/v1/settings');
        return { method: 'GET', path: '/v1/settings', status: 200 };
      },
    },
    'first use': {
      // The global settings do not exist yet: no scenario before it may have touched them.
      onSharedTable: 'first',
      prepare: async () => ({ method: 'GET', path: '/v1/settings', status: 200 }),
    },
  },
  setGlobalSetting: bothModes(async (call, name) => {
    const current = await ok(call, 'GET', '/v1/settings');
    return {
      method: 'PUT',
      path: `/v1/settings/${name('k')}`,
      body: { value: true },
      status: 200,
      version: current.resourceVersion,
    };
  }),
  deleteGlobalSetting: bothModes(async (call, name) => {
    const key = name('k');
    const set = await ok(call, 'PUT', `/v1/settings/${key}`, { value: 1 });
    return {
      method: 'DELETE',
      path: `/v1/settings/${key}`,
      status: 200,
      version: set.resourceVersion,
    };
  }),

  createSSHSession: {
    '': {
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
  },
  listSSHSessions: {
    '': {
      prepare: async (call, name) => {
        const s = name('s');
        await readySandbox(call, s);
        await ok(call, 'POST', `/v1/sandboxes/${s}/ssh-sessions`, {});
        return { method: 'GET', path: `/v1/sandboxes/${s}/ssh-sessions`, status: 200 };
      },
    },
  },
  revokeSSHSession: bothModes(async (call, name) => {
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
  exposeService: {
    create: {
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
    ...bothModes(async (call, name) => {
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
    }, 'update'),
  },
  listServices: {
    '': {
      prepare: async (call, name) => {
        const expose = async (s: string) => {
          await sandbox(call, s);
          await ok(call, 'PUT', `/v1/sandboxes/${s}/services/web`, { targetPort: 8080 });
        };
        await several(expose, name, 's');
        return { method: 'GET', path: `/v1/services?pageSize=${PAGE_SIZE}`, status: 200 };
      },
    },
    sandbox: {
      prepare: async (call, name) => {
        const s = name('s');
        await sandbox(call, s);
        await ok(call, 'PUT', `/v1/sandboxes/${s}/services/web`, { targetPort: 8080 });
        return { method: 'GET', path: `/v1/services?sandbox=${s}`, status: 200 };
      },
    },
  },
  getService: {
    '': {
      prepare: async (call, name) => {
        const s = name('s');
        await sandbox(call, s);
        await ok(call, 'PUT', `/v1/sandboxes/${s}/services/web`, { targetPort: 8080 });
        return { method: 'GET', path: `/v1/sandboxes/${s}/services/web`, status: 200 };
      },
    },
  },
  deleteService: bothModes(async (call, name) => {
    const s = name('s');
    await sandbox(call, s);
    await ok(call, 'PUT', `/v1/sandboxes/${s}/services/web`, { targetPort: 8080 });
    return { method: 'DELETE', path: `/v1/sandboxes/${s}/services/web`, status: 200, version: 1 };
  }),

  upsertInferenceRoute: {
    create: {
      prepare: async (_call, name) => ({
        method: 'PUT',
        path: `/v1/inference/routes/${name('r')}`,
        body: { providerName: 'p', modelId: 'm' },
        status: 201,
      }),
    },
    ...bothModes(async (call, name) => {
      const r = name('r');
      await ok(call, 'PUT', `/v1/inference/routes/${r}`, { providerName: 'p', modelId: 'm' });
      return {
        method: 'PUT',
        path: `/v1/inference/routes/${r}`,
        body: { providerName: 'p', modelId: 'm2' },
        status: 200,
        version: 1,
      };
    }, 'update'),
  },
  getInferenceRoute: {
    '': {
      prepare: async (call, name) => {
        const r = name('r');
        await ok(call, 'PUT', `/v1/inference/routes/${r}`, { providerName: 'p', modelId: 'm' });
        return { method: 'GET', path: `/v1/inference/routes/${r}`, status: 200 };
      },
    },
  },
  listInferenceRoutes: {
    '': {
      prepare: async (call, name) => {
        const route = (r: string) =>
          ok(call, 'PUT', `/v1/inference/routes/${r}`, { providerName: 'p', modelId: 'm' });
        await several(route, name, 'r');
        return { method: 'GET', path: `/v1/inference/routes?pageSize=${PAGE_SIZE}`, status: 200 };
      },
    },
  },

  putGlobalPolicy: {
    '': {
      // In force from here on: sandbox policy writes of later scenarios would be refused.
      onSharedTable: 'last',
      prepare: async () => ({
        method: 'PUT',
        path: '/v1/config/policy',
        body: { policy: { allow: ['api.github.com'] } },
        status: 200,
      }),
    },
  },
  getGlobalPolicy: {
    '': {
      onSharedTable: 'last',
      prepare: async (call) => {
        await ok(call, 'PUT', '/v1/config/policy', { policy: { g: 1 } });
        return { method: 'GET', path: '/v1/config/policy', status: 200 };
      },
    },
  },
  listGlobalPolicyRevisions: {
    '': {
      prepare: async () => ({ method: 'GET', path: '/v1/config/policy/revisions', status: 200 }),
    },
  },
  deleteGlobalPolicy: {
    '': {
      onSharedTable: 'last',
      prepare: async (call) => {
        await ok(call, 'PUT', '/v1/config/policy', { policy: { g: 2 } });
        return { method: 'DELETE', path: '/v1/config/policy', status: 200 };
      },
    },
  },
  submitPolicyDraft: {
    '': {
      prepare: async (call, name) => {
        const s = name('s');
        await sandbox(call, s);
        return {
          method: 'POST',
          path: `/v1/sandboxes/${s}/config/policy/drafts`,
          body: { ruleName: 'r', rule: RULE, dedupKey: 'k' },
          status: 201,
        };
      },
    },
    existing: {
      prepare: async (call, name) => {
        const s = name('s');
        await draft(call, s, 'k');
        return {
          method: 'POST',
          path: `/v1/sandboxes/${s}/config/policy/drafts`,
          body: { ruleName: 'r', rule: RULE, dedupKey: 'k', hits: 3 },
          status: 200,
        };
      },
    },
  },
  listPolicyDrafts: {
    '': {
      prepare: async (call, name) => {
        const s = name('s');
        for (let i = 0; i <= PAGE_SIZE; i++) await draft(call, s, `k${i}`);
        return {
          method: 'GET',
          path: `/v1/sandboxes/${s}/config/policy/drafts?pageSize=${PAGE_SIZE}`,
          status: 200,
        };
      },
    },
  },
  getPolicyDraft: {
    '': {
      prepare: async (call, name) => {
        const s = name('s');
        const d = await draft(call, s, 'k');
        return { method: 'GET', path: draftPath(s, d.metadata.name), status: 200 };
      },
    },
  },
  editPolicyDraft: {
    '': {
      prepare: async (call, name) => {
        const s = name('s');
        const d = await draft(call, s, 'k');
        return {
          method: 'PATCH',
          path: draftPath(s, d.metadata.name),
          body: { rule: { endpoints: [{ host: 'api.github.com', ports: [443, 8443] }] } },
          status: 200,
        };
      },
    },
  },
  approvePolicyDraft: {
    '': {
      prepare: async (call, name) => {
        const s = name('s');
        const d = await draft(call, s, 'k');
        return {
          method: 'POST',
          path: `${draftPath(s, d.metadata.name)}/approve`,
          body: { expectedReviewVersion: 1 },
          status: 200,
        };
      },
    },
  },
  rejectPolicyDraft: {
    '': {
      prepare: async (call, name) => {
        const s = name('s');
        const d = await draft(call, s, 'k');
        await ok(call, 'POST', `${draftPath(s, d.metadata.name)}/approve`, {});
        return {
          method: 'POST',
          path: `${draftPath(s, d.metadata.name)}/reject`,
          body: { reason: 'not needed' },
          status: 200,
        };
      },
    },
  },
  undoPolicyDraft: {
    '': {
      prepare: async (call, name) => {
        const s = name('s');
        const d = await draft(call, s, 'k');
        await ok(call, 'POST', `${draftPath(s, d.metadata.name)}/approve`, {});
        return {
          method: 'POST',
          path: `${draftPath(s, d.metadata.name)}/undo`,
          body: {},
          status: 200,
        };
      },
    },
  },
  approvePolicyDrafts: {
    '': {
      prepare: async (call, name) => {
        const s = name('s');
        for (const k of ['a', 'b', 'c']) await draft(call, s, k);
        return {
          method: 'POST',
          path: `/v1/sandboxes/${s}/config/policy/drafts/approve`,
          body: {},
          status: 200,
        };
      },
    },
  },
  clearPolicyDrafts: {
    '': {
      prepare: async (call, name) => {
        const s = name('s');
        await draft(call, s, 'k');
        return { method: 'DELETE', path: `/v1/sandboxes/${s}/config/policy/drafts`, status: 200 };
      },
    },
  },
  listPolicyDraftHistory: {
    '': {
      prepare: async (call, name) => {
        const s = name('s');
        const d = await draft(call, s, 'k');
        return { method: 'GET', path: `${draftPath(s, d.metadata.name)}/history`, status: 200 };
      },
    },
  },
};

/** A route's example, sent to the example world: what a binding's `cost` is the cost of. */
function exampleScenario(route: Route): Scenario {
  return {
    prepare: async (call) => {
      await seedExampleWorld(call, route.operationId as OperationId);
      const { path, body } = exampleRequest(route);
      return { method: route.method, path, body, status: route.status };
    },
  };
}

/** A scenario's request with the cost the table expects of it. */
export function scenarioOf(operationId: OperationId, scenario: string): Scenario | undefined {
  if (Object.hasOwn(scenarios, operationId)) {
    return (scenarios[operationId as TabledOperation] as Record<string, Scenario | undefined>)[
      scenario
    ];
  }
  const route = routes.find((r) => r.operationId === operationId);
  return route?.cost && scenario === '' ? exampleScenario(route) : undefined;
}

/**
 * Every expectation with its scenario, in the order that lets one table and one store serve
 * them all in turn (`Scenario.onSharedTable`); otherwise in the table's order.
 */
export function inSharedTableOrder() {
  const rank = ({ onSharedTable }: Scenario) =>
    onSharedTable === 'first' ? 0 : onSharedTable === 'last' ? 2 : 1;
  return expectedCosts
    .map((expected) => {
      const scenario = scenarioOf(expected.operationId, expected.scenario);
      if (!scenario) throw new Error(`${expected.id}: no scenario`);
      return { expected, scenario };
    })
    .sort((a, b) => rank(a.scenario) - rank(b.scenario));
}
