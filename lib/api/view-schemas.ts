import * as z from 'zod/mini';
import { PHASES, REVISION_STATUSES } from '#lib/domain/types.ts';

/** Response shapes, for the OpenAPI document and the typed client. */
export const MetadataView = z.object({
  id: z.string(),
  name: z.string(),
  resourceVersion: z.number().check(z.int(), z.minimum(1)),
  createdAt: z.string(),
  updatedAt: z.string(),
  labels: z.record(z.string(), z.string()),
});

export const ProviderView = z.object({
  metadata: MetadataView,
  type: z.string(),
  credentials: z.record(z.string(), z.literal('REDACTED')),
  config: z.record(z.string(), z.string()),
});

export const ConditionView = z.object({
  type: z.string(),
  status: z.enum(['True', 'False', 'Unknown']),
  reason: z.optional(z.string()),
  message: z.optional(z.string()),
  lastTransitionTime: z.string(),
});

export const SandboxView = z.object({
  metadata: MetadataView,
  spec: z.object({
    image: z.optional(z.string()),
    environment: z.record(z.string(), z.string()),
    providers: z.array(z.string()),
    policy: z.optional(z.record(z.string(), z.unknown())),
    logLevel: z.optional(z.string()),
    gpu: z.boolean(),
  }),
  phase: z.enum(PHASES),
  conditions: z.array(ConditionView),
  currentPolicyVersion: z.nullable(z.number().check(z.int())),
});

export const SettingsView = z.object({
  settings: z.record(z.string(), z.union([z.string(), z.boolean(), z.number()])),
  resourceVersion: z.number().check(z.int()),
});

export const RevisionView = z.object({
  metadata: MetadataView,
  version: z.number().check(z.int()),
  policy: z.record(z.string(), z.unknown()),
  status: z.enum(REVISION_STATUSES),
  loadError: z.nullable(z.string()),
  hash: z.string(),
});

export const ConfigView = z.object({
  sandboxName: z.string(),
  policy: z.nullable(z.record(z.string(), z.unknown())),
  policyVersion: z.number().check(z.int()),
  currentPolicyVersion: z.nullable(z.number().check(z.int())),
  settings: z.record(z.string(), z.union([z.string(), z.boolean(), z.number()])),
  settingsResourceVersion: z.number().check(z.int()),
  resourceVersion: z.number().check(z.int()),
});

export const SessionView = z.object({
  metadata: MetadataView,
  sandboxName: z.string(),
  expiresAt: z.nullable(z.string()),
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

export const InferenceRouteView = z.object({
  metadata: MetadataView,
  providerName: z.string(),
  modelId: z.string(),
  timeoutSeconds: z.number().check(z.int()),
});

export const AttachResultView = z.object({ sandbox: SandboxView, attached: z.boolean() });
export const DetachResultView = z.object({ sandbox: SandboxView, detached: z.boolean() });
export const PolicyResultView = z.object({ sandbox: SandboxView, revision: RevisionView });
/** The create response is the only one that carries the token. */
export const CreatedSessionView = z.extend(SessionView, { token: z.string() });
export const RevokeResultView = z.object({ session: SessionView, revoked: z.boolean() });
export const HealthView = z.object({ status: z.literal('ok') });
export const OpenApiView = z.record(z.string(), z.unknown());

export const listOf = <T extends z.ZodMiniType>(item: T) =>
  z.object({ items: z.array(item), nextPageToken: z.optional(z.string()) });

/**
 * A page of a sandbox's attached providers, in the sandbox's order. `missing` names the
 * entries of this page's part of the list that no provider has (deleted while listed, which
 * only sandboxes written before provider refs existed allow); detach removes them.
 */
export const AttachedProvidersView = z.object({
  items: z.array(ProviderView),
  missing: z.array(z.string()),
  nextPageToken: z.optional(z.string()),
});

export const Problem = z.object({
  type: z.string(),
  title: z.string(),
  status: z.number().check(z.int()),
  detail: z.string(),
  code: z.string(),
  instance: z.string(),
  requestId: z.string(),
  errors: z.optional(z.array(z.object({ field: z.string(), message: z.string() }))),
  currentResourceVersion: z.optional(z.number().check(z.int())),
  current: z.optional(z.unknown()),
  details: z.optional(z.record(z.string(), z.unknown())),
});
