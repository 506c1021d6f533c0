import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CliTestSystem, startCliTestSystem } from '#test/support/cli.ts';

let t: CliTestSystem;

beforeAll(async () => {
  t = await startCliTestSystem();
});
afterAll(async () => {
  await t?.system.stop();
});

/** Runs a command that must succeed and answers its standard output. */
async function ok(args: string[]): Promise<string> {
  const res = await t.cli(args);
  expect(res.stderr, args.join(' ')).toBe('');
  expect(res.code, `${args.join(' ')}\n${res.stderr}`).toBe(0);
  return res.stdout;
}

/** Runs a command with `-o json` and answers the parsed output. */
async function json(args: string[]) {
  return JSON.parse(await ok([...args, '-o', 'json']));
}

describe('shellgate provider', () => {
  it('create, get, list, update, delete', async () => {
    // create
    expect(
      await ok([
        'provider',
        'create',
        'openai',
        '--type',
        'openai',
        '--credential',
        'API_KEY=sk-1',
      ]),
    ).toBe('✓ Created provider openai (resource version 1)\n');
    // a bare KEY reads the secret from the environment
    const fromEnv = await t.cli(
      ['provider', 'create', 'gh', '--type', 'github', '--credential', 'GH_TOKEN', '-o', 'json'],
      { env: { GH_TOKEN: 'ghp-secret' } },
    );
    expect(fromEnv.code).toBe(0);
    expect(JSON.parse(fromEnv.stdout).credentials).toEqual({ GH_TOKEN: 'REDACTED' });

    // get and list (read-only, run together)
    const [view, got, table, list, page] = await Promise.all([
      ok(['provider', 'get', 'openai']),
      json(['provider', 'get', 'openai']),
      ok(['provider', 'list']),
      json(['provider', 'list']),
      json(['provider', 'list', '--page-size', '1']),
    ]);
    // get: a key/value view with the resource version; never the secret
    expect(view).toMatch(/^Name: +openai$/m);
    expect(view).toMatch(/^Type: +openai$/m);
    expect(view).toMatch(/^Resource version: +1$/m);
    expect(view).not.toContain('sk-1');
    expect(got.metadata.resourceVersion).toBe(1);
    // list: a table; -o json is the API's list
    const rows = table.split('\n');
    expect(rows[0]).toMatch(/^NAME +TYPE +CREDENTIALS +CONFIG +VERSION +AGE$/);
    expect(rows.slice(1, 3).map((l) => l.split(/ +/)[0])).toEqual(['gh', 'openai']);
    expect(list.items.map((p: { metadata: { name: string } }) => p.metadata.name)).toEqual([
      'gh',
      'openai',
    ]);
    expect(page.items).toHaveLength(1);
    expect(page.nextPageToken).toEqual(expect.any(String));

    // update: merge, delete a key, client-driven with --if-version
    expect(
      await ok(['provider', 'update', 'openai', '--config', 'region=eu', '--if-version', '1']),
    ).toBe('✓ Updated provider openai (resource version 2)\n');
    const stale = await t.cli([
      'provider',
      'update',
      'openai',
      '--config',
      'x=1',
      '--if-version',
      '1',
    ]);
    expect(stale.code).toBe(4);
    expect(stale.stderr).toMatch(/^Error: .*modified by another operation.*2/);
    const updated = await json(['provider', 'update', 'openai', '--delete-config', 'region']);
    expect(updated.config).toEqual({});
    expect(updated.metadata.resourceVersion).toBe(3);

    // delete
    expect(await ok(['provider', 'delete', 'gh'])).toBe('✓ Deleted provider gh\n');
    expect((await t.cli(['provider', 'get', 'gh'])).code).toBe(3);
  });
});

