import type { NetworkRule, Phase } from './types.ts';

/**
 * What each use-case takes: the domain's own input types. The API's schemas
 * (`lib/api/schemas/`) must yield them — `lib/api/schemas/conformance.ts` compiles only while
 * they do — so the domain never imports the API.
 */

export type Labels = Record<string, string>;

export interface CreateProviderInput {
  name?: string;
  labels?: Labels;
  type: string;
  credentials: Record<string, string>;
  config?: Record<string, string>;
}

export interface UpdateProviderInput {
  type?: string;
  credentials?: Record<string, string>;
  config?: Record<string, string>;
}

export interface CreateSandboxInput {
  name?: string;
  labels?: Labels;
  spec: {
    image?: string;
    environment?: Record<string, string>;
    providers?: string[];
    policy?: Record<string, unknown>;
    logLevel?: 'trace' | 'debug' | 'info' | 'warn' | 'error';
    gpu?: boolean;
  };
}

export interface ReportedCondition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  reason?: string;
  message?: string;
  lastTransitionTime?: string;
}

export interface SandboxStatusInput {
  phase: Phase;
  conditions?: ReportedCondition[];
}

export interface PolicyInput {
  policy: Record<string, unknown>;
}

export interface RevisionStatusInput {
  status: 'LOADED' | 'FAILED';
  loadError?: string;
}

export interface SSHSessionInput {
  ttlSeconds?: number;
}

export interface ServiceInput {
  targetPort: number;
  domain?: boolean;
}

export type { Access, NetworkEndpoint, NetworkRule, Protocol } from './types.ts';

/** One merge operation of SPEC §7.2. */
export type PolicyOperation =
  | { op: 'addRule'; ruleName: string; rule: NetworkRule }
  | { op: 'removeRule'; ruleName: string }
  | { op: 'removeEndpoint'; ruleName?: string; host: string; port: number }
  | { op: 'removeBinary'; ruleName: string; path: string };

export interface PolicyMergeInput {
  operations: PolicyOperation[];
  expectedPolicyVersion?: number;
}

/** A draft as the supervisor proposes it (SPEC §7.3). */
export interface DraftSubmitInput {
  ruleName: string;
  rule: NetworkRule;
  /** @default derived from the rule name and the rule */
  dedupKey?: string;
  /** @default 1 */
  hits?: number;
  rationale?: string;
}

/** The review version the caller decided on; absent: server-driven. */
export interface DraftDecisionInput {
  expectedReviewVersion?: number;
}

export interface DraftRejectInput extends DraftDecisionInput {
  reason?: string;
}

export interface DraftEditInput extends DraftDecisionInput {
  rule: NetworkRule;
}

export interface DraftApproveManyInput {
  /** @default every PENDING draft */
  drafts?: Array<{ id: string; expectedReviewVersion?: number }>;
}

/**
 * `PUT /v1/config/policy`. `expectedPolicyVersion` is the latest global revision's number the
 * caller read; absent or 0, the write is server-driven.
 */
export interface GlobalPolicyInput {
  policy: Record<string, unknown>;
  expectedPolicyVersion?: number;
}

/** `DELETE /v1/config/policy` (the version in the query string, as every DELETE's). */
export interface LiftGlobalPolicyInput {
  expectedPolicyVersion?: number;
}

/** A page of a list: `pageSize` (default `LIMITS.pageSizeDefault`) and the previous page's token. */
export interface PageInput {
  pageSize?: number;
  pageToken?: string;
}
