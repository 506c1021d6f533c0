import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Access, NetworkRule, PolicyOperation, Protocol } from '#lib/domain/inputs.ts';
import { LIMITS } from '#lib/domain/limits.ts';
import {
  ACCESS_LEVELS,
  applyOperations,
  assertWithinLimits,
  composePolicy,
  elementKey,
  type GrantedRule,
  grantsElement,
  normalizePolicy,
  normalizeRule,
  type Policy,
  PROTOCOLS,
  policyElements,
  ruleElements,
  unionElements,
} from '#lib/domain/network-rules.ts';
import { FailedPrecondition, InvalidArgument } from '#lib/errors.ts';

/** `value` frozen at every depth, so that any write to it throws. */
function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}

const endpoint = (host: string, ports: number[], protocol?: Protocol, access?: Access) => ({
  host,
  ports,
  ...(protocol ? { protocol } : {}),
  ...(access ? { access } : {}),
});
const rule = (endpoints: NetworkRule['endpoints'], binaries?: string[]): NetworkRule => ({
  endpoints,
  ...(binaries ? { binaries: binaries.map((path) => ({ path })) } : {}),
});
const addRule = (ruleName: string, r: NetworkRule): PolicyOperation => ({
  op: 'addRule',
  ruleName,
  rule: r,
});
const rulesOf = (policy: Policy) => policy.networkPolicies as Record<string, NetworkRule>;

/** What `fn` threw. */
function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  throw new Error('did not throw');
}