describe('shellgate sandbox', () => {
  it('create, get, list with a selector, status set, delete', async () => {
    // arrange
    await ok(['provider', 'create', 'p1', '--type', 'github', '--credential', 'T=1']);
    // create
    expect(
      await ok([
        'sandbox',
        'create',
        'dev',
        '--image',
        'ubuntu:24.04',
        '--provider',
        'p1',
        '--label',
        'team=ml',
        '--env',
        'FOO=bar',
        '--policy',
        '{"network":"deny"}',
      ]),
    ).toBe('✓ Created sandbox dev (phase PROVISIONING, resource version 1)\n');
    await ok(['sandbox', 'create', 'other', '--image', 'alpine', '--label', 'team=web']);

    const [view, selected, all, empty] = await Promise.all([
      ok(['sandbox', 'get', 'dev']),
      ok(['sandbox', 'list', '--selector', 'team=ml']),
      json(['sandbox', 'list']),
      t.cli(['sandbox', 'list', '-l', 'team=none']),
    ]);
    // get
    expect(view).toMatch(/^Phase: +PROVISIONING$/m);
    expect(view).toMatch(/^Providers: +p1$/m);
    expect(view).toMatch(/^Environment: +FOO=bar$/m);
    expect(view).toMatch(/^Resource version: +1$/m);
    // list
    const lines = selected.trim().split('\n');
    expect(lines).toHaveLength(2);
    expect(lines[1]).toMatch(/^dev +PROVISIONING +ubuntu:24.04 +p1 +team=ml +1 /);
    expect(all.items).toHaveLength(2);
    expect([empty.code, empty.stdout, empty.stderr]).toEqual([0, '', 'No sandboxes found.\n']);

    // status set
    expect(
      await ok(['sandbox', 'status', 'set', 'dev', 'READY', '--condition', 'Ready=True:Started']),
    ).toBe('✓ Sandbox dev is READY (resource version 2)\n');
    const stale = await t.cli(['sandbox', 'status', 'set', 'dev', 'ERROR', '--if-version', '1']);
    expect(stale.code).toBe(4);
    const ready = await json(['sandbox', 'get', 'dev']);
    expect(ready.phase).toBe('READY');
    expect(ready.conditions).toEqual([
      expect.objectContaining({ type: 'Ready', status: 'True', reason: 'Started' }),
    ]);
    expect(await ok(['sandbox', 'get', 'dev'])).toMatch(/Conditions:\n +TYPE +STATUS/);

    // delete: a provider still listed cannot go; the sandbox and then the provider can
    const refused = await t.cli(['provider', 'delete', 'p1']);
    expect(refused.code).toBe(4);
    expect(refused.stderr).toContain('dev');
    expect(await ok(['sandbox', 'delete', 'dev'])).toBe('✓ Deleted sandbox dev\n');
    expect(await ok(['provider', 'delete', 'p1'])).toBe('✓ Deleted provider p1\n');
    expect(await ok(['sandbox', 'delete', 'other', '--if-version', '1'])).toBe(
      '✓ Deleted sandbox other\n',
    );
  });

  it('sandbox provider list shows the attached providers, redacted', async () => {
    // arrange
    await ok(['provider', 'create', 'p2', '--type', 'openai', '--credential', 'KEY=secret-2']);
    await ok(['sandbox', 'create', 'box', '--provider', 'p2']);
    // act
    const [table, listed] = await Promise.all([
      ok(['sandbox', 'provider', 'list', 'box']),
      json(['sandbox', 'provider', 'list', 'box']),
    ]);
    // assert
    expect(table).toMatch(/^p2 +openai +KEY /m);
    expect(table).not.toContain('secret-2');
    expect(listed.items[0].credentials).toEqual({ KEY: 'REDACTED' });
  });
});

