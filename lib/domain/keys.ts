import type { IndexEntry, ItemKey } from '#lib/store/types.ts';

/**
 * The item layout of every kind (docs/data-model.md explains the access pattern behind each).
 * Top-level objects sit alone in their partition at sort key `@`; a sandbox's children share
 * its partition so one strongly consistent query finds them all.
 */
export const Kind = {
  Provider: 'Provider',
  Sandbox: 'Sandbox',
  SandboxSettings: 'SandboxSettings',
  PolicyRevision: 'PolicyRevision',
  SSHSession: 'SSHSession',
  Service: 'Service',
  InferenceRoute: 'InferenceRoute',
  GlobalSettings: 'GlobalSettings',
  PolicyDraft: 'PolicyDraft',
  /** A draft's place in the newest-first listing (not an API object of its own). */
  PolicyDraftOrder: 'PolicyDraftOrder',
  /** One event of a draft's history. */
  PolicyDraftEvent: 'PolicyDraftEvent',
  /** A cleared draft whose events are still to be deleted (`draft-cleanup.ts`). */
  PolicyDraftLeftovers: 'PolicyDraftLeftovers',
  /** What a sandbox's policy is composed of: the base and the approved drafts' rules. */
  PolicyHead: 'PolicyHead',
  GlobalPolicy: 'GlobalPolicy',
  GlobalPolicyRevision: 'GlobalPolicyRevision',
  Migration: 'Migration',
} as const;
export type Kind = (typeof Kind)[keyof typeof Kind];

/** Kinds whose items are API objects (what the resource-version backfill stamps). */
export const OBJECT_KINDS: readonly Kind[] = [
  Kind.Provider,
  Kind.Sandbox,
  Kind.SandboxSettings,
  Kind.PolicyRevision,
  Kind.SSHSession,
  Kind.Service,
  Kind.InferenceRoute,
  Kind.GlobalSettings,
  Kind.PolicyDraft,
  Kind.PolicyDraftOrder,
  Kind.PolicyDraftEvent,
  Kind.PolicyHead,
  Kind.PolicyDraftLeftovers,
  Kind.GlobalPolicy,
  Kind.GlobalPolicyRevision,
];

const SELF = '@';
const GLOBAL_POLICY = 'policy#global';

/** A revision's sort key: the number padded so that sort-key order is numeric order. */
const revisionSortKey = (version: number) => `rev#${String(version).padStart(10, '0')}`;

export const keys = {
  provider: (name: string): ItemKey => ({ pk: `provider#${name}`, sk: SELF }),
  /** Bookkeeping: how many sandboxes list the provider (the lock provider-delete conditions on). */
  providerRefs: (name: string): ItemKey => ({ pk: `provider#${name}`, sk: 'refs' }),
  /** Bookkeeping: one item per sandbox that lists the provider, to name them. */
  providerRef: (name: string, sandbox: string): ItemKey => ({
    pk: `provider#${name}`,
    sk: `ref#${sandbox}`,
  }),
  sandbox: (name: string): ItemKey => ({ pk: `sandbox#${name}`, sk: SELF }),
  sandboxPartition: (name: string): string => `sandbox#${name}`,
  sandboxSettings: (name: string): ItemKey => ({ pk: `sandbox#${name}`, sk: 'settings' }),
  policyRevision: (sandbox: string, version: number): ItemKey => ({
    pk: `sandbox#${sandbox}`,
    sk: revisionSortKey(version),
  }),
  sshSession: (sandbox: string, id: string): ItemKey => ({
    pk: `sandbox#${sandbox}`,
    sk: `ssh#${id}`,
  }),
  /** Bookkeeping: finds a session's sandbox from its id (DELETE /v1/ssh-sessions/{id}). */
  sshSessionPointer: (id: string): ItemKey => ({ pk: `ssh#${id}`, sk: SELF }),
  service: (sandbox: string, service: string): ItemKey => ({
    pk: `sandbox#${sandbox}`,
    sk: `svc#${service}`,
  }),
  /** The base policy and the approved drafts' rules the sandbox's policy is composed of. */
  policyHead: (sandbox: string): ItemKey => ({ pk: `sandbox#${sandbox}`, sk: 'policy' }),
  draft: (sandbox: string, id: string): ItemKey => ({
    pk: `sandbox#${sandbox}`,
    sk: `draft#${id}`,
  }),
  /** Sorts by first sight, so a descending query lists drafts newest first. */
  draftOrder: (sandbox: string, firstSeenAt: string, id: string): ItemKey => ({
    pk: `sandbox#${sandbox}`,
    sk: `draftseq#${firstSeenAt}#${id}`,
  }),
  /** A draft's events, oldest first; the generation tells drafts of one dedupKey apart. */
  draftEvent: (sandbox: string, id: string, generation: string, reviewVersion: number) => ({
    pk: `sandbox#${sandbox}`,
    sk: `drafthist#${id}#${generation}#${String(reviewVersion).padStart(10, '0')}`,
  }),
  /** A cleared draft's events are still to be deleted: finished by the reconciler if need be. */
  draftLeftovers: (sandbox: string, id: string, generation: string): ItemKey => ({
    pk: `sandbox#${sandbox}`,
    sk: `draftgone#${id}#${generation}`,
  }),
  /** Bookkeeping: how many drafts the sandbox has (bounded by LIMITS.draftsPerSandbox). */
  draftCount: (sandbox: string): ItemKey => ({ pk: `sandbox#${sandbox}`, sk: 'draftcount' }),
  globalSettings: (): ItemKey => ({ pk: 'settings#global', sk: SELF }),
  /** The global policy's head: the policy in force (if any) and the latest revision number. */
  globalPolicy: (): ItemKey => ({ pk: GLOBAL_POLICY, sk: SELF }),
  globalPolicyPartition: (): string => GLOBAL_POLICY,
  /** Global revisions share the head's partition and the sandbox revisions' sort keys. */
  globalPolicyRevision: (version: number): ItemKey => ({
    pk: GLOBAL_POLICY,
    sk: revisionSortKey(version),
  }),
  migration: (id: string): ItemKey => ({ pk: `migration#${id}`, sk: SELF }),
} as const;

/** Sort-key prefixes of a sandbox's children. */
export const childPrefix = {
  policyRevision: 'rev#',
  sshSession: 'ssh#',
  service: 'svc#',
  draft: 'draft#',
  draftOrder: 'draftseq#',
  draftEvent: 'drafthist#',
} as const;

/**
 * Not an item: the sort-key prefix of the cursor in page tokens of a sandbox's attached
 * providers (`providers#<position>#<provider>`), a position in the sandbox's list. Tokens have
 * the `{pk, sk}` shape of the sandbox's child queries, and this prefix is no child's.
 */
export const ATTACHED_CURSOR_PREFIX = 'providers#';

export const index = {
  provider: (name: string): IndexEntry => ({ gsi1pk: Kind.Provider, gsi1sk: name }),
  sandbox: (name: string): IndexEntry => ({ gsi1pk: Kind.Sandbox, gsi1sk: name }),
  service: (sandbox: string, service: string): IndexEntry => ({
    gsi1pk: Kind.Service,
    gsi1sk: `${sandbox}/${service}`,
  }),
  sshSession: (sandbox: string, id: string): IndexEntry => ({
    gsi1pk: Kind.SSHSession,
    gsi1sk: `${sandbox}/${id}`,
  }),
} as const;
