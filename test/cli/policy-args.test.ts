import { describe, expect, it } from 'vitest';
import { namedDraft } from '../../cli/commands/drafts.ts';
import {
  addRuleOperation,
  removeBinaryOperation,
  removeEndpointOperation,
} from '../../cli/commands/policy-merge.ts';

/** How `policy merge` and `policy drafts approve-all` read their flags; no server needed. */

describe('policy merge flags', () => {
  it('--remove-endpoint [RULE:]HOST:PORT, an IPv6 host in brackets', () => {
    const cases: Array<[string, unknown]> = [
      ['api.github.com:443', { op: 'removeEndpoint', host: 'api.github.com', port: 443 }],
      [
        'gh:api.github.com:443',
        { op: 'removeEndpoint', ruleName: 'gh', host: 'api.github.com', port: 443 },
      ],
      ['*.npmjs.org:80', { op: 'removeEndpoint', host: '*.npmjs.org', port: 80 }],
      ['[2001:db8::1]:443', { op: 'removeEndpoint', host: '2001:db8::1', port: 443 }],
      [
        'v6:[2001:db8::1]:8443',
        { op: 'removeEndpoint', ruleName: 'v6', host: '2001:db8::1', port: 8443 },
      ],
    ];
    for (const [raw, op] of cases) expect(removeEndpointOperation(raw), raw).toEqual(op);
    for (const raw of [
      'api.github.com',
      '2001:db8::1:443',
      'a:b:c:443',
      ':443',
      'host:port',
      'h:123456',
    ]) {
      expect(() => removeEndpointOperation(raw), raw).toThrow(/takes \[RULE:\]HOST:PORT/);
    }
  });

  it('--remove-binary RULE:PATH and --add-rule NAME=RULE', () => {
    expect(removeBinaryOperation('web:/usr/bin/curl')).toEqual({
      op: 'removeBinary',
      ruleName: 'web',
      path: '/usr/bin/curl',
    });
    for (const raw of ['/usr/bin/curl', 'web:', ':/bin/sh']) {
      expect(() => removeBinaryOperation(raw), raw).toThrow(/takes RULE:PATH/);
    }
    const rule = { endpoints: [{ host: 'example.com', ports: [443] }] };
    expect(addRuleOperation(`web=${JSON.stringify(rule)}`)).toEqual({
      op: 'addRule',
      ruleName: 'web',
      rule,
    });
    expect(() => addRuleOperation(JSON.stringify(rule))).toThrow(/takes NAME=<JSON rule>/);
    expect(() => addRuleOperation('web=[1]')).toThrow('--add-rule web: must be a JSON object');
  });
});

describe('policy drafts approve-all --draft', () => {
  it('ID[:REVIEWVERSION]', () => {
    const id = `d${'a'.repeat(23)}`;
    expect(namedDraft(id)).toEqual({ id });
    expect(namedDraft(`${id}:3`)).toEqual({ id, expectedReviewVersion: 3 });
    for (const raw of [`${id}:`, `${id}:x`, `:3`, `${id}:1:2`]) {
      expect(() => namedDraft(raw), raw).toThrow(/takes ID\[:REVIEWVERSION\]/);
    }
  });
});
