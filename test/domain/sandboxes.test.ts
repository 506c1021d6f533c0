import { beforeAll, describe, expect, it } from 'vitest';
import { keys } from '#lib/domain/keys.ts';
import type { Store } from '#lib/store/store.ts';
import { type Call, createTestApi } from '#test/support/api.ts';
import { objectsOver } from '#test/support/objects.ts';
import { isKey } from '#test/support/request-key.ts';

/** Sandboxes (`lib/domain/sandboxes.ts`): create, status reports, delete, and their size. */

let call: Call;
let store: Store;
beforeAll(async () => {
  ({ call, store } = await createTestApi());
});
const { unique, provider, sandbox, ready, rawItem } = objectsOver(() => ({ call, store }));

describe('sandboxes', () => {
  it('create: server-made id, version 1, PROVISIONING, labels found by a selector at once', async () => {
    const s = await sandbox({ labels: { team: 'blue', tier: 'dev' } });
    const item = await rawItem(keys.sandbox(s.metadata.name));
    expect(item?.id).toBe(s.metadata.id);
    expect(item?.resource_version).toBe(1);
    expect(s.phase).toBe('PROVISIONING');
    const listed = await call('GET', '/v1/sandboxes?labelSelector=team%3Dblue,tier%3Ddev');
    expect(listed.body.items.map((x: { metadata: { id: string } }) => x.metadata.id)).toContain(
      s.metadata.id,
    );
  });

  it('create with a missing provider is 409 FAILED_PRECONDITION and writes nothing', async () => {
    const name = unique('s');
    const res = await call('POST', '/v1/sandboxes', {
      body: { name, spec: { providers: ['does-not-exist'] } },
    });
    expect(res.status).toBe(409);
    expect(res.body.code).toBe('FAILED_PRECONDITION');
    expect(await rawItem(keys.sandbox(name))).toBeUndefined();
  });

  it('status reports go through CAS and bump the version', async () => {
    const s = await sandbox();
    const r = await call('PUT', `/v1/sandboxes/${s.metadata.name}/status`, {
      body: {
        phase: 'READY',
        conditions: [{ type: 'Ready', status: 'True' }],
        expectedResourceVersion: 1,
      },
    });
    expect(r.status).toBe(200);
    expect(r.body.metadata.resourceVersion).toBe(2);
    expect(r.body.conditions[0].lastTransitionTime).toBeTruthy();
    const stale = await call('PUT', `/v1/sandboxes/${s.metadata.name}/status`, {
      body: { phase: 'ERROR', expectedResourceVersion: 1 },
    });
    expect(stale.status).toBe(409);
    expect((await call('GET', `/v1/sandboxes/${s.metadata.name}`)).body.phase).toBe('READY');
  });

  it('delete removes config, settings, sessions, services and provider bookkeeping', async () => {
    const p = await provider();
    const s = await sandbox({ spec: { providers: [p.metadata.name], policy: { a: 1 } } });
    const name = s.metadata.name;
    await ready(name);
    await call('PUT', `/v1/sandboxes/${name}/config/settings/mode`, { body: { value: 'fast' } });
    const session = await call('POST', `/v1/sandboxes/${name}/ssh-sessions`, { body: {} });
    expect(session.status).toBe(201);
    await call('PUT', `/v1/sandboxes/${name}/services/web`, { body: { targetPort: 8080 } });

    const del = await call('DELETE', `/v1/sandboxes/${name}`);
    expect(del.status).toBe(200);

    expect((await call('GET', `/v1/sandboxes/${name}`)).status).toBe(404);
    expect((await call('GET', `/v1/sandboxes/${name}/config`)).status).toBe(404);
    expect((await call('GET', `/v1/sandboxes/${name}/ssh-sessions`)).status).toBe(404);
    expect((await call('GET', `/v1/sandboxes/${name}/services/web`)).status).toBe(404);
    const services = await call('GET', '/v1/services');
    expect(services.body.items.some((x: { sandboxName: string }) => x.sandboxName === name)).toBe(
      false,
    );
    expect((await call('DELETE', `/v1/ssh-sessions/${session.body.metadata.id}`)).status).toBe(404);
    // The provider is free again.
    expect((await call('DELETE', `/v1/providers/${p.metadata.name}`)).status).toBe(200);
    const children = await store.queryAll(keys.sandboxPartition(name));
    expect(children).toEqual([]);
  });

  it('a delete that read the settings before a concurrent delete removed them never answers 500', async () => {
    // arrange: delete A reads the settings unfrozen; its read of the sandbox is held until
    // delete B has marked the sandbox and removed its children (the settings among them), and
    // B's last write is held until A has answered
    const name = (await sandbox()).metadata.name;
    await call('PUT', `/v1/sandboxes/${name}/config/settings/mode`, { body: { value: 'x' } });
    const sandboxKey = keys.sandbox(name);
    const settingsKey = keys.sandboxSettings(name);
    type Key = Record<string, unknown>;
    interface Input {
      Key?: Key;
      TransactItems?: Array<Record<string, { Key?: Key; Item?: Key }>>;
    }
    const is = isKey;
    // A delete is a tombstone Put: its key is in its Item.
    const writesSandbox = (input: Input) =>
      (input.TransactItems ?? []).some((t) =>
        Object.values(t).some((op) => is(op.Key ?? op.Item, sandboxKey)),
      );
    const signal = () => {
      let resolve!: () => void;
      const promise = new Promise<void>((r) => {
        resolve = r;
      });
      return { promise, resolve };
    };
    const settingsRead = signal();
    const bLastWriteHeld = signal();
    const aAnswered = signal();
    let sandboxReads = 0;
    let settingsReads = 0;
    let sandboxWrites = 0;
    const hold = `hold-${name}`;
    store.client.middlewareStack.add(
      (next, context) => async (args) => {
        const command = (context as { commandName?: string }).commandName ?? '';
        const input = args.input as Input;
        if (command.startsWith('Get') && is(input.Key, sandboxKey) && ++sandboxReads === 1) {
          await bLastWriteHeld.promise;
        }
        if (command.startsWith('TransactWrite') && writesSandbox(input) && ++sandboxWrites === 2) {
          bLastWriteHeld.resolve();
          await aAnswered.promise;
        }
        const result = await next(args);
        if (command.startsWith('Get') && is(input.Key, settingsKey) && ++settingsReads === 1) {
          settingsRead.resolve();
        }
        return result;
      },
      { step: 'initialize', name: hold },
    );
    try {
      // act
      const a = call('DELETE', `/v1/sandboxes/${name}`).then((res) => {
        aAnswered.resolve();
        return res;
      });
      await settingsRead.promise;
      const [first, second] = await Promise.all([a, call('DELETE', `/v1/sandboxes/${name}`)]);
      // assert: one of them deleted it, the other found it gone
      const answers = [first, second].map((r) => `${r.status} ${r.body?.code ?? ''}`.trim());
      expect(answers.sort()).toEqual(['200', '404 NOT_FOUND']);
      expect((await call('GET', `/v1/sandboxes/${name}`)).status).toBe(404);
    } finally {
      store.client.middlewareStack.remove(hold);
    }
  });
});

