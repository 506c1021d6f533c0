import { draftId } from '#lib/domain/drafts.ts';
import type { NetworkRule, PolicyOperation } from '#lib/domain/inputs.ts';
import { keys } from '#lib/domain/keys.ts';
import type { PolicyHeadData } from '#lib/domain/types.ts';
import type { Store } from '#lib/store/store.ts';
import type { ApiResponse, Call, CallOptions } from './api.ts';
import type { Event, rng } from './history.ts';
import type {
  DraftView,
  NamedDraft,
  PolicyFinal,
  PolicyOp,
  PolicyRecord,
} from './policy-history.ts';

/**
 * The policy lifecycle's requests in the random history (SPEC §7), on sandboxes of their own:
 * supervisors submitting drafts with repeated dedupKeys, reviewers deciding on them server- and
 * client-driven, approve-all, clear, merges and PUTs of the policy. Each request is recorded with
 * what it sent and what it got, for `checkPolicyHistory`.
 */

export const POLICY_SANDBOXES = ['pol-s0', 'pol-s1', 'pol-s2'];
const DEDUP_KEYS = Array.from({ length: 6 }, (_, i) => `k${i}`);
const RULE_NAMES = ['web', 'git', 'pkg'];
const HOSTS = ['a.example.com', 'b.example.com', 'c.example.com'];
const PORTS = [80, 443, 8443];
const BINARIES = ['/usr/bin/curl', '/usr/bin/git', '/usr/bin/pip'];
const SUPERVISORS = 3;

type Random = ReturnType<typeof rng>;

/** `record` of the history test: performs one request and records what it did. */
export type Recorder = (
  client: number,
  op: string,
  target: Pick<Event, 'kind' | 'name'>,
  send: () => Promise<ApiResponse>,
  describe: (res: ApiResponse) => Partial<Event>,
) => Promise<ApiResponse>;

/** What the response of `op` carries, as the checker reads it. */
function answerOf(op: PolicyOp, res: ApiResponse): Partial<PolicyRecord> {
  if (res.status >= 300) return { code: res.body?.code, detail: res.body?.detail };
  switch (op) {
    case 'submit':
    case 'get-draft':
    case 'edit':
      return { answered: [res.body] };
    case 'approve':
    case 'reject':
    case 'undo':
      return { answered: [res.body.draft], revision: res.body.revision };
    case 'approve-all':
      return { answered: res.body.drafts, revision: res.body.revision };
    case 'list-drafts':
      return { answered: res.body.items };
    case 'put':
    case 'merge':
      return { revision: res.body.revision };
    case 'clear':
      return { deleted: res.body.deleted };
    case 'get-config':
      return { config: { policy: res.body.policy, policyVersion: res.body.policyVersion } };
    case 'create-sandbox':
      return res.body.spec.policy ? { revision: { version: 1, policy: res.body.spec.policy } } : {};
  }
}

const READS = new Set<PolicyOp>(['get-config', 'get-draft', 'list-drafts']);

/** Performs one policy request through `record`, describing it as a `PolicyRecord`. */
function policyRequest(
  record: Recorder,
  client: number,
  sent: PolicyRecord,
  send: () => Promise<ApiResponse>,
): Promise<ApiResponse> {
  return record(
    client,
    `policy-${sent.op}`,
    { kind: 'Policy', name: sent.sandbox },
    send,
    (res) => ({
      ...(READS.has(sent.op) ? {} : { write: 'change' as const }),
      policy: { ...sent, ...answerOf(sent.op, res) },
    }),
  );
}

function randomRule(random: Random): NetworkRule {
  const hosts = HOSTS.filter(() => random.chance(0.4));
  const endpoints = (hosts.length ? hosts : [random.pick(HOSTS)]).map((host) => ({
    host,
    ports: [...new Set([random.pick(PORTS), random.pick(PORTS)])],
    ...(random.chance(0.2) ? { protocol: 'rest' as const } : {}),
    ...(random.chance(0.2) ? { access: 'read-only' as const } : {}),
  }));
  const binaries = BINARIES.filter(() => random.chance(0.3));
  return {
    endpoints,
    ...(random.chance(0.5) && binaries.length
      ? { binaries: binaries.map((path) => ({ path })) }
      : {}),
  };
}

function randomPolicy(random: Random, note: string): Record<string, unknown> {
  const names = RULE_NAMES.filter(() => random.chance(0.5));
  return {
    note,
    networkPolicies: Object.fromEntries(names.map((n) => [n, randomRule(random)])),
  };
}

