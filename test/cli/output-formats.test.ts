import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { type CliTestSystem, startCliTestSystem } from '#test/support/cli.ts';
import { registerSecrets } from '#test/support/secrets.ts';
import { compileJsonPath } from '../../cli/jsonpath.ts';
import { toYaml } from '../../cli/yaml.ts';

/** `-o yaml` and `-o jsonpath=…`, as kubectl prints them, over the dev server and alone. */

let t: CliTestSystem;

beforeAll(async () => {
  t = await startCliTestSystem();
  registerSecrets({ K: 'formats-secret-1' });
  await t.api('POST', '/v1/providers', {
    name: 'fmt-a',
    type: 'github',
    labels: { 'app.kubernetes.io/name': 'web', tier: 'front' },
    credentials: { K: 'formats-secret-1' },
    config: { region: 'eu-west-1', retries: '3', empty: '', yes: 'no' },
  });
  await t.api('POST', '/v1/providers', { name: 'fmt-b', type: 'openai', credentials: { K: 'x' } });
});
afterAll(async () => {
  await t?.system.stop();
});

async function ok(args: string[]): Promise<string> {
  const res = await t.cli(args);
  expect(res.stderr, args.join(' ')).toBe('');
  expect(res.code, args.join(' ')).toBe(0);
  return res.stdout;
}

describe('-o yaml', () => {
  it('is the same value as -o json, for an object and for a list', async () => {
    for (const args of [
      ['provider', 'get', 'fmt-a'],
      ['provider', 'list'],
    ]) {
      // act
      const [yaml, json] = await Promise.all([
        ok([...args, '-o', 'yaml']),
        ok([...args, '-o', 'json']),
      ]);
      // assert
      expect(parseYaml(yaml)).toEqual(JSON.parse(json));
    }
  });

  it('quotes what YAML would read as another type, and only that', () => {
    const value = {
      plain: 'eu-west-1',
      version: '3',
      flag: 'no',
      nothing: '',
      colon: 'a: b',
      hash: 'x #y',
      unicode: 'naïve',
      date: '2026-05-01',
      lines: 'one\ntwo',
      list: [{ name: 'a', ports: [1, 2] }, [], {}, null, true, 1.5],
      'app.kubernetes.io/name': 'web',
    };
    const yaml = toYaml(value);
    expect(parseYaml(yaml)).toEqual(value);
    expect(yaml).toContain('plain: eu-west-1\n');
    expect(yaml).toContain('version: "3"\n');
    expect(yaml).toContain('flag: "no"\n');
    expect(yaml).toContain('app.kubernetes.io/name: web\n');
    expect(yaml).toContain('  - name: a\n    ports:\n      - 1\n');
  });
});

describe('-o jsonpath=', () => {
  it('prints fields as kubectl does', async () => {
    expect(await ok(['provider', 'get', 'fmt-a', '-o', 'jsonpath={.metadata.name}'])).toBe(
      'fmt-a\n',
    );
    expect(
      await ok([
        'provider',
        'get',
        'fmt-a',
        '-o',
        "jsonpath={.metadata.labels['app.kubernetes.io/name']}",
      ]),
    ).toBe('web\n');
    expect(await ok(['provider', 'list', '-o', 'jsonpath={.items[*].metadata.name}'])).toBe(
      'fmt-a fmt-b\n',
    );
    expect(
      await ok([
        'provider',
        'list',
        '-o',
        'jsonpath={range .items[*]}{.metadata.name}{"\\t"}{.type}{"\\n"}{end}',
      ]),
    ).toBe('fmt-a\tgithub\nfmt-b\topenai\n');
    // Never a secret: the value printed is the API's, redacted.
    expect(await ok(['provider', 'get', 'fmt-a', '-o', 'jsonpath={.credentials.K}'])).toBe(
      'REDACTED\n',
    );
  });

  it('refuses a template it cannot read before sending anything (exit 2)', async () => {
    const res = await t.cli(['provider', 'get', 'fmt-a', '-o', 'jsonpath={.items[?(@.x)]}']);
    expect(res.code).toBe(2);
    expect(res.stderr).toContain('jsonpath: cannot read');
    expect(res.stdout).toBe('');
    const unclosed = await t.cli(['provider', 'list', '-o', 'jsonpath={range .items[*]}{.x}']);
    expect(unclosed.code).toBe(2);
    expect(unclosed.stderr).toContain('{range} without {end}');
  });

  it('selects, indexes and repeats', () => {
    const doc = {
      items: [
        { metadata: { name: 'a' }, spec: { providers: ['p', 'q'] } },
        { metadata: { name: 'b' }, spec: { providers: [] } },
      ],
    };
    const render = (template: string) => compileJsonPath(template)(doc);
    expect(render('{.items[0].metadata.name}')).toBe('a');
    expect(render('{.items[-1].metadata.name}')).toBe('b');
    expect(render('{.items[*].spec.providers[*]}')).toBe('p q');
    expect(render('{.items[0].spec}')).toBe('{"providers":["p","q"]}');
    expect(render('{.items[5].metadata.name}')).toBe('');
    expect(render('names: {.items[*].metadata.name}!')).toBe('names: a b!');
    expect(render('{range .items[*]}[{.metadata.name}]{end}')).toBe('[a][b]');
  });

  it('-o with an unknown format is a usage error', async () => {
    const res = await t.cli(['provider', 'list', '-o', 'xml']);
    expect(res.code).toBe(2);
    expect(res.stderr).toContain('--output must be table, json, yaml, or jsonpath=TEMPLATE');
  });
});
