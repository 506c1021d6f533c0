import { expect } from 'vitest';
import { childPrefix, keys } from '#lib/domain/keys.ts';
import {
  elementKey,
  grantsElement,
  type Policy,
  policyElements,
  ruleElements,
  unionElements,
} from '#lib/domain/network-rules.ts';
import type {
  DraftEventType,
  DraftStatus,
  PolicyDraftData,
  PolicyDraftEventData,
  PolicyHeadData,
  PolicyRevisionData,
  SandboxData,
} from '#lib/domain/types.ts';
import { COUNT } from '#lib/store/expression.ts';
import type { Store } from '#lib/store/store.ts';
import type { StoredObject } from '#lib/store/types.ts';

/**
 * The invariants of a sandbox's policy and drafts (SPEC §7.3, docs/policy-lifecycle.md), checked
 * on the items as stored after a race or a fault: `test/proof/drafts.test.ts` runs them after
 * every round.
 */

/** Everything of a sandbox's policy state, read after the round's operations settled. */
export interface PolicySnapshot {
  sandbox: StoredObject<SandboxData>;
  /** The policy in force (`spec.policy`), `{}` when the sandbox has none. */
  policy: Policy;
  head: StoredObject<PolicyHeadData> | undefined;
  drafts: Map<string, StoredObject<PolicyDraftData>>;
  revisions: StoredObject<PolicyRevisionData>[];
  /** Every history event in the partition, of live drafts or not. */
  events: StoredObject<PolicyDraftEventData>[];
  orders: StoredObject<{ draftId: string }>[];
  /** The draft counter record. */
  count: number;
}

export interface Expectations {
  /** Each draft's hitCount, where the round knows every submit of it. */
  hits?: Record<string, number>;
  /** The sequences of event types each draft may have, oldest first (one must match). */
  events?: Record<string, DraftEventType[][]>;
}

export async function snapshot(store: Store, name: string): Promise<PolicySnapshot> {
  const partition = keys.sandboxPartition(name);
  const [[box, head], drafts, revisions, events, orders, counter] = await Promise.all([
    store.getMany<unknown>([keys.sandbox(name), keys.policyHead(name)]),
    store.queryAll<PolicyDraftData>(partition, childPrefix.draft),
    store.queryAll<PolicyRevisionData>(partition, childPrefix.policyRevision),
    store.queryAll<PolicyDraftEventData>(partition, childPrefix.draftEvent),
    store.queryAll<{ draftId: string }>(partition, childPrefix.draftOrder),
    store.records.get(keys.draftCount(name)),
  ]);
  expect(box, `sandbox ${name}`).toBeDefined();
  const sandbox = box as StoredObject<SandboxData>;
  return {
    sandbox,
    policy: (sandbox.data.spec.policy as Policy | undefined) ?? {},
    head: head as StoredObject<PolicyHeadData> | undefined,
    drafts: new Map(drafts.map((d) => [d.name, d])),
    revisions,
    events,
    orders,
    count: Number(counter?.[COUNT] ?? 0),
  };
}

const sorted = (elements: Iterable<string>) => [...elements].sort();

/** Whether a union of elements grants `element`: holds it, or its rule allows any binary. */
function grants(elements: Set<string>, element: string): boolean {
  if (elements.has(element)) return true;
  const ruleName = element.slice(0, element.indexOf('|'));
  return element.startsWith(`${ruleName}|binary|`) && elements.has(elementKey.anyBinary(ruleName));
}

const elementsOf = (d: StoredObject<PolicyDraftData>) => ruleElements(d.data.ruleName, d.data.rule);

/** What each event moves a draft to, and the statuses it may move it from. */
const TRANSITIONS: Record<DraftEventType, { from: DraftStatus[] | null; to: DraftStatus }> = {
  SUBMITTED: { from: null, to: 'PENDING' },
  EDITED: { from: ['PENDING'], to: 'PENDING' },
  APPROVED: { from: ['PENDING', 'REJECTED'], to: 'APPROVED' },
  REJECTED: { from: ['PENDING', 'APPROVED'], to: 'REJECTED' },
  UNDONE: { from: ['APPROVED'], to: 'PENDING' },
};

/**
 * Checks I1–I4 of the proof suite for sandbox `name`, whose base — what PUT and merges set —
 * the round knows to be `base`, and returns what it read:
 * - I1: the policy in force grants exactly `base` and the rules of the APPROVED drafts, and the
 *   head it is composed from holds that base and exactly those drafts;
 * - I2: every APPROVED draft's elements are granted; a PENDING or REJECTED draft's element only
 *   where the base or an APPROVED draft grants it;
 * - I3: revisions are 1..latestPolicyVersion, and the latest one is the policy in force;
 * - I4: hitCounts are the hits submitted; each draft's events are reviewVersions 1..current, one
 *   per change, replaying to its status; bookkeeping (order records, counter) matches the drafts.
 */
