/**
 * Limits of SPEC §1, and the ones this service sets where the spec is silent (docs/api.md):
 * the domain's, which the API's schemas enforce at the edge.
 * Plain numbers, apart from the schemas, so the use-cases read them without loading zod.
 */
export const LIMITS = {
  providerCredentials: 32,
  providerConfig: 64,
  mapKeyBytes: 256,
  mapValueBytes: 8192,
  environment: 128,
  providersPerSandbox: 32,
  labels: 64,
  policyBytes: 64 * 1024,
  /** Levels of objects and arrays in a policy; DynamoDB allows 32 in a whole item. */
  policyDepth: 20,
  /**
   * The network rules of a policy (SPEC §7.1). Within the counts an endpoint is at most about
   * 520 bytes as JSON (a 253-character host, 32 five-digit ports, the longest protocol and
   * access) and a binary about 1040, so a rule is at most about 50 KB however it was merged; a
   * whole policy stays within `policyBytes`. A rule sent on its own (an `addRule`, a draft) is
   * at most `networkRuleBytes`, so a draft item is far below DynamoDB's 400 KB.
   */
  networkRuleEndpoints: 32,
  networkEndpointPorts: 32,
  networkRuleBinaries: 32,
  /** A DNS name's limit (RFC 1035), without the trailing dot. */
  networkHostLength: 253,
  binaryPathBytes: 1024,
  networkRuleBytes: 16 * 1024,
  /**
   * Drafts one sandbox may hold (SPEC §7.3): each is at most `networkRuleBytes`, and the
   * approved ones' rules live together in the sandbox's policy head, which stays below
   * `objectBytes` (a decision that would pass it is refused, naming the drafts it approves).
   */
  draftsPerSandbox: 256,
  /**
   * Drafts one approve-all commits: two items each (the draft and its event) beside the
   * sandbox, the head and the revision, within a transaction's 100 items.
   */
  approveAllDrafts: 48,
  /** A draft's rationale and a rejection's reason. */
  draftTextBytes: 2048,
  /** Operations of one policy merge (SPEC §7.2). */
  mergeOperations: 50,
  /** Every object stays well below DynamoDB's 400 KB item limit. */
  objectBytes: 300 * 1024,
  conditions: 16,
  /**
   * Keys of one settings map, and a string value's bytes: together with the 128-byte key they
   * bound the map at 64 × (128 + 4096) bytes, inside the object limit by construction, so a
   * setting written without a read can be bounded by a condition on the number of keys alone.
   */
  settingsKeys: 64,
  settingValueBytes: 4096,
  /** A label selector's requirements and length: its filter stays far inside DynamoDB's. */
  labelSelectorRequirements: 20,
  labelSelectorBytes: 4096,
  /** Sandboxes a refused provider delete names, however many list the provider. */
  sandboxesNamed: 100,
  pageSizeMax: 1000,
  pageSizeDefault: 100,
  ttlSecondsMax: 30 * 24 * 3600,
  ttlSecondsDefault: 86_400,
} as const;
