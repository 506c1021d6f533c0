import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type CliTestSystem, startCliTestSystem } from '#test/support/cli.ts';
import {
  type InterposingProxy,
  type ProxiedRequest,
  startInterposingProxy,
} from '#test/support/interposing-proxy.ts';

let t: CliTestSystem;
let proxy: InterposingProxy;
/** What the proxy does before forwarding each request; reset before every test. */
let interpose: (req: ProxiedRequest) => Promise<void>;
let sandbox: string;
let writes = 0;

const ATTACH_FAILED =
  'Failed to attach provider: sandbox was modified by another operation.\nPlease retry the command.\n';
const DETACH_FAILED =
  'Failed to detach provider: sandbox was modified by another operation.\nPlease retry the command.\n';

/** A real write of the sandbox by someone else: a status report that bumps its version. */
async function concurrentWrite(name: string) {
  const res = await t.api('PUT', `/v1/sandboxes/${name}/status`, {
    phase: 'READY',
    conditions: [{ type: 'Ready', status: 'True', message: `write ${++writes}` }],
  });
  expect(res.status).toBe(200);
}

const isWrite = (req: ProxiedRequest, name: string) =>
  (req.method === 'PUT' || req.method === 'DELETE') &&
  req.url.startsWith(`/v1/sandboxes/${name}/providers/`);

/** Before the first `n` attach/detach writes of `name` reach the server, another write lands. */
function interfereWithWrites(name: string, n: number) {
  let seen = 0;
  interpose = async (req) => {
    if (isWrite(req, name) && seen++ < n) await concurrentWrite(name);
  };
}

const viaProxy = (args: string[]) => t.cli(args, { env: { SHELLGATE_ENDPOINT: proxy.url } });
const sandboxGets = (name: string) =>
  proxy.requests.filter((r) => r.method === 'GET' && r.url === `/v1/sandboxes/${name}`);
const attachmentWrites = (name: string) => proxy.requests.filter((r) => isWrite(r, name));

beforeAll(async () => {
  t = await startCliTestSystem();
  proxy = await startInterposingProxy(t.system.url, (req) => interpose(req));
  await t.api('POST', '/v1/providers', {
    name: 'gh',
    type: 'github',
    credentials: { TOKEN: 'x' },
  });
  await t.api('POST', '/v1/providers', { name: 'oa', type: 'openai', credentials: { KEY: 'y' } });
});
afterAll(async () => {
  await proxy?.close();
  await t?.system.stop();
});

let counter = 0;
beforeEach(async () => {
  interpose = async () => {};
  proxy.requests.length = 0;
  sandbox = `race-${++counter}`;
  const res = await t.api('POST', '/v1/sandboxes', { name: sandbox, spec: { image: 'ubuntu' } });
  expect(res.status).toBe(201);
});

