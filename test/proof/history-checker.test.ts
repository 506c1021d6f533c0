import { describe, expect, it } from 'vitest';
import { checkHistory, type Event, type View } from '#test/support/history.ts';
import {
  checkPolicyHistory,
  type DraftView,
  type PolicyFinal,
  type PolicyRecord,
} from '#test/support/policy-history.ts';

const view = (v: number, config: Record<string, string> = {}, id = 'id-1'): View => ({
  metadata: { id, name: 'p', resourceVersion: v },
  config,
});
const base = { client: 0, kind: 'Provider' as const, name: 'p' };
let seq = 0;
const ev = (e: Partial<Event>): Event => ({ seq: seq++, op: 'x', status: 200, ...base, ...e });
const rules = (events: Event[], final?: View) =>
  checkHistory(events, new Map([['Provider/p', final]]), undefined).map((v) => v.rule);

describe('the history checker catches what it must', () => {
  const created = ev({ write: 'create', view: view(1) });

  it('accepts a correct history', () => {
    const w2 = ev({
      write: 'change',
      marker: { field: 'config', key: 'a' },
      view: view(2, { a: 'x' }),
    });
    const w3 = ev({
      write: 'change',
      basedOn: 2,
      marker: { field: 'config', key: 'b' },
      view: view(3, { a: 'x', b: 'y' }),
    });
    const read = ev({ view: view(2, { a: 'x' }) });
    expect(rules([created, w2, w3, read], view(3, { a: 'x', b: 'y' }))).toEqual([]);
  });

  it('two successes claiming one version', () => {
    const a = ev({ write: 'change', view: view(2) });
    const b = ev({ write: 'change', view: view(2) });
    expect(rules([created, a, b], view(2))).toContain('two successes claim one version');
  });

  it('a gap in versions', () => {
    expect(rules([created, ev({ write: 'change', view: view(3) })], view(3))).toContain(
      'versions are not consecutive',
    );
  });

  it('two client-driven successes based on one version', () => {
    const a = ev({ write: 'change', basedOn: 1, view: view(2) });
    const b = ev({ write: 'change', basedOn: 1, view: view(3) });
    expect(rules([created, a, b], view(3))).toContain(
      'two client-driven successes based on one version',
    );
  });

  it('a lost update and a failed write that changed something', () => {
    const lost = ev({
      write: 'change',
      marker: { field: 'config', key: 'a' },
      view: view(2, { a: 'x' }),
    });
    const failed = ev({ write: 'change', status: 409, marker: { field: 'config', key: 'b' } });
    const found = rules([created, lost, failed], view(2, { b: 'y' }));
    expect(found).toContain('a successful change is missing from the final state');
    expect(found).toContain('a failed write changed the object');
  });

  it('a read of a version no write produced, or with other content', () => {
    const w2 = ev({ write: 'change', view: view(2, { a: 'x' }) });
    expect(rules([created, w2, ev({ view: view(5) })], view(2, { a: 'x' }))).toContain(
      'a read reported a version no write produced',
    );
    expect(
      rules([created, w2, ev({ view: view(2, { a: 'other' }) })], view(2, { a: 'x' })),
    ).toContain('a read reported other content for a version');
  });
});

