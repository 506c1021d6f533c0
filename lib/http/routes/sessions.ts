import { ListQuery, NameParams, PreconditionQuery } from '#lib/api/schemas/common.ts';
import {
  ServiceBody,
  ServiceListQuery,
  ServiceParams,
  SessionParams,
  SSHSessionBody,
} from '#lib/api/schemas/sessions.ts';
import { serviceView, sessionView } from '#lib/api/views.ts';
import { deleteService, exposeService, getService, listServices } from '#lib/domain/services.ts';
import { createSession, listSessions, revokeSession } from '#lib/domain/sessions.ts';
import { CAS, created, one, page, pathTo, READ, routeGroup, TX } from '../route.ts';

/** The `sessions` function's routes: SSH sessions and services. */
export const sessions = routeGroup('sessions', [
  {
    method: 'POST',
    path: '/v1/sandboxes/{name}/ssh-sessions',
    operationId: 'createSSHSession',
    summary: 'Create an SSH session for a READY sandbox; the only response with the token',
    scope: 'sandbox:write',
    params: NameParams,
    body: SSHSessionBody,
    response: (v) => v.CreatedSSHSessionView,
    status: 201,
    dynamo: TX,
    run: async (ctx, { params, body }) => {
      const res = await createSession(ctx, params.name, body);
      return {
        ...created(
          res.session,
          sessionView,
          pathTo('/v1/ssh-sessions/{id}', { id: res.session.id }),
        ),
        body: { ...sessionView(res.session), token: res.token },
      };
    },
  },
  {
    method: 'GET',
    path: '/v1/sandboxes/{name}/ssh-sessions',
    operationId: 'listSSHSessions',
    summary: "A sandbox's SSH sessions (no tokens)",
    scope: 'sandbox:read',
    params: NameParams,
    query: ListQuery,
    response: (v) => v.SSHSessionListView,
    status: 200,
    dynamo: READ,
    run: async (ctx, { params, query }) => ({
      body: page(await listSessions(ctx, params.name, query), sessionView),
    }),
  },
  {
    method: 'DELETE',
    path: '/v1/ssh-sessions/{id}',
    operationId: 'revokeSSHSession',
    summary: 'Revoke an SSH session (idempotent)',
    scope: 'sandbox:write',
    params: SessionParams,
    query: PreconditionQuery,
    response: (v) => v.RevokeSSHSessionResultView,
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
    operationId: 'exposeService',
    summary: 'Expose a service: create or update the endpoint',
    scope: 'sandbox:write',
    params: ServiceParams,
    body: ServiceBody,
    response: (v) => v.ServiceView,
    status: 200,
    upsert: true,
    dynamo: TX,
    run: async (ctx, { params, body }) => {
      const res = await exposeService(ctx, params.name, params.service, body);
      const location = pathTo('/v1/sandboxes/{name}/services/{service}', params);
      return res.created
        ? created(res.service, serviceView, location)
        : one(res.service, serviceView);
    },
  },
  {
    method: 'GET',
    path: '/v1/services',
    operationId: 'listServices',
    summary: 'List service endpoints, optionally of one sandbox',
    scope: 'sandbox:read',
    query: ServiceListQuery,
    response: (v) => v.ServiceListView,
    status: 200,
    dynamo: READ,
    run: async (ctx, { query }) => ({ body: page(await listServices(ctx, query), serviceView) }),
  },
  {
    method: 'GET',
    path: '/v1/sandboxes/{name}/services/{service}',
    operationId: 'getService',
    summary: 'Get a service endpoint',
    scope: 'sandbox:read',
    params: ServiceParams,
    response: (v) => v.ServiceView,
    status: 200,
    dynamo: READ,
    run: async (ctx, { params }) =>
      one(await getService(ctx, params.name, params.service), serviceView),
  },
  {
    method: 'DELETE',
    path: '/v1/sandboxes/{name}/services/{service}',
    operationId: 'deleteService',
    summary: 'Delete a service endpoint',
    scope: 'sandbox:write',
    params: ServiceParams,
    query: PreconditionQuery,
    response: (v) => v.ServiceView,
    status: 200,
    dynamo: CAS,
    run: async (ctx, { params }) =>
      one(await deleteService(ctx, params.name, params.service), serviceView),
  },
]);
