import { serviceView, sessionView } from '#lib/api/views.ts';
import { sessions as contracts } from '#lib/contract/sessions.ts';
import { deleteService, exposeService, getService, listServices } from '#lib/domain/services.ts';
import { createSession, listSessions, revokeSession } from '#lib/domain/sessions.ts';
import { bindGroup, CAS, created, one, page, pathTo, READ, TX } from '../route.ts';

/** The `sessions` function's routes (`lib/contract/sessions.ts`) with their use-cases. */
export const sessions = bindGroup(contracts, {
  createSSHSession: {
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
  listSSHSessions: {
    dynamo: READ,
    run: async (ctx, { params, query }) => ({
      body: page(await listSessions(ctx, params.name, query), sessionView),
    }),
  },
  revokeSSHSession: {
    dynamo: CAS,
    run: async (ctx, { params }) => {
      const session = await revokeSession(ctx, params.id);
      return { body: { session: sessionView(session), revoked: true }, etag: session };
    },
  },
  exposeService: {
    dynamo: TX,
    run: async (ctx, { params, body }) => {
      const res = await exposeService(ctx, params.name, params.service, body);
      const location = pathTo('/v1/sandboxes/{name}/services/{service}', params);
      return res.created
        ? created(res.service, serviceView, location)
        : one(res.service, serviceView);
    },
  },
  listServices: {
    dynamo: READ,
    run: async (ctx, { query }) => ({ body: page(await listServices(ctx, query), serviceView) }),
  },
  getService: {
    dynamo: READ,
    run: async (ctx, { params }) =>
      one(await getService(ctx, params.name, params.service), serviceView),
  },
  deleteService: {
    dynamo: CAS,
    run: async (ctx, { params }) =>
      one(await deleteService(ctx, params.name, params.service), serviceView),
  },
});
