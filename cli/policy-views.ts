import type { OperationResult } from '#lib/client/types.ts';
import { age, jsonText, keyValues, listText } from './format.ts';

/** Views of the policy lifecycle (SPEC §7): drafts, their history, the global policy. */

export type PolicyDraft = OperationResult<'getPolicyDraft'>;
export type DraftEvent = OperationResult<'listPolicyDraftHistory'>['items'][number];
export type GlobalPolicy = OperationResult<'getGlobalPolicy'>;
export type GlobalRevision = OperationResult<'listGlobalPolicyRevisions'>['items'][number];
type NetworkRule = PolicyDraft['rule'];
type Endpoint = NetworkRule['endpoints'][number];

/** An IPv6 address is bracketed, so that its port stays readable: `[2001:db8::1]:443`. */
const hostText = (host: string) => (host.includes(':') ? `[${host}]` : host);

/** `host:port,port`: where an endpoint lets connections go. */
const endpointText = (e: Endpoint) => `${hostText(e.host)}:${e.ports.join(',')}`;

/** Every endpoint of a rule, one `host:ports` after another. */
export const endpointsText = (rule: NetworkRule) => rule.endpoints.map(endpointText).join(' ');

export const draftHeader = [
  'ID',
  'RULE',
  'ENDPOINTS',
  'STATUS',
  'HITS',
  'REVIEW',
  'FIRST SEEN',
  'LAST SEEN',
];
export const draftRow = (d: PolicyDraft) => [
  d.metadata.name,
  d.ruleName,
  endpointsText(d.rule),
  d.status,
  String(d.hitCount),
  String(d.reviewVersion),
  age(d.firstSeenAt),
  age(d.lastSeenAt),
];

export function draftView(d: PolicyDraft): string {
  const endpoints = d.rule.endpoints
    .map((e) => `${endpointText(e)} (${e.protocol ?? 'tcp'}, ${e.access ?? 'full'})`)
    .join('\n');
  const binaries = d.rule.binaries?.length ? listText(d.rule.binaries.map((b) => b.path)) : 'any';
  return keyValues([
    ['ID', d.metadata.name],
    ['Sandbox', d.sandboxName],
    ['Rule', d.ruleName],
    ['Endpoints', endpoints],
    ['Binaries', binaries],
    ['Status', d.status],
    ['Review version', d.reviewVersion],
    ['Hits', d.hitCount],
    ['Dedup key', d.dedupKey],
    ['Rationale', d.rationale],
    ['Rejection reason', d.rejectionReason],
    ['Decided', d.decidedAt],
    ['Applied policy version', d.appliedPolicyVersion],
    ['First seen', d.firstSeenAt],
    ['Last seen', d.lastSeenAt],
    ['Resource version', d.metadata.resourceVersion],
  ]);
}

export const draftEventHeader = ['TYPE', 'AT', 'REVIEW', 'POLICY VERSION', 'REASON'];
export const draftEventRow = (e: DraftEvent) => [
  e.type,
  e.at,
  String(e.reviewVersion),
  e.policyVersion === undefined ? '-' : String(e.policyVersion),
  e.reason ?? '-',
];

export function globalPolicyView(g: GlobalPolicy): string {
  return keyValues([
    ['Global policy version', g.version],
    ['Resource version', g.metadata.resourceVersion],
    ['Updated', g.metadata.updatedAt],
    ['Policy', jsonText(g.policy)],
  ]);
}

export const globalRevisionHeader = ['VERSION', 'STATUS', 'HASH', 'RESOURCE VERSION', 'AGE'];
export const globalRevisionRow = (r: GlobalRevision) => [
  String(r.version),
  r.status,
  r.hash.slice(0, 12),
  String(r.metadata.resourceVersion),
  age(r.metadata.createdAt),
];
