import { beforeAll, describe, expect, it } from 'vitest';
import { keys } from '#lib/domain/keys.ts';
import type { Store } from '#lib/store/store.ts';
import { type Call, createTestApi } from '#test/support/api.ts';

const ROUNDS = Number(process.env.RACE_ROUNDS ?? 200);
const BATCH = 8;

let call: Call;
let store: Store;
beforeAll(async () => {
  ({ call, store } = await createTestApi());
});

/** Runs `round(i)` ROUNDS times, BATCH rounds at a time. */
async function rounds(round: (i: number) => Promise<void>) {
  for (let i = 0; i < ROUNDS; i += BATCH) {
    await Promise.all(Array.from({ length: Math.min(BATCH, ROUNDS - i) }, (_, j) => round(i + j)));
  }
}

async function createProvider(name: string) {
  const res = await call('POST', '/v1/providers', {
    body: { name, type: 't', credentials: { K: `race-secret-${name}` } },
  });
  expect(res.status).toBe(201);
}

async function createSandbox(name: string, ready = false) {
  expect((await call('POST', '/v1/sandboxes', { body: { name, spec: {} } })).status).toBe(201);
  if (ready) {
    expect(
      (await call('PUT', `/v1/sandboxes/${name}/status`, { body: { phase: 'READY' } })).status,
    ).toBe(200);
  }
}

/** Nothing of a deleted sandbox is visible through the API or left live in its partition. */
async function expectGone(sandbox: string) {
  expect((await call('GET', `/v1/sandboxes/${sandbox}`)).status).toBe(404);
  expect((await call('GET', `/v1/sandboxes/${sandbox}/config`)).status).toBe(404);
  expect((await call('GET', `/v1/sandboxes/${sandbox}/ssh-sessions`)).status).toBe(404);
  expect((await call('GET', `/v1/services?sandbox=${sandbox}`)).body.items).toEqual([]);
  expect(await store.queryAll(keys.sandboxPartition(sandbox))).toEqual([]);
}

const ok = (status: number) => status >= 200 && status < 300;

describe(`cross-object races, ${ROUNDS} rounds each`, () => {
  it('provider delete vs attach: no sandbox ever lists a missing provider', async () => {
    await rounds(async (i) => {
      const p = `rp-${i}`;
      const s = `rs-${i}`;
      await createProvider(p);
      await createSandbox(s);
      const [attach, del] = await Promise.all([
        call('PUT', `/v1/sandboxes/${s}/providers/${p}`),
        call('DELETE', `/v1/providers/${p}`),
      ]);
      expect([200, 409]).toContain(attach.status);
      expect([200, 409]).toContain(del.status);
      expect(ok(attach.status) && ok(del.status)).toBe(false);
      const listed = (await call('GET', `/v1/sandboxes/${s}`)).body.spec.providers as string[];
      const exists = (await call('GET', `/v1/providers/${p}`)).status === 200;
      expect(listed.includes(p)).toBe(ok(attach.status));
      expect(exists).toBe(!ok(del.status));
      if (listed.includes(p)) expect(exists).toBe(true);
    });
  });

  it('sandbox delete vs attach: the sandbox goes, and the provider is free again', async () => {
    await createProvider('shared-p');
    await rounds(async (i) => {
      const s = `da-${i}`;
      await createSandbox(s);
      const [del, attach] = await Promise.all([
        call('DELETE', `/v1/sandboxes/${s}`),
        call('PUT', `/v1/sandboxes/${s}/providers/shared-p`),
      ]);
      expect(del.status, JSON.stringify(del.body)).toBe(200);
      expect([200, 404, 409]).toContain(attach.status);
      await expectGone(s);
    });
    expect(await store.records.query(keys.providerRefs('shared-p').pk, 'ref#')).toEqual([]);
    expect(Number((await store.records.get(keys.providerRefs('shared-p')))?.ref_count ?? 0)).toBe(
      0,
    );
    expect((await call('DELETE', '/v1/providers/shared-p')).status).toBe(200);
  });

  it('sandbox delete vs SSH session create: no session outlives its sandbox', async () => {
    await rounds(async (i) => {
      const s = `ds-${i}`;
      await createSandbox(s, true);
      const [del, session] = await Promise.all([
        call('DELETE', `/v1/sandboxes/${s}`),
        call('POST', `/v1/sandboxes/${s}/ssh-sessions`, { body: {} }),
      ]);
      expect(del.status, JSON.stringify(del.body)).toBe(200);
      expect([201, 404, 409]).toContain(session.status);
      await expectGone(s);
      if (session.status === 201) {
        const id = session.body.metadata.id;
        expect((await call('DELETE', `/v1/ssh-sessions/${id}`)).status).toBe(404);
        expect(await store.records.get(keys.sshSessionPointer(id))).toBeUndefined();
      }
    });
  });

  it('sandbox delete vs service expose: no endpoint outlives its sandbox', async () => {
    await rounds(async (i) => {
      const s = `dv-${i}`;
      await createSandbox(s, true);
      const [del, expose] = await Promise.all([
        call('DELETE', `/v1/sandboxes/${s}`),
        call('PUT', `/v1/sandboxes/${s}/services/web`, { body: { targetPort: 8080 } }),
      ]);
      expect(del.status, JSON.stringify(del.body)).toBe(200);
      expect([200, 201, 404, 409]).toContain(expose.status);
      await expectGone(s);
      expect((await call('GET', `/v1/sandboxes/${s}/services/web`)).status).toBe(404);
    });
    const all = (await call('GET', '/v1/services?pageSize=1000')).body.items as Array<{
      sandboxName: string;
    }>;
    expect(all.filter((x) => x.sandboxName.startsWith('dv-'))).toEqual([]);
  });
});
