import { expect, it } from 'vitest';
import { keys } from '#lib/domain/keys.ts';
import { type ApiResponse, createTestApi } from '#test/support/api.ts';
import {
  checkHistory,
  type Event,
  formatViolations,
  rng,
  type View,
} from '#test/support/history.ts';
import { checkPolicyHistory } from '#test/support/policy-history.ts';
import {
  arrangePolicySandboxes,
  POLICY_SANDBOXES,
  policyOperation,
  readPolicyFinals,
} from '#test/support/policy-workload.ts';

const SEED = Number(process.env.SEED ?? 20261129);
const OPS = Number(process.env.OPS ?? 5000);
const CLIENTS = 24;

const HOT_PROVIDERS = ['hot-p0', 'hot-p1', 'hot-p2'];
const COLD_PROVIDERS = Array.from({ length: 30 }, (_, i) => `cold-p${i}`);
const ATTACHABLE = ['ap0', 'ap1', 'ap2', 'ap3'];
const HOT_SANDBOXES = ['hot-s0', 'hot-s1'];
const COLD_SANDBOXES = Array.from({ length: 10 }, (_, i) => `cold-s${i}`);
/** The share of requests that are the policy lifecycle's (SPEC §7), on sandboxes of their own. */
const POLICY_SHARE = 0.2;

