import { describe, expect, it } from 'vitest';
import type * as z from 'zod/mini';
import { PolicyBody, PolicyMergeBody } from '#lib/api/schemas/config.ts';
import { proposedRule } from '#lib/api/schemas/network-rules.ts';
import { LIMITS } from '#lib/domain/limits.ts';

/** The field violations of `value`, named as the handler names them (`body.…`). */
function violations(schema: z.ZodMiniType, value: unknown) {
  const res = schema.safeParse(value);
  if (res.success) return [];
  return res.error.issues.map((issue) => ({
    field: ['body', ...issue.path.map(String)].join('.'),
    message:
      issue.code === 'invalid_key' ? (issue.issues[0]?.message ?? issue.message) : issue.message,
  }));
}
const fields = (schema: z.ZodMiniType, value: unknown) =>
  violations(schema, value).map((v) => v.field);

const policyWith = (networkPolicies: unknown) => ({ policy: { networkPolicies } });
const oneEndpoint = (endpoint: Record<string, unknown>) =>
  policyWith({ web: { endpoints: [endpoint] } });
const hostPolicy = (host: string) => oneEndpoint({ host, ports: [443] });
const parsedPolicy = (body: unknown) =>
  (PolicyBody.parse(body) as { policy: Record<string, unknown> }).policy;

