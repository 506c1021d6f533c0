import { FailedPrecondition, InvalidArgument } from '#lib/errors.ts';
import type { Access, NetworkEndpoint, NetworkRule, PolicyOperation, Protocol } from './inputs.ts';
import { LIMITS } from './limits.ts';

/**
 * The network rules inside a policy (SPEC §7.1), the merge operations over them (§7.2) and the
 * composition of a base policy with the rules of approved drafts (§7.3): pure functions.
 *
 * Stored policies keep a canonical spelling of `networkPolicies`, not the user's: hosts in lower
 * case without a trailing dot (IPv6 literals in their RFC 5952 form, without brackets), one
 * endpoint per host and protocol in a rule (the schema refuses two; a merge unions into one),
 * ports sorted without duplicates, binaries without duplicates, and the defaults left out
 * (`protocol` `tcp`, `access` `full`, any binary: no `binaries`). PUT stores it (its schema
 * normalizes) and every merge writes it, and normalizing is idempotent, so what the merge
 * compares is what is stored: a merge that grants nothing new gives the latest revision's JSON
 * back and hashes alike (a no-op), and undoing a draft gives back the base as it was stored.
 * Leaving the defaults out keeps the spelling of the user who omitted them, the common case.
 *
 * The order of rules, of endpoints and of binaries is kept (a merge appends), so the same
 * grants reached in another order may be listed in another order: `policyElements` compares
 * policies as the sets of what they grant.
 */

export type Policy = Record<string, unknown>;

export const PROTOCOLS = ['tcp', 'rest', 'websocket', 'grpc'] as const satisfies Protocol[];
/** Narrowest first: a merge keeps the later of two in this list. */
export const ACCESS_LEVELS = ['read-only', 'read-write', 'full'] as const satisfies Access[];

/** A rule with its defaults filled in, ports sorted, one endpoint per host and protocol. */
interface Rule {
  endpoints: Endpoint[];
  binaries: string[] | 'any';
}
interface Endpoint {
  host: string;
  protocol: Protocol;
  access: Access;
  ports: number[];
}
type Rules = Map<string, Rule>;

/**
 * How hosts compare: case-insensitively, without a trailing dot; an IPv6 literal, bracketed or
 * not, as its RFC 5952 text without brackets. Idempotent.
 */
export function normalizeHost(host: string): string {
  let h = host.toLowerCase();
  if (h.endsWith('.')) h = h.slice(0, -1);
  if (h.startsWith('[') && h.endsWith(']')) h = h.slice(1, -1);
  if (!h.includes(':')) return h;
  try {
    return new URL(`http://[${h}]/`).hostname.slice(1, -1);
  } catch {
    return h; // not an address: the schema refuses it before it gets here
  }
}

const broader = (a: Access, b: Access): Access =>
  ACCESS_LEVELS.indexOf(a) >= ACCESS_LEVELS.indexOf(b) ? a : b;

const sortedPorts = (ports: Iterable<number>) => [...new Set(ports)].sort((a, b) => a - b);

/** Adds `incoming` to `endpoints` as a merge does; `endpoints` is the caller's own copy. */
function mergeEndpoint(endpoints: Endpoint[], incoming: Endpoint): void {
  const same = endpoints.find((e) => e.host === incoming.host && e.protocol === incoming.protocol);
  if (!same) {
    endpoints.push({ ...incoming, ports: [...incoming.ports] });
    return;
  }
  same.ports = sortedPorts([...same.ports, ...incoming.ports]);
  same.access = broader(same.access, incoming.access);
}

function toRule(rule: NetworkRule): Rule {
  const endpoints: Endpoint[] = [];
  for (const e of rule.endpoints) {
    mergeEndpoint(endpoints, {
      host: normalizeHost(e.host),
      protocol: e.protocol ?? 'tcp',
      access: e.access ?? 'full',
      ports: sortedPorts(e.ports),
    });
  }
  const paths = (rule.binaries ?? []).map((b) => b.path);
  return { endpoints, binaries: paths.length ? [...new Set(paths)] : 'any' };
}

/** The stored spelling: the defaults left out. */
function fromRule(rule: Rule): NetworkRule {
  return {
    endpoints: rule.endpoints.map(
      ({ host, ports, protocol, access }): NetworkEndpoint => ({
        host,
        ports: [...ports],
        ...(protocol === 'tcp' ? {} : { protocol }),
        ...(access === 'full' ? {} : { access }),
      }),
    ),
    ...(rule.binaries === 'any' ? {} : { binaries: rule.binaries.map((path) => ({ path })) }),
  };
}