describe('addRule', () => {
  it('creates the rule in a policy without rules, in the stored spelling, other members as they were', () => {
    // arrange
    const policy = { filesystem: { readOnly: ['/etc'] }, version: 2 };
    // act
    const out = applyOperations(policy, [
      addRule(
        'web',
        rule([endpoint('API.Example.com.', [443, 80, 443], 'tcp', 'full')], ['/usr/bin/curl']),
      ),
    ]);
    // assert
    expect(out).toEqual({
      filesystem: { readOnly: ['/etc'] },
      version: 2,
      networkPolicies: {
        web: {
          endpoints: [{ host: 'api.example.com', ports: [80, 443] }],
          binaries: [{ path: '/usr/bin/curl' }],
        },
      },
    });
    expect(out.filesystem).toBe(policy.filesystem);
  });

  it('unions the ports of an endpoint with the same host and protocol, sorted', () => {
    // arrange
    const policy = { networkPolicies: { web: rule([endpoint('a.com', [8080, 443])]) } };
    // act
    const out = applyOperations(policy, [addRule('web', rule([endpoint('a.com', [80, 443])]))]);
    // assert
    expect(rulesOf(out).web).toEqual({ endpoints: [{ host: 'a.com', ports: [80, 443, 8080] }] });
  });

  it.each([
    ['read-only', 'read-only', 'read-only'],
    ['read-only', 'read-write', 'read-write'],
    ['read-write', 'read-only', 'read-write'],
    ['read-only', 'full', 'full'],
    ['full', 'read-only', 'full'],
    ['read-write', 'full', 'full'],
  ] as const)('keeps the broader access: %s merged with %s is %s', (existing, incoming, kept) => {
    // arrange
    const policy = { networkPolicies: { web: rule([endpoint('a.com', [443], 'rest', existing)]) } };
    // act
    const out = applyOperations(policy, [
      addRule('web', rule([endpoint('a.com', [80], 'rest', incoming)])),
    ]);
    // assert
    const [merged] = rulesOf(out).web!.endpoints;
    expect(merged).toEqual({
      host: 'a.com',
      ports: [80, 443],
      protocol: 'rest',
      ...(kept === 'full' ? {} : { access: kept }),
    });
  });

  it('appends an endpoint of another host, or of the same host with another protocol', () => {
    // arrange
    const policy = { networkPolicies: { web: rule([endpoint('a.com', [443])]) } };
    // act
    const out = applyOperations(policy, [
      addRule('web', rule([endpoint('b.com', [443]), endpoint('a.com', [443], 'grpc')])),
    ]);
    // assert
    expect(rulesOf(out).web!.endpoints).toEqual([
      { host: 'a.com', ports: [443] },
      { host: 'b.com', ports: [443] },
      { host: 'a.com', ports: [443], protocol: 'grpc' },
    ]);
  });

  it('merges hosts that differ only in case and a trailing dot', () => {
    // arrange
    const policy = { networkPolicies: { web: rule([endpoint('api.example.com', [443])]) } };
    // act
    const out = applyOperations(policy, [
      addRule('web', rule([endpoint('API.EXAMPLE.com.', [8443])])),
    ]);
    // assert
    expect(rulesOf(out).web!.endpoints).toEqual([{ host: 'api.example.com', ports: [443, 8443] }]);
  });

  it('merges a wildcard host with its own spelling only, never with a name it matches', () => {
    // arrange
    const policy = { networkPolicies: { web: rule([endpoint('*.example.com', [443])]) } };
    // act
    const out = applyOperations(policy, [
      addRule('web', rule([endpoint('*.Example.COM.', [80]), endpoint('api.example.com', [22])])),
    ]);
    // assert
    expect(rulesOf(out).web!.endpoints).toEqual([
      { host: '*.example.com', ports: [80, 443] },
      { host: 'api.example.com', ports: [22] },
    ]);
  });

  it('merges IPv6 literals in any spelling', () => {
    // arrange
    const policy = { networkPolicies: { v6: rule([endpoint('2001:db8::1', [443])]) } };
    // act
    const out = applyOperations(policy, [
      addRule('v6', rule([endpoint('[2001:DB8:0:0:0:0:0:1]', [80])])),
    ]);
    // assert
    expect(rulesOf(out).v6!.endpoints).toEqual([{ host: '2001:db8::1', ports: [80, 443] }]);
  });

  it('unions binaries, keeping the order they came in', () => {
    // arrange
    const policy = { networkPolicies: { web: rule([endpoint('a.com', [443])], ['/bin/b']) } };
    // act
    const out = applyOperations(policy, [
      addRule('web', rule([endpoint('a.com', [443])], ['/bin/a', '/bin/b', '/bin/a'])),
    ]);
    // assert
    expect(rulesOf(out).web!.binaries).toEqual([{ path: '/bin/b' }, { path: '/bin/a' }]);
  });

  it('keeps a rule that allows any binary allowing any binary', () => {
    // arrange
    const policy = { networkPolicies: { web: rule([endpoint('a.com', [443])]) } };
    // act
    const out = applyOperations(policy, [
      addRule('web', rule([endpoint('b.com', [443])], ['/bin/curl'])),
    ]);
    // assert
    expect(rulesOf(out).web).not.toHaveProperty('binaries');
    expect(grantsElement(out, elementKey.binary('web', '/bin/anything'))).toBe(true);
  });

  it.each([
    ['absent', undefined],
    ['empty', []],
  ])('makes a rule allow any binary when the incoming rule has %s binaries', (_, binaries) => {
    // arrange
    const policy = { networkPolicies: { web: rule([endpoint('a.com', [443])], ['/bin/curl']) } };
    // act
    const out = applyOperations(policy, [
      addRule('web', rule([endpoint('a.com', [443])], binaries)),
    ]);
    // assert
    expect(rulesOf(out).web).toEqual({ endpoints: [{ host: 'a.com', ports: [443] }] });
  });

  it('refuses a merge that grows an endpoint past its ports, naming the operation', () => {
    // arrange
    const ports = (from: number, n: number) => Array.from({ length: n }, (_, i) => from + i);
    const policy = { networkPolicies: { web: rule([endpoint('a.com', ports(1000, 20))]) } };
    // act
    const err = thrown(() =>
      applyOperations(policy, [
        addRule('web', rule([endpoint('a.com', ports(2000, LIMITS.networkEndpointPorts - 20))])),
        addRule('web', rule([endpoint('a.com', [1])])),
      ]),
    );
    // assert
    expect(err).toBeInstanceOf(InvalidArgument);
    expect((err as InvalidArgument).errors).toEqual([
      {
        field: 'body.operations.1.rule',
        message: `would give the tcp endpoint a.com ${LIMITS.networkEndpointPorts + 1} ports; an endpoint has at most ${LIMITS.networkEndpointPorts}`,
      },
    ]);
  });

  it('refuses a merge that grows a rule past its endpoints or binaries', () => {
    // arrange
    const many = (n: number) => Array.from({ length: n }, (_, i) => endpoint(`h${i}.com`, [443]));
    const paths = (n: number, tag: string) => Array.from({ length: n }, (_, i) => `/${tag}${i}`);
    const policy = {
      networkPolicies: {
        web: rule(many(LIMITS.networkRuleEndpoints)),
        bin: rule([endpoint('a.com', [1])], paths(LIMITS.networkRuleBinaries, 'a')),
      },
    };
    // act
    const endpoints = thrown(() =>
      applyOperations(policy, [addRule('web', rule([endpoint('new.com', [1])]))]),
    );
    const binaries = thrown(() =>
      applyOperations(policy, [addRule('bin', rule([endpoint('a.com', [1])], ['/b']))]),
    );
    // assert
    expect((endpoints as InvalidArgument).errors[0]!.field).toBe('body.operations.0.rule');
    expect((binaries as InvalidArgument).errors[0]!.message).toMatch(
      `${LIMITS.networkRuleBinaries + 1} binaries`,
    );
  });

  it('refuses a merge whose policy would outgrow the policy limit', () => {
    // arrange
    const policy = { blob: 'x'.repeat(LIMITS.policyBytes - 20) };
    // act
    const err = thrown(() => applyOperations(policy, [addRule('web', rule([endpoint('a', [1])]))]));
    // assert
    expect((err as InvalidArgument).errors).toEqual([
      { field: 'body.operations', message: expect.stringMatching(/^would make the policy/) },
    ]);
  });
});

