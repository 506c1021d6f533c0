import type { OperationId } from '#lib/contract/index.ts';
import { COST_RULES, type ExampleCost, type RequestCost } from '#lib/http/route.ts';
import { routes } from '#lib/http/routes.ts';

/**
 * What each route of the route table costs in DynamoDB requests by the documented design, by
 * `operationId` and scenario, for the routes whose cost depends on more than their example (a
 * route whose example says it all states that cost on its binding, `lib/http/routes/`).
 * `test/requests/requests.test.ts` runs every scenario (`scenarios.ts`) against DynamoDB Local
 * and asserts these exact counts; a route without an
 * entry, or an entry without a route, fails `test/requests/table.test.ts`. `npm run bench`
 * (section 1) runs the same scenarios over the local HTTP path and reports against them.
 *
 * The rules come from docs/architecture.md ("The two write modes", "Cross-object invariants",
 * "Cost of each operation") and docs/data-model.md (the access pattern behind each key):
 *
 * - a get is 1 GetItem; a list is 1 Query of the `byKind` index or of one partition;
 * - a create is 1 PutItem, or 1 TransactWriteItems where an invariant spans items;
 * - a change that is a structured change is 1 UpdateItem and no read: client-driven, on the
 *   version; server-driven, when its outcome does not depend on the rest of the object (a
 *   settings key), on nothing but what the change itself needs;
 * - a change that needs the current state, and every other server-driven write, reads first:
 *   1 GetItem + 1 write;
 * - a transaction returns no item, so a transactional change whose response carries the object
 *   reads it first: 1 GetItem + 1 TransactWriteItems; a write to a sandbox's child is such a
 *   transaction when a sandbox delete would otherwise discard it (the check that the sandbox is
 *   not DELETING);
 * - no request reads an item it already holds from an earlier response of the same request.
 *
 * An `exception` says why an operation the issue expects at exactly one request needs more.
 */
export type Operation = keyof RequestCost;

export type Cost = RequestCost;

/** Kinds of operation the issue holds to exactly one request. */
export type OneRequestClass = NonNullable<ExampleCost['oneRequest']>;

/** One scenario's cost. */
export interface Expectation {
  /**
   * What the scenario sets up, where its name does not say it all.
   * @default the scenario's name
   */
  variant?: string;
  cost: Cost;
  /** Where the design states or implies this cost. */
  source: string;
  /** Set when the one-request rule covers this operation. */
  oneRequest?: OneRequestClass;
  /** Why the design needs more than one request here. */
  exception?: string;
}

const ARCH = 'docs/architecture.md';
const MODES = `${ARCH}, "The two write modes"`;
const INVARIANTS = `${ARCH}, "Cross-object invariants"`;
const MODEL = 'docs/data-model.md, "Keys and the access pattern behind each"';

const BLIND = `${MODES}: a server-driven change to one settings key does not depend on the rest of the object, so it is one UpdateItem with no read and no version condition`;

const PRECEDENCE = `SPEC §7.4 and lib/domain/settings.ts (assertNotSetGlobally): a sandbox key the global settings hold is refused, found by one consistent GetItem of them; then the write, blind as every settings write (${MODES}: one UpdateItem, no version condition server-driven)`;

const PRECEDENCE_READ =
  'A key the global settings hold wins over the sandbox’s and may not be set or deleted on the sandbox: one strongly consistent GetItem of the global settings comes first. The write itself stays blind (no version condition server-driven), so it never conflicts; a global write racing it leaves a state a serial order also gives (lib/domain/settings.ts).';

const LIFECYCLE = 'docs/policy-lifecycle.md';
const DECISION = `${LIFECYCLE}, "Writes": one BatchGetItem (sandbox, policy head, global policy head, the drafts) and one transaction of the drafts, their events, the head, the sandbox and the revision`;

const TX_NO_ITEM =
  'A cross-object invariant needs TransactWriteItems, which returns no item; the consistent read is what lets the response carry the new object without a second read.';

