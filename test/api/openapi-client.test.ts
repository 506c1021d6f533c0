import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import openapiTS, { astToString } from 'openapi-typescript';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalSystem, startLocalSystem } from '#local/system.ts';
import { registerSecrets } from '#test/support/secrets.ts';
import { dynamoEndpoint } from '#test/support/store.ts';

/**
 * A client generated from `openapi.json` by a mainstream generator (openapi-typescript's types
 * with openapi-fetch), compiled strictly and run as its own program against the dev server:
 * create → get → stale update (a 409 typed as a Problem) → delete.
 */

const run = promisify(execFile);
const root = fileURLToPath(new URL('../..', import.meta.url));

/** The program a user of the generated types would write; it fails to compile if they are weak. */
const PROGRAM = `
import createClient from 'openapi-fetch';
import type { components, paths } from './schema.ts';

type Problem = components['schemas']['Problem'];
type Provider = components['schemas']['Provider'];
// The generated types must be precise: a code is one of the API's codes, not any string.
type Exact<T, U> = [T] extends [U] ? ([U] extends [T] ? true : false) : false;
const codeIsClosed: string extends Problem['code'] ? false : true = true;
const versionIsNumber: Exact<Provider['metadata']['resourceVersion'], number> = true;

const [baseUrl, token, name, secret] = process.argv.slice(2) as [string, string, string, string];
const client = createClient<paths>({ baseUrl, headers: { authorization: \`Bearer \${token}\` } });

const created = await client.POST('/v1/providers', {
  body: { name, type: 'github', credentials: { TOKEN: secret } },
});
if (!created.data) throw new Error(\`create: \${created.response.status}\`);
const provider: Provider = created.data;

const read = await client.GET('/v1/providers/{name}', { params: { path: { name } } });
if (!read.data) throw new Error(\`get: \${read.response.status}\`);

const fresh = await client.PATCH('/v1/providers/{name}', {
  params: { path: { name } },
  body: { config: { org: 'acme' }, expectedResourceVersion: read.data.metadata.resourceVersion },
});
if (!fresh.data) throw new Error(\`update: \${fresh.response.status}\`);

// Based on the version read before the update above: stale.
const stale = await client.PATCH('/v1/providers/{name}', {
  params: { path: { name } },
  body: { config: { org: 'other' }, expectedResourceVersion: provider.metadata.resourceVersion },
});
const problem: Problem | undefined = stale.error;
const errorIsProblem: Exact<NonNullable<typeof stale.error>, Problem> = true;
const code: Problem['code'] | undefined = problem?.code;

const deleted = await client.DELETE('/v1/providers/{name}', {
  params: { path: { name }, query: { expectedResourceVersion: fresh.data.metadata.resourceVersion } },
});
if (!deleted.data) throw new Error(\`delete: \${deleted.response.status}\`);
const after = await client.GET('/v1/providers/{name}', { params: { path: { name } } });

console.log(JSON.stringify({
  checks: [codeIsClosed, versionIsNumber, errorIsProblem],
  created: { status: created.response.status, location: created.response.headers.get('location'), version: provider.metadata.resourceVersion },
  read: { status: read.response.status, etag: read.response.headers.get('etag'), credentials: read.data.credentials },
  fresh: { status: fresh.response.status, version: fresh.data.metadata.resourceVersion },
  stale: { status: stale.response.status, code, currentResourceVersion: problem?.currentResourceVersion, type: stale.response.headers.get('content-type') },
  deleted: { status: deleted.response.status, etag: deleted.response.headers.get('etag'), name: deleted.data.metadata.name },
  after: { status: after.response.status, code: after.error?.code },
}));
`;

const TSCONFIG = {
  compilerOptions: {
    target: 'ES2024',
    module: 'NodeNext',
    moduleResolution: 'NodeNext',
    strict: true,
    noUncheckedIndexedAccess: true,
    verbatimModuleSyntax: true,
    allowImportingTsExtensions: true,
    erasableSyntaxOnly: true,
    noEmit: true,
    skipLibCheck: true,
    types: ['node'],
    lib: ['ES2024', 'DOM'],
  },
  files: ['client.ts'],
};

let system: LocalSystem;
let dir: string;

beforeAll(async () => {
  system = await startLocalSystem({
    port: 0,
    dynamoEndpoint: dynamoEndpoint(),
    table: `shellgate-client-gen-${randomUUID().slice(0, 8)}`,
    stateDir: mkdtempSync(join(tmpdir(), 'shellgate-client-gen-')),
    schedules: false,
    log: () => {},
  });
  // A project of its own, outside the repository; it finds the packages through a link.
  dir = mkdtempSync(join(tmpdir(), 'shellgate-generated-client-'));
  symlinkSync(join(root, 'node_modules'), join(dir, 'node_modules'), 'dir');
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ type: 'module', private: true }));
  writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify(TSCONFIG, null, 2));
  writeFileSync(join(dir, 'client.ts'), PROGRAM);
});
afterAll(async () => {
  await system?.stop();
});

describe('a client generated from openapi.json', () => {
  it('generates named types for the schemas, with no configuration', async () => {
    // act
    const ast = await openapiTS(readFileSync(join(root, 'openapi.json'), 'utf8'));
    const source = astToString(ast);
    writeFileSync(join(dir, 'schema.ts'), source);
    // assert
    for (const name of ['Provider', 'Sandbox', 'Problem', 'Metadata', 'CreateProviderBody']) {
      expect(source).toMatch(new RegExp(`\\n {8}${name}: \\{`));
    }
  });

  it('compiles strictly: the 409 is a Problem whose code is the API’s enum', async () => {
    const tsc = join(root, 'node_modules/typescript/bin/tsc');
    const res = await run(process.execPath, [tsc, '-p', dir], { cwd: dir }).catch(
      (err: { stdout?: string }) => ({ stdout: err.stdout ?? 'tsc failed' }),
    );
    expect(res.stdout).toBe('');
  });

  it('drives create → get → stale update → delete against the dev server', async () => {
    // arrange
    const name = `gen-${randomUUID().slice(0, 8)}`;
    const secret = `gen-secret-${randomUUID()}`;
    registerSecrets({ secret });
    // act: the program runs as its own Node process, types stripped.
    const { stdout } = await run(
      process.execPath,
      [join(dir, 'client.ts'), system.url, system.token, name, secret],
      { cwd: dir },
    );
    // assert
    const out = JSON.parse(stdout);
    expect(out.checks).toEqual([true, true, true]);
    expect(out.created).toEqual({ status: 201, location: `/v1/providers/${name}`, version: 1 });
    expect(out.read).toMatchObject({ status: 200, credentials: { TOKEN: 'REDACTED' } });
    expect(out.read.etag).toMatch(/^"[0-9a-f-]{36}:1"$/);
    expect(out.fresh).toEqual({ status: 200, version: 2 });
    expect(out.stale).toEqual({
      status: 409,
      code: 'ABORTED',
      currentResourceVersion: 2,
      type: 'application/problem+json',
    });
    expect(out.deleted.status).toBe(200);
    expect(out.deleted.name).toBe(name);
    expect(out.deleted.etag).toMatch(/^"[0-9a-f-]{36}:2"$/);
    expect(out.after).toEqual({ status: 404, code: 'NOT_FOUND' });
    expect(stdout).not.toContain(secret);
  });
});