describe('sandbox provider attach|detach under a concurrent write', () => {
  it('attach: a write between the fetch and the attach fails with the conflict message, exit 4', async () => {
    // arrange
    interfereWithWrites(sandbox, 1);
    // act
    const res = await viaProxy(['sandbox', 'provider', 'attach', sandbox, 'gh']);
    // assert
    expect(res.stderr).toBe(ATTACH_FAILED);
    expect(res.stdout).toBe('');
    expect(res.code).toBe(4);
    const stored = await t.api('GET', `/v1/sandboxes/${sandbox}`);
    expect(stored.body.spec.providers).toEqual([]);
    expect(stored.body.metadata.resourceVersion).toBe(2);
    // The attach was conditioned on the version the CLI had read.
    expect(sandboxGets(sandbox)).toHaveLength(1);
    expect(attachmentWrites(sandbox).map((r) => r.url)).toEqual([
      expect.stringMatching(/\?expectedResourceVersion=1&expectedId=[0-9a-f-]{36}$/),
    ]);
  });

  it('detach: the same conflict prints the detach message, exit 4', async () => {
    // arrange
    await t.api('PUT', `/v1/sandboxes/${sandbox}/providers/gh`);
    interfereWithWrites(sandbox, 1);
    // act
    const res = await viaProxy(['sandbox', 'provider', 'detach', sandbox, 'gh']);
    // assert
    expect(res.stderr).toBe(DETACH_FAILED);
    expect(res.code).toBe(4);
    const stored = await t.api('GET', `/v1/sandboxes/${sandbox}`);
    expect(stored.body.spec.providers).toEqual(['gh']);
  });

  it('--retry N retries from the conflict’s current object, without reading again', async () => {
    // arrange
    interfereWithWrites(sandbox, 2);
    // act
    const res = await viaProxy(['sandbox', 'provider', 'attach', sandbox, 'gh', '--retry', '2']);
    // assert
    expect(res.code).toBe(0);
    expect(res.stdout).toBe(`✓ Attached provider gh to sandbox ${sandbox}\n`);
    expect(sandboxGets(sandbox)).toHaveLength(1);
    const versions = attachmentWrites(sandbox).map((r) =>
      new URL(r.url, 'http://x').searchParams.get('expectedResourceVersion'),
    );
    // Read at 1; each concurrent write bumped it; each retry used the version the conflict reported.
    expect(versions).toEqual(['1', '2', '3']);
    const stored = await t.api('GET', `/v1/sandboxes/${sandbox}`);
    expect(stored.body.spec.providers).toEqual(['gh']);
    expect(stored.body.metadata.resourceVersion).toBe(4);
  });

  it('--retry N gives up after N retries with the conflict message', async () => {
    // arrange
    interfereWithWrites(sandbox, Number.POSITIVE_INFINITY);
    // act
    const res = await viaProxy(['sandbox', 'provider', 'detach', sandbox, 'gh', '--retry', '2']);
    // assert
    expect(res.code).toBe(4);
    expect(res.stderr.endsWith(DETACH_FAILED)).toBe(true);
    expect(attachmentWrites(sandbox)).toHaveLength(3);
    expect(sandboxGets(sandbox)).toHaveLength(1);
  });

  it('a concurrent attach of the same provider: the retry finds it attached and writes nothing', async () => {
    // arrange: someone else attaches gh between the CLI's read and its write
    let raced = false;
    interpose = async (req) => {
      if (isWrite(req, sandbox) && !raced) {
        raced = true;
        expect((await t.api('PUT', `/v1/sandboxes/${sandbox}/providers/gh`)).status).toBe(200);
      }
    };
    // act
    const res = await viaProxy(['sandbox', 'provider', 'attach', sandbox, 'gh', '--retry', '1']);
    // assert
    expect(res.code).toBe(0);
    expect(res.stdout).toBe(`Provider gh is already attached to sandbox ${sandbox}.\n`);
    const stored = await t.api('GET', `/v1/sandboxes/${sandbox}`);
    expect(stored.body.spec.providers).toEqual(['gh']);
    expect(stored.body.metadata.resourceVersion).toBe(2);
  });

  it('without interference, attach and detach succeed, and repeating them changes nothing', async () => {
    // act + assert
    const attach = await viaProxy(['sandbox', 'provider', 'attach', sandbox, 'oa']);
    expect([attach.code, attach.stdout]).toEqual([
      0,
      `✓ Attached provider oa to sandbox ${sandbox}\n`,
    ]);
    const again = await viaProxy(['sandbox', 'provider', 'attach', sandbox, 'oa']);
    expect([again.code, again.stdout]).toEqual([
      0,
      `Provider oa is already attached to sandbox ${sandbox}.\n`,
    ]);
    const detach = await viaProxy(['sandbox', 'provider', 'detach', sandbox, 'oa']);
    expect([detach.code, detach.stdout]).toEqual([
      0,
      `✓ Detached provider oa from sandbox ${sandbox}\n`,
    ]);
    const none = await viaProxy(['sandbox', 'provider', 'detach', sandbox, 'oa']);
    expect([none.code, none.stdout]).toEqual([
      0,
      `Provider oa is not attached to sandbox ${sandbox}.\n`,
    ]);
    const stored = await t.api('GET', `/v1/sandboxes/${sandbox}`);
    expect(stored.body.metadata.resourceVersion).toBe(3);
  });

  it('-o json prints the API’s {sandbox, attached} body', async () => {
    // act
    const res = await viaProxy(['sandbox', 'provider', 'attach', sandbox, 'gh', '-o', 'json']);
    // assert
    expect(res.code).toBe(0);
    const body = JSON.parse(res.stdout);
    expect(body.attached).toBe(true);
    expect(body.sandbox.spec.providers).toEqual(['gh']);
    expect(body.sandbox.metadata.resourceVersion).toBe(2);
  });

  it('a missing sandbox or provider fails with the problem’s message and its exit code', async () => {
    const noSandbox = await viaProxy(['sandbox', 'provider', 'attach', 'nope', 'gh']);
    expect(noSandbox.code).toBe(3);
    expect(noSandbox.stderr).toMatch(/^Failed to attach provider: .*nope.* does not exist/i);
    const noProvider = await viaProxy(['sandbox', 'provider', 'attach', sandbox, 'missing']);
    expect(noProvider.code).toBe(4);
    expect(noProvider.stderr).toMatch(/^Failed to attach provider: .*missing/);
  });
});