describe('the policy checker catches what it must', () => {
  const S = 'pol';
  const web = { endpoints: [{ host: 'a.example.com', ports: [443] }] };
  const git = { endpoints: [{ host: 'b.example.com', ports: [22] }] };
  const P1 = { networkPolicies: { git } };
  const P2 = { networkPolicies: { git, web } };
  const draft = (over: Partial<DraftView> = {}): DraftView => ({
    metadata: { id: 'gen-1', name: 'dk1', resourceVersion: 1 },
    ruleName: 'web',
    rule: web,
    dedupKey: 'k1',
    hitCount: 2,
    status: 'PENDING',
    reviewVersion: 1,
    appliedPolicyVersion: null,
    ...over,
  });
  const approvedDraft = (over: Partial<DraftView> = {}) =>
    draft({
      metadata: { id: 'gen-1', name: 'dk1', resourceVersion: 3 },
      hitCount: 5,
      status: 'APPROVED',
      reviewVersion: 2,
      appliedPolicyVersion: 2,
      ...over,
    });
  let clock = 0;
  /** One request of the lifecycle; sent after every earlier one answered unless `invokedAt`. */
  const pev = (policy: Omit<PolicyRecord, 'sandbox'>, status = 200, invokedAt?: number): Event => {
    const seq = clock++;
    return {
      seq,
      invokedAt: invokedAt ?? seq,
      client: 0,
      op: `policy-${policy.op}`,
      kind: 'Policy',
      name: S,
      status,
      policy: { sandbox: S, ...policy },
    };
  };
  const k1 = [{ dedupKey: 'k1' }];

  /** A correct history: PUT, two submits of one key, an approval, a config read. */
  function scenario() {
    const events = [
      pev({ op: 'create-sandbox' }, 201),
      pev({ op: 'put', policy: P1, revision: { version: 1, policy: P1 } }),
      pev({ op: 'submit', drafts: k1, hits: 2, answered: [draft()] }, 201),
      pev({
        op: 'submit',
        drafts: k1,
        hits: 3,
        answered: [
          draft({ metadata: { id: 'gen-1', name: 'dk1', resourceVersion: 2 }, hitCount: 5 }),
        ],
      }),
      pev({
        op: 'approve',
        drafts: k1,
        answered: [approvedDraft()],
        revision: { version: 2, policy: P2 },
      }),
      pev({ op: 'get-config', config: { policy: P2, policyVersion: 2 } }),
    ];
    const final: PolicyFinal = {
      sandbox: S,
      policy: P2,
      policyVersion: 2,
      head: { base: P1, approved: [{ id: 'dk1', ruleName: 'web', rule: web }] },
      revisions: [
        { version: 2, policy: P2 },
        { version: 1, policy: P1 },
      ],
      drafts: [approvedDraft()],
    };
    return { events, final };
  }
  const rulesOf = (events: Event[], final: PolicyFinal) =>
    checkPolicyHistory(events, [final]).map((v) => v.rule);

  it('accepts a correct history', () => {
    const { events, final } = scenario();
    expect(checkPolicyHistory(events, [final])).toEqual([]);
  });

  it('a policy in force that is not its base and the APPROVED drafts', () => {
    const { events, final } = scenario();
    const wider = {
      networkPolicies: { git, web: { endpoints: [{ host: 'a.example.com', ports: [443, 80] }] } },
    };
    final.policy = wider;
    final.revisions[0] = { version: 2, policy: wider };
    expect(rulesOf(events, final)).toContain(
      'the policy in force is not its base and the APPROVED drafts',
    );
  });

  it('an APPROVED draft whose rule is not in force', () => {
    const { events, final } = scenario();
    final.policy = P1;
    final.head = { base: P1, approved: [{ id: 'dk1', ruleName: 'web', rule: web }] };
    final.revisions[0] = { version: 2, policy: P1 };
    const found = rulesOf(events, final);
    expect(found).toContain("an APPROVED draft's rule is not in force");
    expect(found).toContain('the policy in force is not its base and the APPROVED drafts');
  });

  it('a head whose approved drafts are not the APPROVED drafts', () => {
    const { events, final } = scenario();
    final.head = { base: P2, approved: [] };
    expect(rulesOf(events, final)).toContain(
      "the head's approved drafts are not the APPROVED drafts",
    );
  });

  it('a gap or a duplicate in revision numbers, a last revision not in force', () => {
    const gap = scenario();
    gap.final.revisions = [
      { version: 3, policy: P2 },
      { version: 1, policy: P1 },
    ];
    const found = rulesOf(gap.events, gap.final);
    expect(found).toContain('revision numbers are not 1..latest');
    expect(found).toContain('a reported revision is not stored exactly once');
    expect(found).toContain("the sandbox's policy version is not its latest revision");
    const dup = scenario();
    dup.final.revisions.push({ version: 2, policy: P1 });
    expect(rulesOf(dup.events, dup.final)).toContain('revision numbers are not 1..latest');
    const stale = scenario();
    stale.final.policy = P1;
    expect(rulesOf(stale.events, stale.final)).toContain(
      'the last revision is not the policy in force',
    );
  });

  it('two writes claiming one revision, or a revision stored with other content', () => {
    const { events, final } = scenario();
    events.push(pev({ op: 'put', policy: P2, revision: { version: 2, policy: P2 } }));
    expect(rulesOf(events, final)).toContain('two writes claim one revision');
    const other = scenario();
    other.final.revisions[1] = { version: 1, policy: { networkPolicies: {} } };
    expect(rulesOf(other.events, other.final)).toContain(
      'a reported revision differs from the stored one',
    );
  });

  it('a stored revision that no successful write reports (a failed write that wrote)', () => {
    const { events, final } = scenario();
    events.push(pev({ op: 'put', policy: P1, code: 'ABORTED' }, 409));
    final.revisions.unshift({ version: 3, policy: P1 });
    final.policy = P1;
    final.policyVersion = 3;
    expect(rulesOf(events, final)).toContain('a stored revision no successful write reports');
  });

  it('a config read whose policy is not its revision', () => {
    const { events, final } = scenario();
    events.push(pev({ op: 'get-config', config: { policy: P1, policyVersion: 2 } }));
    expect(rulesOf(events, final)).toContain(
      'a config read shows a policy its revision does not hold',
    );
  });

  it('a PUT or an approval whose revision does not grant what it set', () => {
    const { events, final } = scenario();
    events[1]!.policy!.policy = P2;
    expect(rulesOf(events, final)).toContain('a revision does not grant what its write set');
    const approval = scenario();
    approval.final.drafts = [approvedDraft({ appliedPolicyVersion: 1 })];
    expect(rulesOf(approval.events, approval.final)).toContain(
      "an APPROVED draft's applied revision does not grant its rule",
    );
  });

  it("a hitCount that is not the sum of the successful submits' hits", () => {
    const lost = scenario();
    lost.final.drafts = [approvedDraft({ hitCount: 3 })];
    expect(rulesOf(lost.events, lost.final)).toContain(
      "a draft's hitCount is not the sum of its successful submits' hits",
    );
    // A failed submit whose hits were counted anyway.
    const failed = scenario();
    failed.events.push(pev({ op: 'submit', drafts: k1, hits: 4, code: 'UNAVAILABLE' }, 503));
    failed.final.drafts = [approvedDraft({ hitCount: 9 })];
    expect(rulesOf(failed.events, failed.final)).toContain(
      "a draft's hitCount is not the sum of its successful submits' hits",
    );
  });

  it('two hits answering one hitCount, and a submit refused with 409', () => {
    const { events, final } = scenario();
    events[3]!.policy!.answered = [draft({ hitCount: 2 })];
    expect(rulesOf(events, final)).toContain('two submits of one draft answered one hitCount');
    const refused = scenario();
    refused.events.push(pev({ op: 'submit', drafts: k1, hits: 1, code: 'ABORTED' }, 409));
    expect(rulesOf(refused.events, refused.final)).toContain('a submit was refused with 409');
  });

  it('answers the contract does not allow', () => {
    const allowed = (policy: Omit<PolicyRecord, 'sandbox'>, status: number) => {
      const { events, final } = scenario();
      events.push(pev(policy, status));
      return !rulesOf(events, final).includes(
        'an answer the contract does not allow for the operation',
      );
    };
    // Server-driven decisions and merges keep deciding: never ABORTED.
    expect(allowed({ op: 'approve', drafts: k1, code: 'ABORTED' }, 409)).toBe(false);
    expect(allowed({ op: 'undo', drafts: k1, code: 'ABORTED' }, 409)).toBe(false);
    expect(allowed({ op: 'merge', operations: [], code: 'ABORTED' }, 409)).toBe(false);
    expect(allowed({ op: 'approve-all', code: 'FAILED_PRECONDITION' }, 409)).toBe(false);
    // Client-driven: ABORTED and FAILED_PRECONDITION where a status refuses, nothing else.
    const cas = [{ dedupKey: 'k1', expectedReviewVersion: 1 }];
    expect(allowed({ op: 'approve', drafts: cas, code: 'ABORTED' }, 409)).toBe(true);
    expect(allowed({ op: 'undo', drafts: cas, code: 'FAILED_PRECONDITION' }, 409)).toBe(true);
    expect(allowed({ op: 'approve', drafts: cas, code: 'FAILED_PRECONDITION' }, 409)).toBe(false);
    expect(allowed({ op: 'edit', drafts: cas, code: 'ALREADY_EXISTS' }, 409)).toBe(false);
    expect(allowed({ op: 'merge', operations: [], expected: 2, code: 'ABORTED' }, 409)).toBe(true);
    expect(allowed({ op: 'clear', code: 'INTERNAL' }, 500)).toBe(false);
    // What the history found in clear and approve-all racing clears: no draft of theirs to miss.
    expect(allowed({ op: 'clear', code: 'NOT_FOUND' }, 404)).toBe(false);
    expect(allowed({ op: 'approve-all', code: 'NOT_FOUND' }, 404)).toBe(false);
    expect(allowed({ op: 'approve-all', drafts: k1, code: 'NOT_FOUND' }, 404)).toBe(true);
  });

  it('a 404 for a draft that existed and no clear could have deleted', () => {
    const { events, final } = scenario();
    events.push(pev({ op: 'reject', drafts: k1, code: 'NOT_FOUND' }, 404));
    expect(rulesOf(events, final)).toContain(
      'a 404 for a draft that existed and no clear could have deleted',
    );
    // Not yet submitted when the request was sent, or cleared meanwhile: allowed.
    const early = scenario();
    early.events.push(pev({ op: 'get-draft', drafts: k1, code: 'NOT_FOUND' }, 404, 1));
    expect(checkPolicyHistory(early.events, [early.final])).toEqual([]);
    const cleared = scenario();
    const clear = pev({ op: 'clear', deleted: 1 });
    cleared.events.push(clear, pev({ op: 'undo', drafts: k1, code: 'NOT_FOUND' }, 404));
    expect(rulesOf(cleared.events, cleared.final)).not.toContain(
      'a 404 for a draft that existed and no clear could have deleted',
    );
  });

  it('answers that disagree on a reviewVersion, or a decision answering another status', () => {
    const { events, final } = scenario();
    events.push(
      pev({ op: 'get-draft', drafts: k1, answered: [approvedDraft({ status: 'REJECTED' })] }),
    );
    expect(rulesOf(events, final)).toContain('two answers disagree on one reviewVersion');
    const wrong = scenario();
    wrong.events.push(pev({ op: 'undo', drafts: k1, answered: [approvedDraft()] }));
    expect(rulesOf(wrong.events, wrong.final)).toContain(
      'a decision answered other than it decides',
    );
    // An approve-all of every PENDING draft that answers one a reviewer rejected meanwhile.
    const rejected = scenario();
    const reject = (v: number) =>
      approvedDraft({
        metadata: { id: 'gen-1', name: 'dk1', resourceVersion: v },
        status: 'REJECTED',
        reviewVersion: 3,
      });
    rejected.events.push(
      pev({
        op: 'reject',
        drafts: k1,
        answered: [reject(4)],
        revision: { version: 3, policy: P1 },
      }),
      pev({ op: 'approve-all', answered: [reject(4)], revision: null }),
    );
    expect(rulesOf(rejected.events, rejected.final)).toContain(
      'a decision answered other than it decides',
    );
  });

  it('two client-driven decisions based on one reviewVersion', () => {
    const { events, final } = scenario();
    const cas = [{ dedupKey: 'k1', expectedReviewVersion: 2 }];
    const undone = (resourceVersion: number) =>
      draft({
        metadata: { id: 'gen-1', name: 'dk1', resourceVersion },
        reviewVersion: 3,
        hitCount: 5,
      });
    events.push(
      pev({ op: 'undo', drafts: cas, answered: [undone(4)], revision: { version: 3, policy: P1 } }),
      pev({ op: 'undo', drafts: cas, answered: [undone(4)], revision: { version: 4, policy: P1 } }),
    );
    final.revisions.unshift({ version: 4, policy: P1 }, { version: 3, policy: P1 });
    final.policy = P1;
    final.policyVersion = 4;
    final.head = { base: P1, approved: [] };
    final.drafts = [undone(4)];
    const found = rulesOf(events, final);
    expect(found).toContain('two client-driven decisions based on one reviewVersion');
    expect(found).toContain('two decisions claim one reviewVersion');
  });
});
