import { draftEventView, draftView, revisionView } from '#lib/api/views.ts';
import { drafts as contracts } from '#lib/contract/drafts.ts';
import {
  approveDraft,
  approveDrafts,
  clearDrafts,
  type DecisionResult,
  editDraft,
  getDraft,
  listDraftHistory,
  listDrafts,
  rejectDraft,
  submitDraft,
  undoDraft,
} from '#lib/domain/drafts.ts';
import { bindGroup, created, one, page, pathTo, READ_MANY, type Reply, TX_MANY } from '../route.ts';

const DRAFT = '/v1/sandboxes/{name}/config/policy/drafts/{id}';

/** A decision on one draft: the draft (its version the ETag) and the revision it created. */
function decision(res: DecisionResult): Reply {
  const draft = res.drafts[0]!;
  return {
    body: { draft: draftView(draft), revision: res.revision ? revisionView(res.revision) : null },
    etag: draft,
  };
}

/** The `drafts` function's routes (`lib/contract/drafts.ts`) with their use-cases. */
export const drafts = bindGroup(contracts, {
  submitPolicyDraft: {
    dynamo: TX_MANY,
    run: async (ctx, { params, body }) => {
      const res = await submitDraft(ctx, params.name, body);
      return res.created
        ? created(res.draft, draftView, pathTo(DRAFT, { name: params.name, id: res.draft.name }))
        : one(res.draft, draftView);
    },
  },
  listPolicyDrafts: {
    dynamo: READ_MANY,
    run: async (ctx, { params, query }) => ({
      body: page(await listDrafts(ctx, params.name, query), draftView),
    }),
  },
  clearPolicyDrafts: {
    dynamo: TX_MANY,
    run: async (ctx, { params }) => ({ body: { deleted: await clearDrafts(ctx, params.name) } }),
  },
  approvePolicyDrafts: {
    dynamo: TX_MANY,
    run: async (ctx, { params, body }) => {
      const res = await approveDrafts(ctx, params.name, body);
      return {
        body: {
          drafts: res.drafts.map(draftView),
          revision: res.revision ? revisionView(res.revision) : null,
        },
      };
    },
  },
  getPolicyDraft: {
    dynamo: READ_MANY,
    run: async (ctx, { params }) => one(await getDraft(ctx, params.name, params.id), draftView),
  },
  editPolicyDraft: {
    dynamo: TX_MANY,
    run: async (ctx, { params, body }) =>
      one(await editDraft(ctx, params.name, params.id, body), draftView),
  },
  approvePolicyDraft: {
    dynamo: TX_MANY,
    run: async (ctx, { params, body }) =>
      decision(await approveDraft(ctx, params.name, params.id, body)),
  },
  rejectPolicyDraft: {
    dynamo: TX_MANY,
    run: async (ctx, { params, body }) =>
      decision(await rejectDraft(ctx, params.name, params.id, body)),
  },
  undoPolicyDraft: {
    dynamo: TX_MANY,
    run: async (ctx, { params, body }) =>
      decision(await undoDraft(ctx, params.name, params.id, body)),
  },
  listPolicyDraftHistory: {
    dynamo: READ_MANY,
    run: async (ctx, { params, query }) => ({
      body: page(await listDraftHistory(ctx, params.name, params.id, query), draftEventView),
    }),
  },
});