it(`a randomized concurrent workload keeps every version and change (SEED=${SEED}, OPS=${OPS})`, async () => {
  const { call, store } = await createTestApi();
  const events: Event[] = [];
  let seq = 0;

  /** Performs one request and records what it did to one object. */
  async function record(
    client: number,
    op: string,
    target: Pick<Event, 'kind' | 'name'>,
    send: () => Promise<ApiResponse>,
    describe: (res: ApiResponse) => Partial<Event> = () => ({}),
  ): Promise<ApiResponse> {
    const invokedAt = seq;
    const res = await send();
    // 503 is an allowed answer under contention (transaction conflicts outlasting the retries);
    // like every failure it must have changed nothing, which the checker verifies.
    const allowed = res.status < 500 || res.status === 503;
    expect(allowed, `#${seq} ${op} ${target.name}: ${JSON.stringify(res.body)}`).toBe(true);
    events.push({
      seq: seq++,
      invokedAt,
      client,
      op,
      ...target,
      status: res.status,
      ...describe(res),
    });
    return res;
  }

  const createProvider = (client: number, name: string) =>
    record(
      client,
      'create-provider',
      { kind: 'Provider', name },
      () =>
        call('POST', '/v1/providers', {
          body: { name, type: 'test', credentials: { KEY: `history-secret-${name}` } },
        }),
      (res) => (res.status === 201 ? { write: 'create', view: res.body } : {}),
    );
  const createSandbox = (client: number, name: string) =>
    record(
      client,
      'create-sandbox',
      { kind: 'Sandbox', name },
      () => call('POST', '/v1/sandboxes', { body: { name, spec: {} } }),
      (res) => (res.status === 201 ? { write: 'create', view: res.body } : {}),
    );

  // arrange
  for (const p of [...HOT_PROVIDERS, ...COLD_PROVIDERS, ...ATTACHABLE]) await createProvider(-1, p);
  for (const s of [...HOT_SANDBOXES, ...COLD_SANDBOXES]) await createSandbox(-1, s);
  await arrangePolicySandboxes(record, call);

  const random = rng(SEED);
  let marker = 0;
  const ops: Array<(client: number) => Promise<unknown>> = [];
  const pickProvider = () =>
    random.chance(0.7) ? random.pick(HOT_PROVIDERS) : random.pick(COLD_PROVIDERS);
  const pickSandbox = () =>
    random.chance(0.7) ? random.pick(HOT_SANDBOXES) : random.pick(COLD_SANDBOXES);

  for (let i = 0; i < OPS; i++) {
    const m = `m${marker++}`;
    if (random.chance(POLICY_SHARE)) {
      ops.push(policyOperation(random, call, record, m));
      continue;
    }
    const roll = random.next();
    if (roll < 0.18) {
      const name = pickProvider();
      ops.push((c) =>
        record(
          c,
          'patch-provider',
          { kind: 'Provider', name },
          () => call('PATCH', `/v1/providers/${name}`, { body: { config: { [m]: 'x' } } }),
          (res) => ({
            write: 'change',
            marker: { field: 'config', key: m },
            view: res.status === 200 ? res.body : undefined,
          }),
        ),
      );
    } else if (roll < 0.3) {
      const name = pickProvider();
      ops.push(async (c) => {
        const read = await record(
          c,
          'get-provider',
          { kind: 'Provider', name },
          () => call('GET', `/v1/providers/${name}`),
          (res) => ({ view: res.status === 200 ? res.body : undefined }),
        );
        if (read.status !== 200) return;
        const basedOn = read.body.metadata.resourceVersion;
        await record(
          c,
          'patch-provider-cas',
          { kind: 'Provider', name },
          () =>
            call('PATCH', `/v1/providers/${name}`, {
              body: { config: { [m]: 'y' }, expectedResourceVersion: basedOn },
            }),
          (res) => ({
            write: 'change',
            basedOn,
            marker: { field: 'config', key: m },
            view: res.status === 200 ? res.body : undefined,
          }),
        );
      });
    } else if (roll < 0.45) {
      const name = pickSandbox();
      const provider = random.pick(ATTACHABLE);
      const attach = random.chance(0.55);
      const clientDriven = random.chance(0.5);
      ops.push(async (c) => {
        let basedOn: number | undefined;
        if (clientDriven) {
          const read = await record(
            c,
            'get-sandbox',
            { kind: 'Sandbox', name },
            () => call('GET', `/v1/sandboxes/${name}`),
            (res) => ({ view: res.status === 200 ? res.body : undefined }),
          );
          if (read.status !== 200) return;
          basedOn = read.body.metadata.resourceVersion;
        }
        const query = basedOn ? `?expectedResourceVersion=${basedOn}` : '';
        await record(
          c,
          attach ? 'attach' : 'detach',
          { kind: 'Sandbox', name },
          () =>
            call(attach ? 'PUT' : 'DELETE', `/v1/sandboxes/${name}/providers/${provider}${query}`),
          (res) =>
            res.status === 200
              ? {
                  write: 'change',
                  basedOn,
                  view: res.body.sandbox,
                  attachment: {
                    provider,
                    attach,
                    changed: attach ? res.body.attached : res.body.detached,
                  },
                }
              : { write: 'change', basedOn },
        );
      });
    } else if (roll < 0.55) {
      const name = pickSandbox();
      ops.push((c) =>
        record(
          c,
          'report-status',
          { kind: 'Sandbox', name },
          () =>
            call('PUT', `/v1/sandboxes/${name}/status`, {
              body: {
                phase: random.chance(0.5) ? 'READY' : 'PROVISIONING',
                conditions: [{ type: 'Ready', status: 'Unknown', message: m }],
              },
            }),
          (res) => ({ write: 'change', view: res.status === 200 ? res.body : undefined }),
        ),
      );
    } else if (roll < 0.67) {
      ops.push((c) =>
        record(
          c,
          'set-global',
          { kind: 'GlobalSettings', name: 'global' },
          () => call('PUT', `/v1/settings/${m}`, { body: { value: i } }),
          (res) => ({
            write: 'change',
            marker: { field: 'settings', key: m },
            settings: res.status === 200 ? res.body : undefined,
          }),
        ),
      );
    } else if (roll < 0.72) {
      ops.push(async (c) => {
        const read = await call('GET', '/v1/settings');
        const basedOn = read.body.resourceVersion;
        await record(
          c,
          'set-global-cas',
          { kind: 'GlobalSettings', name: 'global' },
          () =>
            call('PUT', `/v1/settings/${m}`, {
              body: { value: i, expectedResourceVersion: basedOn },
            }),
          (res) => ({
            write: 'change',
            basedOn,
            marker: { field: 'settings', key: m },
            settings: res.status === 200 ? res.body : undefined,
          }),
        );
      });
    } else if (roll < 0.76) {
      const name = random.pick(COLD_PROVIDERS);
      ops.push(async (c) => {
        await record(
          c,
          'delete-provider',
          { kind: 'Provider', name },
          () => call('DELETE', `/v1/providers/${name}`),
          (res) => ({ write: 'delete', view: res.status === 200 ? res.body : undefined }),
        );
        await createProvider(c, name);
      });
    } else if (roll < 0.79) {
      const name = random.pick(COLD_SANDBOXES);
      ops.push(async (c) => {
        await record(
          c,
          'delete-sandbox',
          { kind: 'Sandbox', name },
          () => call('DELETE', `/v1/sandboxes/${name}`),
          (res) => ({ write: 'change', view: res.status === 200 ? res.body : undefined }),
        );
        await createSandbox(c, name);
      });
    } else if (roll < 0.9) {
      const name = pickSandbox();
      ops.push((c) =>
        record(
          c,
          'get-sandbox',
          { kind: 'Sandbox', name },
          () => call('GET', `/v1/sandboxes/${name}`),
          (res) => ({ view: res.status === 200 ? res.body : undefined }),
        ),
      );
    } else {
      ops.push(async (c) => {
        const list = await call(
          'GET',
          random.chance(0.5) ? '/v1/providers?pageSize=1000' : '/v1/sandboxes?pageSize=1000',
        );
        expect(list.status).toBe(200);
        for (const item of list.body.items as View[]) {
          // The policy lifecycle's sandboxes are checkPolicyHistory's: their versions move with
          // draft decisions, whose answers carry the draft, not the sandbox.
          if (POLICY_SANDBOXES.includes(item.metadata.name)) continue;
          const kind = 'spec' in item ? 'Sandbox' : 'Provider';
          events.push({
            seq: seq++,
            client: c,
            op: 'list',
            kind,
            name: item.metadata.name,
            status: 200,
            view: item,
          });
        }
      });
    }
  }

  // act: CLIENTS workers drain the operations concurrently
  let next = 0;
  await Promise.all(
    Array.from({ length: CLIENTS }, async (_, client) => {
      while (next < ops.length) await ops[next++]!(client);
    }),
  );

  // assert
  const finals = new Map<string, View | undefined>();
  for (const p of [...HOT_PROVIDERS, ...COLD_PROVIDERS, ...ATTACHABLE]) {
    const r = await call('GET', `/v1/providers/${p}`);
    finals.set(`Provider/${p}`, r.status === 200 ? r.body : undefined);
  }
  for (const s of [...HOT_SANDBOXES, ...COLD_SANDBOXES]) {
    const r = await call('GET', `/v1/sandboxes/${s}`);
    finals.set(`Sandbox/${s}`, r.status === 200 ? r.body : undefined);
  }
  const settings = (await call('GET', '/v1/settings')).body;
  const violations = [
    ...checkHistory(events, finals, settings),
    ...checkPolicyHistory(events, await readPolicyFinals(call, store)),
  ];
  if (violations.length) throw new Error(formatViolations(violations, SEED));

  // Cross-object bookkeeping agrees with the sandboxes: every ref count is the number of lists.
  for (const p of ATTACHABLE) {
    let listing = 0;
    for (const s of [...HOT_SANDBOXES, ...COLD_SANDBOXES]) {
      const sandbox = finals.get(`Sandbox/${s}`) as { spec: { providers: string[] } } | undefined;
      if (sandbox?.spec.providers.includes(p)) listing++;
    }
    const refs = await store.records.get(keys.providerRefs(p));
    expect(Number(refs?.ref_count ?? 0), `ref_count of ${p}`).toBe(listing);
  }
  const writes = events.filter((e) => e.write && e.status < 300).length;
  expect(writes).toBeGreaterThan(OPS / 4);
  expect(events.filter((e) => e.status === 409).length).toBeGreaterThan(0);
  // The lifecycle was exercised: every kind of its writes succeeded, and clears deleted drafts.
  const succeeded = new Set(events.filter((e) => e.policy && e.status < 300).map((e) => e.op));
  for (const op of ['submit', 'edit', 'approve', 'reject', 'undo', 'approve-all', 'merge', 'put']) {
    expect(succeeded, op).toContain(`policy-${op}`);
  }
  expect(events.some((e) => e.policy?.op === 'clear' && (e.policy.deleted ?? 0) > 0)).toBe(true);
}, 600_000);
