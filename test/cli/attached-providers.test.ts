import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDocumentClient } from '#lib/store/client.ts';
import { Store } from '#lib/store/store.ts';
import { type CliTestSystem, startCliTestSystem } from '#test/support/cli.ts';
import { putLegacySandboxes } from '#test/support/legacy-items.ts';
import { dynamoEndpoint } from '#test/support/store.ts';

let t: CliTestSystem;

beforeAll(async () => {
  t = await startCliTestSystem();
  for (const name of ['p1', 'p2']) {
    const res = await t.api('POST', '/v1/providers', {
      name,
      type: 'openai',
      credentials: { KEY: `secret-${name}` },
    });
    expect(res.status).toBe(201);
  }
  // A sandbox from before provider refs, whose provider `gone` was deleted while listed.
  const store = new Store(createDocumentClient({ endpoint: dynamoEndpoint() }), t.system.table);
  await putLegacySandboxes(store, { old: ['p1', 'gone', 'p2'] });
});
afterAll(async () => {
  await t?.system.stop();
});

describe('shellgate sandbox provider list', () => {
  it('shows the providers in order, follows every page, and names the listed ones that are gone', async () => {
    // act
    const [table, json, page] = await Promise.all([
      t.cli(['sandbox', 'provider', 'list', 'old']),
      t.cli(['sandbox', 'provider', 'list', 'old', '-o', 'json']),
      t.cli(['sandbox', 'provider', 'list', 'old', '--page-size', '1']),
    ]);

    // assert
    expect(table.code, table.stderr).toBe(0);
    expect(table.stdout).toMatch(/^p1 +openai +KEY .*\n^p2 +openai +KEY /m);
    expect(table.stderr).toBe(
      'Sandbox old lists providers that do not exist: gone. Detach them with: shellgate sandbox provider detach old <provider>\n',
    );
    expect(json.code, json.stderr).toBe(0);
    const listed = JSON.parse(json.stdout);
    expect(listed.items.map((p: { metadata: { name: string } }) => p.metadata.name)).toEqual([
      'p1',
      'p2',
    ]);
    expect(listed.missing).toEqual(['gone']);
    expect(page.code, page.stderr).toBe(0);
    expect(page.stdout).toMatch(/^p1 +openai/m);
    expect(page.stdout).not.toContain('p2');
    expect(page.stderr).toMatch(/^More: --page-token [A-Za-z0-9_-]+$/m);
  });
});
