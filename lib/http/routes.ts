import type { z } from 'zod';
import * as S from '#lib/api/schemas.ts';
import * as V from '#lib/api/view-schemas.ts';
import {
  inferenceRouteView,
  providerView,
  revisionView,
  sandboxView,
  serviceView,
  sessionView,
  settingsView,
} from '#lib/api/views.ts';
import { attachProvider, detachProvider, listAttachedProviders } from '#lib/domain/attachments.ts';
import type { OperationContext } from '#lib/domain/context.ts';
import {
  getInferenceRoute,
  listInferenceRoutes,
  upsertInferenceRoute,
} from '#lib/domain/inference.ts';
import { getConfig, listRevisions, putPolicy, reportRevisionStatus } from '#lib/domain/policy.ts';
import {
  createProvider,
  deleteProvider,
  getProvider,
  listProviders,
  updateProvider,
} from '#lib/domain/providers.ts';
import {
  createSandbox,
  deleteSandbox,
  getSandbox,
  listSandboxes,
  reportSandboxStatus,
} from '#lib/domain/sandboxes.ts';
import { deleteService, exposeService, getService, listServices } from '#lib/domain/services.ts';
import { createSession, listSessions, revokeSession } from '#lib/domain/sessions.ts';
import { getSettings, writeSetting } from '#lib/domain/settings.ts';
import type { Page, StoredObject } from '#lib/store/types.ts';

export type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/** The Lambda functions routes are grouped into; each gets only its routes' permissions. */
export type FunctionName = 'providers' | 'sandboxes' | 'config' | 'sessions' | 'inference' | 'meta';

export type Scope =
  | 'provider:read'
  | 'provider:write'
  | 'sandbox:read'
  | 'sandbox:write'
  | 'config:read'
  | 'config:write'
  | 'inference:read'
  | 'inference:write';

export const ALL_SCOPES: readonly Scope[] = [
  'provider:read',
  'provider:write',
  'sandbox:read',
  'sandbox:write',
  'config:read',
  'config:write',
  'inference:read',
  'inference:write',
];
export const SUPER_SCOPE = 'shellgate:all';

/** DynamoDB actions a route's use-case performs; CDK grants each function exactly their union. */
export type DynamoAction =
  | 'dynamodb:GetItem'
  | 'dynamodb:Query'
  | 'dynamodb:PutItem'
  | 'dynamodb:UpdateItem'
  | 'dynamodb:DeleteItem'
  | 'dynamodb:ConditionCheckItem';

export interface Reply {
  /** @default the route's status */
  status?: number;
  body: unknown;
  /** The object whose `"<id>:<resourceVersion>"` is the ETag. */
  etag?: { id: string; resourceVersion: number };
}

export interface RouteInput {
  params: Record<string, never> & Record<string, unknown>;
  query: Record<string, unknown>;
  body: Record<string, unknown>;
}

export interface Route {
  method: Method;
  path: string;
  fn: FunctionName;
  operationId: string;
  summary: string;
  /** Null: public. */
  scope: Scope | null;
  params?: z.ZodType;
  query?: z.ZodType;
  body?: z.ZodType;
  response: z.ZodType;
  status: number;
  dynamo: readonly DynamoAction[];
  // biome-ignore lint/suspicious/noExplicitAny: each entry's input is checked by its own schemas.
  run(ctx: OperationContext, input: any): Promise<Reply>;
}

const READ: DynamoAction[] = ['dynamodb:GetItem', 'dynamodb:Query'];
const CAS: DynamoAction[] = [...READ, 'dynamodb:PutItem', 'dynamodb:UpdateItem'];
/** Transactions that delete bookkeeping records. */
const CAS_DELETE: DynamoAction[] = [...CAS, 'dynamodb:DeleteItem'];
/** Transactions that also check another object's state. */
const TX: DynamoAction[] = [...CAS_DELETE, 'dynamodb:ConditionCheckItem'];

function page<D>(p: Page<StoredObject<D>>, view: (o: StoredObject<D>) => unknown) {
  return {
    items: p.items.map(view),
    ...(p.nextPageToken ? { nextPageToken: p.nextPageToken } : {}),
  };
}

function one<D>(obj: StoredObject<D>, view: (o: StoredObject<D>) => unknown): Reply {
  return { body: view(obj), etag: obj };
}