describe('a policy with networkPolicies', () => {
  it('passes in every shape of SPEC §7.1, in the stored spelling, other members unchanged', () => {
    // arrange
    const other = { filesystem: { readOnly: ['/usr'] }, n: 1.5, list: [null, true, 'x'] };
    const body = {
      policy: {
        ...other,
        networkPolicies: {
          web: {
            endpoints: [
              { host: 'API.GitHub.com.', ports: [443, 80, 443] },
              {
                host: '*.githubusercontent.com',
                ports: [443],
                protocol: 'rest',
                access: 'read-only',
              },
              {
                host: 'api.github.com',
                ports: [8443],
                protocol: 'websocket',
                access: 'read-write',
              },
              { host: 'grpc.example.com', ports: [50051], protocol: 'grpc', access: 'full' },
            ],
            binaries: [{ path: '/usr/bin/git' }, { path: '/usr/bin/git' }],
          },
          any_binary: { endpoints: [{ host: '10.0.0.1', ports: [1, 65535] }], binaries: [] },
          v6: { endpoints: [{ host: '[2001:DB8::1]', ports: [22], protocol: 'tcp' }] },
        },
      },
    };
    // act
    const policy = parsedPolicy(body);
    // assert
    expect(policy).toEqual({
      ...other,
      networkPolicies: {
        web: {
          endpoints: [
            { host: 'api.github.com', ports: [80, 443] },
            {
              host: '*.githubusercontent.com',
              ports: [443],
              protocol: 'rest',
              access: 'read-only',
            },
            { host: 'api.github.com', ports: [8443], protocol: 'websocket', access: 'read-write' },
            { host: 'grpc.example.com', ports: [50051], protocol: 'grpc' },
          ],
          binaries: [{ path: '/usr/bin/git' }],
        },
        any_binary: { endpoints: [{ host: '10.0.0.1', ports: [1, 65535] }] },
        v6: { endpoints: [{ host: '2001:db8::1', ports: [22] }] },
      },
    });
    expect(policy.filesystem).toBe(other.filesystem);
  });

  it('passes unchanged without networkPolicies, and with an empty map', () => {
    expect(parsedPolicy({ policy: { a: { b: [1] } } })).toEqual({ a: { b: [1] } });
    expect(parsedPolicy(policyWith({}))).toEqual({ networkPolicies: {} });
  });

  it.each([
    ['a string', 'all', 'body.policy.networkPolicies'],
    ['an array', [], 'body.policy.networkPolicies'],
    ['a rule that is not an object', { web: 1 }, 'body.policy.networkPolicies.web'],
    ['a rule without endpoints', { web: {} }, 'body.policy.networkPolicies.web.endpoints'],
    ['empty endpoints', { web: { endpoints: [] } }, 'body.policy.networkPolicies.web.endpoints'],
    [
      'an unknown member of a rule',
      { web: { endpoints: [{ host: 'a', ports: [1] }], x: 1 } },
      'body.policy.networkPolicies.web',
    ],
    [
      'binaries that are not a list',
      { web: { endpoints: [{ host: 'a', ports: [1] }], binaries: {} } },
      'body.policy.networkPolicies.web.binaries',
    ],
    [
      'a binary without a path',
      { web: { endpoints: [{ host: 'a', ports: [1] }], binaries: [{}] } },
      'body.policy.networkPolicies.web.binaries.0.path',
    ],
    [
      'an unknown member of a binary',
      { web: { endpoints: [{ host: 'a', ports: [1] }], binaries: [{ path: '/a', mode: 1 }] } },
      'body.policy.networkPolicies.web.binaries.0',
    ],
    [
      'a relative binary path',
      { web: { endpoints: [{ host: 'a', ports: [1] }], binaries: [{ path: 'bin/sh' }] } },
      'body.policy.networkPolicies.web.binaries.0.path',
    ],
    [
      'a control character in a binary path',
      { web: { endpoints: [{ host: 'a', ports: [1] }], binaries: [{ path: '/bin/\nsh' }] } },
      'body.policy.networkPolicies.web.binaries.0.path',
    ],
  ])('is refused for %s, naming the field', (_, networkPolicies, field) => {
    expect(fields(PolicyBody, policyWith(networkPolicies))).toEqual([field]);
  });

  it.each([
    ['no host', { ports: [1] }, 'host'],
    ['a host that is not a string', { host: 1, ports: [1] }, 'host'],
    ['no ports', { host: 'a' }, 'ports'],
    ['empty ports', { host: 'a', ports: [] }, 'ports'],
    ['port 0', { host: 'a', ports: [443, 0] }, 'ports.1'],
    ['port 65536', { host: 'a', ports: [65536] }, 'ports.0'],
    ['a fractional port', { host: 'a', ports: [1, 2, 44.5] }, 'ports.2'],
    ['a port as a string', { host: 'a', ports: ['443'] }, 'ports.0'],
    ['an unknown protocol', { host: 'a', ports: [1], protocol: 'udp' }, 'protocol'],
    ['an unknown access', { host: 'a', ports: [1], access: 'write' }, 'access'],
  ])('is refused for an endpoint with %s, naming the field', (_, endpoint, field) => {
    expect(fields(PolicyBody, oneEndpoint(endpoint))).toEqual([
      `body.policy.networkPolicies.web.endpoints.0.${field}`,
    ]);
  });

  it('is refused for an unknown member of an endpoint', () => {
    expect(violations(PolicyBody, oneEndpoint({ host: 'a', ports: [1], tls: true }))).toEqual([
      {
        field: 'body.policy.networkPolicies.web.endpoints.0',
        message: expect.stringContaining('tls'),
      },
    ]);
  });

  it('is refused for two endpoints of one host and protocol, naming the second', () => {
    // arrange: the same host spelled twice, and the same host with another protocol
    const body = policyWith({
      web: {
        endpoints: [
          { host: 'a.com', ports: [443], access: 'read-only' },
          { host: 'a.com', ports: [443], protocol: 'rest' },
          { host: 'A.com.', ports: [8080], protocol: 'tcp' },
        ],
      },
    });
    // act
    const out = violations(PolicyBody, body);
    // assert
    expect(out).toEqual([
      {
        field: 'body.policy.networkPolicies.web.endpoints.2',
        message: 'has the host and protocol of endpoint 0: list its ports there',
      },
    ]);
  });

  it.each([
    ['Web', 'must be 1–63 characters'],
    ['-web', 'must be 1–63 characters'],
    ['web.api', 'must be 1–63 characters'],
    ['w'.repeat(64), 'must be 1–63 characters'],
    ['_provider_github', 'is reserved'],
  ])('is refused for the rule name %s, naming it', (name, message) => {
    expect(
      violations(PolicyBody, policyWith({ [name]: { endpoints: [{ host: 'a', ports: [1] }] } })),
    ).toEqual([
      { field: `body.policy.networkPolicies.${name}`, message: expect.stringContaining(message) },
    ]);
  });

  it.each(['w', 'w'.repeat(63), '_web', 'web-1_2', '0', '_provider'])(
    'takes the rule name %s',
    (name) => {
      expect(
        violations(PolicyBody, policyWith({ [name]: { endpoints: [{ host: 'a', ports: [1] }] } })),
      ).toEqual([]);
    },
  );

  it("keeps jsonObject's checks, reporting them with the rules' own", () => {
    // arrange: a number DynamoDB cannot store outside the rules, a bad port inside
    const body = {
      policy: {
        big: 2 ** 60,
        networkPolicies: { web: { endpoints: [{ host: 'a', ports: [0] }] } },
      },
    };
    // act
    const out = fields(PolicyBody, body);
    // assert
    expect(out.sort()).toEqual([
      'body.policy.big',
      'body.policy.networkPolicies.web.endpoints.0.ports.0',
    ]);
  });
});