describe('removeRule', () => {
  it('removes the rule and only it', () => {
    // arrange
    const policy = {
      networkPolicies: { web: rule([endpoint('a.com', [1])]), db: rule([endpoint('b', [2])]) },
    };
    // act
    const out = applyOperations(policy, [{ op: 'removeRule', ruleName: 'web' }]);
    // assert
    expect(out).toEqual({ networkPolicies: { db: rule([endpoint('b', [2])]) } });
  });

  it('does nothing for an absent rule, and adds no networkPolicies to a policy without them', () => {
    // arrange
    const policy = { other: true };
    // act
    const out = applyOperations(policy, [{ op: 'removeRule', ruleName: 'web' }]);
    // assert
    expect(out).toEqual({ other: true });
  });

  it('leaves networkPolicies empty, not absent, when its last rule goes', () => {
    // act
    const out = applyOperations({ networkPolicies: { web: rule([endpoint('a', [1])]) } }, [
      { op: 'removeRule', ruleName: 'web' },
    ]);
    // assert
    expect(out).toEqual({ networkPolicies: {} });
  });
});

describe('removeEndpoint', () => {
  const policy = () => ({
    networkPolicies: {
      web: rule([endpoint('api.example.com', [80, 443]), endpoint('cdn.example.com', [443])]),
      grpc: rule([endpoint('api.example.com', [443], 'grpc'), endpoint('other.org', [443])]),
      only: rule([endpoint('api.example.com', [443])]),
    },
  });

  it('removes the port from the host in the named rule only', () => {
    // act
    const out = applyOperations(policy(), [
      { op: 'removeEndpoint', ruleName: 'web', host: 'api.example.com', port: 443 },
    ]);
    // assert
    expect(rulesOf(out)).toEqual({
      ...policy().networkPolicies,
      web: rule([endpoint('api.example.com', [80]), endpoint('cdn.example.com', [443])]),
    });
  });

  it('removes it from every rule and protocol without a rule name; what is left empty goes', () => {
    // act
    const out = applyOperations(policy(), [
      { op: 'removeEndpoint', host: 'API.example.com.', port: 443 },
    ]);
    // assert
    expect(rulesOf(out)).toEqual({
      web: rule([endpoint('api.example.com', [80]), endpoint('cdn.example.com', [443])]),
      grpc: rule([endpoint('other.org', [443])]),
    });
  });

  it('does nothing for an absent rule, host or port', () => {
    // act
    const out = applyOperations(policy(), [
      { op: 'removeEndpoint', ruleName: 'absent', host: 'api.example.com', port: 443 },
      { op: 'removeEndpoint', host: 'absent.example.com', port: 443 },
      { op: 'removeEndpoint', host: 'api.example.com', port: 22 },
    ]);
    // assert
    expect(out).toEqual(policy());
  });

  it('removes a wildcard endpoint by its own spelling, not by a name it matches', () => {
    // arrange
    const start = { networkPolicies: { web: rule([endpoint('*.example.com', [443])]) } };
    // act
    const byName = applyOperations(start, [
      { op: 'removeEndpoint', host: 'api.example.com', port: 443 },
    ]);
    const byWildcard = applyOperations(start, [
      { op: 'removeEndpoint', host: '*.EXAMPLE.com', port: 443 },
    ]);
    // assert
    expect(byName).toEqual(start);
    expect(byWildcard).toEqual({ networkPolicies: {} });
  });
});

