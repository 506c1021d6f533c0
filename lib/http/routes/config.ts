import {
  globalPolicyRevisionView,
  globalPolicyView,
  revisionView,
  sandboxConfigView,
  sandboxView,
  settingsView,
} from '#lib/api/views.ts';
import { config as contracts } from '#lib/contract/config.ts';
import {
  deleteGlobalPolicy,
  getGlobalPolicy,
  listGlobalPolicyRevisions,
  putGlobalPolicy,
} from '#lib/domain/global-policy.ts';
import { getConfig, mergePolicy, putPolicy } from '#lib/domain/policy.ts';
import { listRevisions, reportRevisionStatus } from '#lib/domain/revisions.ts';
import { getSettings, writeSetting } from '#lib/domain/settings.ts';
import { bindGroup, CAS, one, page, READ, READ_MANY, TX, TX_MANY } from '../route.ts';

/** The `config` function's routes (`lib/contract/config.ts`) with their use-cases. */
export const config = bindGroup(contracts, {
  getSandboxConfig: {
    dynamo: READ_MANY,
    run: async (ctx, { params }) => {
      const cfg = await getConfig(ctx, params.name);
      return { body: sandboxConfigView(cfg), etag: cfg.sandbox };
    },
    cost: {
      requests: { BatchGetItem: 1 },
      source:
        'SPEC §7.4: the sandbox, its settings, the global settings and the global policy’s head in one strongly consistent BatchGetItem (lib/domain/policy.ts, getConfig)',
    },
  },
  putPolicy: {
    dynamo: TX_MANY,
    run: async (ctx, { params, body }) => {
      const res = await putPolicy(ctx, params.name, body);
      return {
        body: { sandbox: sandboxView(res.sandbox), revision: revisionView(res.revision) },
        etag: res.sandbox,
      };
    },
  },
  mergePolicy: {
    dynamo: TX_MANY,
    run: async (ctx, { params, body }) => {
      const res = await mergePolicy(ctx, params.name, body);
      return {
        body: {
          sandbox: sandboxView(res.sandbox),
          revision: res.revision ? revisionView(res.revision) : null,
        },
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
  putGlobalPolicy: {
    dynamo: TX,
    run: async (ctx, { body }) => {
      const res = await putGlobalPolicy(ctx, body);
      return { body: globalPolicyView(res.head), etag: res.head };
    },
  },
  getGlobalPolicy: {
    dynamo: READ,
    run: async (ctx) => one(await getGlobalPolicy(ctx), globalPolicyView),
  },
  listGlobalPolicyRevisions: {
    dynamo: READ,
    run: async (ctx, { query }) => ({
      body: page(await listGlobalPolicyRevisions(ctx, query), globalPolicyRevisionView),
    }),
  },
  deleteGlobalPolicy: {
    dynamo: TX,
    run: async (ctx, { query }) => one(await deleteGlobalPolicy(ctx, query), globalPolicyView),
  },
});
