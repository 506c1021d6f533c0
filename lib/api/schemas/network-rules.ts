import * as z from 'zod/mini';
import { LIMITS } from '#lib/domain/limits.ts';
import {
  ACCESS_LEVELS,
  normalizeHost,
  normalizePolicy,
  type Policy,
  PROTOCOLS,
} from '#lib/domain/network-rules.ts';
import { bytes, jsonObject } from './common.ts';

/**
 * The network rules of a policy (SPEC §7.1) and the merge operations over them (§7.2): every
 * violation is an issue at the field's own path (`networkPolicies.web.endpoints.0.ports.1`).
 */

const RULE_NAME = /^[a-z0-9_][a-z0-9_-]{0,62}$/;

export const ruleName = z.string().check(
  z.regex(RULE_NAME, 'must be 1–63 characters of a-z, 0-9, "_" and "-", not starting with "-"'),
  z.refine(
    (n) => !n.startsWith('_provider_'),
    'is reserved: names starting with "_provider_" are the rules of providers',
  ),
  // zod drops a `__proto__` key from a map, and DynamoDB's unmarshalling would set a
  // prototype with it: it can never name a stored rule.
  z.refine((n) => n !== '__proto__', 'is reserved'),
);

export const port = z
  .number()
  .check(
    z.int('must be an integer 1–65535'),
    z.minimum(1, 'must be an integer 1–65535'),
    z.maximum(65535, 'must be an integer 1–65535'),
  );

const LABEL = '[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?';
const HOSTNAME = new RegExp(`^${LABEL}(?:\\.${LABEL})*$`);
/** WHATWG URL's "ends in a number": such a host is an IPv4 address, in some spelling. */
const ENDS_IN_NUMBER = /(?:^|\.)(?:\d+|0x[0-9a-f]*)$/;

/** What is wrong with a destination in 127.0.0.0/8, 169.254.0.0/16 or 0.0.0.0/8. */
function refusedIPv4([a, b]: number[]): string | undefined {
  if (a === 127) return 'is a loopback address (127.0.0.0/8)';
  if (a === 169 && b === 254) {
    return 'is a link-local address (169.254.0.0/16), where cloud metadata services answer';
  }
  if (a === 0) return 'is in 0.0.0.0/8, which reaches the local host';
  return undefined;
}

/** RFC 5952 text of an IPv6 address without brackets or zone, as WHATWG URL writes it. */
function canonicalIPv6(text: string): string | undefined {
  if (/[[\]%]/.test(text)) return undefined;
  try {
    return new URL(`http://[${text}]/`).hostname.slice(1, -1);
  } catch {
    return undefined;
  }
}

/** The sixteen bytes of an IPv6 address as WHATWG URL serializes it (lower case, `::`, no IPv4). */
function ipv6Bytes(canonical: string): number[] {
  const [head = '', tail] = canonical.split('::');
  const groups = (s: string) => (s ? s.split(':').map((g) => Number.parseInt(g, 16)) : []);
  const first = groups(head);
  const last = tail === undefined ? [] : groups(tail);
  const all = [...first, ...Array(8 - first.length - last.length).fill(0), ...last];
  return all.flatMap((g) => [g >> 8, g & 0xff]);
}

const startsWith = (b: number[], prefix: number[]) => prefix.every((x, i) => b[i] === x);
/** fd00:ec2::254, AWS's metadata service over IPv6. */
const AWS_METADATA_V6 = [0xfd, 0, 0x0e, 0xc2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x02, 0x54];

/**
 * What is wrong with an IPv6 destination: `::` and `::1`, fe80::/10, AWS's metadata service
 * fd00:ec2::254, and the refused IPv4 destinations embedded as IPv4-mapped (::ffff:0:0/96),
 * IPv4-compatible (::/96) or NAT64 (64:ff9b::/96) addresses.
 */
