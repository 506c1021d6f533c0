/**
 * Method and path of every operation of the HTTP API, by the route table's `operationId`.
 *
 * The route table (`lib/http/routes.ts`) is the source of truth, but importing it loads every
 * use-case and the AWS SDK; this copy keeps the client light enough for a CLI and for programs
 * that only talk HTTP. `test/cli/client-operations.test.ts` checks that it equals the route table.
 */
export const operations = {
  createProvider: { method: 'POST', path: '/v1/providers' },
  listProviders: { method: 'GET', path: '/v1/providers' },
  getProvider: { method: 'GET', path: '/v1/providers/{name}' },
  updateProvider: { method: 'PATCH', path: '/v1/providers/{name}' },
  deleteProvider: { method: 'DELETE', path: '/v1/providers/{name}' },
  createSandbox: { method: 'POST', path: '/v1/sandboxes' },
  listSandboxes: { method: 'GET', path: '/v1/sandboxes' },
  getSandbox: { method: 'GET', path: '/v1/sandboxes/{name}' },
  deleteSandbox: { method: 'DELETE', path: '/v1/sandboxes/{name}' },
  reportSandboxStatus: { method: 'PUT', path: '/v1/sandboxes/{name}/status' },
  listAttachedProviders: { method: 'GET', path: '/v1/sandboxes/{name}/providers' },
  attachProvider: { method: 'PUT', path: '/v1/sandboxes/{name}/providers/{provider}' },
  detachProvider: { method: 'DELETE', path: '/v1/sandboxes/{name}/providers/{provider}' },
  getSandboxConfig: { method: 'GET', path: '/v1/sandboxes/{name}/config' },
  putPolicy: { method: 'PUT', path: '/v1/sandboxes/{name}/config/policy' },
  listPolicyRevisions: { method: 'GET', path: '/v1/sandboxes/{name}/config/policy/revisions' },
  reportPolicyRevisionStatus: {
    method: 'PUT',
    path: '/v1/sandboxes/{name}/config/policy/revisions/{version}/status',
  },
  setSandboxSetting: { method: 'PUT', path: '/v1/sandboxes/{name}/config/settings/{key}' },
  deleteSandboxSetting: { method: 'DELETE', path: '/v1/sandboxes/{name}/config/settings/{key}' },
  getGlobalSettings: { method: 'GET', path: '/v1/settings' },
  setGlobalSetting: { method: 'PUT', path: '/v1/settings/{key}' },
  deleteGlobalSetting: { method: 'DELETE', path: '/v1/settings/{key}' },
  createSSHSession: { method: 'POST', path: '/v1/sandboxes/{name}/ssh-sessions' },
  listSSHSessions: { method: 'GET', path: '/v1/sandboxes/{name}/ssh-sessions' },
  revokeSSHSession: { method: 'DELETE', path: '/v1/ssh-sessions/{id}' },
  exposeService: { method: 'PUT', path: '/v1/sandboxes/{name}/services/{service}' },
  listServices: { method: 'GET', path: '/v1/services' },
  getService: { method: 'GET', path: '/v1/sandboxes/{name}/services/{service}' },
  deleteService: { method: 'DELETE', path: '/v1/sandboxes/{name}/services/{service}' },
  listInferenceRoutes: { method: 'GET', path: '/v1/inference/routes' },
  getInferenceRoute: { method: 'GET', path: '/v1/inference/routes/{name}' },
  upsertInferenceRoute: { method: 'PUT', path: '/v1/inference/routes/{name}' },
  healthz: { method: 'GET', path: '/healthz' },
  openapi: { method: 'GET', path: '/v1/openapi.json' },
  docs: { method: 'GET', path: '/docs' },
} as const satisfies Record<string, { method: OperationMethod; path: string }>;

export type OperationMethod = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
export type OperationId = keyof typeof operations;
export const operationIds = Object.keys(operations) as OperationId[];