describe('removeBinary', () => {
  const policy = () => ({
    networkPolicies: {
      web: rule([endpoint('a.com', [443])], ['/bin/curl', '/bin/wget']),
      solo: rule([endpoint('b.com', [443])], ['/bin/curl']),
      any: rule([endpoint('c.com', [443])]),
    },
  });

  it('removes the binary from the rule, keeping the others', () => {
    // act
    const out = applyOperations(policy(), [
      { op: 'removeBinary', ruleName: 'web', path: '/bin/curl' },
    ]);
    // assert
    expect(rulesOf(out).web).toEqual(rule([endpoint('a.com', [443])], ['/bin/wget']));
    expect(rulesOf(out).solo).toEqual(policy().networkPolicies.solo);
  });

  it('removes a rule left without binaries rather than letting it allow any binary', () => {
    // act
    const out = applyOperations(policy(), [
      { op: 'removeBinary', ruleName: 'solo', path: '/bin/curl' },
    ]);
    // assert
    expect(Object.keys(rulesOf(out))).toEqual(['web', 'any']);
  });

  it('is a FAILED_PRECONDITION on a rule that allows any binary', () => {
    // act
    const err = thrown(() =>
      applyOperations(policy(), [{ op: 'removeBinary', ruleName: 'any', path: '/bin/curl' }]),
    );
    // assert
    expect(err).toBeInstanceOf(FailedPrecondition);
    expect(err).toMatchObject({
      code: 'FAILED_PRECONDITION',
      details: { ruleName: 'any', path: '/bin/curl', operation: 0 },
    });
  });

  it('does nothing for an absent rule or binary', () => {
    // act
    const out = applyOperations(policy(), [
      { op: 'removeBinary', ruleName: 'absent', path: '/bin/curl' },
      { op: 'removeBinary', ruleName: 'web', path: '/bin/absent' },
    ]);
    // assert
    expect(out).toEqual(policy());
  });
});