function refusedIPv6(b: number[]): string | undefined {
  if (b.every((x) => x === 0)) {
    return 'is the unspecified address (::), which reaches the local host';
  }
  if (b.slice(0, 15).every((x) => x === 0) && b[15] === 1) return 'is the loopback address (::1)';
  if (b[0] === 0xfe && (b[1]! & 0xc0) === 0x80) return 'is a link-local address (fe80::/10)';
  if (startsWith(b, AWS_METADATA_V6)) {
    return 'is the address of a cloud metadata service (fd00:ec2::254)';
  }
  const embedded =
    startsWith(b, [...Array(10).fill(0), 0xff, 0xff]) ||
    startsWith(b, Array(12).fill(0)) ||
    startsWith(b, [0, 0x64, 0xff, 0x9b, ...Array(8).fill(0)]);
  const why = embedded ? refusedIPv4(b.slice(12)) : undefined;
  return why && `embeds ${b.slice(12).join('.')}, which ${why}`;
}

/** Names that are loopback (RFC 6761 §6.3) or a cloud metadata service. */
function refusedName(name: string, wildcard: boolean): string | undefined {
  const loopback = name === 'localhost' || name.endsWith('.localhost');
  if (wildcard) {
    if (loopback) return 'matches loopback names (localhost and its subdomains, RFC 6761)';
    if ('metadata.google.internal'.endsWith(`.${name}`)) {
      return 'matches metadata.google.internal, a cloud metadata service';
    }
    return undefined;
  }
  if (loopback) return 'is a loopback name (localhost and its subdomains, RFC 6761)';
  if (name === 'metadata.google.internal') return 'is a cloud metadata service';
  return undefined;
}

/**
 * What is wrong with `host` as the destination of an endpoint, if anything: the syntax (a
 * hostname, `*.` and a hostname, an IPv4 address in dotted decimal, an IPv6 address bracketed
 * or not), and, when `refuseLocal`, the loopback, link-local and metadata destinations in any
 * spelling the WHATWG URL parser reads as one: any case, a trailing dot, IPv4 in decimal, hex
 * or octal parts (`2130706433`, `0x7f.1`, `0177.0.0.1`), IPv6 in any of its spellings. IPv4
 * spellings other than dotted decimal are refused in any case: parsers disagree on `010`.
 */
function hostProblem(host: string, refuseLocal: boolean): string | undefined {
  if (!/^[\x21-\x7e]+$/.test(host)) {
    return 'must be printable ASCII (international names in their xn-- form)';
  }
  let name = host.toLowerCase();
  if (name.endsWith('.')) name = name.slice(0, -1);
  if (name.length > LIMITS.networkHostLength) {
    return `is at most ${LIMITS.networkHostLength} characters, without the trailing dot`;
  }
  if (name.includes(':') || name.startsWith('[')) {
    const inner = name.startsWith('[') && name.endsWith(']') ? name.slice(1, -1) : name;
    const canonical = canonicalIPv6(inner);
    if (canonical === undefined) return 'is not a valid IPv6 address';
    return refuseLocal ? refusedIPv6(ipv6Bytes(canonical)) : undefined;
  }
  const wildcard = name.startsWith('*.');
  const bare = wildcard ? name.slice(2) : name;
  if (!HOSTNAME.test(bare)) {
    return 'must be a hostname (labels of letters, digits and "-"), "*." and a hostname, or an IP address';
  }
  if (ENDS_IN_NUMBER.test(bare)) {
    if (wildcard) return 'must be "*." and a domain name, not an address';
    let dotted: string;
    try {
      dotted = new URL(`http://${bare}/`).hostname;
    } catch {
      return 'is not a valid IPv4 address';
    }
    const why = refuseLocal ? refusedIPv4(dotted.split('.').map(Number)) : undefined;
    if (why) return dotted === bare ? why : `is ${dotted}, which ${why}`;
    if (dotted !== bare) return `must be written ${dotted}: IPv4 addresses are in dotted decimal`;
    return undefined;
  }
  return refuseLocal ? refusedName(bare, wildcard) : undefined;
}

/** A host, well-formed and, when `refuseLocal`, not a local destination (`hostProblem`). */
export const hostChecked = (refuseLocal: boolean) =>
  z.string().check(
    z.superRefine((host, ctx) => {
      const message = hostProblem(host, refuseLocal);
      if (message) ctx.addIssue({ code: 'custom', message, input: host });
    }),
  );

