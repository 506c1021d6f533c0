import type { GlobalPolicy, GlobalPolicyRevision } from '#lib/domain/global-policy.ts';
import { Kind } from '#lib/domain/keys.ts';
import type { SandboxConfig } from '#lib/domain/policy.ts';
import type {
  PolicyDraftData,
  PolicyDraftEventData,
  PolicyRevisionData,
  ProviderData,
  SandboxData,
  ServiceData,
  SettingsData,
  SSHSessionData,
} from '#lib/domain/types.ts';
import type { StoredObject } from '#lib/store/types.ts';
import { metadataOf, objectView, REDACTED } from './render.ts';

/**
 * `renderObject` from here, so that whoever renders a conflict's object has loaded the views of
 * the kinds below; a kind with its views in its own schemas module registers them when its
 * routes load it.
 */
export { renderObject } from './render.ts';

const redactValues = (m: Record<string, string> | undefined) =>
  Object.fromEntries(Object.keys(m ?? {}).map((k) => [k, REDACTED]));

export const providerView = objectView(Kind.Provider, (obj: StoredObject<ProviderData>) => {
  return {
    metadata: metadataOf(obj),
    type: obj.data.type,
    credentials: redactValues(obj.data.credentials),
    config: obj.data.config ?? {},
  };
});

export const sandboxView = objectView(Kind.Sandbox, (obj: StoredObject<SandboxData>) => {
  const d = obj.data;
  return {
    metadata: metadataOf(obj),
    spec: {
      ...d.spec,
      environment: d.spec?.environment ?? {},
      providers: d.spec?.providers ?? [],
      gpu: d.spec?.gpu ?? false,
    },
    phase: d.phase ?? 'UNKNOWN',
    conditions: d.conditions ?? [],
    currentPolicyVersion: d.currentPolicyVersion ?? null,
  };
});

export function settingsView(obj: StoredObject<SettingsData> | undefined) {
  return {
    settings: obj?.data.settings ?? {},
    resourceVersion: obj?.resourceVersion ?? 0,
  };
}
objectView(Kind.SandboxSettings, settingsView);
objectView(Kind.GlobalSettings, settingsView);

export const revisionView = objectView(
  Kind.PolicyRevision,
  (obj: StoredObject<PolicyRevisionData>) => {
    return {
      metadata: metadataOf(obj),
      version: obj.data.version,
      policy: obj.data.policy,
      status: obj.data.status,
      loadError: obj.data.loadError ?? null,
      hash: obj.data.hash,
    };
  },
);

export const draftView = objectView(Kind.PolicyDraft, (obj: StoredObject<PolicyDraftData>) => {
  const { generation: _, heldUntil: _held, ...d } = obj.data;
  return { metadata: metadataOf(obj), ...d };
});

export function draftEventView(obj: StoredObject<PolicyDraftEventData>) {
  return { ...obj.data };
}

/**
 * `GET /v1/sandboxes/{name}/config`: the policy in force for the sandbox (the global one while
 * one is, `policySource` says which), the sandbox's own policy versions and settings, and the
 * settings that apply (`effectiveSettings`: a key the global settings hold is theirs).
 */
export function sandboxConfigView(cfg: SandboxConfig) {
  const settings = settingsView(cfg.settings);
  return {
    sandboxName: cfg.sandbox.name,
    policy: cfg.policy,
    policySource: cfg.policySource,
    policyVersion: cfg.sandbox.data.latestPolicyVersion ?? 0,
    currentPolicyVersion: cfg.sandbox.data.currentPolicyVersion ?? null,
    settings: settings.settings,
    effectiveSettings: cfg.effectiveSettings,
    settingsResourceVersion: settings.resourceVersion,
    resourceVersion: cfg.sandbox.resourceVersion,
  };
}

/**
 * The global policy (`GET`/`PUT /v1/config/policy`): the policy in force and its revision
 * number, with the head's metadata (its ETag is the head's). The answer to a DELETE carries
 * `policy: null`: nothing is in force.
 */
export const globalPolicyView = objectView(Kind.GlobalPolicy, (obj: GlobalPolicy) => {
  return {
    metadata: metadataOf(obj),
    policy: obj.data.policy,
    version: obj.data.version,
  };
});

export const globalPolicyRevisionView = objectView(
  Kind.GlobalPolicyRevision,
  (obj: GlobalPolicyRevision) => {
    return {
      metadata: metadataOf(obj),
      version: obj.data.version,
      policy: obj.data.policy,
      status: obj.data.status,
      hash: obj.data.hash,
    };
  },
);

/** Sessions never carry their token, except in the create response (added there). */
export const sessionView = objectView(Kind.SSHSession, (obj: StoredObject<SSHSessionData>) => {
  return {
    metadata: metadataOf(obj),
    sandboxName: obj.data.sandboxName,
    expiresAt: obj.data.expiresAt,
    revoked: obj.data.revoked,
  };
});

export const serviceView = objectView(Kind.Service, (obj: StoredObject<ServiceData>) => {
  return {
    metadata: metadataOf(obj),
    sandboxName: obj.data.sandboxName,
    service: obj.data.service,
    targetPort: obj.data.targetPort,
    domain: obj.data.domain,
    url: obj.data.url,
  };
});
