/**
 * What each API operation costs in DynamoDB requests by the documented design, the numbers
 * `npm run bench` compares its measured counts against and `npm run bench:check` enforces.
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
export type Operation =
  | 'GetItem'
  | 'PutItem'
  | 'UpdateItem'
  | 'DeleteItem'
  | 'Query'
  | 'Scan'
  | 'BatchGetItem'
  | 'TransactWriteItems';

export type Cost = Partial<Record<Operation, number>>;

/** Kinds of operation the issue holds to exactly one request. */
export type OneRequestClass = 'get' | 'create' | 'client-driven write';

export interface ExpectedCost {
  /** Scenario id: `<operationId> <variant>`. */
  id: string;
  operationId: string;
  variant: string;
  cost: Cost;
  /** Where the design states or implies this cost. */
  source: string;
  /** Set when the one-request rule covers this operation. */
  oneRequest?: OneRequestClass;
  /** Why the design needs more than one request here. */
  exception?: string;
}

const ARCH = 'docs/architecture.md';
const COST = `${ARCH}, "Cost of each operation"`;
const MODES = `${ARCH}, "The two write modes"`;
const INVARIANTS = `${ARCH}, "Cross-object invariants"`;
const MODEL = 'docs/data-model.md, "Keys and the access pattern behind each"';

const BLIND = `${MODES}: a server-driven change to one settings key does not depend on the rest of the object, so it is one UpdateItem with no read and no version condition`;

const TX_NO_ITEM =
  'A cross-object invariant needs TransactWriteItems, which returns no item; the consistent read is what lets the response carry the new object without a second read.';