describe('applyOperations', () => {
  it('applies the operations in order', () => {
    // act
    const out = applyOperations({}, [
      addRule('web', rule([endpoint('a.com', [80, 443])], ['/bin/curl'])),
      { op: 'removeEndpoint', ruleName: 'web', host: 'a.com', port: 80 },
      addRule('web', rule([endpoint('a.com', [8080])], ['/bin/wget'])),
      { op: 'removeBinary', ruleName: 'web', path: '/bin/curl' },
    ]);
    // assert
    expect(out).toEqual({
      networkPolicies: {
        web: rule([endpoint('a.com', [443, 8080])], ['/bin/wget']),
      },
    });
  });

  it('applies all or none: a later operation that fails leaves nothing of the earlier ones', () => {
    // arrange
    const policy = deepFreeze({ networkPolicies: { any: rule([endpoint('c.com', [443])]) } });
    const before = structuredClone(policy);
    // act
    const err = thrown(() =>
      applyOperations(policy, [
        addRule('web', rule([endpoint('a.com', [443])])),
        { op: 'removeRule', ruleName: 'any' },
        addRule('any', rule([endpoint('c.com', [443])])),
        { op: 'removeBinary', ruleName: 'any', path: '/bin/sh' },
      ]),
    );
    // assert
    expect(err).toBeInstanceOf(FailedPrecondition);
    expect(policy).toEqual(before);
  });

  it('never changes its arguments', () => {
    // arrange: frozen at every depth, so a write would throw
    const policy = deepFreeze({
      keep: { nested: [1, 2] },
      networkPolicies: {
        web: rule([endpoint('a.com', [443], 'rest', 'read-only')], ['/bin/a']),
        other: rule([endpoint('b.com', [80])]),
      },
    });
    const operations = deepFreeze<PolicyOperation[]>([
      addRule('web', rule([endpoint('A.com.', [80], 'rest', 'full')], ['/bin/b'])),
      addRule('new', rule([endpoint('c.com', [1])])),
      { op: 'removeEndpoint', host: 'b.com', port: 80 },
      { op: 'removeBinary', ruleName: 'web', path: '/bin/a' },
    ]);
    const before = structuredClone({ policy, operations });
    // act
    const out = applyOperations(policy, operations);
    // assert
    expect({ policy, operations }).toEqual(before);
    expect(rulesOf(out).web).toEqual(rule([endpoint('a.com', [80, 443], 'rest')], ['/bin/b']));
  });

  it('gives back an equal policy when the operations grant nothing new', () => {
    // arrange
    const policy = normalizePolicy({
      networkPolicies: { web: rule([endpoint('a.com', [80, 443])], ['/bin/curl']) },
    });
    // act
    const out = applyOperations(policy, [
      addRule('web', rule([endpoint('A.com', [443])], ['/bin/curl'])),
      { op: 'removeRule', ruleName: 'absent' },
    ]);
    // assert
    expect(JSON.stringify(out)).toBe(JSON.stringify(policy));
  });

  it.each([
    ['a string', 'allow all'],
    ['a rule without endpoints', { web: { endpoints: [] } }],
    ['an endpoint without a host', { web: { endpoints: [{ ports: [1] }] } }],
    ['a port out of range', { web: { endpoints: [{ host: 'a', ports: [0] }] } }],
  ])('is a FAILED_PRECONDITION on a stored policy whose networkPolicies are %s', (_, value) => {
    // act
    const err = thrown(() =>
      applyOperations({ networkPolicies: value }, [addRule('x', rule([endpoint('a', [1])]))]),
    );
    // assert
    expect(err).toBeInstanceOf(FailedPrecondition);
  });

  it('keeps a rule named like a member of Object.prototype as an own member', () => {
    // act
    const out = applyOperations({}, [
      addRule('constructor', rule([endpoint('a.com', [1])])),
      addRule('tostring', rule([endpoint('b.com', [2])])),
    ]);
    // assert
    expect(Object.keys(rulesOf(out))).toEqual(['constructor', 'tostring']);
    expect(JSON.parse(JSON.stringify(out))).toEqual(out);
  });
});