describe('the host of an endpoint', () => {
  it.each([
    ['localhost', 'loopback name'],
    ['LocalHost.', 'loopback name'],
    ['api.localhost', 'loopback name'],
    ['*.localhost', 'matches loopback names'],
    ['metadata.google.internal', 'cloud metadata service'],
    ['METADATA.Google.Internal.', 'cloud metadata service'],
    ['*.google.internal', 'matches metadata.google.internal'],
    ['*.internal', 'matches metadata.google.internal'],
    ['127.0.0.1', 'loopback address'],
    ['127.255.255.254', 'loopback address'],
    ['127.0.0.1.', 'loopback address'],
    ['127.1', 'is 127.0.0.1'],
    ['2130706433', 'is 127.0.0.1'],
    ['0x7f000001', 'is 127.0.0.1'],
    ['0x7F.0.0.1', 'is 127.0.0.1'],
    ['0177.0.0.1', 'is 127.0.0.1'],
    ['169.254.169.254', 'link-local'],
    ['169.254.0.1', 'link-local'],
    ['0xa9fea9fe', 'is 169.254.169.254'],
    ['0.0.0.0', '0.0.0.0/8'],
    ['0', '0.0.0.0/8'],
    ['::1', 'loopback address (::1)'],
    ['[::1]', 'loopback address (::1)'],
    ['0:0:0:0:0:0:0:1', 'loopback address (::1)'],
    ['::', 'unspecified'],
    ['fe80::1', 'link-local address (fe80::/10)'],
    ['[FEBF::1]', 'link-local address (fe80::/10)'],
    ['fd00:ec2::254', 'fd00:ec2::254'],
    ['[FD00:EC2:0:0:0:0:0:254]', 'fd00:ec2::254'],
    ['::ffff:127.0.0.1', 'embeds 127.0.0.1'],
    ['[::ffff:7f00:1]', 'embeds 127.0.0.1'],
    ['::ffff:169.254.169.254', 'embeds 169.254.169.254'],
    ['::127.0.0.1', 'embeds 127.0.0.1'],
    ['64:ff9b::a9fe:a9fe', 'embeds 169.254.169.254'],
  ])('refuses %s (%s)', (host, message) => {
    expect(violations(PolicyBody, hostPolicy(host))).toEqual([
      {
        field: 'body.policy.networkPolicies.web.endpoints.0.host',
        message: expect.stringContaining(message),
      },
    ]);
  });

  it.each([
    ['', 'printable ASCII'],
    ['exämple.com', 'printable ASCII'],
    ['a b.com', 'printable ASCII'],
    ['example..com', 'must be a hostname'],
    ['-example.com', 'must be a hostname'],
    ['example-.com', 'must be a hostname'],
    ['exa_mple.com', 'must be a hostname'],
    ['*', 'must be a hostname'],
    ['*.*.example.com', 'must be a hostname'],
    ['api.*.example.com', 'must be a hostname'],
    ['example.com..', 'must be a hostname'],
    ['https://example.com', 'IPv6'],
    ['example.com:443', 'IPv6'],
    [`${'a'.repeat(64)}.com`, 'must be a hostname'],
    ['*.10.0.0', 'not an address'],
    ['010.0.0.1', 'must be written 8.0.0.1'],
    ['0x08080808', 'must be written 8.8.8.8'],
    ['1.2.3.4.5', 'not a valid IPv4 address'],
    ['256.0.0.1', 'not a valid IPv4 address'],
    ['a.0x', 'not a valid IPv4 address'],
    ['fe80::1%eth0', 'not a valid IPv6 address'],
    ['[2001:db8::1', 'not a valid IPv6 address'],
    ['2001:db8::g', 'not a valid IPv6 address'],
  ])('refuses the malformed %j (%s)', (host, message) => {
    expect(violations(PolicyBody, hostPolicy(host))).toEqual([
      {
        field: 'body.policy.networkPolicies.web.endpoints.0.host',
        message: expect.stringContaining(message),
      },
    ]);
  });

  it.each([
    ['example.com', 'example.com'],
    ['EXAMPLE.com.', 'example.com'],
    ['*.example.com', '*.example.com'],
    ['*.Example.COM.', '*.example.com'],
    ['intranet', 'intranet'],
    ['xn--bcher-kva.example', 'xn--bcher-kva.example'],
    ['123.example.com', '123.example.com'],
    ['localhost.example.com', 'localhost.example.com'],
    ['metadata.google.internal.example.com', 'metadata.google.internal.example.com'],
    ['*.google.com', '*.google.com'],
    ['8.8.8.8', '8.8.8.8'],
    ['126.255.255.255', '126.255.255.255'],
    ['128.0.0.1', '128.0.0.1'],
    ['169.253.255.255', '169.253.255.255'],
    ['169.255.0.1', '169.255.0.1'],
    ['2001:db8::1', '2001:db8::1'],
    ['[2001:DB8:0:0:0:0:0:1]', '2001:db8::1'],
    ['::ffff:8.8.8.8', '::ffff:808:808'],
    ['fd00:ec2::253', 'fd00:ec2::253'],
    ['fec0::1', 'fec0::1'],
  ])('takes %s, stored as %s', (host, stored) => {
    const policy = parsedPolicy(hostPolicy(host));
    expect(policy.networkPolicies).toEqual({
      web: { endpoints: [{ host: stored, ports: [443] }] },
    });
  });
});