export const expectedCosts: readonly ExpectedCost[] = [
  // Providers
  {
    id: 'createProvider',
    operationId: 'createProvider',
    variant: '',
    cost: { PutItem: 1 },
    source: COST,
    oneRequest: 'create',
  },
  {
    id: 'getProvider',
    operationId: 'getProvider',
    variant: '',
    cost: { GetItem: 1 },
    source: COST,
    oneRequest: 'get',
  },
  {
    id: 'listProviders',
    operationId: 'listProviders',
    variant: '',
    cost: { Query: 1 },
    source: MODEL,
  },
  {
    id: 'updateProvider client-driven',
    operationId: 'updateProvider',
    variant: 'client-driven',
    cost: { GetItem: 1, UpdateItem: 1 },
    source: `${MODES}: "A change that needs the current state … reads first"`,
    oneRequest: 'client-driven write',
    exception:
      'The key-by-key merge is computed by `apply` from the current maps (credential count limits, the 300 KiB object limit, the immutable type), so the PATCH reads first.',
  },
  {
    id: 'updateProvider server-driven',
    operationId: 'updateProvider',
    variant: 'server-driven',
    cost: { GetItem: 1, UpdateItem: 1 },
    source: COST,
  },
  {
    id: 'deleteProvider client-driven',
    operationId: 'deleteProvider',
    variant: 'client-driven, before migration 006',
    cost: { GetItem: 2, Query: 1, TransactWriteItems: 1 },
    source: `${INVARIANTS}; lib/domain/providers.ts (deleteProvider): until migration 006 is done, the migration's record is read and the \`byKind\` index queried for sandboxes that list the provider without a ref`,
    oneRequest: 'client-driven write',
    exception: `Provider delete is a transaction with the refs record (attach and delete serialize on it). ${TX_NO_ITEM} Until migration 006 has recorded the listings of sandboxes written before refs existed, it also reads the migration's record and queries the index for such listings.`,
  },
  {
    id: 'deleteProvider server-driven',
    operationId: 'deleteProvider',
    variant: 'server-driven, before migration 006',
    cost: { GetItem: 2, Query: 1, TransactWriteItems: 1 },
    source: `${INVARIANTS}; lib/domain/providers.ts (deleteProvider), as above`,
  },
  {
    id: 'deleteProvider after migration 006',
    operationId: 'deleteProvider',
    variant: 'client-driven, migration 006 done',
    cost: { GetItem: 1, TransactWriteItems: 1 },
    source: `${INVARIANTS}; a \`done\` migration record is read once and kept for the life of the store, a Lambda instance (lib/domain/provider-refs.ts), so past an instance's first provider delete a deployed table pays only the provider's read and the transaction`,
    oneRequest: 'client-driven write',
    exception: `Provider delete is a transaction with the refs record (attach and delete serialize on it). ${TX_NO_ITEM}`,
  },

  // Sandboxes
  {
    id: 'createSandbox',
    operationId: 'createSandbox',
    variant: 'no providers',
    cost: { TransactWriteItems: 1 },
    source: COST,
    oneRequest: 'create',
  },
  {
    id: 'createSandbox with 2 providers',
    operationId: 'createSandbox',
    variant: 'with 2 providers',
    cost: { TransactWriteItems: 1 },
    source: INVARIANTS,
    oneRequest: 'create',
  },
  {
    id: 'getSandbox',
    operationId: 'getSandbox',
    variant: '',
    cost: { GetItem: 1 },
    source: COST,
    oneRequest: 'get',
  },
  {
    id: 'listSandboxes',
    operationId: 'listSandboxes',
    variant: '',
    cost: { Query: 1 },
    source: MODEL,
  },
  {
    id: 'listSandboxes labelSelector',
    operationId: 'listSandboxes',
    variant: 'labelSelector',
    cost: { Query: 1 },
    source: MODEL,
  },
  {
    id: 'reportSandboxStatus client-driven',
    operationId: 'reportSandboxStatus',
    variant: 'client-driven',
    cost: { GetItem: 1, UpdateItem: 1 },
    source: `${MODES}: "A change that needs the current state … reads first"`,
    oneRequest: 'client-driven write',
    exception:
      'Conditions are merged by type with the stored ones (a transition time moves only when the status changes), so the report reads first.',
  },
  {
    id: 'reportSandboxStatus server-driven',
    operationId: 'reportSandboxStatus',
    variant: 'server-driven',
    cost: { GetItem: 1, UpdateItem: 1 },
    source: COST,
  },
  {
    id: 'attachProvider client-driven',
    operationId: 'attachProvider',
    variant: 'client-driven',
    cost: { GetItem: 1, TransactWriteItems: 1 },
    source: COST,
    oneRequest: 'client-driven write',
    exception: `Attach and provider delete racing must never leave a sandbox listing a missing provider. ${TX_NO_ITEM}`,
  },
  {
    id: 'attachProvider server-driven',
    operationId: 'attachProvider',
    variant: 'server-driven',
    cost: { GetItem: 1, TransactWriteItems: 1 },
    source: COST,
  },
  {
    id: 'attachProvider stale version',
    operationId: 'attachProvider',
    variant: 'stale version → 409',
    cost: { GetItem: 1 },
    source: MODES,
  },
  {
    id: 'detachProvider client-driven',
    operationId: 'detachProvider',
    variant: 'client-driven',
    cost: { GetItem: 1, TransactWriteItems: 1 },
    source: COST,
    oneRequest: 'client-driven write',
    exception: `Detach moves the provider's reference count in the same transaction. ${TX_NO_ITEM}`,
  },
  {
    id: 'detachProvider server-driven',
    operationId: 'detachProvider',
    variant: 'server-driven',
    cost: { GetItem: 1, TransactWriteItems: 1 },
    source: COST,
  },
  {
    id: 'listAttachedProviders',
    operationId: 'listAttachedProviders',
    variant: '2 providers',
    cost: { GetItem: 3 },
    source: `${MODEL} (the sandbox, then each listed provider of the page)`,
  },
  {
    id: 'deleteSandbox server-driven',
    operationId: 'deleteSandbox',
    variant: 'server-driven, 1 provider, settings',
    cost: { GetItem: 3, TransactWriteItems: 2, Query: 1, PutItem: 1 },
    source: `${INVARIANTS}: read the sandbox and its settings, mark DELETING and freeze the settings in one transaction, one consistent Query of the partition, each child deleted on the version the Query returned, the provider's ref record read, the final transaction`,
  },
  {
    id: 'deleteSandbox client-driven',
    operationId: 'deleteSandbox',
    variant: 'client-driven, 1 provider, settings',
    cost: { GetItem: 3, TransactWriteItems: 2, Query: 1, PutItem: 1 },
    source: INVARIANTS,
    oneRequest: 'client-driven write',
    exception:
      'Deleting a sandbox removes everything it owns: mark it DELETING and freeze its settings in one transaction (so no settings write is acknowledged that the delete then discards), find the children with one Query, delete each, then the sandbox in one transaction with its provider bookkeeping.',
  },

  // Config
  {
    id: 'getSandboxConfig',
    operationId: 'getSandboxConfig',
    variant: '',
    cost: { GetItem: 2 },
    source: `${MODEL} (the sandbox and its settings item)`,
  },
  {
    id: 'putPolicy client-driven',
    operationId: 'putPolicy',
    variant: 'client-driven',
    cost: { GetItem: 1, TransactWriteItems: 1 },
    source: COST,
    oneRequest: 'client-driven write',
    exception: `Revision N+1 is created in the same transaction as the sandbox's CAS. ${TX_NO_ITEM}`,
  },
  {
    id: 'putPolicy server-driven',
    operationId: 'putPolicy',
    variant: 'server-driven',
    cost: { GetItem: 1, TransactWriteItems: 1 },
    source: COST,
  },
  {
    id: 'listPolicyRevisions',
    operationId: 'listPolicyRevisions',
    variant: '',
    cost: { GetItem: 1, Query: 1 },
    source: `${MODEL} (the sandbox must exist: 404 otherwise; then the revisions)`,
  },
  {
    id: 'reportPolicyRevisionStatus LOADED',
    operationId: 'reportPolicyRevisionStatus',
    variant: 'LOADED, 2 revisions',
    cost: { GetItem: 1, Query: 1, TransactWriteItems: 1 },
    source: `${INVARIANTS}: the sandbox, one consistent Query of the revisions (it holds the reported one), one transaction`,
  },
  {
    id: 'reportPolicyRevisionStatus FAILED',
    operationId: 'reportPolicyRevisionStatus',
    variant: 'FAILED, server-driven',
    cost: { GetItem: 1, Query: 1, TransactWriteItems: 1 },
    source: `${INVARIANTS}: the same read and transaction as LOADED (the revision's write carries the check that the sandbox is not DELETING)`,
  },
  {
    id: 'setSandboxSetting client-driven',
    operationId: 'setSandboxSetting',
    variant: 'client-driven',
    cost: { UpdateItem: 1 },
    source: COST,
    oneRequest: 'client-driven write',
  },
  {
    id: 'setSandboxSetting stale version',
    operationId: 'setSandboxSetting',
    variant: 'stale version → 409',
    cost: { UpdateItem: 1 },
    source: `${MODES}: a failed condition is explained by the item DynamoDB returns`,
    oneRequest: 'client-driven write',
  },
  {
    id: 'setSandboxSetting with Idempotency-Key',
    operationId: 'setSandboxSetting',
    variant: 'client-driven, Idempotency-Key',
    cost: { PutItem: 1, UpdateItem: 2 },
    source: `${ARCH}, "Receipts": the key is claimed with one conditional PutItem before the request runs, and the response is stored on the record after it`,
  },
  {
    id: 'setSandboxSetting server-driven',
    operationId: 'setSandboxSetting',
    variant: 'server-driven',
    cost: { UpdateItem: 1 },
    source: BLIND,
  },
  {
    id: 'deleteSandboxSetting client-driven',
    operationId: 'deleteSandboxSetting',
    variant: 'client-driven',
    cost: { UpdateItem: 1 },
    source: COST,
    oneRequest: 'client-driven write',
  },
  {
    id: 'deleteSandboxSetting server-driven',
    operationId: 'deleteSandboxSetting',
    variant: 'server-driven',
    cost: { UpdateItem: 1 },
    source: BLIND,
  },
  {
    id: 'getGlobalSettings',
    operationId: 'getGlobalSettings',
    variant: '',
    cost: { GetItem: 1 },
    source: COST,
    oneRequest: 'get',
  },
  {
    id: 'getGlobalSettings first use',
    operationId: 'getGlobalSettings',
    variant: 'first use (creates it)',
    cost: { GetItem: 1, PutItem: 1 },
    source: 'docs/api.md, "Responses" (created by its first read or write)',
  },
  {
    id: 'setGlobalSetting client-driven',
    operationId: 'setGlobalSetting',
    variant: 'client-driven',
    cost: { UpdateItem: 1 },
    source: COST,
    oneRequest: 'client-driven write',
  },
  {
    id: 'setGlobalSetting server-driven',
    operationId: 'setGlobalSetting',
    variant: 'server-driven',
    cost: { UpdateItem: 1 },
    source: BLIND,
  },
  {
    id: 'deleteGlobalSetting client-driven',
    operationId: 'deleteGlobalSetting',
    variant: 'client-driven',
    cost: { UpdateItem: 1 },
    source: COST,
    oneRequest: 'client-driven write',
  },
  {
    id: 'deleteGlobalSetting server-driven',
    operationId: 'deleteGlobalSetting',
    variant: 'server-driven',
    cost: { UpdateItem: 1 },
    source: BLIND,
  },

  // SSH sessions and services
  {
    id: 'createSSHSession',
    operationId: 'createSSHSession',
    variant: '',
    cost: { TransactWriteItems: 1 },
    source: INVARIANTS,
    oneRequest: 'create',
  },
  {
    id: 'listSSHSessions',
    operationId: 'listSSHSessions',
    variant: '',
    cost: { GetItem: 1, Query: 1 },
    source: `${MODEL} (the sandbox must exist: 404 otherwise; then its sessions)`,
  },
  {
    id: 'revokeSSHSession client-driven',
    operationId: 'revokeSSHSession',
    variant: 'client-driven',
    cost: { GetItem: 2, TransactWriteItems: 1 },
    source: `${MODEL}, "SSH session pointer": the route names only the id; ${INVARIANTS}`,
    oneRequest: 'client-driven write',
    exception: `The session lives in its sandbox's partition (so sandbox delete finds it with one Query) and the route names only its id: the pointer record is read to find the key. The revoke is a transaction with the check that the sandbox is not DELETING (its delete would discard the revoke). ${TX_NO_ITEM}`,
  },
  {
    id: 'revokeSSHSession server-driven',
    operationId: 'revokeSSHSession',
    variant: 'server-driven',
    cost: { GetItem: 2, TransactWriteItems: 1 },
    source: `${MODEL}, "SSH session pointer"; ${INVARIANTS}`,
  },
  {
    id: 'exposeService create',
    operationId: 'exposeService',
    variant: 'create',
    cost: { GetItem: 1, TransactWriteItems: 1 },
    source: INVARIANTS,
    oneRequest: 'create',
    exception:
      'PUT is create-or-update: the read finds out which; the create is a transaction with the sandbox-not-DELETING check.',
  },
  {
    id: 'exposeService update server-driven',
    operationId: 'exposeService',
    variant: 'update, server-driven',
    cost: { GetItem: 1, TransactWriteItems: 1 },
    source: `${INVARIANTS}: the update carries the check that the sandbox is not DELETING`,
  },
  {
    id: 'exposeService update client-driven',
    operationId: 'exposeService',
    variant: 'update, client-driven',
    cost: { GetItem: 1, TransactWriteItems: 1 },
    source: `${MODES}: "A change that needs the current state … reads first"; ${INVARIANTS}`,
    oneRequest: 'client-driven write',
    exception: `An omitted \`domain\` keeps the stored one, and the URL is computed from it, so the update reads first; it is a transaction with the check that the sandbox is not DELETING (its delete would discard the update). ${TX_NO_ITEM}`,
  },
  {
    id: 'listServices',
    operationId: 'listServices',
    variant: '',
    cost: { Query: 1 },
    source: MODEL,
  },
  {
    id: 'listServices sandbox',
    operationId: 'listServices',
    variant: 'sandbox=',
    cost: { Query: 1 },
    source: MODEL,
  },
  {
    id: 'getService',
    operationId: 'getService',
    variant: '',
    cost: { GetItem: 1 },
    source: COST,
    oneRequest: 'get',
  },
  {
    id: 'deleteService client-driven',
    operationId: 'deleteService',
    variant: 'client-driven',
    cost: { GetItem: 1, TransactWriteItems: 1 },
    source: INVARIANTS,
    oneRequest: 'client-driven write',
    exception: `A DELETING sandbox acknowledges no child write: the tombstone is written in one transaction with the check that the sandbox is not DELETING. ${TX_NO_ITEM} (The response carries the deleted object and its ETag.)`,
  },
  {
    id: 'deleteService server-driven',
    operationId: 'deleteService',
    variant: 'server-driven',
    cost: { GetItem: 1, TransactWriteItems: 1 },
    source: `${INVARIANTS}: read, then the tombstone in one transaction with the check that the sandbox is not DELETING`,
  },

  // Inference routes
  {
    id: 'upsertInferenceRoute create',
    operationId: 'upsertInferenceRoute',
    variant: 'create',
    cost: { PutItem: 1 },
    source: COST,
    oneRequest: 'create',
  },
  {
    id: 'upsertInferenceRoute update server-driven',
    operationId: 'upsertInferenceRoute',
    variant: 'update, server-driven',
    cost: { PutItem: 1, UpdateItem: 1 },
    source: `${COST}; the failed create returns the current item (ALL_OLD), which the update is computed from`,
  },
  {
    id: 'upsertInferenceRoute update client-driven',
    operationId: 'upsertInferenceRoute',
    variant: 'update, client-driven',
    cost: { GetItem: 1, UpdateItem: 1 },
    source: `${MODES}: "A change that needs the current state … reads first"`,
    oneRequest: 'client-driven write',
    exception: 'An omitted `timeoutSeconds` keeps the stored one.',
  },
  {
    id: 'getInferenceRoute',
    operationId: 'getInferenceRoute',
    variant: '',
    cost: { GetItem: 1 },
    source: COST,
    oneRequest: 'get',
  },
  {
    id: 'listInferenceRoutes',
    operationId: 'listInferenceRoutes',
    variant: '',
    cost: { Query: 1 },
    source: MODEL,
  },

  // Meta
  { id: 'healthz', operationId: 'healthz', variant: '', cost: {}, source: 'no table access' },
  { id: 'openapi', operationId: 'openapi', variant: '', cost: {}, source: 'no table access' },
  { id: 'docs', operationId: 'docs', variant: '', cost: {}, source: 'no table access' },
];

export const totalOf = (cost: Cost): number =>
  Object.values(cost).reduce((n, c) => n + (c ?? 0), 0);

/** Same operations, same numbers. */
export function sameCost(a: Cost, b: Cost): boolean {
  const ops = new Set([...Object.keys(a), ...Object.keys(b)]) as Set<Operation>;
  for (const op of ops) if ((a[op] ?? 0) !== (b[op] ?? 0)) return false;
  return true;
}