describe('normalizeRule and normalizePolicy', () => {
  it('fill in nothing and leave out the defaults', () => {
    // act
    const out = normalizeRule(
      rule(
        [endpoint('A.b.', [2, 1, 2], 'tcp', 'full'), endpoint('c', [3], 'rest', 'read-only')],
        [],
      ),
    );
    // assert
    expect(out).toEqual(rule([endpoint('a.b', [1, 2]), endpoint('c', [3], 'rest', 'read-only')]));
  });

  it('leave a policy without networkPolicies as it is', () => {
    expect(normalizePolicy({ a: [1] })).toEqual({ a: [1] });
  });
});

describe('composePolicy', () => {
  const base = () =>
    normalizePolicy({
      note: 'kept',
      networkPolicies: {
        web: rule([endpoint('a.com', [443], 'tcp', 'read-only')], ['/bin/curl']),
      },
    });

  it('is the base itself without approved drafts, and adds no networkPolicies', () => {
    expect(composePolicy(base(), [])).toEqual(base());
    expect(composePolicy({ x: 1 }, [])).toEqual({ x: 1 });
  });

  it('merges each approved rule as addRule does', () => {
    // arrange
    const approved: GrantedRule[] = [
      { ruleName: 'web', rule: rule([endpoint('a.com', [80], 'tcp', 'full')], ['/bin/wget']) },
      { ruleName: 'pypi', rule: rule([endpoint('pypi.org', [443])]) },
    ];
    // act
    const out = composePolicy(base(), approved);
    // assert
    expect(out).toEqual(
      applyOperations(
        base(),
        approved.map((d) => addRule(d.ruleName, d.rule)),
      ),
    );
  });

  it('undo of a draft keeps a binary another approved draft needs', () => {
    // arrange: two drafts need /bin/pip for the same rule
    const d1 = { ruleName: 'pypi', rule: rule([endpoint('pypi.org', [443])], ['/bin/pip']) };
    const d2 = {
      ruleName: 'pypi',
      rule: rule([endpoint('files.pythonhosted.org', [443])], ['/bin/pip']),
    };
    // act
    const undone = composePolicy(base(), [d2]);
    // assert
    expect(grantsElement(undone, elementKey.binary('pypi', '/bin/pip'))).toBe(true);
    expect(grantsElement(undone, elementKey.port('pypi', 'pypi.org', 'tcp', 443))).toBe(false);
    expect(policyElements(composePolicy(base(), [d1, d2]))).toContain(
      elementKey.port('pypi', 'pypi.org', 'tcp', 443),
    );
  });

  it('undo of a draft keeps what the base grants, and narrows the access it broadened', () => {
    // arrange: the draft repeats the base's port with full access and adds one
    const d = { ruleName: 'web', rule: rule([endpoint('a.com', [443, 8443])]) };
    const approved = composePolicy(base(), [d]);
    // act
    const undone = composePolicy(base(), []);
    // assert
    expect(rulesOf(approved).web).toEqual(rule([endpoint('a.com', [443, 8443])]));
    expect(undone).toEqual(base());
  });

  it('an any-binary draft widens the rule, and its undo gives back the listed binaries', () => {
    // arrange
    const d = { ruleName: 'web', rule: rule([endpoint('b.com', [443])]) };
    // act
    const approved = composePolicy(base(), [d]);
    // assert
    expect(policyElements(approved)).toEqual(
      new Set([
        elementKey.port('web', 'a.com', 'tcp', 443),
        elementKey.port('web', 'b.com', 'tcp', 443),
        elementKey.anyBinary('web'),
      ]),
    );
    expect(grantsElement(approved, elementKey.binary('web', '/bin/curl'))).toBe(true);
    expect(policyElements(composePolicy(base(), []))).toContain(
      elementKey.binary('web', '/bin/curl'),
    );
  });

  it('leaves bounds to assertWithinLimits, which names the rule', () => {
    // arrange
    const d = {
      ruleName: 'web',
      rule: rule(
        Array.from({ length: LIMITS.networkRuleEndpoints }, (_, i) => endpoint(`h${i}.com`, [1])),
      ),
    };
    const composed = composePolicy(base(), [d]);
    // act
    const err = thrown(() => assertWithinLimits(composed, 'draft'));
    // assert
    expect((err as InvalidArgument).errors[0]!.field).toBe('draft.networkPolicies.web');
    expect(() => assertWithinLimits(base(), 'body.policy')).not.toThrow();
  });
});