function randomOperation(random: Random): PolicyOperation {
  const roll = random.next();
  if (roll < 0.6)
    return { op: 'addRule', ruleName: random.pick(RULE_NAMES), rule: randomRule(random) };
  if (roll < 0.75) return { op: 'removeRule', ruleName: random.pick(RULE_NAMES) };
  return {
    op: 'removeEndpoint',
    ...(random.chance(0.5) ? { ruleName: random.pick(RULE_NAMES) } : {}),
    host: random.pick(HOSTS),
    port: random.pick(PORTS),
  };
}

const drafts = (s: string) => `/v1/sandboxes/${s}/config/policy/drafts`;
const draftPath = (s: string, key: string) => `${drafts(s)}/${draftId(key)}`;

/** Creates the lifecycle's sandboxes: one with a policy from its creation, two without. */
export async function arrangePolicySandboxes(record: Recorder, call: Call): Promise<void> {
  for (const [i, sandbox] of POLICY_SANDBOXES.entries()) {
    const spec = i === 0 ? { policy: { note: 'initial', networkPolicies: {} } } : {};
    await policyRequest(record, -1, { op: 'create-sandbox', sandbox }, () =>
      call('POST', '/v1/sandboxes', { body: { name: sandbox, spec } }),
    );
  }
}

/**
 * One random request of the policy lifecycle (with the read a client-driven one is based on),
 * drawn now from `random` so that the seed fixes the workload.
 */
