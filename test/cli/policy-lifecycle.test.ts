import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { OperationResult } from '#lib/client/types.ts';
import { type CliResult, type CliTestSystem, startCliTestSystem } from '#test/support/cli.ts';

/**
 * The CLI of SPEC §7 over the dev server: the supervisor (`policy:propose`) proposes rules over
 * HTTP, and `shellgate policy drafts …` reviews them; `policy merge`; the global policy.
 */

let t: CliTestSystem;
const files = mkdtempSync(join(tmpdir(), 'shellgate-policy-lifecycle-'));

beforeAll(async () => {
  t = await startCliTestSystem();
});
afterAll(async () => {
  await t?.system.stop();
});

async function ok(args: string[]): Promise<string> {
  const res = await t.cli(args);
  expect(res.stderr, args.join(' ')).toBe('');
  expect(res.code, `${args.join(' ')}\n${res.stderr}`).toBe(0);
  return res.stdout;
}

async function json(args: string[]) {
  return JSON.parse(await ok([...args, '-o', 'json']));
}

/** Runs a command that must fail with `code`; answers its result (nothing on stdout). */
async function fails(args: string[], code: number): Promise<CliResult> {
  const res = await t.cli(args);
  expect(res.code, `${args.join(' ')}\n${res.stderr}`).toBe(code);
  expect(res.stdout).toBe('');
  return res;
}