describe('elements', () => {
  it('are one per port and per binary, or any-binary', () => {
    // act
    const elements = ruleElements('web', rule([endpoint('A.com.', [80, 443], 'rest')], ['/b']));
    // assert
    expect(elements).toEqual(new Set(['web|a.com|rest|80', 'web|a.com|rest|443', 'web|binary|/b']));
    expect(ruleElements('web', rule([endpoint('a', [1])]))).toEqual(
      new Set(['web|a|tcp|1', 'web|any-binary']),
    );
  });

  it('union with any-binary absorbing the binaries of its rule only', () => {
    expect(
      unionElements(['web|binary|/a', 'db|binary|/a'], ['web|any-binary', 'web|a|tcp|1']),
    ).toEqual(new Set(['db|binary|/a', 'web|any-binary', 'web|a|tcp|1']));
  });

  it('tell a host named "binary" from a binary', () => {
    // arrange
    const policy = composePolicy({}, [
      { ruleName: 'r', rule: rule([endpoint('binary', [1])], ['/x']) },
    ]);
    // assert
    expect(policyElements(policy)).toEqual(new Set(['r|binary|tcp|1', 'r|binary|/x']));
  });
});

// Properties over small vocabularies, so that rules collide and merge often.

const hostArb = fc.constantFrom('a.com', 'A.com.', 'b.org', '*.b.org', '*.B.org.', '2001:db8::1');
const endpointArb = fc.record(
  {
    host: hostArb,
    ports: fc.uniqueArray(fc.constantFrom(22, 80, 443, 8080, 65535), { minLength: 1 }),
    protocol: fc.constantFrom(...PROTOCOLS),
    access: fc.constantFrom(...ACCESS_LEVELS),
  },
  { requiredKeys: ['host', 'ports'] },
);
const ruleArb: fc.Arbitrary<NetworkRule> = fc.record(
  {
    endpoints: fc.array(endpointArb, { minLength: 1, maxLength: 3 }),
    binaries: fc
      .uniqueArray(fc.constantFrom('/bin/a', '/bin/b', '/bin/c'), { maxLength: 2 })
      .map((paths) => paths.map((path) => ({ path }))),
  },
  { requiredKeys: ['endpoints'] },
);
const ruleNameArb = fc.constantFrom('web', 'db', 'pkg');
const grantArb: fc.Arbitrary<GrantedRule> = fc.record({ ruleName: ruleNameArb, rule: ruleArb });
const baseArb: fc.Arbitrary<Policy> = fc
  .tuple(fc.dictionary(ruleNameArb, ruleArb), fc.boolean())
  .map(([rules, withRules]) => (withRules ? { other: 1, networkPolicies: rules } : { other: 1 }));
const operationArb: fc.Arbitrary<PolicyOperation> = fc.oneof(
  grantArb.map(({ ruleName, rule }) => addRule(ruleName, rule)),
  ruleNameArb.map((ruleName) => ({ op: 'removeRule' as const, ruleName })),
  fc.record(
    {
      op: fc.constant('removeEndpoint' as const),
      ruleName: ruleNameArb,
      host: hostArb,
      port: fc.constantFrom(22, 80, 443),
    },
    { requiredKeys: ['op', 'host', 'port'] },
  ),
  fc.record({
    op: fc.constant('removeBinary' as const),
    ruleName: ruleNameArb,
    path: fc.constantFrom('/bin/a', '/bin/b'),
  }),
);