export function policyOperation(
  random: Random,
  call: Call,
  record: Recorder,
  marker: string,
): (client: number) => Promise<unknown> {
  const sandbox = random.chance(0.5) ? POLICY_SANDBOXES[0]! : random.pick(POLICY_SANDBOXES);
  const dedupKey = random.pick(DEDUP_KEYS);
  const clientDriven = random.chance(0.5);
  const roll = random.next();
  const req = (client: number, sent: PolicyRecord, send: () => Promise<ApiResponse>) =>
    policyRequest(record, client, sent, send);

  const readConfig = (c: number) =>
    req(c, { op: 'get-config', sandbox }, () => call('GET', `/v1/sandboxes/${sandbox}/config`));
  /** A client-driven decision's read of the draft: its reviewVersion, or undefined. */
  const readDraft = async (client: number): Promise<number | undefined> => {
    const res = await req(client, { op: 'get-draft', sandbox, drafts: [{ dedupKey }] }, () =>
      call('GET', draftPath(sandbox, dedupKey)),
    );
    return res.status === 200 ? (res.body as DraftView).reviewVersion : undefined;
  };
  /** A decision on one draft: read first when client-driven. */
  const decision =
    (op: 'approve' | 'reject' | 'undo' | 'edit', body: Record<string, unknown>) =>
    async (client: number) => {
      const expectedReviewVersion = clientDriven ? await readDraft(client) : undefined;
      if (clientDriven && expectedReviewVersion === undefined) return;
      const named: NamedDraft = { dedupKey, ...(clientDriven ? { expectedReviewVersion } : {}) };
      const sent = { ...body, ...(clientDriven ? { expectedReviewVersion } : {}) };
      await req(
        client,
        {
          op,
          sandbox,
          drafts: [named],
          ...(op === 'edit' ? { rule: body.rule as NetworkRule } : {}),
        },
        () =>
          op === 'edit'
            ? call('PATCH', draftPath(sandbox, dedupKey), { body: sent })
            : call('POST', `${draftPath(sandbox, dedupKey)}/${op}`, { body: sent }),
      );
    };

  if (roll < 0.34) {
    const hits = random.chance(0.3) ? undefined : 1 + random.int(5);
    const body = {
      ruleName: random.pick(RULE_NAMES),
      rule: randomRule(random),
      dedupKey,
      ...(hits ? { hits } : {}),
    };
    const supervisor = random.int(SUPERVISORS);
    const opts: CallOptions = {
      body,
      claims: { sub: `supervisor-${supervisor}`, scope: 'policy:propose' },
    };
    return (c) =>
      req(c, { op: 'submit', sandbox, drafts: [{ dedupKey }], hits: hits ?? 1 }, () =>
        call('POST', drafts(sandbox), opts),
      );
  }
  if (roll < 0.38) return readDraft;
  if (roll < 0.5) return decision('approve', {});
  if (roll < 0.57) return decision('reject', random.chance(0.5) ? { reason: marker } : {});
  if (roll < 0.65) return decision('undo', {});
  if (roll < 0.71) return decision('edit', { rule: randomRule(random) });
  if (roll < 0.77) {
    const unnamed = random.chance(0.4);
    const count = 1 + random.int(3);
    const preferPending = random.chance(0.8);
    return async (c) => {
      let named: NamedDraft[] | undefined;
      if (!unnamed) {
        const list = await req(c, { op: 'list-drafts', sandbox }, () =>
          call('GET', `${drafts(sandbox)}?pageSize=100`),
        );
        const items = (list.body.items ?? []) as DraftView[];
        const pending = items.filter((d) => d.status === 'PENDING');
        const chosen = (pending.length && preferPending ? pending : items).slice(0, count);
        if (chosen.length === 0) return;
        named = chosen.map((d) => ({
          dedupKey: d.dedupKey,
          ...(clientDriven ? { expectedReviewVersion: d.reviewVersion } : {}),
        }));
      }
      const body = named
        ? {
            drafts: named.map((n) => ({
              id: draftId(n.dedupKey),
              ...(n.expectedReviewVersion
                ? { expectedReviewVersion: n.expectedReviewVersion }
                : {}),
            })),
          }
        : {};
      await req(c, { op: 'approve-all', sandbox, ...(named ? { drafts: named } : {}) }, () =>
        call('POST', `${drafts(sandbox)}/approve`, { body }),
      );
    };
  }
  if (roll < 0.8) {
    return (c) => req(c, { op: 'clear', sandbox }, () => call('DELETE', drafts(sandbox)));
  }
  if (roll < 0.9) {
    const operations = Array.from({ length: random.chance(0.3) ? 2 : 1 }, () =>
      randomOperation(random),
    );
    const byVersion = random.chance(0.3);
    return async (c) => {
      let expected: number | undefined;
      if (byVersion) {
        const read = await readConfig(c);
        if (read.status !== 200) return;
        // No revision yet: the schema takes no expectedPolicyVersion 0, so the merge goes
        // server-driven.
        expected = read.body.policyVersion || undefined;
      }
      await req(
        c,
        { op: 'merge', sandbox, operations, ...(expected !== undefined ? { expected } : {}) },
        () =>
          call('PATCH', `/v1/sandboxes/${sandbox}/config/policy`, {
            body: {
              operations,
              ...(expected !== undefined ? { expectedPolicyVersion: expected } : {}),
            },
          }),
      );
    };
  }
  if (roll < 0.96) {
    const policy = randomPolicy(random, marker);
    const byVersion = random.chance(0.3);
    return async (c) => {
      let expected: number | undefined;
      if (byVersion) {
        // The sandbox's version, which every policy write moves. Not recorded: the generic
        // checker, which checks sandbox versions, leaves the lifecycle's sandboxes out.
        const read = await call('GET', `/v1/sandboxes/${sandbox}`);
        if (read.status !== 200) return;
        expected = read.body.metadata.resourceVersion;
      }
      await req(c, { op: 'put', sandbox, policy, ...(expected ? { expected } : {}) }, () =>
        call('PUT', `/v1/sandboxes/${sandbox}/config/policy`, {
          body: { policy, ...(expected ? { expectedResourceVersion: expected } : {}) },
        }),
      );
    };
  }
  return readConfig;
}

async function listAll<T>(call: Call, path: string): Promise<T[]> {
  const items: T[] = [];
  let token: string | undefined;
  do {
    const res = await call(
      'GET',
      `${path}?pageSize=1000${token ? `&pageToken=${encodeURIComponent(token)}` : ''}`,
    );
    if (res.status !== 200) throw new Error(`${path}: ${res.status} ${JSON.stringify(res.body)}`);
    items.push(...res.body.items);
    token = res.body.nextPageToken;
  } while (token);
  return items;
}

/** The lifecycle's sandboxes as they are at the end: policy in force, head, revisions, drafts. */
export async function readPolicyFinals(call: Call, store: Store): Promise<PolicyFinal[]> {
  const finals: PolicyFinal[] = [];
  for (const sandbox of POLICY_SANDBOXES) {
    const config = await call('GET', `/v1/sandboxes/${sandbox}/config`);
    const head = await store.get<PolicyHeadData>(keys.policyHead(sandbox));
    finals.push({
      sandbox,
      policy: config.body.policy ?? undefined,
      policyVersion: config.body.policyVersion,
      head: head?.data,
      revisions: await listAll(call, `/v1/sandboxes/${sandbox}/config/policy/revisions`),
      drafts: await listAll(call, drafts(sandbox)),
    });
  }
  return finals;
}
