import { NameParams, PreconditionQuery } from '#lib/api/schemas/common.ts';
import {
  AttachedProvidersQuery,
  CreateSandboxBody,
  ProviderAttachmentParams,
  SandboxListQuery,
  SandboxStatusBody,
} from '#lib/api/schemas/sandboxes.ts';
import { providerView, sandboxView } from '#lib/api/views.ts';
import { attachProvider, detachProvider, listAttachedProviders } from '#lib/domain/attachments.ts';
import {
  createSandbox,
  deleteSandbox,
  getSandbox,
  listSandboxes,
  reportSandboxStatus,
} from '#lib/domain/sandboxes.ts';
import { CAS, CAS_DELETE, created, one, page, pathTo, READ, routeGroup, TX } from '../route.ts';

/** The `sandboxes` function's routes: sandboxes and their attached providers. */
export const sandboxes = routeGroup('sandboxes', [
  {
    method: 'POST',
    path: '/v1/sandboxes',
    operationId: 'createSandbox',
    summary: 'Create a sandbox (every listed provider must exist)',
    scope: 'sandbox:write',
    body: CreateSandboxBody,
    response: (v) => v.SandboxView,
    status: 201,
    dynamo: TX,
    run: async (ctx, { body }) => {
      const sandbox = await createSandbox(ctx, body);
      return created(sandbox, sandboxView, pathTo('/v1/sandboxes/{name}', { name: sandbox.name }));
    },
  },
  {
    method: 'GET',
    path: '/v1/sandboxes',
    operationId: 'listSandboxes',
    summary: 'List sandboxes',
    scope: 'sandbox:read',
    query: SandboxListQuery,
    response: (v) => v.SandboxListView,
    status: 200,
    dynamo: READ,
    run: async (ctx, { query }) => ({ body: page(await listSandboxes(ctx, query), sandboxView) }),
  },
  {
    method: 'GET',
    path: '/v1/sandboxes/{name}',
    operationId: 'getSandbox',
    summary: 'Get a sandbox',
    scope: 'sandbox:read',
    params: NameParams,
    response: (v) => v.SandboxView,
    status: 200,
    dynamo: READ,
    run: async (ctx, { params }) => one(await getSandbox(ctx, params.name), sandboxView),
  },
  {
    method: 'DELETE',
    path: '/v1/sandboxes/{name}',
    operationId: 'deleteSandbox',
    summary: 'Delete a sandbox and everything it owns',
    scope: 'sandbox:write',
    params: NameParams,
    query: PreconditionQuery,
    response: (v) => v.SandboxView,
    status: 200,
    dynamo: CAS_DELETE,
    run: async (ctx, { params }) => one(await deleteSandbox(ctx, params.name), sandboxView),
  },
  {
    method: 'PUT',
    path: '/v1/sandboxes/{name}/status',
    operationId: 'reportSandboxStatus',
    summary: 'The compute driver reports phase and conditions',
    scope: 'sandbox:write',
    params: NameParams,
    body: SandboxStatusBody,
    response: (v) => v.SandboxView,
    status: 200,
    dynamo: CAS,
    run: async (ctx, { params, body }) =>
      one(await reportSandboxStatus(ctx, params.name, body), sandboxView),
  },
  {
    method: 'GET',
    path: '/v1/sandboxes/{name}/providers',
    operationId: 'listAttachedProviders',
    summary:
      'Providers attached to a sandbox, redacted, in its order; names listed ones that are gone',
    scope: 'sandbox:read',
    params: NameParams,
    query: AttachedProvidersQuery,
    response: (v) => v.AttachedProviderListView,
    status: 200,
    dynamo: READ,
    run: async (ctx, { params, query }) => {
      const res = await listAttachedProviders(ctx, params.name, query);
      return { body: { ...page(res, providerView), missing: res.missing } };
    },
  },
  {
    method: 'PUT',
    path: '/v1/sandboxes/{name}/providers/{provider}',
    operationId: 'attachProvider',
    summary: 'Attach a provider to a sandbox',
    scope: 'sandbox:write',
    params: ProviderAttachmentParams,
    query: PreconditionQuery,
    response: (v) => v.AttachResultView,
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
    operationId: 'detachProvider',
    summary: 'Detach a provider from a sandbox (works after the provider is gone)',
    scope: 'sandbox:write',
    params: ProviderAttachmentParams,
    query: PreconditionQuery,
    response: (v) => v.DetachResultView,
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
]);
