/** The kind data stored in each object item's `data` map (metadata lives beside it). */

export interface ProviderData {
  type: string;
  credentials: Record<string, string>;
  config: Record<string, string>;
}

export const PHASES = ['PROVISIONING', 'READY', 'ERROR', 'DELETING', 'UNKNOWN'] as const;
export type Phase = (typeof PHASES)[number];

export interface Condition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  reason?: string;
  message?: string;
  lastTransitionTime: string;
}

export interface SandboxSpec {
  image?: string;
  environment: Record<string, string>;
  providers: string[];
  policy?: Record<string, unknown>;
  logLevel?: string;
  gpu: boolean;
}

export interface SandboxData {
  spec: SandboxSpec;
  phase: Phase;
  conditions: Condition[];
  /** The revision the supervisor reported LOADED last; null until then. */
  currentPolicyVersion: number | null;
  /** The newest policy revision number; 0 while the sandbox has no policy. */
  latestPolicyVersion: number;
}

export type SettingValue = string | boolean | number;

export interface SettingsData {
  settings: Record<string, SettingValue>;
}

export const REVISION_STATUSES = ['PENDING', 'LOADED', 'FAILED', 'SUPERSEDED'] as const;
export type RevisionStatus = (typeof REVISION_STATUSES)[number];

export interface PolicyRevisionData {
  version: number;
  policy: Record<string, unknown>;
  status: RevisionStatus;
  loadError?: string;
  hash: string;
}

export const GLOBAL_REVISION_STATUSES = ['LOADED', 'SUPERSEDED'] as const;
export type GlobalRevisionStatus = (typeof GLOBAL_REVISION_STATUSES)[number];

/** The global policy's head (`policy#global` / `@`). */
export interface GlobalPolicyData {
  /** The policy in force; null while none is (never set, or lifted). */
  policy: Record<string, unknown> | null;
  /** The latest global revision's number: 0 before the first PUT, kept when lifted. */
  version: number;
  /** Whether revision `version` is in force; a lifted policy leaves it false. */
  active: boolean;
}

/** A global revision: in force at once (LOADED), SUPERSEDED when replaced or lifted. */
export interface GlobalPolicyRevisionData {
  version: number;
  policy: Record<string, unknown>;
  status: GlobalRevisionStatus;
  hash: string;
}

export interface SSHSessionData {
  sandboxName: string;
  /** SHA-256 of the token; the token itself is returned once, by create, and never stored. */
  tokenHash: string;
  /** RFC 3339, or null for no expiry. */
  expiresAt: string | null;
  revoked: boolean;
}

export interface ServiceData {
  sandboxName: string;
  service: string;
  targetPort: number;
  domain: boolean;
  url: string;
}

export type DraftStatus = 'PENDING' | 'APPROVED' | 'REJECTED';
export type DraftEventType = 'SUBMITTED' | 'EDITED' | 'APPROVED' | 'REJECTED' | 'UNDONE';

/** A proposed network rule for one sandbox (SPEC §7.3); `metadata.name` is its id. */
export interface PolicyDraftData {
  sandboxName: string;
  ruleName: string;
  rule: NetworkRule;
  dedupKey: string;
  hitCount: number;
  status: DraftStatus;
  /** Moves by exactly 1 with every change of the rule or the status, never with hits. */
  reviewVersion: number;
  rationale: string | null;
  rejectionReason: string | null;
  decidedAt: string | null;
  /** The revision its approval created, or the latest one when the approval changed nothing. */
  appliedPolicyVersion: number | null;
  firstSeenAt: string;
  lastSeenAt: string;
  /** Fixed at creation: tells this draft's events from those of an earlier draft of its key. */
  generation: string;
  /**
   * Set while a decision that met a conflict is being written (epoch ms it lapses at): hits
   * wait it out, so they cannot hold the decision off. Never shown.
   */
  heldUntil?: number;
}

export interface PolicyDraftEventData {
  type: DraftEventType;
  at: string;
  reviewVersion: number;
  policyVersion?: number;
  reason?: string;
}

/** What a sandbox's policy is composed of (docs/policy-lifecycle.md). */
export interface PolicyHeadData {
  /** The policy as PUT and merges set it. */
  base: Record<string, unknown>;
  /** The APPROVED drafts' rules, in approval order. */
  approved: Array<{ id: string; ruleName: string; rule: NetworkRule }>;
}

/** What an endpoint speaks; the gateway inspects `rest`, `websocket` and `grpc` traffic. */
export type Protocol = 'tcp' | 'rest' | 'websocket' | 'grpc';
/** What an endpoint allows, narrowest first: read-only < read-write < full. */
export type Access = 'read-only' | 'read-write' | 'full';

export interface NetworkEndpoint {
  host: string;
  ports: number[];
  /** @default 'tcp' */
  protocol?: Protocol;
  /** @default 'full' */
  access?: Access;
}

/** A rule of `networkPolicies` (SPEC §7.1): absent or empty `binaries` allow any binary. */
export interface NetworkRule {
  endpoints: NetworkEndpoint[];
  binaries?: Array<{ path: string }>;
}