/** The host of an endpoint: never a loopback, link-local or metadata destination. */
export const endpointHost = hostChecked(true);

export const binaryPath = z.string().check(
  z.refine((p) => p.startsWith('/'), 'must be an absolute path'),
  z.refine((p) => !/\p{Cc}/u.test(p), 'must not contain control characters'),
  z.refine((p) => bytes(p) <= LIMITS.binaryPathBytes, `is at most ${LIMITS.binaryPathBytes} bytes`),
);

const endpoint = z.strictObject({
  host: endpointHost,
  ports: z
    .array(port)
    .check(
      z.minLength(1, 'lists at least one port'),
      z.maxLength(
        LIMITS.networkEndpointPorts,
        `lists at most ${LIMITS.networkEndpointPorts} ports`,
      ),
    ),
  protocol: z.optional(z.enum(PROTOCOLS)),
  access: z.optional(z.enum(ACCESS_LEVELS)),
});

/**
 * Two endpoints of one host and protocol in a rule are refused rather than merged: a merge would
 * give the ports of both the broader access, granting one endpoint's access to the other's ports.
 */
const oneEndpointPerHostAndProtocol = z.superRefine(
  (endpoints: Array<{ host: unknown; protocol?: string }>, ctx) => {
    const seen = new Map<string, number>();
    endpoints.forEach((e, i) => {
      if (typeof e.host !== 'string') return;
      const key = `${normalizeHost(e.host)} ${e.protocol ?? 'tcp'}`;
      const first = seen.get(key);
      if (first === undefined) seen.set(key, i);
      else {
        ctx.addIssue({
          code: 'custom',
          path: [i],
          message: `has the host and protocol of endpoint ${first}: list its ports there`,
          input: e,
        });
      }
    });
  },
);

/** A rule of `networkPolicies`. */
export const networkRule = z.strictObject({
  endpoints: z
    .array(endpoint)
    .check(
      z.minLength(1, 'lists at least one endpoint'),
      z.maxLength(
        LIMITS.networkRuleEndpoints,
        `lists at most ${LIMITS.networkRuleEndpoints} endpoints`,
      ),
      oneEndpointPerHostAndProtocol,
    ),
  binaries: z.optional(
    z
      .array(z.strictObject({ path: binaryPath }))
      .check(
        z.maxLength(
          LIMITS.networkRuleBinaries,
          `lists at most ${LIMITS.networkRuleBinaries} binaries`,
        ),
      ),
  ),
});

/**
 * A rule sent on its own, an `addRule`'s or a draft's: also at most `networkRuleBytes` as JSON.
 * (A rule of a policy is bounded by the policy's bytes; a merged one may be longer than this.)
 */
export const proposedRule = networkRule.check(
  z.refine(
    (rule) => bytes(JSON.stringify(rule)) <= LIMITS.networkRuleBytes,
    `is at most ${LIMITS.networkRuleBytes} bytes as JSON`,
  ),
);

export const networkPolicies = z.record(ruleName, networkRule);

/**
 * A policy: a JSON object (`jsonObject`'s checks) whose members pass through unchanged, except
 * `networkPolicies`, which must be network rules and comes out in the stored spelling
 * (`lib/domain/network-rules.ts`). Typed as the JSON object it is, which callers build freely.
 */
export const policyObject: z.ZodMiniType<Policy, Policy> = z.pipe(
  z.intersection(jsonObject, z.looseObject({ networkPolicies: z.optional(networkPolicies) })),
  z.transform((policy: Policy, ctx) => {
    const normalized = normalizePolicy(policy);
    // Canonical IPv6 text can be a character longer than the spelling sent (`1:0:1:…` for
    // `1::1:…`): the stored policy is held to the limit too.
    if (bytes(JSON.stringify(normalized)) > LIMITS.policyBytes) {
      ctx.issues.push({
        code: 'custom',
        message: `is at most ${LIMITS.policyBytes} bytes as JSON`,
        input: policy,
      });
      return z.NEVER;
    }
    return normalized;
  }),
);