describe('the limits of a rule', () => {
  const ports = (n: number) => Array.from({ length: n }, (_, i) => i + 1);
  const endpoints = (n: number) =>
    Array.from({ length: n }, (_, i) => ({ host: `h${i}.com`, ports: [1] }));
  const binaries = (n: number) => Array.from({ length: n }, (_, i) => ({ path: `/bin/${i}` }));
  /** A valid host of exactly `n` characters (n ≥ 193): three labels of 63 and one of the rest. */
  const hostOf = (n: number) => [...Array(3).fill('a'.repeat(63)), 'b'.repeat(n - 192)].join('.');
  /** An absolute path of exactly `n` UTF-8 bytes, of two-byte characters where it can. */
  const pathOfBytes = (n: number) =>
    `/${'é'.repeat(Math.floor((n - 1) / 2))}${'x'.repeat((n - 1) % 2)}`;
  /**
   * A valid rule of exactly `n` bytes as JSON: one endpoint and k binaries, which cost 12k - 1
   * bytes and their paths; the paths share the rest, each within the path limit.
   */
  const ruleOfBytes = (n: number) => {
    const shell = {
      endpoints: [{ host: 'a', ports: [1] }],
      binaries: [] as Array<{ path: string }>,
    };
    const rest = n - JSON.stringify(shell).length;
    const k = Math.ceil(rest / (12 + LIMITS.binaryPathBytes));
    const pathBytes = rest - (12 * k - 1);
    const lengths = Array.from(
      { length: k },
      (_, i) => Math.floor(pathBytes / k) + (i < pathBytes % k ? 1 : 0),
    );
    return { ...shell, binaries: lengths.map((len) => ({ path: `/${'p'.repeat(len - 1)}` })) };
  };

  it.each([
    [
      'ports of an endpoint',
      LIMITS.networkEndpointPorts,
      (n: number) => oneEndpoint({ host: 'a', ports: ports(n) }),
      'body.policy.networkPolicies.web.endpoints.0.ports',
    ],
    [
      'endpoints of a rule',
      LIMITS.networkRuleEndpoints,
      (n: number) => policyWith({ web: { endpoints: endpoints(n) } }),
      'body.policy.networkPolicies.web.endpoints',
    ],
    [
      'binaries of a rule',
      LIMITS.networkRuleBinaries,
      (n: number) => policyWith({ web: { endpoints: endpoints(1), binaries: binaries(n) } }),
      'body.policy.networkPolicies.web.binaries',
    ],
    [
      'characters of a host',
      LIMITS.networkHostLength,
      (n: number) => hostPolicy(hostOf(n)),
      'body.policy.networkPolicies.web.endpoints.0.host',
    ],
    [
      'bytes of a binary path',
      LIMITS.binaryPathBytes,
      (n: number) =>
        policyWith({ web: { endpoints: endpoints(1), binaries: [{ path: pathOfBytes(n) }] } }),
      'body.policy.networkPolicies.web.binaries.0.path',
    ],
  ])('%s: %i pass, one more is refused naming the field', (_, limit, bodyOf, field) => {
    expect(violations(PolicyBody, bodyOf(limit))).toEqual([]);
    expect(fields(PolicyBody, bodyOf(limit + 1))).toEqual([field]);
  });

  it('a host of the limit passes with a trailing dot, and its length is checked without it', () => {
    expect(hostOf(LIMITS.networkHostLength)).toHaveLength(LIMITS.networkHostLength);
    expect(violations(PolicyBody, hostPolicy(`${hostOf(LIMITS.networkHostLength)}.`))).toEqual([]);
  });

  it(`a rule sent on its own: ${LIMITS.networkRuleBytes} bytes as JSON pass, one more is refused`, () => {
    // arrange
    const atLimit = ruleOfBytes(LIMITS.networkRuleBytes);
    const over = ruleOfBytes(LIMITS.networkRuleBytes + 1);
    // act
    const ok = violations(proposedRule, atLimit);
    const refused = violations(proposedRule, over);
    // assert
    expect(JSON.stringify(atLimit)).toHaveLength(LIMITS.networkRuleBytes);
    expect(JSON.stringify(over)).toHaveLength(LIMITS.networkRuleBytes + 1);
    expect(ok).toEqual([]);
    expect(refused).toEqual([
      { field: 'body', message: `is at most ${LIMITS.networkRuleBytes} bytes as JSON` },
    ]);
  });

  it('a policy whose stored spelling outgrows the policy limit is refused', () => {
    // arrange: `1::1:1:1:1:1:1` is stored as the one character longer `1:0:1:1:1:1:1:1`
    const rule = { endpoints: [{ host: '1::1:1:1:1:1:1', ports: [1] }] };
    const shell = { networkPolicies: { web: rule }, pad: '' };
    const policy = { ...shell, pad: 'x'.repeat(LIMITS.policyBytes - JSON.stringify(shell).length) };
    // act
    const out = violations(PolicyBody, { policy });
    // assert
    expect(JSON.stringify(policy)).toHaveLength(LIMITS.policyBytes);
    expect(out).toEqual([
      { field: 'body.policy', message: `is at most ${LIMITS.policyBytes} bytes as JSON` },
    ]);
  });
});