/** `rule` in the stored spelling of the module comment. Idempotent; `rule` is not changed. */
export function normalizeRule(rule: NetworkRule): NetworkRule {
  return fromRule(toRule(rule));
}

/** Binaries unioned, where any binary absorbs a list. */
const unionBinaries = (a: Rule['binaries'], b: Rule['binaries']): Rule['binaries'] =>
  a === 'any' || b === 'any' ? 'any' : [...new Set([...a, ...b])];

/** `addRule`'s merge of `incoming` into `existing`, as new objects. */
function mergeRule(existing: Rule | undefined, incoming: Rule): Rule {
  const endpoints: Endpoint[] = [];
  for (const e of existing?.endpoints ?? []) mergeEndpoint(endpoints, e);
  for (const e of incoming.endpoints) mergeEndpoint(endpoints, e);
  // No rule yet: the empty list is neutral here (it is not "any binary" in a `Rule`).
  return { endpoints, binaries: unionBinaries(existing?.binaries ?? [], incoming.binaries) };
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

const isPort = (p: unknown) => Number.isInteger(p) && (p as number) >= 1 && (p as number) <= 65535;

/** The shape of a rule, enough to work on it safely (the schema checks everything else). */
function isNetworkRule(v: unknown): v is NetworkRule {
  if (!isObject(v) || !Array.isArray(v.endpoints) || v.endpoints.length === 0) return false;
  const endpoints = v.endpoints.every(
    (e) =>
      isObject(e) &&
      typeof e.host === 'string' &&
      Array.isArray(e.ports) &&
      e.ports.length > 0 &&
      e.ports.every(isPort) &&
      (e.protocol === undefined || PROTOCOLS.includes(e.protocol as Protocol)) &&
      (e.access === undefined || ACCESS_LEVELS.includes(e.access as Access)),
  );
  const binaries =
    v.binaries === undefined ||
    (Array.isArray(v.binaries) &&
      v.binaries.every((b) => isObject(b) && typeof b.path === 'string'));
  return endpoints && binaries;
}

/**
 * The rules of a policy, as fresh objects (never the policy's own), or undefined when it has no
 * `networkPolicies`. A policy stored before rules were structured may hold something else there:
 * no merge can work on it, and the caller must replace it.
 */
function readRules(policy: Policy): Rules | undefined {
  const value = policy.networkPolicies;
  if (value === undefined) return undefined;
  if (!isObject(value) || !Object.values(value).every(isNetworkRule)) {
    throw new FailedPrecondition(
      'The policy has networkPolicies that are not network rules: replace the policy with a PUT.',
      { field: 'networkPolicies' },
    );
  }
  // Entries, not keys looked up on the object: a rule named like a member of Object.prototype
  // must never read one.
  return new Map(Object.entries(value).map(([name, rule]) => [name, toRule(rule as NetworkRule)]));
}

/**
 * `policy` with these rules as its `networkPolicies`, every other member as it was. A policy
 * that had none and gains none stays without the member, so that it hashes as before.
 */
function withRules(policy: Policy, rules: Rules, hadRules: boolean): Policy {
  if (!hadRules && rules.size === 0) return { ...policy };
  // fromEntries defines own properties: a rule named `__proto__` cannot set a prototype.
  const networkPolicies = Object.fromEntries([...rules].map(([name, r]) => [name, fromRule(r)]));
  return { ...policy, networkPolicies };
}

/** `policy` with its `networkPolicies` in the stored spelling; `policy` is not changed. */
export function normalizePolicy(policy: Policy): Policy {
  const rules = readRules(policy);
  return rules ? withRules(policy, rules, true) : { ...policy };
}

function removeEndpoint(rules: Rules, ruleName: string | undefined, host: string, port: number) {
  const names = ruleName === undefined ? [...rules.keys()] : [ruleName];
  for (const name of names) {
    const rule = rules.get(name);
    if (!rule) continue;
    const endpoints = rule.endpoints
      .map((e) => (e.host === host ? { ...e, ports: e.ports.filter((p) => p !== port) } : e))
      .filter((e) => e.ports.length > 0);
    if (endpoints.length === 0) rules.delete(name);
    else rules.set(name, { ...rule, endpoints });
  }
}

function removeBinary(rules: Rules, ruleName: string, path: string, index: number) {
  const rule = rules.get(ruleName);
  if (!rule) return;
  if (rule.binaries === 'any') {
    throw new FailedPrecondition(
      `Rule ${ruleName} allows any binary: there is no binary ${path} to remove from it.`,
      { ruleName, path, operation: index },
    );
  }
  // An empty list would allow any binary: the rule goes instead of widening.
  const binaries = rule.binaries.filter((b) => b !== path);
  if (binaries.length === 0) rules.delete(ruleName);
  else rules.set(ruleName, { ...rule, binaries });
}

/** What keeps a rule out of the bounds of `LIMITS`, however it was merged. */
function ruleLimitViolation(rule: Rule): string | undefined {
  if (rule.endpoints.length > LIMITS.networkRuleEndpoints) {
    return `would give the rule ${rule.endpoints.length} endpoints; a rule has at most ${LIMITS.networkRuleEndpoints}`;
  }
  const wide = rule.endpoints.find((e) => e.ports.length > LIMITS.networkEndpointPorts);
  if (wide) {
    return `would give the ${wide.protocol} endpoint ${wide.host} ${wide.ports.length} ports; an endpoint has at most ${LIMITS.networkEndpointPorts}`;
  }
  if (rule.binaries !== 'any' && rule.binaries.length > LIMITS.networkRuleBinaries) {
    return `would give the rule ${rule.binaries.length} binaries; a rule has at most ${LIMITS.networkRuleBinaries}`;
  }
  return undefined;
}

function assertPolicyBytes(policy: Policy, field: string): void {
  const size = Buffer.byteLength(JSON.stringify(policy), 'utf8');
  if (size > LIMITS.policyBytes) {
    throw new InvalidArgument([
      {
        field,
        message: `would make the policy ${size} bytes as JSON; the limit is ${LIMITS.policyBytes}`,
      },
    ]);
  }
}

/**
 * Whether `policy` stays within the bounds a PUT of it would be held to: every rule within the
 * counts of `LIMITS`, the whole within `LIMITS.policyBytes`. A merge checks its result itself;
 * a draft's approval that composes a policy calls this, so that a policy read back can always
 * be written back.
 * @throws InvalidArgument naming `${field}.networkPolicies.<rule>` or `field`
 */
export function assertWithinLimits(policy: Policy, field: string): void {
  for (const [name, rule] of readRules(policy) ?? []) {
    const message = ruleLimitViolation(rule);
    if (message)
      throw new InvalidArgument([{ field: `${field}.networkPolicies.${name}`, message }]);
  }
  assertPolicyBytes(policy, field);
}

/**
 * The policy the merge operations of SPEC §7.2 make of `policy`, applied in order, all or none:
 * `addRule` creates or merges a rule, `removeRule`, `removeEndpoint` (of one rule or of every
 * rule) and `removeBinary` remove, and what they leave empty goes. Neither argument is changed;
 * the result has `networkPolicies` in the stored spelling and every other member as it was.
 * @throws FailedPrecondition when a `removeBinary` names a rule that allows any binary
 * @throws InvalidArgument naming `body.operations.<i>.rule` when an `addRule` would grow a rule
 *   past the counts of `LIMITS`, or `body.operations` when the policy would outgrow
 *   `LIMITS.policyBytes`
 * @throws FailedPrecondition when `policy` holds `networkPolicies` that are not network rules
 */
export function applyOperations(policy: Policy, operations: readonly PolicyOperation[]): Policy {
  const hadRules = policy.networkPolicies !== undefined;
  const rules = readRules(policy) ?? new Map<string, Rule>();
  operations.forEach((op, index) => {
    switch (op.op) {
      case 'addRule': {
        const merged = mergeRule(rules.get(op.ruleName), toRule(op.rule));
        const message = ruleLimitViolation(merged);
        if (message) {
          throw new InvalidArgument([{ field: `body.operations.${index}.rule`, message }]);
        }
        rules.set(op.ruleName, merged);
        break;
      }
      case 'removeRule':
        rules.delete(op.ruleName);
        break;
      case 'removeEndpoint':
        removeEndpoint(rules, op.ruleName, normalizeHost(op.host), op.port);
        break;
      case 'removeBinary':
        removeBinary(rules, op.ruleName, op.path, index);
        break;
    }
  });
  const result = withRules(policy, rules, hadRules);
  assertPolicyBytes(result, 'body.operations');
  return result;
}

/** A rule an approved draft grants. */
export interface GrantedRule {
  ruleName: string;
  rule: NetworkRule;
}

/**
 * The policy in force for drafts (SPEC §7.3 "What drafts grant"): `base` — what PUT and merges
 * set — with the rule of each approved draft merged in as an `addRule`, in order. Undoing or
 * rejecting an approved draft is this again without it: that removes exactly the elements only
 * it granted (`policyElements`), and never one of `base` or of another approved draft. The
 * elements of the result do not depend on the order of `approved`; the broadest access of an
 * endpoint wins whatever the order. Bounds are the caller's: see `assertWithinLimits`.
 */
export function composePolicy(base: Policy, approved: readonly GrantedRule[]): Policy {
  const hadRules = base.networkPolicies !== undefined;
  const rules = readRules(base) ?? new Map<string, Rule>();
  for (const { ruleName, rule } of approved) {
    rules.set(ruleName, mergeRule(rules.get(ruleName), toRule(rule)));
  }
  return withRules(base, rules, hadRules);
}

const portKey = (ruleName: string, host: string, protocol: Protocol, port: number) =>
  `${ruleName}|${host}|${protocol}|${port}`;

/**
 * The canonical strings of the elements of policies (SPEC §7.3): one per port of an endpoint,
 * `rule|host|protocol|port`, and per binary, `rule|binary|/path`, or `rule|any-binary` for a rule
 * that allows any binary. Rule names have no `|`, hosts no `|` or `/`, and binary paths start
 * with `/` (the schema's rule), so no two elements share a string.
 */
export const elementKey = {
  port: (ruleName: string, host: string, protocol: Protocol, port: number) =>
    portKey(ruleName, normalizeHost(host), protocol, port),
  binary: (ruleName: string, path: string) => `${ruleName}|binary|${path}`,
  anyBinary: (ruleName: string) => `${ruleName}|any-binary`,
};

function addElements(into: Set<string>, name: string, rule: Rule): Set<string> {
  for (const e of rule.endpoints)
    for (const p of e.ports) into.add(portKey(name, e.host, e.protocol, p));
  if (rule.binaries === 'any') into.add(elementKey.anyBinary(name));
  else for (const b of rule.binaries) into.add(elementKey.binary(name, b));
  return into;
}

/** The elements `policy` grants, as `elementKey` strings. */
export function policyElements(policy: Policy): Set<string> {
  const into = new Set<string>();
  for (const [name, rule] of readRules(policy) ?? []) addElements(into, name, rule);
  return into;
}

/** The elements `rule` grants under the name `ruleName`. */
export function ruleElements(ruleName: string, rule: NetworkRule): Set<string> {
  return addElements(new Set(), ruleName, toRule(rule));
}

/** The rule an element belongs to, and the binary path when it is a binary element. */
function parseElement(element: string): { ruleName: string; path?: string } {
  const ruleName = element.slice(0, element.indexOf('|'));
  const binary = `${ruleName}|binary|`;
  return element.startsWith(`${binary}/`)
    ? { ruleName, path: element.slice(binary.length) }
    : { ruleName };
}

/**
 * The elements of the policy that grants every one of `sets`, as `composePolicy` merges them: a
 * rule's any-binary absorbs the binaries listed for the same rule.
 */
export function unionElements(...sets: Iterable<string>[]): Set<string> {
  const all = new Set<string>();
  for (const set of sets) for (const e of set) all.add(e);
  for (const e of all) {
    const { ruleName, path } = parseElement(e);
    if (path !== undefined && all.has(elementKey.anyBinary(ruleName))) all.delete(e);
  }
  return all;
}

/**
 * Whether `policy` grants `element` (an `elementKey` string): it holds it, or, for a binary, its
 * rule allows any binary.
 */
export function grantsElement(policy: Policy, element: string): boolean {
  const elements = policyElements(policy);
  if (elements.has(element)) return true;
  const { ruleName, path } = parseElement(element);
  return path !== undefined && elements.has(elementKey.anyBinary(ruleName));
}
