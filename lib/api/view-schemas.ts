import * as z from 'zod/mini';
import { GLOBAL_REVISION_STATUSES, PHASES, REVISION_STATUSES } from '#lib/domain/types.ts';
import { ERROR_CODES } from '#lib/errors.ts';
import { REDACTED } from './render.ts';

/**
 * Response shapes, for the OpenAPI document and the typed client. Each exported `<Name>View`
 * is the document's component schema `<Name>`.
 */

/** RFC 3339 UTC, as the server's clock writes it (`2026-05-01T12:00:00.000Z`). */
const timestamp = z.iso.datetime();

export const MetadataView = z.object({
  id: z.uuid(),
  name: z.string(),
  resourceVersion: z.number().check(z.int(), z.minimum(1)),
  createdAt: timestamp,
  updatedAt: timestamp,
  labels: z.record(z.string(), z.string()),
});

export const ProviderView = z.object({
  metadata: MetadataView,
  type: z.string(),
  credentials: z.record(z.string(), z.literal(REDACTED)),
  config: z.record(z.string(), z.string()),
});

export const ConditionView = z.object({
  type: z.string(),
  status: z.enum(['True', 'False', 'Unknown']),
  reason: z.optional(z.string()),
  message: z.optional(z.string()),
  lastTransitionTime: timestamp,
});

export const SandboxSpecView = z.object({
  image: z.optional(z.string()),
  environment: z.record(z.string(), z.string()),
  providers: z.array(z.string()),
  policy: z.optional(z.record(z.string(), z.unknown())),
  logLevel: z.optional(z.string()),
  gpu: z.boolean(),
});

export const SandboxView = z.object({
  metadata: MetadataView,
  spec: SandboxSpecView,
  phase: z.enum(PHASES),
  conditions: z.array(ConditionView),
  currentPolicyVersion: z.nullable(z.number().check(z.int())),
});

export const SettingsView = z.object({
  settings: z.record(z.string(), z.union([z.string(), z.boolean(), z.number()])),
  resourceVersion: z.number().check(z.int()),
});

export const PolicyRevisionView = z.object({
  metadata: MetadataView,
  version: z.number().check(z.int()),
  policy: z.record(z.string(), z.unknown()),
  status: z.enum(REVISION_STATUSES),
  loadError: z.nullable(z.string()),
  hash: z.string(),
});

const settingValue = z.union([z.string(), z.boolean(), z.number()]);

/** A setting that applies to a sandbox, and whose it is: the global settings win. */
export const EffectiveSettingView = z.object({
  value: settingValue,
  scope: z.enum(['GLOBAL', 'SANDBOX']),
});

/**
 * `policy` is the policy in force for the sandbox: the global policy while one is in force
 * (`policySource: GLOBAL`), else the sandbox's own. `policyVersion` and `currentPolicyVersion`
 * are the sandbox's own revisions'. `effectiveSettings` are the settings that apply, each with
 * the scope it comes from (a key the global settings hold is theirs).
 */
export const SandboxConfigView = z.object({
  sandboxName: z.string(),
  policy: z.nullable(z.record(z.string(), z.unknown())),
  policySource: z.enum(['GLOBAL', 'SANDBOX']),
  policyVersion: z.number().check(z.int()),
  currentPolicyVersion: z.nullable(z.number().check(z.int())),
  settings: z.record(z.string(), settingValue),
  effectiveSettings: z.record(z.string(), EffectiveSettingView),
  settingsResourceVersion: z.number().check(z.int()),
  resourceVersion: z.number().check(z.int()),
});

/**
 * The global policy: the policy in force and its global revision number. `policy` is null only
 * in the answer to DELETE (lifted: nothing is in force); GET answers 404 then.
 */
export const GlobalPolicyView = z.object({
  metadata: MetadataView,
  policy: z.nullable(z.record(z.string(), z.unknown())),
  version: z.number().check(z.int(), z.minimum(1)),
});

/** A global revision: LOADED while in force, SUPERSEDED once replaced or lifted. */
export const GlobalPolicyRevisionView = z.object({
  metadata: MetadataView,
  version: z.number().check(z.int(), z.minimum(1)),
  policy: z.record(z.string(), z.unknown()),
  status: z.enum(GLOBAL_REVISION_STATUSES),
  hash: z.string(),
});

export const SSHSessionView = z.object({
  metadata: MetadataView,
  sandboxName: z.string(),
  expiresAt: z.nullable(timestamp),
  revoked: z.boolean(),
});

export const ServiceView = z.object({
  metadata: MetadataView,
  sandboxName: z.string(),
  service: z.string(),
  targetPort: z.number().check(z.int()),
  domain: z.boolean(),
  url: z.string(),
});