/**
 * Every route's cost, by `operationId`, then by scenario: `''` names a route's only (or plain)
 * scenario, the others say what differs (`client-driven`, `server-driven`, `stale version`, …).
 */
export const expectedRequests = {
  // Providers
  createProvider: {
    '': {
      cost: { PutItem: 1 },
      source: COST_RULES,
      oneRequest: 'create',
    },
  },
  listProviders: {
    '': {
      cost: { Query: 1 },
      source: MODEL,
    },
  },
  updateProvider: {
    'client-driven': {
      cost: { GetItem: 1, UpdateItem: 1 },
      source: `${MODES}: "A change that needs the current state … reads first"`,
      oneRequest: 'client-driven write',
      exception:
        'The key-by-key merge is computed by `apply` from the current maps (credential count limits, the 300 KiB object limit, the immutable type), so the PATCH reads first.',
    },
    'server-driven': {
      cost: { GetItem: 1, UpdateItem: 1 },
      source: COST_RULES,
    },
  },
  deleteProvider: {
    'client-driven': {
      variant: 'client-driven, before migration 006',
      cost: { GetItem: 2, Query: 1, TransactWriteItems: 1 },
      source: `${INVARIANTS}; lib/domain/providers.ts (deleteProvider): until migration 006 is done, the migration's record is read and the \`byKind\` index queried for sandboxes that list the provider without a ref`,
      oneRequest: 'client-driven write',
      exception: `Provider delete is a transaction with the refs record (attach and delete serialize on it). ${TX_NO_ITEM} Until migration 006 has recorded the listings of sandboxes written before refs existed, it also reads the migration's record and queries the index for such listings.`,
    },
    'server-driven': {
      variant: 'server-driven, before migration 006',
      cost: { GetItem: 2, Query: 1, TransactWriteItems: 1 },
      source: `${INVARIANTS}; lib/domain/providers.ts (deleteProvider), as above`,
    },
    'after migration 006': {
      variant: 'client-driven, migration 006 done',
      cost: { GetItem: 1, TransactWriteItems: 1 },
      source: `${INVARIANTS}; a \`done\` migration record is read once and kept for the life of the store, a Lambda instance (lib/domain/provider-refs.ts), so past an instance's first provider delete a deployed table pays only the provider's read and the transaction`,
      oneRequest: 'client-driven write',
      exception: `Provider delete is a transaction with the refs record (attach and delete serialize on it). ${TX_NO_ITEM}`,
    },
  },
  // Sandboxes
  createSandbox: {
    '': {
      variant: 'no providers',
      cost: { TransactWriteItems: 1 },
      source: COST_RULES,
      oneRequest: 'create',
    },
    'with 2 providers': {
      cost: { TransactWriteItems: 1 },
      source: INVARIANTS,
      oneRequest: 'create',
    },
  },
  listSandboxes: {
    '': {
      cost: { Query: 1 },
      source: MODEL,
    },
    labelSelector: {
      cost: { Query: 1 },
      source: MODEL,
    },
  },
  reportSandboxStatus: {
    'client-driven': {
      cost: { GetItem: 1, UpdateItem: 1 },
      source: `${MODES}: "A change that needs the current state … reads first"`,
      oneRequest: 'client-driven write',
      exception:
        'Conditions are merged by type with the stored ones (a transition time moves only when the status changes), so the report reads first.',
    },
    'server-driven': {
      cost: { GetItem: 1, UpdateItem: 1 },
      source: COST_RULES,
    },
  },
  attachProvider: {
    'client-driven': {
      cost: { GetItem: 1, TransactWriteItems: 1 },
      source: COST_RULES,
      oneRequest: 'client-driven write',
      exception: `Attach and provider delete racing must never leave a sandbox listing a missing provider. ${TX_NO_ITEM}`,
    },
    'server-driven': {
      cost: { GetItem: 1, TransactWriteItems: 1 },
      source: COST_RULES,
    },
    'stale version': {
      variant: 'stale version → 409',
      cost: { GetItem: 1 },
      source: MODES,
    },
  },
  detachProvider: {
    'client-driven': {
      cost: { GetItem: 1, TransactWriteItems: 1 },
      source: COST_RULES,
      oneRequest: 'client-driven write',
      exception: `Detach moves the provider's reference count in the same transaction. ${TX_NO_ITEM}`,
    },
    'server-driven': {
      cost: { GetItem: 1, TransactWriteItems: 1 },
      source: COST_RULES,
    },
  },
  listAttachedProviders: {
    '': {
      variant: '2 providers',
      cost: { GetItem: 3 },
      source: `${MODEL} (the sandbox, then each listed provider of the page)`,
    },
  },
  deleteSandbox: {
    'server-driven': {
      variant: 'server-driven, 1 provider, settings',
      cost: { GetItem: 3, TransactWriteItems: 2, Query: 1, PutItem: 1 },
      source: `${INVARIANTS}: read the sandbox and its settings, mark DELETING and freeze the settings in one transaction, one consistent Query of the partition, each child deleted on the version the Query returned, the provider's ref record read, the final transaction`,
    },
    'client-driven': {
      variant: 'client-driven, 1 provider, settings',
      cost: { GetItem: 3, TransactWriteItems: 2, Query: 1, PutItem: 1 },
      source: INVARIANTS,
      oneRequest: 'client-driven write',
      exception:
        'Deleting a sandbox removes everything it owns: mark it DELETING and freeze its settings in one transaction (so no settings write is acknowledged that the delete then discards), find the children with one Query, delete each, then the sandbox in one transaction with its provider bookkeeping.',
    },
  },
  // Config
  putPolicy: {
    'client-driven': {
      cost: { BatchGetItem: 1, TransactWriteItems: 1 },
      source: `${COST_RULES}; one BatchGetItem reads the sandbox and its policy head (docs/policy-lifecycle.md)`,
      oneRequest: 'client-driven write',
      exception: `Revision N+1 is created in the same transaction as the sandbox's CAS. ${TX_NO_ITEM}`,
    },
    'server-driven': {
      cost: { BatchGetItem: 1, TransactWriteItems: 1 },
      source: `${COST_RULES}; one BatchGetItem reads the sandbox and its policy head`,
    },
  },
  mergePolicy: {
    'client-driven': {
      variant: 'the sandbox version sent',
      cost: { BatchGetItem: 1, TransactWriteItems: 1 },
      source: `${LIFECYCLE}, "Writes": merges apply to the base, in the same transaction as PUT`,
    },
    'server-driven': {
      cost: { BatchGetItem: 1, TransactWriteItems: 1 },
      source: `${LIFECYCLE}, "Writes"`,
    },
    'no-op': {
      variant: 'nothing changes: the latest revision',
      cost: { BatchGetItem: 1, GetItem: 2 },
      source: `${LIFECYCLE}: a result with the latest hash writes nothing; the sandbox and its latest revision are read for the answer`,
    },
  },
  listPolicyRevisions: {
    '': {
      cost: { GetItem: 1, Query: 1 },
      source: `${MODEL} (the sandbox must exist: 404 otherwise; then the revisions)`,
    },
  },
  reportPolicyRevisionStatus: {
    LOADED: {
      variant: 'LOADED, 2 revisions',
      cost: { GetItem: 1, Query: 1, TransactWriteItems: 1 },
      source: `${INVARIANTS}: the sandbox, one consistent Query of the revisions (it holds the reported one), one transaction`,
    },
    FAILED: {
      variant: 'FAILED, server-driven',
      cost: { GetItem: 1, Query: 1, TransactWriteItems: 1 },
      source: `${INVARIANTS}: the same read and transaction as LOADED (the revision's write carries the check that the sandbox is not DELETING)`,
    },
  },
  setSandboxSetting: {
    'client-driven': {
      cost: { GetItem: 1, UpdateItem: 1 },
      source: PRECEDENCE,
      oneRequest: 'client-driven write',
      exception: PRECEDENCE_READ,
    },
    'stale version': {
      variant: 'stale version → 409',
      cost: { GetItem: 1, UpdateItem: 1 },
      source: `${PRECEDENCE}; ${MODES}: a failed condition is explained by the item DynamoDB returns`,
      oneRequest: 'client-driven write',
      exception: PRECEDENCE_READ,
    },
    'with Idempotency-Key': {
      variant: 'client-driven, Idempotency-Key',
      cost: { PutItem: 1, GetItem: 1, UpdateItem: 2 },
      source: `${ARCH}, "Receipts": the key is claimed with one conditional PutItem before the request runs, and the response is stored on the record after it; ${PRECEDENCE}`,
    },
    'server-driven': {
      cost: { GetItem: 1, UpdateItem: 1 },
      source: PRECEDENCE,
    },
  },
  deleteSandboxSetting: {
    'client-driven': {
      cost: { GetItem: 1, UpdateItem: 1 },
      source: PRECEDENCE,
      oneRequest: 'client-driven write',
      exception: PRECEDENCE_READ,
    },
    'server-driven': {
      cost: { GetItem: 1, UpdateItem: 1 },
      source: PRECEDENCE,
    },
  },
  getGlobalSettings: {
    '': {
      cost: { GetItem: 1 },
      source: COST_RULES,
      oneRequest: 'get',
    },
    'first use': {
      variant: 'first use (creates it)',
      cost: { GetItem: 1, PutItem: 1 },
      source: 'docs/api.md, "Responses" (created by its first read or write)',
    },
  },
  setGlobalSetting: {
    'client-driven': {
      cost: { UpdateItem: 1 },
      source: COST_RULES,
      oneRequest: 'client-driven write',
    },
    'server-driven': {
      cost: { UpdateItem: 1 },
      source: BLIND,
    },
  },
  deleteGlobalSetting: {
    'client-driven': {
      cost: { UpdateItem: 1 },
      source: COST_RULES,
      oneRequest: 'client-driven write',
    },
    'server-driven': {
      cost: { UpdateItem: 1 },
      source: BLIND,
    },
  },
  // SSH sessions and services
  createSSHSession: {
    '': {
      cost: { TransactWriteItems: 1 },
      source: INVARIANTS,
      oneRequest: 'create',
    },
  },
  listSSHSessions: {
    '': {
      cost: { GetItem: 1, Query: 1 },
      source: `${MODEL} (the sandbox must exist: 404 otherwise; then its sessions)`,
    },
  },
  revokeSSHSession: {
    'client-driven': {
      cost: { GetItem: 2, TransactWriteItems: 1 },
      source: `${MODEL}, "SSH session pointer": the route names only the id; ${INVARIANTS}`,
      oneRequest: 'client-driven write',
      exception: `The session lives in its sandbox's partition (so sandbox delete finds it with one Query) and the route names only its id: the pointer record is read to find the key. The revoke is a transaction with the check that the sandbox is not DELETING (its delete would discard the revoke). ${TX_NO_ITEM}`,
    },
    'server-driven': {
      cost: { GetItem: 2, TransactWriteItems: 1 },
      source: `${MODEL}, "SSH session pointer"; ${INVARIANTS}`,
    },
  },
  exposeService: {
    create: {
      cost: { GetItem: 1, TransactWriteItems: 1 },
      source: INVARIANTS,
      oneRequest: 'create',
      exception:
        'PUT is create-or-update: the read finds out which; the create is a transaction with the sandbox-not-DELETING check.',
    },
    'update server-driven': {
      variant: 'update, server-driven',
      cost: { GetItem: 1, TransactWriteItems: 1 },
      source: `${INVARIANTS}: the update carries the check that the sandbox is not DELETING`,
    },
    'update client-driven': {
      variant: 'update, client-driven',
      cost: { GetItem: 1, TransactWriteItems: 1 },
      source: `${MODES}: "A change that needs the current state … reads first"; ${INVARIANTS}`,
      oneRequest: 'client-driven write',
      exception: `An omitted \`domain\` keeps the stored one, and the URL is computed from it, so the update reads first; it is a transaction with the check that the sandbox is not DELETING (its delete would discard the update). ${TX_NO_ITEM}`,
    },
  },
  listServices: {
    '': {
      cost: { Query: 1 },
      source: MODEL,
    },
    sandbox: {
      variant: 'sandbox=',
      cost: { Query: 1 },
      source: MODEL,
    },
  },
  getService: {
    '': {
      cost: { GetItem: 1 },
      source: COST_RULES,
      oneRequest: 'get',
    },
  },
  deleteService: {
    'client-driven': {
      cost: { GetItem: 1, TransactWriteItems: 1 },
      source: INVARIANTS,
      oneRequest: 'client-driven write',
      exception: `A DELETING sandbox acknowledges no child write: the tombstone is written in one transaction with the check that the sandbox is not DELETING. ${TX_NO_ITEM} (The response carries the deleted object and its ETag.)`,
    },
    'server-driven': {
      cost: { GetItem: 1, TransactWriteItems: 1 },
      source: `${INVARIANTS}: read, then the tombstone in one transaction with the check that the sandbox is not DELETING`,
    },
  },
  // Inference routes
  upsertInferenceRoute: {
    create: {
      cost: { PutItem: 1 },
      source: COST_RULES,
      oneRequest: 'create',
    },
    'update server-driven': {
      variant: 'update, server-driven',
      cost: { PutItem: 1, UpdateItem: 1 },
      source: `${COST_RULES}; the failed create returns the current item (ALL_OLD), which the update is computed from`,
    },
    'update client-driven': {
      variant: 'update, client-driven',
      cost: { GetItem: 1, UpdateItem: 1 },
      source: `${MODES}: "A change that needs the current state … reads first"`,
      oneRequest: 'client-driven write',
      exception: 'An omitted `timeoutSeconds` keeps the stored one.',
    },
  },
  getInferenceRoute: {
    '': {
      cost: { GetItem: 1 },
      source: COST_RULES,
      oneRequest: 'get',
    },
  },
  listInferenceRoutes: {
    '': {
      cost: { Query: 1 },
      source: MODEL,
    },
  },
  // Global policy
  putGlobalPolicy: {
    '': {
      cost: { GetItem: 1, TransactWriteItems: 1 },
      source: `${LIFECYCLE}, "Writes": the head and its revisions in one transaction`,
    },
  },
  getGlobalPolicy: {
    '': { cost: { GetItem: 1 }, source: `${LIFECYCLE}: the global head`, oneRequest: 'get' },
  },
  listGlobalPolicyRevisions: {
    '': { cost: { Query: 1 }, source: MODEL },
  },
  deleteGlobalPolicy: {
    '': {
      cost: { GetItem: 1, TransactWriteItems: 1 },
      source: `${LIFECYCLE}, "Writes": the head and the revision in force in one transaction`,
    },
  },
  // Drafts
  submitPolicyDraft: {
    '': {
      variant: 'first submit of a dedupKey',
      cost: { UpdateItem: 1, TransactWriteItems: 1 },
      source: `${LIFECYCLE}, "Writes": the hit's UpdateItem fails its condition, then the creation's transaction`,
      oneRequest: 'create',
      exception:
        'A submit does not know whether its draft exists: it tries the hit first (so a repeated submit is one request), and creates the draft with its order record, event and count in one transaction when there is none.',
    },
    existing: {
      variant: 'a repeated dedupKey',
      cost: { UpdateItem: 1 },
      source: `${LIFECYCLE}, "Writes": a hit is one UpdateItem with no read and no version condition`,
    },
  },
  listPolicyDrafts: {
    '': {
      cost: { BatchGetItem: 2, Query: 1 },
      source: `${LIFECYCLE}, "Items": the sandbox, a page of order records, the drafts they name`,
    },
  },
  getPolicyDraft: {
    '': {
      cost: { BatchGetItem: 1 },
      source: 'the sandbox and the draft in one BatchGetItem (404 names which is missing)',
      oneRequest: 'get',
    },
  },
  editPolicyDraft: {
    '': { cost: { BatchGetItem: 1, TransactWriteItems: 1 }, source: DECISION },
  },
  approvePolicyDraft: {
    '': { cost: { BatchGetItem: 1, TransactWriteItems: 1 }, source: DECISION },
  },
  rejectPolicyDraft: {
    '': { cost: { BatchGetItem: 1, TransactWriteItems: 1 }, source: DECISION },
  },
  undoPolicyDraft: {
    '': { cost: { BatchGetItem: 1, TransactWriteItems: 1 }, source: DECISION },
  },
  approvePolicyDrafts: {
    '': {
      variant: 'all PENDING (3 drafts)',
      cost: { Query: 1, BatchGetItem: 1, TransactWriteItems: 1 },
      source: `${DECISION}, after one consistent Query that finds the PENDING drafts`,
    },
  },
  clearPolicyDrafts: {
    '': {
      variant: 'one PENDING draft with one event',
      cost: { BatchGetItem: 1, Query: 2, TransactWriteItems: 1, PutItem: 2 },
      source: `${LIFECYCLE}, "Writes": the PENDING drafts found by one consistent Query; one transaction per 32 of them (each draft, its order record and a leftovers marker; the count), then per draft its events (one Query, a tombstone each) and the marker (a tombstone, at the version the transaction wrote)`,
    },
  },
  listPolicyDraftHistory: {
    '': {
      cost: { BatchGetItem: 1, Query: 1 },
      source: 'the sandbox and the draft (its generation) in one BatchGetItem, then its events',
    },
  },
  // Meta
} satisfies Partial<Record<OperationId, Record<string, Expectation>>>;