describe('shellgate policy and settings', () => {
  beforeAll(async () => {
    await ok(['sandbox', 'create', 'cfg', '--image', 'ubuntu']);
  });

  it('policy set, status set, get, revisions', async () => {
    // act
    expect(await ok(['policy', 'set', 'cfg', '{"network":"deny"}'])).toBe(
      '✓ Policy revision 1 of sandbox cfg is PENDING (sandbox resource version 2)\n',
    );
    const second = await t.cli(['policy', 'set', 'cfg', '-', '--if-version', '2', '-o', 'json'], {
      input: '{"network":"allow"}',
    });
    expect(second.code).toBe(0);
    expect(JSON.parse(second.stdout).revision.version).toBe(2);
    expect(await ok(['policy', 'status', 'set', 'cfg', '2', 'LOADED'])).toMatch(
      /^✓ Policy revision 2 of sandbox cfg is LOADED/,
    );
    // assert
    const [view, config, revisions, listed, bad] = await Promise.all([
      ok(['policy', 'get', 'cfg']),
      json(['policy', 'get', 'cfg']),
      ok(['policy', 'revisions', 'cfg']),
      json(['policy', 'revisions', 'cfg']),
      t.cli(['policy', 'set', 'cfg', 'not json']),
    ]);
    expect(view).toMatch(/^Policy source: +SANDBOX$/m);
    expect(view).toMatch(/^Policy version: +2$/m);
    expect(view).toMatch(/^Loaded policy version: +2$/m);
    expect(view).toMatch(/^Resource version: +\d+$/m);
    expect(view).toContain('"network": "allow"');
    expect(config.policy).toEqual({ network: 'allow' });
    expect(
      revisions
        .trim()
        .split('\n')
        .slice(1)
        .map((l) => l.split(/ +/).slice(0, 2)),
    ).toEqual([
      ['2', 'LOADED'],
      ['1', 'SUPERSEDED'],
    ]);
    expect(listed.items).toHaveLength(2);
    expect(bad.code).toBe(2);
  });

  it('settings of a sandbox and global ones: get, set, delete, --if-version', async () => {
    // sandbox
    expect(await ok(['settings', 'set', 'verbose', 'true', '--sandbox', 'cfg'])).toBe(
      '✓ Set verbose=true (sandbox cfg settings, resource version 2)\n',
    );
    expect(
      await ok(['settings', 'set', 'level', '3', '--sandbox', 'cfg', '--type', 'string']),
    ).toMatch(/resource version 3/);
    expect(await json(['settings', 'get', '--sandbox', 'cfg'])).toEqual({
      settings: { verbose: true, level: '3' },
      resourceVersion: 3,
    });
    const view = await ok(['settings', 'get', '--sandbox', 'cfg']);
    expect(view).toMatch(/^Resource version: +3$/m);
    expect(view).toMatch(/^verbose +true +boolean +SANDBOX$/m);
    expect(
      await ok(['settings', 'delete', 'verbose', '--sandbox', 'cfg', '--if-version', '3']),
    ).toBe('✓ Deleted verbose (sandbox cfg settings, resource version 4)\n');

    // global
    const before = (await json(['settings', 'get'])).resourceVersion;
    const set = await json(['settings', 'set', 'maxSandboxes', '50', '--global']);
    expect(set.settings.maxSandboxes).toBe(50);
    expect(set.resourceVersion).toBe(before + 1);
    const stale = await t.cli(['settings', 'set', 'motd', 'hi', '--if-version', String(before)]);
    expect(stale.code).toBe(4);
    expect(await ok(['settings', 'delete', 'maxSandboxes'])).toMatch(
      /^✓ Deleted maxSandboxes \(global/,
    );
    expect((await json(['settings', 'get', '--global'])).settings).toEqual({});
    const both = await t.cli(['settings', 'get', '--global', '--sandbox', 'cfg']);
    expect(both.code).toBe(2);
  });
});

describe('shellgate ssh-session, service, inference', () => {
  beforeAll(async () => {
    await ok(['sandbox', 'create', 'run', '--image', 'ubuntu']);
    await ok(['provider', 'create', 'llm', '--type', 'openai', '--credential', 'KEY=k']);
  });

  it('ssh-session create needs a READY sandbox; create, list, revoke', async () => {
    const early = await t.cli(['ssh-session', 'create', 'run']);
    expect(early.code).toBe(4);
    await ok(['sandbox', 'status', 'set', 'run', 'READY']);

    const created = await ok(['ssh-session', 'create', 'run', '--ttl', '3600']);
    expect(created).toMatch(/^Token: +sgs_\S+$/m);
    const listed = await json(['ssh-session', 'list', 'run']);
    expect(listed.items).toHaveLength(1);
    expect(listed.items[0].token).toBeUndefined();
    const id = listed.items[0].metadata.id as string;
    expect(await ok(['ssh-session', 'list', 'run'])).toContain(id);
    expect(await ok(['ssh-session', 'revoke', id])).toBe(
      `✓ Revoked SSH session ${id} of sandbox run\n`,
    );
    expect((await json(['ssh-session', 'list', 'run'])).items[0].revoked).toBe(true);
  });

  it('service expose (create, then update), get, list, delete', async () => {
    expect(await ok(['service', 'expose', 'run', 'web', '--port', '8080', '--domain'])).toBe(
      '✓ Exposed service web of sandbox run: https://web--run.sandboxes.shellgate.local\n',
    );
    expect(
      await ok(['service', 'expose', 'run', 'web', '--port', '8081', '--if-version', '1']),
    ).toBe('✓ Updated service web of sandbox run: http://run.sandboxes.shellgate.local:8081\n');
    const view = await ok(['service', 'get', 'run', 'web']);
    expect(view).toMatch(/^Target port: +8081$/m);
    expect(view).toMatch(/^Resource version: +2$/m);
    expect((await json(['service', 'list', '--sandbox', 'run'])).items).toHaveLength(1);
    expect(await ok(['service', 'list'])).toMatch(/^run +web +8081 +no /m);
    expect(await ok(['service', 'delete', 'run', 'web'])).toBe(
      '✓ Deleted service web of sandbox run\n',
    );
    expect((await t.cli(['service', 'get', 'run', 'web'])).code).toBe(3);
  });

  it('inference set (create, then update), get, list', async () => {
    expect(
      await ok([
        'inference',
        'set',
        'default',
        '--provider',
        'llm',
        '--model',
        'gpt-4.1',
        '--timeout',
        '30',
      ]),
    ).toBe('✓ Created inference route default: gpt-4.1 via llm (resource version 1)\n');
    expect(
      await ok([
        'inference',
        'set',
        'default',
        '--provider',
        'llm',
        '--model',
        'gpt-5',
        '--if-version',
        '1',
      ]),
    ).toBe('✓ Updated inference route default: gpt-5 via llm (resource version 2)\n');
    const view = await ok(['inference', 'get', 'default']);
    expect(view).toMatch(/^Model: +gpt-5$/m);
    expect(view).toMatch(/^Resource version: +2$/m);
    expect((await json(['inference', 'list'])).items[0].modelId).toBe('gpt-5');
    expect(await ok(['inference', 'list'])).toMatch(/^default +llm +gpt-5 +60s +2 /m);
  });

  it('health and openapi', async () => {
    expect(await ok(['health'])).toBe(`✓ ${t.system.url} is ok\n`);
    expect(JSON.parse(await ok(['openapi'])).openapi).toBe('3.1.0');
  });
});