function configView(cfg: Awaited<ReturnType<typeof getConfig>>) {
  const settings = settingsView(cfg.settings);
  return {
    sandboxName: cfg.sandbox.name,
    policy: cfg.sandbox.data.spec?.policy ?? null,
    policyVersion: cfg.sandbox.data.latestPolicyVersion ?? 0,
    currentPolicyVersion: cfg.sandbox.data.currentPolicyVersion ?? null,
    settings: settings.settings,
    settingsResourceVersion: settings.resourceVersion,
    resourceVersion: cfg.sandbox.resourceVersion,
  };
}

/** Every route of the API: dispatch, the dev server, the OpenAPI document and CDK read this. */
export const routes: readonly Route[] = [
  // Providers
  {
    method: 'POST',
    path: '/v1/providers',
    fn: 'providers',
    operationId: 'createProvider',
    summary: 'Create a provider',
    scope: 'provider:write',
    body: S.CreateProviderBody,
    response: V.ProviderView,
    status: 201,
    dynamo: CAS,
    run: async (ctx, { body }) => one(await createProvider(ctx, body), providerView),
  },
  {
    method: 'GET',
    path: '/v1/providers',
    fn: 'providers',
    operationId: 'listProviders',
    summary: 'List providers',
    scope: 'provider:read',
    query: S.ListQuery,
    response: V.listOf(V.ProviderView),
    status: 200,
    dynamo: READ,
    run: async (ctx, { query }) => ({ body: page(await listProviders(ctx, query), providerView) }),
  },
  {
    method: 'GET',
    path: '/v1/providers/{name}',
    fn: 'providers',
    operationId: 'getProvider',
    summary: 'Get a provider',
    scope: 'provider:read',
    params: S.NameParams,
    response: V.ProviderView,
    status: 200,
    dynamo: READ,
    run: async (ctx, { params }) => one(await getProvider(ctx, params.name), providerView),
  },
  {
    method: 'PATCH',
    path: '/v1/providers/{name}',
    fn: 'providers',
    operationId: 'updateProvider',
    summary: 'Merge credentials and config key by key (an empty string deletes a key)',
    scope: 'provider:write',
    params: S.NameParams,
    body: S.UpdateProviderBody,
    response: V.ProviderView,
    status: 200,
    dynamo: CAS,
    run: async (ctx, { params, body }) =>
      one(await updateProvider(ctx, params.name, body), providerView),
  },
  {
    method: 'DELETE',
    path: '/v1/providers/{name}',
    fn: 'providers',
    operationId: 'deleteProvider',
    summary: 'Delete a provider that no sandbox lists',
    scope: 'provider:write',
    params: S.NameParams,
    query: S.PreconditionQuery,
    response: V.ProviderView,
    status: 200,
    dynamo: CAS_DELETE,
    run: async (ctx, { params }) => ({
      body: providerView(await deleteProvider(ctx, params.name)),
    }),
  },

  // Sandboxes
  {
    method: 'POST',
    path: '/v1/sandboxes',
    fn: 'sandboxes',
    operationId: 'createSandbox',
    summary: 'Create a sandbox (every listed provider must exist)',
    scope: 'sandbox:write',
    body: S.CreateSandboxBody,
    response: V.SandboxView,
    status: 201,
    dynamo: TX,
    run: async (ctx, { body }) => one(await createSandbox(ctx, body), sandboxView),
  },
  {
    method: 'GET',
    path: '/v1/sandboxes',
    fn: 'sandboxes',
    operationId: 'listSandboxes',
    summary: 'List sandboxes',
    scope: 'sandbox:read',
    query: S.SandboxListQuery,
    response: V.listOf(V.SandboxView),
    status: 200,
    dynamo: READ,
    run: async (ctx, { query }) => ({ body: page(await listSandboxes(ctx, query), sandboxView) }),
  },
  {
    method: 'GET',
    path: '/v1/sandboxes/{name}',
    fn: 'sandboxes',
    operationId: 'getSandbox',
    summary: 'Get a sandbox',
    scope: 'sandbox:read',
    params: S.NameParams,
    response: V.SandboxView,
    status: 200,
    dynamo: READ,
    run: async (ctx, { params }) => one(await getSandbox(ctx, params.name), sandboxView),
  },
  {
    method: 'DELETE',
    path: '/v1/sandboxes/{name}',
    fn: 'sandboxes',
    operationId: 'deleteSandbox',
    summary: 'Delete a sandbox and everything it owns',
    scope: 'sandbox:write',
    params: S.NameParams,
    query: S.PreconditionQuery,
    response: V.SandboxView,
    status: 200,
    dynamo: CAS_DELETE,
    run: async (ctx, { params }) => ({ body: sandboxView(await deleteSandbox(ctx, params.name)) }),
  },
  {
    method: 'PUT',
    path: '/v1/sandboxes/{name}/status',
    fn: 'sandboxes',
    operationId: 'reportSandboxStatus',
    summary: 'The compute driver reports phase and conditions',
    scope: 'sandbox:write',
    params: S.NameParams,
    body: S.SandboxStatusBody,
    response: V.SandboxView,
    status: 200,
    dynamo: CAS,
    run: async (ctx, { params, body }) =>
      one(await reportSandboxStatus(ctx, params.name, body), sandboxView),
  },
  {
    method: 'GET',
    path: '/v1/sandboxes/{name}/providers',
    fn: 'sandboxes',
    operationId: 'listAttachedProviders',
    summary: 'Providers attached to a sandbox, redacted',
    scope: 'sandbox:read',
    params: S.NameParams,
    response: V.listOf(V.ProviderView),
    status: 200,
    dynamo: READ,
    run: async (ctx, { params }) => ({
      body: { items: (await listAttachedProviders(ctx, params.name)).map(providerView) },
    }),
  },
  {
    method: 'PUT',
    path: '/v1/sandboxes/{name}/providers/{provider}',
    fn: 'sandboxes',
    operationId: 'attachProvider',
    summary: 'Attach a provider to a sandbox',
    scope: 'sandbox:write',
    params: S.ProviderAttachmentParams,
    query: S.PreconditionQuery,
    response: V.AttachResultView,
    status: 200,
    dynamo: TX,
    run: async (ctx, { params }) => {
      const res = await attachProvider(ctx, params.name, params.provider);
      return {
        body: { sandbox: sandboxView(res.sandbox), attached: res.attached },
        etag: res.sandbox,
      };
    },
  },
  {
    method: 'DELETE',
    path: '/v1/sandboxes/{name}/providers/{provider}',
    fn: 'sandboxes',
    operationId: 'detachProvider',
    summary: 'Detach a provider from a sandbox (works after the provider is gone)',
    scope: 'sandbox:write',
    params: S.ProviderAttachmentParams,
    query: S.PreconditionQuery,
    response: V.DetachResultView,
    status: 200,
    dynamo: TX,
    run: async (ctx, { params }) => {
      const res = await detachProvider(ctx, params.name, params.provider);
      return {
        body: { sandbox: sandboxView(res.sandbox), detached: res.detached },
        etag: res.sandbox,
      };
    },
  },

  // Config: policy and settings
  {
    method: 'GET',
    path: '/v1/sandboxes/{name}/config',
    fn: 'config',
    operationId: 'getSandboxConfig',
    summary: "A sandbox's policy, policy versions and settings",
    scope: 'config:read',
    params: S.NameParams,
    response: V.ConfigView,
    status: 200,
    dynamo: READ,
    run: async (ctx, { params }) => {
      const cfg = await getConfig(ctx, params.name);
      return { body: configView(cfg), etag: cfg.sandbox };
    },
  },
  {
    method: 'PUT',
    path: '/v1/sandboxes/{name}/config/policy',
    fn: 'config',
    operationId: 'putPolicy',
    summary: 'Set the policy: a CAS write of the sandbox that creates revision N+1',
    scope: 'config:write',
    params: S.NameParams,
    body: S.PolicyBody,
    response: V.PolicyResultView,
    status: 200,
    dynamo: CAS,
    run: async (ctx, { params, body }) => {
      const res = await putPolicy(ctx, params.name, body);
      return {
        body: { sandbox: sandboxView(res.sandbox), revision: revisionView(res.revision) },
        etag: res.sandbox,
      };
    },
  },
  {
    method: 'GET',
    path: '/v1/sandboxes/{name}/config/policy/revisions',
    fn: 'config',
    operationId: 'listPolicyRevisions',
    summary: 'Policy revisions, newest first',
    scope: 'config:read',
    params: S.NameParams,
    query: S.ListQuery,
    response: V.listOf(V.RevisionView),
    status: 200,
    dynamo: READ,
    run: async (ctx, { params, query }) => ({
      body: page(await listRevisions(ctx, params.name, query), revisionView),
    }),
  },
  {
    method: 'PUT',
    path: '/v1/sandboxes/{name}/config/policy/revisions/{version}/status',
    fn: 'config',
    operationId: 'reportPolicyRevisionStatus',
    summary: 'The supervisor reports a revision LOADED or FAILED',
    scope: 'config:write',
    params: S.RevisionParams,
    body: S.RevisionStatusBody,
    response: V.RevisionView,
    status: 200,
    dynamo: CAS,
    run: async (ctx, { params, body }) =>
      one(await reportRevisionStatus(ctx, params.name, params.version, body), revisionView),
  },
  {
    method: 'PUT',
    path: '/v1/sandboxes/{name}/config/settings/{key}',
    fn: 'config',
    operationId: 'setSandboxSetting',
    summary: 'Set one sandbox setting',
    scope: 'config:write',
    params: S.SandboxSettingParams,
    body: S.SettingBody,
    response: V.SettingsView,
    status: 200,
    dynamo: TX,
    run: async (ctx, { params, body }) =>
      one(await writeSetting(ctx, { sandbox: params.name }, params.key, body.value), settingsView),
  },
  {
    method: 'DELETE',
    path: '/v1/sandboxes/{name}/config/settings/{key}',
    fn: 'config',
    operationId: 'deleteSandboxSetting',
    summary: 'Delete one sandbox setting',
    scope: 'config:write',
    params: S.SandboxSettingParams,
    query: S.PreconditionQuery,
    response: V.SettingsView,
    status: 200,
    dynamo: TX,
    run: async (ctx, { params }) =>
      one(await writeSetting(ctx, { sandbox: params.name }, params.key, undefined), settingsView),
  },
  {
    method: 'GET',
    path: '/v1/settings',
    fn: 'config',
    operationId: 'getGlobalSettings',
    summary: 'Global settings',
    scope: 'config:read',
    response: V.SettingsView,
    status: 200,
    dynamo: CAS,
    run: async (ctx) => one(await getSettings(ctx, 'global'), settingsView),
  },
  {
    method: 'PUT',
    path: '/v1/settings/{key}',
    fn: 'config',
    operationId: 'setGlobalSetting',
    summary: 'Set one global setting',
    scope: 'config:write',
    params: S.SettingParams,
    body: S.SettingBody,
    response: V.SettingsView,
    status: 200,
    dynamo: CAS,
    run: async (ctx, { params, body }) =>
      one(await writeSetting(ctx, 'global', params.key, body.value), settingsView),
  },
  {
    method: 'DELETE',
    path: '/v1/settings/{key}',
    fn: 'config',
    operationId: 'deleteGlobalSetting',
    summary: 'Delete one global setting',
    scope: 'config:write',
    params: S.SettingParams,
    query: S.PreconditionQuery,
    response: V.SettingsView,
    status: 200,
    dynamo: CAS,
    run: async (ctx, { params }) =>
      one(await writeSetting(ctx, 'global', params.key, undefined), settingsView),
  },

  // SSH sessions and services
  {
    method: 'POST',
    path: '/v1/sandboxes/{name}/ssh-sessions',
    fn: 'sessions',
    operationId: 'createSSHSession',
    summary: 'Create an SSH session for a READY sandbox; the only response with the token',
    scope: 'sandbox:write',
    params: S.NameParams,
    body: S.SSHSessionBody,
    response: V.CreatedSessionView,
    status: 201,
    dynamo: TX,
    run: async (ctx, { params, body }) => {
      const res = await createSession(ctx, params.name, body);
      return { body: { ...sessionView(res.session), token: res.token }, etag: res.session };
    },
  },
  {
    method: 'GET',
    path: '/v1/sandboxes/{name}/ssh-sessions',
    fn: 'sessions',
    operationId: 'listSSHSessions',
    summary: "A sandbox's SSH sessions (no tokens)",
    scope: 'sandbox:read',
    params: S.NameParams,
    query: S.ListQuery,
    response: V.listOf(V.SessionView),
    status: 200,
    dynamo: READ,
    run: async (ctx, { params, query }) => ({
      body: page(await listSessions(ctx, params.name, query), sessionView),
    }),
  },
  {
    method: 'DELETE',
    path: '/v1/ssh-sessions/{id}',
    fn: 'sessions',
    operationId: 'revokeSSHSession',
    summary: 'Revoke an SSH session (idempotent)',
    scope: 'sandbox:write',
    params: S.SessionParams,
    query: S.PreconditionQuery,
    response: V.RevokeResultView,
    status: 200,
    dynamo: CAS,
    run: async (ctx, { params }) => {
      const session = await revokeSession(ctx, params.id);
      return { body: { session: sessionView(session), revoked: true }, etag: session };
    },
  },
  {
    method: 'PUT',
    path: '/v1/sandboxes/{name}/services/{service}',
    fn: 'sessions',
    operationId: 'exposeService',
    summary: 'Expose a service: create or update the endpoint',
    scope: 'sandbox:write',
    params: S.ServiceParams,
    body: S.ServiceBody,
    response: V.ServiceView,
    status: 200,
    dynamo: TX,
    run: async (ctx, { params, body }) => {
      const res = await exposeService(ctx, params.name, params.service, body);
      return { status: res.created ? 201 : 200, body: serviceView(res.service), etag: res.service };
    },
  },
  {
    method: 'GET',
    path: '/v1/services',
    fn: 'sessions',
    operationId: 'listServices',
    summary: 'List service endpoints, optionally of one sandbox',
    scope: 'sandbox:read',
    query: S.ServiceListQuery,
    response: V.listOf(V.ServiceView),
    status: 200,
    dynamo: READ,
    run: async (ctx, { query }) => ({ body: page(await listServices(ctx, query), serviceView) }),
  },
  {
    method: 'GET',
    path: '/v1/sandboxes/{name}/services/{service}',
    fn: 'sessions',
    operationId: 'getService',
    summary: 'Get a service endpoint',
    scope: 'sandbox:read',
    params: S.ServiceParams,
    response: V.ServiceView,
    status: 200,
    dynamo: READ,
    run: async (ctx, { params }) =>
      one(await getService(ctx, params.name, params.service), serviceView),
  },
  {
    method: 'DELETE',
    path: '/v1/sandboxes/{name}/services/{service}',
    fn: 'sessions',
    operationId: 'deleteService',
    summary: 'Delete a service endpoint',
    scope: 'sandbox:write',
    params: S.ServiceParams,
    query: S.PreconditionQuery,
    response: V.ServiceView,
    status: 200,
    dynamo: CAS,
    run: async (ctx, { params }) => ({
      body: serviceView(await deleteService(ctx, params.name, params.service)),
    }),
  },

  // Inference routes
  {
    method: 'GET',
    path: '/v1/inference/routes',
    fn: 'inference',
    operationId: 'listInferenceRoutes',
    summary: 'List inference routes',
    scope: 'inference:read',
    query: S.ListQuery,
    response: V.listOf(V.InferenceRouteView),
    status: 200,
    dynamo: READ,
    run: async (ctx, { query }) => ({
      body: page(await listInferenceRoutes(ctx, query), inferenceRouteView),
    }),
  },
  {
    method: 'GET',
    path: '/v1/inference/routes/{name}',
    fn: 'inference',
    operationId: 'getInferenceRoute',
    summary: 'Get an inference route',
    scope: 'inference:read',
    params: S.NameParams,
    response: V.InferenceRouteView,
    status: 200,
    dynamo: READ,
    run: async (ctx, { params }) =>
      one(await getInferenceRoute(ctx, params.name), inferenceRouteView),
  },
  {
    method: 'PUT',
    path: '/v1/inference/routes/{name}',
    fn: 'inference',
    operationId: 'upsertInferenceRoute',
    summary: 'Create or update an inference route',
    scope: 'inference:write',
    params: S.NameParams,
    body: S.InferenceRouteBody,
    response: V.InferenceRouteView,
    status: 200,
    dynamo: CAS,
    run: async (ctx, { params, body }) => {
      const res = await upsertInferenceRoute(ctx, params.name, body);
      return {
        status: res.created ? 201 : 200,
        body: inferenceRouteView(res.route),
        etag: res.route,
      };
    },
  },

  // Meta
  {
    method: 'GET',
    path: '/healthz',
    fn: 'meta',
    operationId: 'healthz',
    summary: 'Liveness',
    scope: null,
    response: V.HealthView,
    status: 200,
    dynamo: [],
    run: async () => ({ body: { status: 'ok' } }),
  },
  {
    method: 'GET',
    path: '/v1/openapi.json',
    fn: 'meta',
    operationId: 'openapi',
    summary: 'This OpenAPI 3.1 document',
    scope: null,
    response: V.OpenApiView,
    status: 200,
    dynamo: [],
    run: async () => {
      const { openApiDocument } = await import('./openapi.ts');
      return { body: openApiDocument() };
    },
  },
];

export const routeKey = (r: Pick<Route, 'method' | 'path'>) => `${r.method} ${r.path}`;

/** Mutating routes accept preconditions and Idempotency-Key. */
export const isMutating = (r: Pick<Route, 'method'>) => r.method !== 'GET';