/** The routes whose scenarios this table states; every other states its example's cost. */
export type TabledOperation = keyof typeof expectedRequests;

/** The scenarios of one route, by name: a route without an entry has its example's, `''`. */
export type ScenarioName<Op extends OperationId> = Op extends TabledOperation
  ? keyof (typeof expectedRequests)[Op] & string
  : '';

/** A scenario's id, as bench/RESULTS.md records it: `<operationId>` or `<operationId> <name>`. */
export const scenarioId = (operationId: OperationId, scenario: string): string =>
  scenario ? `${operationId} ${scenario}` : operationId;

export interface ExpectedCost extends Expectation {
  id: string;
  operationId: OperationId;
  scenario: string;
  variant: string;
}

/**
 * Every route's costs as one list, in the route table's order (the order bench/RESULTS.md shows
 * them in): the scenarios of this table, or the cost of the route's example its binding states.
 */
export const expectedCosts: readonly ExpectedCost[] = routes.flatMap((route) => {
  const operationId = route.operationId as OperationId;
  const byScenario: Record<string, Expectation> | undefined = Object.hasOwn(
    expectedRequests,
    operationId,
  )
    ? expectedRequests[operationId as TabledOperation]
    : route.cost && {
        '': {
          variant: 'the example',
          cost: route.cost.requests,
          source: route.cost.source,
          ...(route.cost.oneRequest ? { oneRequest: route.cost.oneRequest } : {}),
        },
      };
  return Object.entries(byScenario ?? {}).map(([scenario, e]) => ({
    ...e,
    id: scenarioId(operationId, scenario),
    operationId,
    scenario,
    variant: e.variant ?? scenario,
  }));
});

export const totalOf = (cost: Cost): number =>
  Object.values(cost).reduce((n, c) => n + (c ?? 0), 0);

/** Same operations, same numbers. */
export function sameCost(a: Cost, b: Cost): boolean {
  const ops = new Set([...Object.keys(a), ...Object.keys(b)]) as Set<Operation>;
  for (const op of ops) if ((a[op] ?? 0) !== (b[op] ?? 0)) return false;
  return true;
}