describe('limits found by fuzzing', () => {
  it('every write that grows a sandbox checks its size: a 400 naming the field, never a 500', async () => {
    const labels = Object.fromEntries(
      Array.from({ length: 64 }, (_, i) => [
        `${'p'.repeat(63)}.${'q'.repeat(63)}.${'r'.repeat(60)}.io/${'k'.repeat(60)}${i}`,
        'v'.repeat(63),
      ]),
    );
    const environment = Object.fromEntries(
      Array.from({ length: 35 }, (_, i) => [`VAR_${i}`, 'x'.repeat(8000)]),
    );
    const created = await call('POST', '/v1/sandboxes', {
      body: { name: 'big', labels, spec: { environment } },
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const policy = await call('PUT', '/v1/sandboxes/big/config/policy', {
      body: { policy: { blob: 'y'.repeat(60_000) } },
    });
    expect(policy.status).toBe(400);
    expect(policy.body.errors[0].field).toBe('body.policy');
    const conditions = Array.from({ length: 16 }, (_, i) => ({
      type: `T${i}`,
      status: 'True',
      reason: 'r'.repeat(128),
      message: 'm'.repeat(1024),
    }));
    const status = await call('PUT', '/v1/sandboxes/big/status', {
      body: { phase: 'READY', conditions },
    });
    expect([200, 400]).toContain(status.status);
    expect((await call('GET', '/v1/sandboxes/big')).body.metadata.resourceVersion).toBe(
      status.status === 200 ? 2 : 1,
    );
  });
});
