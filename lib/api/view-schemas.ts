import * as z from 'zod';
import { PHASES, REVISION_STATUSES } from '#lib/domain/types.ts';

/** Response shapes, for the OpenAPI document and the typed client. */
export const MetadataView = z.object({
  id: z.string(),
  name: z.string(),
  resourceVersion: z.number().int().min(1),
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
  reason: z.string().optional(),
  message: z.string().optional(),
  lastTransitionTime: z.string(),
});

export const SandboxView = z.object({
  metadata: MetadataView,
  spec: z.object({
    image: z.string().optional(),
    environment: z.record(z.string(), z.string()),
    providers: z.array(z.string()),
    policy: z.record(z.string(), z.unknown()).optional(),
    logLevel: z.string().optional(),
    gpu: z.boolean(),
  }),
  phase: z.enum(PHASES),
  conditions: z.array(ConditionView),
  currentPolicyVersion: z.number().int().nullable(),
});

export const SettingsView = z.object({
  settings: z.record(z.string(), z.union([z.string(), z.boolean(), z.number()])),
  resourceVersion: z.number().int(),
});

export const RevisionView = z.object({
  metadata: MetadataView,
  version: z.number().int(),
  policy: z.record(z.string(), z.unknown()),
  status: z.enum(REVISION_STATUSES),
  loadError: z.string().nullable(),
  hash: z.string(),
});

export const ConfigView = z.object({
  sandboxName: z.string(),
  policy: z.record(z.string(), z.unknown()).nullable(),
  policyVersion: z.number().int(),
  currentPolicyVersion: z.number().int().nullable(),
  settings: z.record(z.string(), z.union([z.string(), z.boolean(), z.number()])),
  settingsResourceVersion: z.number().int(),
  resourceVersion: z.number().int(),
});

export const SessionView = z.object({
  metadata: MetadataView,
  sandboxName: z.string(),
  expiresAt: z.string().nullable(),
  revoked: z.boolean(),
});

export const ServiceView = z.object({
  metadata: MetadataView,
  sandboxName: z.string(),
  service: z.string(),
  targetPort: z.number().int(),
  domain: z.boolean(),
  url: z.string(),
});

export const InferenceRouteView = z.object({
  metadata: MetadataView,
  providerName: z.string(),
  modelId: z.string(),
  timeoutSeconds: z.number().int(),
});

export const AttachResultView = z.object({ sandbox: SandboxView, attached: z.boolean() });
export const DetachResultView = z.object({ sandbox: SandboxView, detached: z.boolean() });
export const PolicyResultView = z.object({ sandbox: SandboxView, revision: RevisionView });
/** The create response is the only one that carries the token. */
export const CreatedSessionView = SessionView.extend({ token: z.string() });
export const RevokeResultView = z.object({ session: SessionView, revoked: z.boolean() });
export const HealthView = z.object({ status: z.literal('ok') });
export const OpenApiView = z.record(z.string(), z.unknown());

export const listOf = <T extends z.ZodType>(item: T) =>
  z.object({ items: z.array(item), nextPageToken: z.string().optional() });

export const Problem = z.object({
  type: z.string(),
  title: z.string(),
  status: z.number().int(),
  detail: z.string(),
  code: z.string(),
  instance: z.string(),
  requestId: z.string(),
  errors: z.array(z.object({ field: z.string(), message: z.string() })).optional(),
  currentResourceVersion: z.number().int().optional(),
  current: z.unknown().optional(),
  details: z.record(z.string(), z.unknown()).optional(),
});
