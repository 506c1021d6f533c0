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

export interface InferenceRouteData {
  providerName: string;
  modelId: string;
  timeoutSeconds: number;
}