export async function checkInvariants(
  store: Store,
  name: string,
  base: Policy,
  expectations: Expectations = {},
): Promise<PolicySnapshot> {
  const s = await snapshot(store, name);
  const drafts = [...s.drafts.values()];
  const approved = drafts.filter((d) => d.data.status === 'APPROVED');
  const baseElements = policyElements(base);
  const inForce = policyElements(s.policy);

  // I1
  const expected = unionElements(baseElements, ...approved.map(elementsOf));
  expect(sorted(inForce), `I1: the policy of ${name}`).toEqual(sorted(expected));
  const headBase = s.head ? s.head.data.base : s.policy;
  expect(sorted(policyElements(headBase)), `I1: the base kept for ${name}`).toEqual(
    sorted(baseElements),
  );
  expect(
    (s.head?.data.approved ?? []).map((g) => [g.id, g.ruleName, g.rule]).sort(),
    `I1: the head of ${name} lists the APPROVED drafts' rules`,
  ).toEqual(approved.map((d) => [d.name, d.data.ruleName, d.data.rule]).sort());

  // I2
  for (const d of drafts) {
    if (d.data.status === 'APPROVED') {
      for (const e of elementsOf(d)) {
        expect(grantsElement(s.policy, e), `I2: APPROVED ${d.name} grants ${e}`).toBe(true);
      }
      continue;
    }
    for (const e of elementsOf(d)) {
      if (!grantsElement(s.policy, e)) continue;
      expect(grants(expected, e), `I2: ${d.data.status} ${d.name}'s ${e} is in force`).toBe(true);
    }
  }

  // I3
  const latest = s.sandbox.data.latestPolicyVersion;
  expect(
    s.revisions.map((r) => r.data.version),
    `I3: revisions of ${name}`,
  ).toEqual(Array.from({ length: latest }, (_, i) => i + 1));
  for (const r of s.revisions) {
    expect(r.key.sk).toBe(keys.policyRevision(name, r.data.version).sk);
  }
  if (latest > 0) {
    expect(s.revisions.at(-1)!.data.policy, `I3: the latest revision of ${name}`).toEqual(s.policy);
  } else {
    expect(s.sandbox.data.spec.policy).toBeUndefined();
  }

  // I4
  for (const [id, hits] of Object.entries(expectations.hits ?? {})) {
    expect(s.drafts.get(id)?.data.hitCount, `I4: hitCount of ${id}`).toBe(hits);
  }
  const owned = new Set<string>();
  for (const d of drafts) {
    const prefix = `${childPrefix.draftEvent}${d.name}#${d.data.generation}#`;
    const events = s.events.filter((e) => e.key.sk.startsWith(prefix));
    for (const e of events) owned.add(e.key.sk);
    expect(
      events.map((e) => e.data.reviewVersion),
      `I4: events of ${d.name} are its reviewVersions`,
    ).toEqual(Array.from({ length: d.data.reviewVersion }, (_, i) => i + 1));
    const types = events.map((e) => e.data.type);
    const allowed = expectations.events?.[d.name];
    if (allowed) expect(allowed, `I4: events of ${d.name}`).toContainEqual(types);
    let status: DraftStatus | undefined;
    for (const type of types) {
      const t = TRANSITIONS[type];
      expect(
        t.from === null ? status === undefined : status !== undefined && t.from.includes(status),
        `I4: ${type} of ${d.name} after ${status ?? 'nothing'}`,
      ).toBe(true);
      status = t.to;
    }
    expect(status, `I4: the events of ${d.name} replay to its status`).toBe(d.data.status);
    if (d.data.status === 'APPROVED') {
      const approval = events.filter((e) => e.data.type === 'APPROVED').at(-1)!;
      expect(approval.data.policyVersion).toBe(d.data.appliedPolicyVersion);
      const applied = s.revisions.find((r) => r.data.version === d.data.appliedPolicyVersion);
      for (const e of elementsOf(d)) {
        expect(grantsElement(applied?.data.policy ?? {}, e), `I4: ${d.name}'s revision`).toBe(true);
      }
    }
  }
  // Bookkeeping: nothing of a deleted draft is left, nothing of a live one is missing.
  expect(
    s.events.filter((e) => !owned.has(e.key.sk)).map((e) => e.key.sk),
    `events of ${name} that belong to no draft`,
  ).toEqual([]);
  expect(sorted(s.orders.map((o) => o.key.sk)), `order records of ${name}`).toEqual(
    sorted(drafts.map((d) => keys.draftOrder(name, d.data.firstSeenAt, d.name).sk)),
  );
  expect(s.count, `the draft count of ${name}`).toBe(drafts.length);
  return s;
}
