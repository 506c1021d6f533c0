import { providerView, sandboxView } from '#lib/api/views.ts';
import { sandboxes as contracts } from '#lib/contract/sandboxes.ts';
import { attachProvider, detachProvider, listAttachedProviders } from '#lib/domain/attachments.ts';
import {
  createSandbox,
  deleteSandbox,
  getSandbox,
  listSandboxes,
  reportSandboxStatus,
} from '#lib/domain/sandboxes.ts';
import {
  bindGroup,
  CAS,
  CAS_DELETE,
  COST_RULES,
  created,
  one,
  page,
  pathTo,
  READ,
  TX,
} from '../route.ts';

/** The `sandboxes` function's routes (`lib/contract/sandboxes.ts`) with their use-cases. */
export const sandboxes = bindGroup(contracts, {
  createSandbox: {
    dynamo: TX,
    run: async (ctx, { body }) => {
      const sandbox = await createSandbox(ctx, body);
      return created(sandbox, sandboxView, pathTo('/v1/sandboxes/{name}', { name: sandbox.name }));
    },
  },
  listSandboxes: {
    dynamo: READ,
    run: async (ctx, { query }) => ({ body: page(await listSandboxes(ctx, query), sandboxView) }),
  },
  getSandbox: {
    dynamo: READ,
    run: async (ctx, { params }) => one(await getSandbox(ctx, params.name), sandboxView),
    cost: {
      requests: { GetItem: 1 },
      source: COST_RULES,
      oneRequest: 'get',
    },
  },
  deleteSandbox: {
    dynamo: CAS_DELETE,
    run: async (ctx, { params }) => one(await deleteSandbox(ctx, params.name), sandboxView),
  },
  reportSandboxStatus: {
    dynamo: CAS,
    run: async (ctx, { params, body }) =>
      one(await reportSandboxStatus(ctx, params.name, body), sandboxView),
  },
  listAttachedProviders: {
    dynamo: READ,
    run: async (ctx, { params, query }) => {
      const res = await listAttachedProviders(ctx, params.name, query);
      return { body: { ...page(res, providerView), missing: res.missing } };
    },
  },
  attachProvider: {
    dynamo: TX,
    run: async (ctx, { params }) => {
      const res = await attachProvider(ctx, params.name, params.provider);
      return {
        body: { sandbox: sandboxView(res.sandbox), attached: res.attached },
        etag: res.sandbox,
      };
    },
  },
  detachProvider: {
    dynamo: TX,
    run: async (ctx, { params }) => {
      const res = await detachProvider(ctx, params.name, params.provider);
      return {
        body: { sandbox: sandboxView(res.sandbox), detached: res.detached },
        etag: res.sandbox,
      };
    },
  },
});
