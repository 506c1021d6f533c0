import { revisionView, sandboxView, settingsView } from '#lib/api/views.ts';
import { config as contracts } from '#lib/contract/config.ts';
import { getConfig, putPolicy } from '#lib/domain/policy.ts';
import { listRevisions, reportRevisionStatus } from '#lib/domain/revisions.ts';
import { getSettings, writeSetting } from '#lib/domain/settings.ts';
import { bindGroup, CAS, one, page, READ, TX } from '../route.ts';

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

/** The `config` function's routes (`lib/contract/config.ts`) with their use-cases. */
export const config = bindGroup(contracts, {
  getSandboxConfig: {
    dynamo: READ,
    run: async (ctx, { params }) => {
      const cfg = await getConfig(ctx, params.name);
      return { body: configView(cfg), etag: cfg.sandbox };
    },
  },
  putPolicy: {
    dynamo: CAS,
    run: async (ctx, { params, body }) => {
      const res = await putPolicy(ctx, params.name, body);
      return {
        body: { sandbox: sandboxView(res.sandbox), revision: revisionView(res.revision) },
        etag: res.sandbox,
      };
    },
  },
  listPolicyRevisions: {
    dynamo: READ,
    run: async (ctx, { params, query }) => ({
      body: page(await listRevisions(ctx, params.name, query), revisionView),
    }),
  },
  reportPolicyRevisionStatus: {
    dynamo: CAS,
    run: async (ctx, { params, body }) =>
      one(await reportRevisionStatus(ctx, params.name, params.version, body), revisionView),
  },
  setSandboxSetting: {
    dynamo: TX,
    run: async (ctx, { params, body }) =>
      one(await writeSetting(ctx, { sandbox: params.name }, params.key, body.value), settingsView),
  },
  deleteSandboxSetting: {
    dynamo: TX,
    run: async (ctx, { params }) =>
      one(await writeSetting(ctx, { sandbox: params.name }, params.key, undefined), settingsView),
  },
  getGlobalSettings: {
    dynamo: CAS,
    run: async (ctx) => one(await getSettings(ctx, 'global'), settingsView),
  },
  setGlobalSetting: {
    dynamo: CAS,
    run: async (ctx, { params, body }) =>
      one(await writeSetting(ctx, 'global', params.key, body.value), settingsView),
  },
  deleteGlobalSetting: {
    dynamo: CAS,
    run: async (ctx, { params }) =>
      one(await writeSetting(ctx, 'global', params.key, undefined), settingsView),
  },
});