describe('a merge body', () => {
  const add = (ruleName: string, rule: unknown) => ({ op: 'addRule', ruleName, rule });
  const aRule = { endpoints: [{ host: 'a.com', ports: [443] }] };

  it('takes every operation of SPEC §7.2 and the preconditions', () => {
    // arrange
    const body = {
      operations: [
        add('web', { ...aRule, binaries: [{ path: '/bin/curl' }] }),
        { op: 'removeRule', ruleName: 'old' },
        { op: 'removeEndpoint', ruleName: 'web', host: 'a.com', port: 80 },
        { op: 'removeEndpoint', host: '*.example.com', port: 443 },
        { op: 'removeBinary', ruleName: 'web', path: '/bin/wget' },
      ],
      expectedPolicyVersion: 3,
      expectedResourceVersion: 7,
    };
    // act
    const out = PolicyMergeBody.safeParse(body);
    // assert
    expect(out).toEqual({ success: true, data: body });
  });

  it.each([
    ['no operations', { operations: [] }, 'body.operations'],
    ['no operations member', {}, 'body.operations'],
    [
      `more than ${LIMITS.mergeOperations} operations`,
      {
        operations: Array.from({ length: LIMITS.mergeOperations + 1 }, () => ({
          op: 'removeRule',
          ruleName: 'x',
        })),
      },
      'body.operations',
    ],
    [
      'an unknown op',
      { operations: [{ op: 'replaceRule', ruleName: 'x' }] },
      'body.operations.0.op',
    ],
    [
      'an unknown member',
      { operations: [{ op: 'removeRule', ruleName: 'x', force: true }] },
      'body.operations.0',
    ],
    [
      'an unknown member of the body',
      { operations: [{ op: 'removeRule', ruleName: 'x' }], dryRun: true },
      'body',
    ],
    [
      'a negative expectedPolicyVersion',
      { operations: [{ op: 'removeRule', ruleName: 'x' }], expectedPolicyVersion: -1 },
      'body.expectedPolicyVersion',
    ],
    [
      'a fractional expectedPolicyVersion',
      { operations: [{ op: 'removeRule', ruleName: 'x' }], expectedPolicyVersion: 1.5 },
      'body.expectedPolicyVersion',
    ],
    [
      'a reserved rule name',
      { operations: [add('_provider_x', aRule)] },
      'body.operations.0.ruleName',
    ],
    [
      '__proto__ as a rule name',
      { operations: [{ op: 'removeRule', ruleName: '__proto__' }] },
      'body.operations.0.ruleName',
    ],
    [
      'an addRule without a rule',
      { operations: [{ op: 'addRule', ruleName: 'x' }] },
      'body.operations.0.rule',
    ],
    [
      'an addRule with a bad port',
      { operations: [add('x', { endpoints: [{ host: 'a', ports: [1, 0] }] })] },
      'body.operations.0.rule.endpoints.0.ports.1',
    ],
    [
      'an addRule for localhost',
      { operations: [add('x', { endpoints: [{ host: 'localhost', ports: [1] }] })] },
      'body.operations.0.rule.endpoints.0.host',
    ],
    [
      'a removeEndpoint without a host',
      { operations: [{ op: 'removeEndpoint', port: 1 }] },
      'body.operations.0.host',
    ],
    [
      'a removeEndpoint of a malformed host',
      { operations: [{ op: 'removeEndpoint', host: 'a..b', port: 1 }] },
      'body.operations.0.host',
    ],
    [
      'a removeEndpoint of port 0',
      { operations: [{ op: 'removeEndpoint', host: 'a', port: 0 }] },
      'body.operations.0.port',
    ],
    [
      'a removeBinary of a relative path',
      { operations: [{ op: 'removeBinary', ruleName: 'x', path: 'curl' }] },
      'body.operations.0.path',
    ],
    [
      'a removeBinary without a rule name',
      { operations: [{ op: 'removeBinary', path: '/bin/curl' }] },
      'body.operations.0.ruleName',
    ],
  ])('is refused for %s, naming the field', (_, body, field) => {
    expect(fields(PolicyMergeBody, body)).toEqual([field]);
  });

  it(`takes ${LIMITS.mergeOperations} operations`, () => {
    const operations = Array.from({ length: LIMITS.mergeOperations }, () => ({
      op: 'removeRule',
      ruleName: 'x',
    }));
    expect(violations(PolicyMergeBody, { operations })).toEqual([]);
  });

  it('takes a removeEndpoint of a refused destination: removing only narrows', () => {
    expect(
      violations(PolicyMergeBody, {
        operations: [{ op: 'removeEndpoint', host: 'localhost', port: 80 }],
      }),
    ).toEqual([]);
  });
});