/** Each endpoint's access by rule, host and protocol: what element sets do not show. */
function accessOf(policy: Policy): Map<string, Access> {
  const out = new Map<string, Access>();
  for (const [name, r] of Object.entries(
    (policy.networkPolicies ?? {}) as Record<string, NetworkRule>,
  )) {
    for (const e of r.endpoints)
      out.set(`${name}|${e.host}|${e.protocol ?? 'tcp'}`, e.access ?? 'full');
  }
  return out;
}

const grantsOf = (base: Policy, drafts: GrantedRule[]) =>
  unionElements(policyElements(base), ...drafts.map((d) => ruleElements(d.ruleName, d.rule)));

describe('properties', () => {
  it('addRule is idempotent', () => {
    fc.assert(
      fc.property(baseArb, grantArb, (base, { ruleName, rule }) => {
        const once = applyOperations(base, [addRule(ruleName, rule)]);
        expect(applyOperations(once, [addRule(ruleName, rule)])).toEqual(once);
      }),
    );
  });

  it('every result is in the stored spelling: normalizing it again changes nothing', () => {
    fc.assert(
      fc.property(baseArb, fc.array(operationArb, { maxLength: 8 }), (base, operations) => {
        let out: Policy;
        try {
          out = applyOperations(base, operations);
        } catch (err) {
          expect(err).toBeInstanceOf(FailedPrecondition);
          return;
        }
        expect(normalizePolicy(out)).toEqual(out);
        for (const r of Object.values(rulesOf(out) ?? {})) {
          for (const e of r.endpoints)
            expect(e.ports).toEqual([...new Set(e.ports)].sort((a, b) => a - b));
        }
      }),
    );
  });

  it('compose grants the same elements and access in any order of the approved drafts', () => {
    fc.assert(
      fc.property(
        baseArb,
        fc
          .array(grantArb, { maxLength: 6 })
          .chain((drafts) =>
            fc.tuple(
              fc.constant(drafts),
              fc.shuffledSubarray(drafts, { minLength: drafts.length }),
            ),
          ),
        (base, [drafts, shuffled]) => {
          const a = composePolicy(base, drafts);
          const b = composePolicy(base, shuffled);
          expect(policyElements(b)).toEqual(policyElements(a));
          expect(accessOf(b)).toEqual(accessOf(a));
        },
      ),
    );
  });

  it('the elements of compose(base, A) are those of base and of each rule of A', () => {
    fc.assert(
      fc.property(baseArb, fc.array(grantArb, { maxLength: 6 }), (base, drafts) => {
        expect(policyElements(composePolicy(base, drafts))).toEqual(grantsOf(base, drafts));
      }),
    );
  });

  it('undoing one draft removes only what it alone granted', () => {
    fc.assert(
      fc.property(
        baseArb,
        fc.array(grantArb, { minLength: 1, maxLength: 6 }),
        fc.nat(),
        (base, drafts, pick) => {
          // arrange
          const index = pick % drafts.length;
          const others = drafts.filter((_, i) => i !== index);
          const before = policyElements(composePolicy(base, drafts));
          // act
          const undone = composePolicy(base, others);
          // assert: everything base and the others grant is still granted…
          for (const e of grantsOf(base, others)) expect(grantsElement(undone, e)).toBe(true);
          // …and what went was the undone draft's
          const own = ruleElements(drafts[index]!.ruleName, drafts[index]!.rule);
          const after = policyElements(undone);
          for (const e of before) if (!after.has(e)) expect(own).toContain(e);
        },
      ),
    );
  });

  it('never changes its arguments', () => {
    fc.assert(
      fc.property(baseArb, fc.array(operationArb, { maxLength: 8 }), (base, operations) => {
        const before = structuredClone({ base, operations });
        try {
          applyOperations(deepFreeze(base), deepFreeze(operations));
        } catch (err) {
          if (!(err instanceof FailedPrecondition)) throw err;
        }
        expect({ base, operations }).toEqual(before);
      }),
    );
  });
});
