import type { OperationResult } from '#lib/client/types.ts';
import { age, type Field, jsonText, keyValues, listText, mapText, table } from './format.ts';

export type Provider = OperationResult<'getProvider'>;
export type Sandbox = OperationResult<'getSandbox'>;
export type SandboxConfig = OperationResult<'getSandboxConfig'>;
export type Revision = OperationResult<'reportPolicyRevisionStatus'>;
export type Settings = OperationResult<'getGlobalSettings'>;
export type Session = OperationResult<'listSSHSessions'>['items'][number];
export type Service = OperationResult<'getService'>;

export type Metadata = Provider['metadata'];

/** The metadata lines every object's detail view ends with. */
export function metadataTail(m: Metadata): Field[] {
  return [
    ['Labels', mapText(m.labels)],
    ['Resource version', m.resourceVersion],
    ['Created', m.createdAt],
    ['Updated', m.updatedAt],
  ];
}

export function providerView(p: Provider): string {
  return keyValues([
    ['Name', p.metadata.name],
    ['ID', p.metadata.id],
    ['Type', p.type],
    [
      'Credentials',
      Object.keys(p.credentials).length
        ? `${listText(Object.keys(p.credentials))} (values redacted)`
        : '-',
    ],
    ['Config', mapText(p.config)],
    ...metadataTail(p.metadata),
  ]);
}

export const providerHeader = ['NAME', 'TYPE', 'CREDENTIALS', 'CONFIG', 'VERSION', 'AGE'];
export const providerRow = (p: Provider) => [
  p.metadata.name,
  p.type,
  listText(Object.keys(p.credentials)),
  mapText(p.config),
  String(p.metadata.resourceVersion),
  age(p.metadata.createdAt),
];

export function sandboxView(s: Sandbox): string {
  const fields: Field[] = [
    ['Name', s.metadata.name],
    ['ID', s.metadata.id],
    ['Phase', s.phase],
    ['Image', s.spec.image],
    ['Providers', listText(s.spec.providers)],
    ['Environment', mapText(s.spec.environment)],
    ['Log level', s.spec.logLevel],
    ['GPU', s.spec.gpu ? 'yes' : 'no'],
    ['Policy', s.spec.policy ? jsonText(s.spec.policy) : '-'],
    ['Loaded policy version', s.currentPolicyVersion],
    ...metadataTail(s.metadata),
  ];
  const out = [keyValues(fields)];
  if (s.conditions.length) {
    out.push(
      '',
      'Conditions:',
      indent(
        table(
          ['TYPE', 'STATUS', 'REASON', 'MESSAGE', 'LAST TRANSITION'],
          s.conditions.map((c) => [
            c.type,
            c.status,
            c.reason ?? '-',
            c.message ?? '-',
            c.lastTransitionTime,
          ]),
        ),
      ),
    );
  }
  return out.join('\n');
}

export const sandboxHeader = ['NAME', 'PHASE', 'IMAGE', 'PROVIDERS', 'LABELS', 'VERSION', 'AGE'];
export const sandboxRow = (s: Sandbox) => [
  s.metadata.name,
  s.phase,
  s.spec.image ?? '-',
  listText(s.spec.providers),
  mapText(s.metadata.labels),
  String(s.metadata.resourceVersion),
  age(s.metadata.createdAt),
];

export function policyView(c: SandboxConfig): string {
  return keyValues([
    ['Sandbox', c.sandboxName],
    [
      'Policy source',
      c.policySource === 'GLOBAL'
        ? 'GLOBAL (the global policy is in force: shellgate policy get --global)'
        : 'SANDBOX',
    ],
    ['Policy version', c.policyVersion || '-'],
    ['Loaded policy version', c.currentPolicyVersion],
    ['Resource version', c.resourceVersion],
    ['Policy', jsonText(c.policy)],
  ]);
}

export const revisionHeader = [
  'VERSION',
  'STATUS',
  'HASH',
  'LOAD ERROR',
  'RESOURCE VERSION',
  'AGE',
];
export const revisionRow = (r: Revision) => [
  String(r.version),
  r.status,
  r.hash.slice(0, 12),
  r.loadError ?? '-',
  String(r.metadata.resourceVersion),
  age(r.metadata.createdAt),
];

const settingType = (v: unknown) => (typeof v === 'number' ? 'integer' : typeof v);

export function settingsView(scope: string, s: Settings): string {
  const entries = Object.entries(s.settings);
  const head = keyValues([
    ['Settings', scope],
    ['Resource version', s.resourceVersion],
  ]);
  if (!entries.length) return `${head}\n\n(no settings)`;
  return `${head}\n\n${table(
    ['KEY', 'VALUE', 'TYPE'],
    entries.map(([k, v]) => [k, String(v), settingType(v)]),
  )}`;
}

/**
 * A sandbox's settings as they apply: every effective setting with its scope (a key the global
 * settings hold wins over the sandbox's own), and the sandbox's own values that do not apply.
 */
export function sandboxSettingsView(c: SandboxConfig): string {
  const head = keyValues([
    ['Settings', `sandbox ${c.sandboxName}`],
    ['Resource version', c.settingsResourceVersion],
  ]);
  const entries = Object.entries(c.effectiveSettings);
  if (!entries.length) return `${head}\n\n(no settings)`;
  const out = [
    head,
    '',
    table(
      ['KEY', 'VALUE', 'TYPE', 'SCOPE'],
      entries.map(([k, e]) => [k, String(e.value), settingType(e.value), e.scope]),
    ),
  ];
  const overridden = Object.entries(c.settings).filter(
    ([k]) => c.effectiveSettings[k]?.scope === 'GLOBAL',
  );
  if (overridden.length) {
    out.push(
      '',
      `Overridden by the global settings (the sandbox's own values): ${mapText(Object.fromEntries(overridden))}`,
    );
  }
  return out.join('\n');
}

export function sessionView(s: Session & { token?: string }): string {
  return keyValues([
    ['ID', s.metadata.id],
    ['Sandbox', s.sandboxName],
    ...(s.token ? ([['Token', s.token]] as Field[]) : []),
    ['Expires', s.expiresAt ?? 'never'],
    ['Revoked', s.revoked ? 'yes' : 'no'],
    ['Resource version', s.metadata.resourceVersion],
    ['Created', s.metadata.createdAt],
  ]);
}

export const sessionHeader = ['ID', 'EXPIRES', 'REVOKED', 'VERSION', 'AGE'];
export const sessionRow = (s: Session) => [
  s.metadata.id,
  s.expiresAt ?? 'never',
  s.revoked ? 'yes' : 'no',
  String(s.metadata.resourceVersion),
  age(s.metadata.createdAt),
];

export function serviceView(s: Service): string {
  return keyValues([
    ['Service', s.service],
    ['Sandbox', s.sandboxName],
    ['Target port', s.targetPort],
    ['Domain', s.domain ? 'yes' : 'no'],
    ['URL', s.url],
    ['ID', s.metadata.id],
    ['Resource version', s.metadata.resourceVersion],
    ['Created', s.metadata.createdAt],
    ['Updated', s.metadata.updatedAt],
  ]);
}

export const serviceHeader = ['SANDBOX', 'SERVICE', 'PORT', 'DOMAIN', 'URL', 'VERSION', 'AGE'];
export const serviceRow = (s: Service) => [
  s.sandboxName,
  s.service,
  String(s.targetPort),
  s.domain ? 'yes' : 'no',
  s.url,
  String(s.metadata.resourceVersion),
  age(s.metadata.createdAt),
];

function indent(text: string): string {
  return text
    .split('\n')
    .map((l) => `  ${l}`)
    .join('\n');
}