export const AttachResultView = z.object({ sandbox: SandboxView, attached: z.boolean() });
export const DetachResultView = z.object({ sandbox: SandboxView, detached: z.boolean() });
export const PolicyResultView = z.object({ sandbox: SandboxView, revision: PolicyRevisionView });
/** A merge answers as PUT does; `revision` is the latest (null: none) when nothing changed. */
export const PolicyMergeResultView = z.object({
  sandbox: SandboxView,
  revision: z.nullable(PolicyRevisionView),
});

const networkRule = z.object({
  endpoints: z.array(
    z.object({
      host: z.string(),
      ports: z.array(z.number().check(z.int(), z.minimum(1), z.maximum(65535))),
      protocol: z.optional(z.enum(['tcp', 'rest', 'websocket', 'grpc'])),
      access: z.optional(z.enum(['read-only', 'read-write', 'full'])),
    }),
  ),
  binaries: z.optional(z.array(z.object({ path: z.string() }))),
});

/** A proposed network rule of one sandbox (SPEC §7.3); `metadata.name` is its id. */
export const PolicyDraftView = z.object({
  metadata: MetadataView,
  sandboxName: z.string(),
  ruleName: z.string(),
  rule: networkRule,
  dedupKey: z.string(),
  hitCount: z.number().check(z.int(), z.minimum(1)),
  status: z.enum(['PENDING', 'APPROVED', 'REJECTED']),
  reviewVersion: z.number().check(z.int(), z.minimum(1)),
  rationale: z.nullable(z.string()),
  rejectionReason: z.nullable(z.string()),
  decidedAt: z.nullable(timestamp),
  appliedPolicyVersion: z.nullable(z.number().check(z.int())),
  firstSeenAt: timestamp,
  lastSeenAt: timestamp,
});
export const PolicyDraftEventView = z.object({
  type: z.enum(['SUBMITTED', 'EDITED', 'APPROVED', 'REJECTED', 'UNDONE']),
  at: timestamp,
  reviewVersion: z.number().check(z.int(), z.minimum(1)),
  policyVersion: z.optional(z.number().check(z.int())),
  reason: z.optional(z.string()),
});
/** A decision: the draft, and the revision it created (null: the policy did not change). */
export const PolicyDraftDecisionView = z.object({
  draft: PolicyDraftView,
  revision: z.nullable(PolicyRevisionView),
});
export const PolicyDraftsApprovedView = z.object({
  drafts: z.array(PolicyDraftView),
  revision: z.nullable(PolicyRevisionView),
});
export const PolicyDraftsClearedView = z.object({ deleted: z.number().check(z.int()) });

/** The create response is the only one that carries the token. */
export const CreatedSSHSessionView = z.extend(SSHSessionView, { token: z.string() });
export const RevokeSSHSessionResultView = z.object({
  session: SSHSessionView,
  revoked: z.boolean(),
});
export const HealthView = z.object({ status: z.literal('ok') });
export const OpenApiDocumentView = z.record(z.string(), z.unknown());
/** `GET /docs`: an HTML page. */
export const HtmlPageView = z.string();

/** A page of a list: `nextPageToken` is present when there are more. */
export const listOf = <T extends z.ZodMiniType>(item: T) =>
  z.object({ items: z.array(item), nextPageToken: z.optional(z.string()) });

export const ProviderListView = listOf(ProviderView);
export const SandboxListView = listOf(SandboxView);
export const PolicyRevisionListView = listOf(PolicyRevisionView);
export const PolicyDraftListView = listOf(PolicyDraftView);
export const PolicyDraftEventListView = listOf(PolicyDraftEventView);
export const GlobalPolicyRevisionListView = listOf(GlobalPolicyRevisionView);
export const SSHSessionListView = listOf(SSHSessionView);
export const ServiceListView = listOf(ServiceView);

/**
 * A page of a sandbox's attached providers, in the sandbox's order. `missing` names the
 * entries of this page's part of the list that no provider has (deleted while listed, which
 * only sandboxes written before provider refs existed allow); detach removes them.
 */
export const AttachedProviderListView = z.object({
  items: z.array(ProviderView),
  missing: z.array(z.string()),
  nextPageToken: z.optional(z.string()),
});

export const Problem = z.object({
  type: z.string(),
  title: z.string(),
  status: z.number().check(z.int()),
  detail: z.string(),
  code: z.enum(ERROR_CODES),
  instance: z.string(),
  requestId: z.string(),
  errors: z.optional(z.array(z.object({ field: z.string(), message: z.string() }))),
  currentResourceVersion: z.optional(z.number().check(z.int())),
  current: z.optional(z.unknown()),
  details: z.optional(z.record(z.string(), z.unknown())),
});