/** What the in-sandbox supervisor does: submits a draft with its own narrow token. */
async function propose(
  sandbox: string,
  body: Record<string, unknown>,
): Promise<{ status: number; body: OperationResult<'submitPolicyDraft'> }> {
  const res = await fetch(`${t.system.url}/v1/sandboxes/${sandbox}/config/policy/drafts`, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${t.system.supervisorToken}`,
      'content-type': 'application/json',
    },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as OperationResult<'submitPolicyDraft'> };
}

const rule = (host: string, ...ports: number[]) => ({ endpoints: [{ host, ports }] });

async function createSandbox(name: string, spec: Record<string, unknown> = {}) {
  const res = await t.api('POST', '/v1/sandboxes', { name, spec });
  expect(res.status).toBe(201);
}

/** The rows of a table below its header, split into cells. */
const rows = (table: string) =>
  table
    .trimEnd()
    .split('\n')
    .slice(1)
    .map((l) => l.split(/ {2,}/));

/** The policy in force for a sandbox, as `policy get -o json` shows it. */
const policyOf = async (sandbox: string) => (await json(['policy', 'get', sandbox])).policy;

describe('shellgate policy drafts', () => {
  // Steps of one review, in order, over the drafts the supervisor proposed.
  let github: string;
  let pypi: string;

  beforeAll(async () => {
    // arrange: the supervisor proposes two rules, one of them seen twice
    await createSandbox('box');
    const first = await propose('box', {
      ruleName: 'github',
      rule: rule('api.github.com', 443),
      dedupKey: 'github:443',
      hits: 3,
      rationale: 'denied 3 times',
    });
    expect(first.status).toBe(201);
    const again = await propose('box', {
      ruleName: 'github',
      rule: rule('api.github.com', 443),
      dedupKey: 'github:443',
      hits: 2,
    });
    expect([again.status, again.body.hitCount]).toEqual([200, 5]);
    const second = await propose('box', { ruleName: 'pypi', rule: rule('pypi.org', 443) });
    expect(second.status).toBe(201);
    github = first.body.metadata.name;
    pypi = second.body.metadata.name;
  });

  it('list and get: newest first; the supervisor may read, not decide', async () => {
    const [table, listed, approvedOnly, view, asSupervisor, supervisorApproves] = await Promise.all(
      [
        ok(['policy', 'drafts', 'list', 'box']),
        json(['policy', 'drafts', 'list', 'box']),
        t.cli(['policy', 'drafts', 'list', 'box', '--status', 'APPROVED']),
        ok(['policy', 'drafts', 'get', 'box', github]),
        t.cli(['policy', 'drafts', 'list', 'box', '-o', 'json'], {
          env: { SHELLGATE_TOKEN: t.system.supervisorToken },
        }),
        t.cli(['policy', 'drafts', 'approve', 'box', github], {
          env: { SHELLGATE_TOKEN: t.system.supervisorToken },
        }),
      ],
    );
    expect(table.split('\n')[0]).toMatch(
      /^ID +RULE +ENDPOINTS +STATUS +HITS +REVIEW +FIRST SEEN +LAST SEEN$/,
    );
    expect(rows(table).map((r) => r.slice(0, 6))).toEqual([
      [pypi, 'pypi', 'pypi.org:443', 'PENDING', '1', '1'],
      [github, 'github', 'api.github.com:443', 'PENDING', '5', '1'],
    ]);
    expect(rows(table)[0]?.slice(6)).toEqual([expect.stringMatching(/^\d+s$/), expect.any(String)]);
    expect(listed.items.map((d: { metadata: { name: string } }) => d.metadata.name)).toEqual([
      pypi,
      github,
    ]);
    expect([approvedOnly.code, approvedOnly.stdout, approvedOnly.stderr]).toEqual([
      0,
      '',
      'No APPROVED drafts found.\n',
    ]);
    expect(view).toMatch(/^ID: +d[0-9a-f]{23}$/m);
    expect(view).toMatch(/^Rule: +github$/m);
    expect(view).toMatch(/^Endpoints: +api\.github\.com:443 \(tcp, full\)$/m);
    expect(view).toMatch(/^Binaries: +any$/m);
    expect(view).toMatch(/^Status: +PENDING$/m);
    expect(view).toMatch(/^Review version: +1$/m);
    expect(view).toMatch(/^Hits: +5$/m);
    expect(view).toMatch(/^Dedup key: +github:443$/m);
    expect(view).toMatch(/^Rationale: +denied 3 times$/m);
    expect(asSupervisor.code).toBe(0);
    expect(JSON.parse(asSupervisor.stdout).items).toHaveLength(2);
    expect(supervisorApproves.code).toBe(5);
  });

  it('approve, with and without --if-version (a stale one is a conflict); edit', async () => {
    // approve with --if-version: the first revision of the policy
    expect(await ok(['policy', 'drafts', 'approve', 'box', github, '--if-version', '1'])).toBe(
      `✓ Draft ${github} of sandbox box is APPROVED (review version 2); policy revision 1 is PENDING\n`,
    );
    // edit moves the review version, so an approval of the version read before is stale
    expect(
      await ok([
        'policy',
        'drafts',
        'edit',
        'box',
        pypi,
        '--rule',
        JSON.stringify(rule('pypi.org', 443, 8443)),
        '--if-version',
        '1',
      ]),
    ).toBe(`✓ Edited draft ${pypi} of sandbox box (review version 2)\n`);
    const stale = await fails(['policy', 'drafts', 'approve', 'box', pypi, '--if-version', '1'], 4);
    expect(stale.stderr).toBe(
      `Error: draft ${pypi} was changed by another review (current reviewVersion 2).\n`,
    );
    expect((await json(['policy', 'drafts', 'get', 'box', pypi])).status).toBe('PENDING');
    // approve without --if-version: whatever the review version is
    expect(await ok(['policy', 'drafts', 'approve', 'box', pypi])).toBe(
      `✓ Draft ${pypi} of sandbox box is APPROVED (review version 3); policy revision 2 is PENDING\n`,
    );
    // approving an approved draft changes nothing
    expect(await ok(['policy', 'drafts', 'approve', 'box', github])).toBe(
      `✓ Draft ${github} of sandbox box is APPROVED (review version 2); the policy is unchanged\n`,
    );
    expect(await policyOf('box')).toEqual({
      networkPolicies: { github: rule('api.github.com', 443), pypi: rule('pypi.org', 443, 8443) },
    });
  });

  it('undo, reject (of a pending and of an approved draft), history', async () => {
    // undo: PENDING again, its rule leaves the policy; only an approved draft can be undone
    expect(await ok(['policy', 'drafts', 'undo', 'box', github, '--if-version', '2'])).toBe(
      `✓ Draft ${github} of sandbox box is PENDING (review version 3); policy revision 3 is PENDING\n`,
    );
    expect(await policyOf('box')).toEqual({
      networkPolicies: { pypi: rule('pypi.org', 443, 8443) },
    });
    const notApproved = await fails(['policy', 'drafts', 'undo', 'box', github], 4);
    expect(notApproved.stderr).toBe(
      `Error: draft ${github} is PENDING and cannot be undone: only an APPROVED draft can be undone\n`,
    );

    // reject: a pending one leaves the policy alone; an approved one takes its rule back
    expect(await ok(['policy', 'drafts', 'reject', 'box', github, '--reason', 'not needed'])).toBe(
      `✓ Draft ${github} of sandbox box is REJECTED (review version 4); the policy is unchanged\n`,
    );
    expect(await ok(['policy', 'drafts', 'reject', 'box', pypi, '--if-version', '3'])).toBe(
      `✓ Draft ${pypi} of sandbox box is REJECTED (review version 4); policy revision 4 is PENDING\n`,
    );
    expect(await policyOf('box')).toEqual({});

    // history: every event, oldest first, with the revision it made
    const [history, events, rejected, missing] = await Promise.all([
      ok(['policy', 'drafts', 'history', 'box', github]),
      json(['policy', 'drafts', 'history', 'box', pypi]),
      ok(['policy', 'drafts', 'get', 'box', github]),
      t.cli(['policy', 'drafts', 'get', 'box', `d${'0'.repeat(23)}`]),
    ]);
    expect(history.split('\n')[0]).toMatch(/^TYPE +AT +REVIEW +POLICY VERSION +REASON$/);
    expect(rows(history).map(([type, at, ...rest]) => [type, at?.slice(-1), ...rest])).toEqual([
      ['SUBMITTED', 'Z', '1', '-', '-'],
      ['APPROVED', 'Z', '2', '1', '-'],
      ['UNDONE', 'Z', '3', '3', '-'],
      ['REJECTED', 'Z', '4', '-', 'not needed'],
    ]);
    expect(events.items.map((e: { type: string }) => e.type)).toEqual([
      'SUBMITTED',
      'EDITED',
      'APPROVED',
      'REJECTED',
    ]);
    expect(rejected).toMatch(/^Rejection reason: +not needed$/m);
    expect(missing.code).toBe(3);
  });

  it('approve-all: named drafts (stale → nothing changes), then every PENDING one; clear', async () => {
    // arrange
    await createSandbox('many');
    const ids: string[] = [];
    for (const host of ['a.example.com', 'b.example.com', 'c.example.com']) {
      const res = await propose('many', { ruleName: host.split('.')[0], rule: rule(host, 443) });
      ids.push(res.body.metadata.name);
    }
    const [a, b, c] = ids as [string, string, string];

    // a stale draft in the list: 409 ABORTED naming it, and nothing is approved
    const stale = await fails(
      ['policy', 'drafts', 'approve-all', 'many', '--draft', `${a}:1`, '--draft', `${b}:2`],
      4,
    );
    expect(stale.stderr).toBe(
      `Error: draft ${b} was changed by another review (current reviewVersion 1).\n`,
    );
    const approved = await t.cli(['policy', 'drafts', 'list', 'many', '--status', 'APPROVED']);
    expect([approved.code, approved.stdout, approved.stderr]).toEqual([
      0,
      '',
      'No APPROVED drafts found.\n',
    ]);

    // the named ones, then all the PENDING rest, each in one revision
    expect(await ok(['policy', 'drafts', 'approve-all', 'many', '--draft', `${a}:1`])).toBe(
      '✓ Approved 1 draft of sandbox many; policy revision 1 is PENDING\n',
    );
    const notPending = await fails(['policy', 'drafts', 'approve-all', 'many', '--draft', a], 4);
    expect(notPending.stderr).toMatch(new RegExp(`^Error: draft ${a} is APPROVED and cannot be`));
    expect(await ok(['policy', 'drafts', 'approve-all', 'many'])).toBe(
      '✓ Approved 2 drafts of sandbox many; policy revision 2 is PENDING\n',
    );
    expect(await ok(['policy', 'drafts', 'approve-all', 'many'])).toBe(
      'No PENDING drafts to approve in sandbox many.\n',
    );
    expect(Object.keys((await policyOf('many')).networkPolicies).sort()).toEqual(['a', 'b', 'c']);

    // clear: the PENDING drafts go, with their history; the approved ones stay
    const d = (await propose('many', { ruleName: 'd', rule: rule('d.example.com', 443) })).body;
    await propose('many', { ruleName: 'e', rule: rule('e.example.com', 443) });
    expect(await ok(['policy', 'drafts', 'clear', 'many'])).toBe(
      '✓ Deleted 2 PENDING drafts of sandbox many\n',
    );
    const [left, history, cleared] = await Promise.all([
      json(['policy', 'drafts', 'list', 'many']),
      t.cli(['policy', 'drafts', 'history', 'many', d.metadata.name]),
      json(['policy', 'drafts', 'clear', 'many']),
    ]);
    expect(
      left.items.map((x: { metadata: { name: string }; status: string }) => [
        x.metadata.name,
        x.status,
      ]),
    ).toEqual([
      [c, 'APPROVED'],
      [b, 'APPROVED'],
      [a, 'APPROVED'],
    ]);
    expect(history.code).toBe(3);
    expect(cleared).toEqual({ deleted: 0 });
  });

  it('submit, as the supervisor does: a new draft, then hits on it', async () => {
    // arrange
    await createSandbox('sub');
    const asSupervisor = { env: { SHELLGATE_TOKEN: t.system.supervisorToken } };
    const args = ['policy', 'drafts', 'submit', 'sub', 'npm', '--dedup-key', 'npm'];
    writeFileSync(join(files, 'npm.json'), JSON.stringify(rule('registry.npmjs.org', 443)));
    // act
    const created = await t.cli([...args, '-f', join(files, 'npm.json')], asSupervisor);
    const hit = await t.cli(
      [...args, '--rule', JSON.stringify(rule('registry.npmjs.org', 443)), '--hits', '4'],
      asSupervisor,
    );
    const both = await t.cli([...args, '--rule', '{}', '-f', join(files, 'npm.json')]);
    // assert
    const id = (await json(['policy', 'drafts', 'list', 'sub'])).items[0].metadata.name;
    expect([created.code, created.stdout]).toEqual([
      0,
      `✓ Submitted draft ${id} of sandbox sub (PENDING)\n`,
    ]);
    expect([hit.code, hit.stdout]).toEqual([
      0,
      `✓ Draft ${id} of sandbox sub has 5 hits (PENDING)\n`,
    ]);
    expect([both.code, both.stderr]).toEqual([
      2,
      'Error: give the rule once: with --rule JSON or with -f FILE\n',
    ]);
  });
});

describe('shellgate policy merge', () => {
  const web = {
    endpoints: [{ host: 'example.com', ports: [80, 443] }],
    binaries: [{ path: '/usr/bin/curl' }, { path: '/usr/bin/wget' }],
  };

  it('adds and removes rules, endpoints and binaries, in the order given', async () => {
    // arrange
    await createSandbox('merge');
    const merge = (...args: string[]) => ok(['policy', 'merge', 'merge', ...args]);

    // act and assert, one revision per merge
    expect(
      await merge(
        '--add-rule',
        `web=${JSON.stringify(web)}`,
        '--add-rule',
        `npm=${JSON.stringify(rule('registry.npmjs.org', 443))}`,
      ),
    ).toBe('✓ Policy revision 1 of sandbox merge is PENDING (sandbox resource version 2)\n');
    expect(await policyOf('merge')).toEqual({
      networkPolicies: { web, npm: rule('registry.npmjs.org', 443) },
    });

    // remove then add keeps the rule; add then remove drops it
    await merge(
      '--remove-rule',
      'npm',
      '--add-rule',
      `npm=${JSON.stringify(rule('registry.npmjs.org', 8443))}`,
    );
    expect((await policyOf('merge')).networkPolicies.npm).toEqual(rule('registry.npmjs.org', 8443));
    expect(
      await merge(
        '--add-rule',
        `npm=${JSON.stringify(rule('registry.npmjs.org', 443))}`,
        '--remove-rule',
        'npm',
      ),
    ).toBe('✓ Policy revision 3 of sandbox merge is PENDING (sandbox resource version 4)\n');
    expect(Object.keys((await policyOf('merge')).networkPolicies)).toEqual(['web']);

    // a port of a rule's endpoint, a binary; then a port of every rule: the emptied rule goes
    await merge('--remove-endpoint', 'web:example.com:80', '--remove-binary', 'web:/usr/bin/wget');
    expect((await policyOf('merge')).networkPolicies.web).toEqual({
      endpoints: [{ host: 'example.com', ports: [443] }],
      binaries: [{ path: '/usr/bin/curl' }],
    });
    await merge('--remove-endpoint', 'example.com:443');
    expect(await policyOf('merge')).toEqual({ networkPolicies: {} });

    // a merge that changes nothing creates no revision
    expect(await merge('--remove-rule', 'nothing')).toBe(
      'Nothing to change: the policy of sandbox merge stays at revision 5 (PENDING).\n',
    );
    expect((await json(['policy', 'revisions', 'merge'])).items).toHaveLength(5);
  });

  it('-f file.json, --if-version, and its refusals', async () => {
    // arrange
    await createSandbox('mfile');
    const file = join(files, 'ops.json');
    writeFileSync(
      file,
      JSON.stringify({ operations: [{ op: 'addRule', ruleName: 'web', rule: web }] }),
    );

    // act
    const applied = await json(['policy', 'merge', 'mfile', '-f', file]);
    const stale = await t.cli([
      'policy',
      'merge',
      'mfile',
      '--remove-rule',
      'web',
      '--if-version',
      '2',
    ]);
    const current = await ok([
      'policy',
      'merge',
      'mfile',
      '--remove-rule',
      'x',
      '--if-version',
      '1',
    ]);
    const [none, malformed, both, local, anyBinary] = await Promise.all([
      t.cli(['policy', 'merge', 'mfile']),
      t.cli(['policy', 'merge', 'mfile', '--remove-endpoint', 'example.com']),
      t.cli(['policy', 'merge', 'mfile', '-f', file, '--remove-rule', 'web']),
      t.cli([
        'policy',
        'merge',
        'mfile',
        '--add-rule',
        `x=${JSON.stringify(rule('localhost', 80))}`,
      ]),
      t.cli([
        'policy',
        'merge',
        'mfile',
        '--add-rule',
        `any=${JSON.stringify(rule('any.example.com', 443))}`,
        '--remove-binary',
        'any:/bin/sh',
      ]),
    ]);

    // assert
    expect(applied.revision.version).toBe(1);
    expect(applied.revision.policy.networkPolicies.web).toEqual(web);
    expect([stale.code, stale.stderr]).toEqual([
      4,
      'Error: the policy of sandbox mfile is at revision 1, not 2.\n',
    ]);
    expect(current).toBe(
      'Nothing to change: the policy of sandbox mfile stays at revision 1 (PENDING).\n',
    );
    expect([none.code, none.stderr]).toEqual([
      2,
      'Error: give at least one operation: --add-rule, --remove-rule, --remove-endpoint, --remove-binary, or -f FILE\n',
    ]);
    expect([malformed.code, malformed.stderr]).toEqual([
      2,
      'Error: --remove-endpoint takes [RULE:]HOST:PORT (an IPv6 host in brackets), got "example.com"\n',
    ]);
    expect([both.code, both.stderr]).toEqual([
      2,
      'Error: give the operations as flags or with -f FILE, not both\n',
    ]);
    expect(local.code).toBe(2);
    expect(local.stderr).toMatch(
      /^Error: the request is invalid:\n {2}body\.operations\.0\.rule\.endpoints\.0\.host: is a loopback name/,
    );
    expect([anyBinary.code, anyBinary.stderr]).toEqual([
      4,
      'Error: Rule any allows any binary: there is no binary /bin/sh to remove from it.\n',
    ]);
    expect((await json(['policy', 'revisions', 'mfile'])).items).toHaveLength(1);
  });
});

describe('shellgate policy --global', () => {
  const corp = { networkPolicies: { corp: rule('proxy.corp.example', 3128) } };

  it('set, get, revisions and delete; while in force, sandbox policy writes fail', async () => {
    // arrange: a sandbox with a policy of its own and a pending draft
    await createSandbox('gbox', { policy: { own: true } });
    const draft = (await propose('gbox', { ruleName: 'gh', rule: rule('github.com', 443) })).body;
    const none = await fails(['policy', 'get', '--global'], 3);
    expect(none.stderr).toBe('Error: the global policy does not exist.\n');

    // set
    expect(await ok(['policy', 'set', '--global', '--policy', JSON.stringify(corp)])).toBe(
      '✓ Global policy revision 1 is in force for every sandbox (resource version 1)\n',
    );

    // the sandbox's policy writes are refused while it is in force
    const refusals = await Promise.all([
      fails(['policy', 'set', 'gbox', '{"own":false}'], 4),
      fails(
        ['policy', 'merge', 'gbox', '--add-rule', `gh=${JSON.stringify(rule('github.com', 443))}`],
        4,
      ),
      fails(['policy', 'drafts', 'approve', 'gbox', draft.metadata.name], 4),
      fails(['policy', 'drafts', 'approve-all', 'gbox'], 4),
    ]);
    for (const r of refusals) expect(r.stderr).toBe('Error: policy is managed globally\n');

    // get: the global policy, and a sandbox's config shows it as its policy
    const [view, global, sandboxView, sandboxConfig] = await Promise.all([
      ok(['policy', 'get', '--global']),
      json(['policy', 'get', '--global']),
      ok(['policy', 'get', 'gbox']),
      json(['policy', 'get', 'gbox']),
    ]);
    expect(view).toMatch(/^Global policy version: +1$/m);
    expect(view).toMatch(/^Resource version: +1$/m);
    expect(view).toContain('"host": "proxy.corp.example"');
    expect(global).toEqual({ metadata: expect.any(Object), policy: corp, version: 1 });
    expect(sandboxView).toMatch(
      /^Policy source: +GLOBAL \(the global policy is in force: shellgate policy get --global\)$/m,
    );
    expect(sandboxView).toContain('"proxy.corp.example"');
    expect(sandboxConfig.policySource).toBe('GLOBAL');
    expect(sandboxConfig.policy).toEqual(corp);

    // set again from a file, client-driven; a stale version is a conflict
    const file = join(files, 'global.json');
    writeFileSync(file, JSON.stringify({ allow: ['*'] }));
    expect(await ok(['policy', 'set', '--global', '-f', file, '--if-version', '1'])).toBe(
      '✓ Global policy revision 2 is in force for every sandbox (resource version 2)\n',
    );
    const stale = await fails(['policy', 'set', '--global', '-f', file, '--if-version', '1'], 4);
    expect(stale.stderr).toBe('Error: the latest global policy revision is 2, not 1\n');
    const revisions = await ok(['policy', 'revisions', '--global']);
    expect(revisions.split('\n')[0]).toMatch(/^VERSION +STATUS +HASH +RESOURCE VERSION +AGE$/);
    expect(rows(revisions).map((r) => r.slice(0, 2))).toEqual([
      ['2', 'LOADED'],
      ['1', 'SUPERSEDED'],
    ]);

    // delete lifts it: the sandbox's own policy applies and may be written again
    await fails(['policy', 'delete', '--global', '--if-version', '1'], 4);
    expect(await ok(['policy', 'delete', '--global'])).toBe(
      '✓ Lifted the global policy (revision 2 is SUPERSEDED): every sandbox uses its own policy\n',
    );
    await fails(['policy', 'get', '--global'], 3);
    expect(await ok(['policy', 'get', 'gbox'])).toMatch(/^Policy source: +SANDBOX$/m);
    expect((await json(['policy', 'get', 'gbox'])).policy).toEqual({ own: true });
    expect(await ok(['policy', 'set', 'gbox', '{"own":false}'])).toMatch(
      /^✓ Policy revision 2 of sandbox gbox is PENDING/,
    );
  });

  it('refuses a command line that names neither or both of a sandbox and --global', async () => {
    const results = await Promise.all([
      t.cli(['policy', 'get']),
      t.cli(['policy', 'get', 'gbox', '--global']),
      t.cli(['policy', 'set', '--global']),
      t.cli(['policy', 'set', '--global', '{}']),
      t.cli(['policy', 'set', 'gbox', '{}', '--policy', '{}']),
      t.cli(['policy', 'delete']),
      t.cli(['policy', 'revisions']),
    ]);
    expect(results.map((r) => [r.code, r.stdout, r.stderr])).toEqual([
      [2, '', 'Error: give a sandbox, or --global for the global policy\n'],
      [2, '', 'Error: give a sandbox or --global, not both (got sandbox "gbox")\n'],
      [
        2,
        '',
        'Error: give the policy to set: as an argument (JSON, @file or -), with -f FILE or with --policy JSON\n',
      ],
      [
        2,
        '',
        'Error: --global sets the global policy: give no sandbox, and the policy with -f FILE or --policy JSON\n',
      ],
      [
        2,
        '',
        'Error: give the policy once: as an argument (JSON, @file or -), with -f FILE or with --policy JSON\n',
      ],
      [
        2,
        '',
        "Error: policy delete lifts the global policy and needs --global; a sandbox's policy is replaced with policy set or policy merge\n",
      ],
      [2, '', 'Error: give a sandbox, or --global for the global policy\n'],
    ]);
  });
});

describe('shellgate settings get --sandbox', () => {
  it('shows the effective settings with their scope: the global ones win', async () => {
    // arrange: a sandbox key, then the same key and another set globally
    await createSandbox('eff');
    await ok(['settings', 'set', 'level', '3', '--sandbox', 'eff']);
    await ok(['settings', 'set', 'verbose', 'true', '--sandbox', 'eff']);
    await ok(['settings', 'set', 'level', '5', '--global']);
    await ok(['settings', 'set', 'mode', 'strict', '--global']);
    try {
      // act
      const [view, own, config, refused] = await Promise.all([
        ok(['settings', 'get', '--sandbox', 'eff']),
        json(['settings', 'get', '--sandbox', 'eff']),
        json(['policy', 'get', 'eff']),
        t.cli(['settings', 'set', 'mode', 'lax', '--sandbox', 'eff']),
      ]);
      // assert
      expect(view).toMatch(/^Resource version: +3$/m);
      const table = view.slice(view.indexOf('KEY'), view.indexOf('\n\nOverridden'));
      expect(table.split('\n')[0]).toMatch(/^KEY +VALUE +TYPE +SCOPE$/);
      expect(rows(table).sort()).toEqual([
        ['level', '5', 'integer', 'GLOBAL'],
        ['mode', 'strict', 'string', 'GLOBAL'],
        ['verbose', 'true', 'boolean', 'SANDBOX'],
      ]);
      expect(view).toMatch(
        /\n\nOverridden by the global settings \(the sandbox's own values\): level=3\n$/,
      );
      expect(own).toEqual({ settings: { level: 3, verbose: true }, resourceVersion: 3 });
      expect(config.effectiveSettings).toEqual({
        level: { value: 5, scope: 'GLOBAL' },
        verbose: { value: true, scope: 'SANDBOX' },
        mode: { value: 'strict', scope: 'GLOBAL' },
      });
      expect([refused.code, refused.stderr]).toEqual([
        4,
        'Error: setting mode is set globally; the global value applies to sandbox eff\n',
      ]);
    } finally {
      await ok(['settings', 'delete', 'level', '--global']);
      await ok(['settings', 'delete', 'mode', '--global']);
    }
  });
});
