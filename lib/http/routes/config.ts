import { ListQuery, NameParams, PreconditionQuery } from '#lib/api/schemas/common.ts';
import {
  PolicyBody,
  RevisionParams,
  RevisionStatusBody,
  SandboxSettingParams,
  SettingBody,
  SettingParams,
} from '#lib/api/schemas/config.ts';
import { revisionView, sandboxView, settingsView } from '#lib/api/views.ts';
import { getConfig, putPolicy } from '#lib/domain/policy.ts';
import { listRevisions, reportRevisionStatus } from '#lib/domain/revisions.ts';
import { getSettings, writeSetting } from '#lib/domain/settings.ts';
import { CAS, one, page, READ, routeGroup, TX } from '../route.ts';

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

/** The `config` function's routes: policy and settings. */
export const config = routeGroup('config', [
  {
    method: 'GET',
    path: '/v1/sandboxes/{name}/config',
    operationId: 'getSandboxConfig',
    summary: "A sandbox's policy, policy versions and settings",
    scope: 'config:read',
    params: NameParams,
    response: (v) => v.SandboxConfigView,
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
    operationId: 'putPolicy',
    summary: 'Set the policy: a CAS write of the sandbox that creates revision N+1',
    scope: 'config:write',
    params: NameParams,
    body: PolicyBody,
    response: (v) => v.PolicyResultView,
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
    operationId: 'listPolicyRevisions',
    summary: 'Policy revisions, newest first',
    scope: 'config:read',
    params: NameParams,
    query: ListQuery,
    response: (v) => v.PolicyRevisionListView,
    status: 200,
    dynamo: READ,
    run: async (ctx, { params, query }) => ({
      body: page(await listRevisions(ctx, params.name, query), revisionView),
    }),
  },
  {
    method: 'PUT',
    path: '/v1/sandboxes/{name}/config/policy/revisions/{version}/status',
    operationId: 'reportPolicyRevisionStatus',
    summary: 'The supervisor reports a revision LOADED or FAILED',
    scope: 'config:write',
    params: RevisionParams,
    body: RevisionStatusBody,
    response: (v) => v.PolicyRevisionView,
    status: 200,
    dynamo: CAS,
    run: async (ctx, { params, body }) =>
      one(await reportRevisionStatus(ctx, params.name, params.version, body), revisionView),
  },
  {
    method: 'PUT',
    path: '/v1/sandboxes/{name}/config/settings/{key}',
    operationId: 'setSandboxSetting',
    summary: 'Set one sandbox setting',
    scope: 'config:write',
    params: SandboxSettingParams,
    body: SettingBody,
    response: (v) => v.SettingsView,
    status: 200,
    dynamo: TX,
    run: async (ctx, { params, body }) =>
      one(await writeSetting(ctx, { sandbox: params.name }, params.key, body.value), settingsView),
  },
  {
    method: 'DELETE',
    path: '/v1/sandboxes/{name}/config/settings/{key}',
    operationId: 'deleteSandboxSetting',
    summary: 'Delete one sandbox setting',
    scope: 'config:write',
    params: SandboxSettingParams,
    query: PreconditionQuery,
    response: (v) => v.SettingsView,
    status: 200,
    dynamo: TX,
    run: async (ctx, { params }) =>
      one(await writeSetting(ctx, { sandbox: params.name }, params.key, undefined), settingsView),
  },
  {
    method: 'GET',
    path: '/v1/settings',
    operationId: 'getGlobalSettings',
    summary: 'Global settings',
    scope: 'config:read',
    response: (v) => v.SettingsView,
    status: 200,
    dynamo: CAS,
    run: async (ctx) => one(await getSettings(ctx, 'global'), settingsView),
  },
  {
    method: 'PUT',
    path: '/v1/settings/{key}',
    operationId: 'setGlobalSetting',
    summary: 'Set one global setting',
    scope: 'config:write',
    params: SettingParams,
    body: SettingBody,
    response: (v) => v.SettingsView,
    status: 200,
    notFound: false,
    dynamo: CAS,
    run: async (ctx, { params, body }) =>
      one(await writeSetting(ctx, 'global', params.key, body.value), settingsView),
  },
  {
    method: 'DELETE',
    path: '/v1/settings/{key}',
    operationId: 'deleteGlobalSetting',
    summary: 'Delete one global setting',
    scope: 'config:write',
    params: SettingParams,
    query: PreconditionQuery,
    response: (v) => v.SettingsView,
    status: 200,
    notFound: false,
    dynamo: CAS,
    run: async (ctx, { params }) =>
      one(await writeSetting(ctx, 'global', params.key, undefined), settingsView),
  },
]);
