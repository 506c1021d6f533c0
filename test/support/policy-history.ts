import { isDeepStrictEqual } from 'node:util';
import type { NetworkRule, PolicyOperation } from '#lib/domain/inputs.ts';
import {
  grantsElement,
  type Policy,
  policyElements,
  ruleElements,
  unionElements,
} from '#lib/domain/network-rules.ts';
import type { Event, Violation } from './history.ts';

/**
 * The policy lifecycle's part of the random history (SPEC §7): what each request of it did, as
 * recorded from its request and response, what the sandboxes hold at the end, and the checker
 * that holds one against the other. Pure: `history-checker.test.ts` feeds it planted histories.
 */

export type DraftStatus = 'PENDING' | 'APPROVED' | 'REJECTED';

/** A draft as the API returns it: the members the checker reads. */
export interface DraftView {
  metadata: { id: string; name: string; resourceVersion: number };
  ruleName: string;
  rule: NetworkRule;
  dedupKey: string;
  hitCount: number;
  status: DraftStatus;
  reviewVersion: number;
  appliedPolicyVersion: number | null;
}

export interface RevisionView {
  version: number;
  policy: Policy;
}

/** A draft a request names, by its dedupKey, and the reviewVersion a client-driven one expects. */
export interface NamedDraft {
  dedupKey: string;
  expectedReviewVersion?: number;
}

export type PolicyOp =
  | 'create-sandbox'
  | 'put'
  | 'merge'
  | 'get-config'
  | 'submit'
  | 'get-draft'
  | 'list-drafts'
  | 'edit'
  | 'approve'
  | 'reject'
  | 'undo'
  | 'approve-all'
  | 'clear';

/** One request of the policy lifecycle: what it sent and what its response carried. */
export interface PolicyRecord {
  op: PolicyOp;
  sandbox: string;
  /** The drafts it names (a submit: its key); approve-all without a list: undefined. */
  drafts?: NamedDraft[];
  /** The precondition sent: a PUT's `expectedResourceVersion`, a merge's `expectedPolicyVersion`. */
  expected?: number;
  /** A submit's hits. */
  hits?: number;
  /** What a PUT set, an edit proposed, a merge applied. */
  policy?: Policy;
  rule?: NetworkRule;
  operations?: PolicyOperation[];
  /** The problem's code and detail of a failure. */
  code?: string;
  detail?: string;
  /** The drafts the response carries. */
  answered?: DraftView[];
  /** The revision the response carries; null: none. */
  revision?: RevisionView | null;
  /** A clear: how many drafts it deleted. */
  deleted?: number;
  /** A config read: the policy in force and the latest revision's number, read together. */
  config?: { policy: Policy | null; policyVersion: number };
}

/** A sandbox of the policy lifecycle at the end of the history. */
export interface PolicyFinal {
  sandbox: string;
  /** The policy in force (the sandbox config's `policy`; undefined: none). */
  policy: Policy | undefined;
  /** The config's `policyVersion`: the latest revision's number. */
  policyVersion: number;
  /** The policy head as stored (`keys.policyHead`); undefined while the sandbox has none. */
  head:
    | { base: Policy; approved: Array<{ id: string; ruleName: string; rule: NetworkRule }> }
    | undefined;
  revisions: RevisionView[];
  drafts: DraftView[];
}

type PolicyEvent = Event & { policy: PolicyRecord };

/** Transaction conflicts outlasting the store's retries: the harness allows it for every write. */
const CONTENTION = '503 UNAVAILABLE';

/**
 * The answers the contract allows (SPEC §2, §7): server-driven decisions and merges keep
 * re-deciding and never answer ABORTED; client-driven ones may also answer 409 ABORTED; 404
 * only names a draft (whether the draft could be missing is `mayBeMissing`'s).
 */
function allowedStatuses(r: PolicyRecord): string[] {
  const clientDriven =
    r.expected !== undefined || (r.drafts ?? []).some((d) => d.expectedReviewVersion !== undefined);
  const aborted = clientDriven ? ['409 ABORTED'] : [];
  switch (r.op) {
    case 'create-sandbox':
      return ['201'];
    case 'get-config':
    case 'list-drafts':
      return ['200'];
    case 'get-draft':
      return ['200', '404 NOT_FOUND'];
    case 'put':
      // A server-driven PUT is an ordinary server-driven CAS: 5 attempts, then ABORTED.
      return ['200', '409 ABORTED', CONTENTION];
    case 'merge':
      return ['200', ...aborted, CONTENTION];
    case 'submit':
      return ['201', '200', CONTENTION];
    case 'approve':
    case 'reject':
      return ['200', '404 NOT_FOUND', ...aborted, CONTENTION];
    case 'undo':
    case 'edit':
      return ['200', '404 NOT_FOUND', '409 FAILED_PRECONDITION', ...aborted, CONTENTION];
    case 'approve-all':
      return r.drafts
        ? ['200', '404 NOT_FOUND', '409 FAILED_PRECONDITION', ...aborted, CONTENTION]
        : ['200', CONTENTION];
    case 'clear':
      return ['200', CONTENTION];
  }
}

const answerOf = (e: PolicyEvent) =>
  e.policy.code ? `${e.status} ${e.policy.code}` : `${e.status}`;
const ok = (e: PolicyEvent) => e.status < 300;
const invoked = (e: Event) => e.invokedAt ?? e.seq;
const sorted = (set: Set<string>) => [...set].sort();
const sameSet = (a: Set<string>, b: Set<string>) => isDeepStrictEqual(sorted(a), sorted(b));

/** The decision each op makes of a draft it answers. */
const DECIDES: Partial<Record<PolicyOp, DraftStatus>> = {
  approve: 'APPROVED',
  'approve-all': 'APPROVED',
  reject: 'REJECTED',
  undo: 'PENDING',
  edit: 'PENDING',
};
/** Ops whose success always moves the reviewVersion of each draft they answer. */
const ALWAYS_CHANGES = new Set<PolicyOp>(['edit', 'undo', 'approve-all']);
/** Ops whose revision, when not null, is one they created. */
const CREATES_ITS_REVISION = new Set<PolicyOp>([
  'create-sandbox',
  'put',
  'approve',
  'reject',
  'undo',
  'approve-all',
]);

/**
 * Checks the policy lifecycle's history against the sandboxes' final state:
 * - every answer is one the contract allows for its operation; a 404 names a draft that had not
 *   been submitted when the request was sent, or that a clear may have deleted; no submit
 *   answered 409;
 * - each draft's `hitCount` is the sum of the hits of the successful submits that answered it;
 * - revisions are numbered 1..latest with no gap or duplicate; the latest is the policy in force
 *   and the config's `policyVersion`; every revision a success reports is stored once with the
 *   content reported, no two writes claim to have created one revision, and every stored
 *   revision is one a success reports; a config read's policy is its revision's;
 * - a PUT's revision grants what the PUT set; an APPROVED draft's applied revision grants its rule;
 * - answers about one draft agree on what each reviewVersion and each version of it holds; a
 *   decision answers the status it decides; client-driven decisions produce based-on + 1, at most
 *   once per reviewVersion; no two always-changing decisions claim one reviewVersion;
 * - at the end the policy in force grants exactly the base (the head's, or the policy itself
 *   while there is no head) and the rules of the APPROVED drafts, which are exactly the head's
 *   approved drafts, and every APPROVED draft's rule is in force.
 */
export function checkPolicyHistory(events: Event[], finals: readonly PolicyFinal[]): Violation[] {
  const out: Violation[] = [];
  const history = events.filter((e): e is PolicyEvent => e.policy !== undefined);
  checkAnswers(history, out);
  checkHits(history, finals, out);
  checkRevisions(history, finals, out);
  checkDraftAnswers(history, finals, out);
  for (const f of finals) checkFinal(f, out);
  return out;
}

function checkAnswers(history: PolicyEvent[], out: Violation[]) {
  for (const e of history) {
    const r = e.policy;
    const object = `Policy/${r.sandbox}`;
    const answer = answerOf(e);
    if (r.op === 'submit' && e.status === 409) {
      out.push({ rule: 'a submit was refused with 409', object, detail: answer, excerpt: [e] });
      continue;
    }
    if (!allowedStatuses(r).includes(answer)) {
      out.push({
        rule: 'an answer the contract does not allow for the operation',
        object,
        detail: `${r.op} → ${answer}`,
        excerpt: [e],
      });
      continue;
    }
    if (e.status === 404 && !(r.drafts ?? []).some((d) => mayBeMissing(history, e, d.dedupKey))) {
      out.push({
        rule: 'a 404 for a draft that existed and no clear could have deleted',
        object,
        detail: `${r.op} ${(r.drafts ?? []).map((d) => d.dedupKey).join(',')}`,
        excerpt: [e, ...lastSubmits(history, e, r.drafts?.[0]?.dedupKey)],
      });
    }
  }
}

/** The successful submits of the key that completed before `e` was sent. */
function lastSubmits(history: PolicyEvent[], e: PolicyEvent, dedupKey: string | undefined) {
  return history.filter(
    (s) =>
      s.policy.op === 'submit' &&
      ok(s) &&
      s.policy.sandbox === e.policy.sandbox &&
      s.policy.drafts?.[0]?.dedupKey === dedupKey &&
      s.seq < invoked(e),
  );
}

/**
 * Whether the draft of `dedupKey` may have been missing while `e` ran: no submit of it had
 * succeeded before `e` was sent, or a clear that deleted something overlapped or followed the
 * last such submit and began before `e` answered.
 */
function mayBeMissing(history: PolicyEvent[], e: PolicyEvent, dedupKey: string): boolean {
  const submits = lastSubmits(history, e, dedupKey);
  if (submits.length === 0) return true;
  const last = Math.max(...submits.map(invoked));
  return history.some(
    (c) =>
      c.policy.op === 'clear' &&
      c.policy.sandbox === e.policy.sandbox &&
      ok(c) &&
      (c.policy.deleted ?? 0) > 0 &&
      invoked(c) <= e.seq &&
      c.seq >= last,
  );
}

function checkHits(history: PolicyEvent[], finals: readonly PolicyFinal[], out: Violation[]) {
  // Per draft generation (its metadata.id): the hits of the submits it answered.
  const sums = new Map<string, { hits: number; submits: PolicyEvent[] }>();
  for (const e of history) {
    if (e.policy.op !== 'submit' || !ok(e)) continue;
    const draft = e.policy.answered?.[0];
    if (!draft) continue;
    const entry = sums.get(draft.metadata.id) ?? { hits: 0, submits: [] };
    const counted = entry.submits.find((s) => s.policy.answered![0]!.hitCount === draft.hitCount);
    if (counted) {
      out.push({
        rule: 'two submits of one draft answered one hitCount',
        object: `PolicyDraft/${e.policy.sandbox}/${draft.dedupKey}`,
        detail: `hitCount ${draft.hitCount}`,
        excerpt: [counted, e],
      });
    }
    entry.hits += e.policy.hits ?? 1;
    entry.submits.push(e);
    sums.set(draft.metadata.id, entry);
  }
  for (const f of finals) {
    for (const d of f.drafts) {
      const entry = sums.get(d.metadata.id);
      if ((entry?.hits ?? 0) !== d.hitCount) {
        out.push({
          rule: "a draft's hitCount is not the sum of its successful submits' hits",
          object: `PolicyDraft/${f.sandbox}/${d.dedupKey}`,
          detail: `hitCount ${d.hitCount}, submits' hits ${entry?.hits ?? 0}`,
          excerpt: entry?.submits.slice(-3) ?? [],
        });
      }
    }
  }
}

function checkRevisions(history: PolicyEvent[], finals: readonly PolicyFinal[], out: Violation[]) {
  for (const f of finals) {
    const object = `Policy/${f.sandbox}`;
    const mine = history.filter((e) => e.policy.sandbox === f.sandbox);
    const numbers = f.revisions.map((r) => r.version).sort((a, b) => a - b);
    if (!numbers.every((v, i) => v === i + 1)) {
      out.push({
        rule: 'revision numbers are not 1..latest',
        object,
        detail: numbers.join(','),
        excerpt: [],
      });
    }
    const latest = f.revisions.reduce<RevisionView | undefined>(
      (a, r) => (a && a.version >= r.version ? a : r),
      undefined,
    );
    if (!isDeepStrictEqual(latest?.policy, f.policy)) {
      out.push({
        rule: 'the last revision is not the policy in force',
        object,
        detail: `revision ${latest?.version ?? 'none'}`,
        excerpt: [],
      });
    }
    if ((latest?.version ?? 0) !== f.policyVersion) {
      out.push({
        rule: "the sandbox's policy version is not its latest revision",
        object,
        detail: `policyVersion ${f.policyVersion}, latest revision ${latest?.version ?? 0}`,
        excerpt: [],
      });
    }
    const stored = (version: number) => f.revisions.filter((r) => r.version === version);
    const reported = new Set<number>();
    const created = new Map<number, PolicyEvent>();
    for (const e of mine.filter(ok)) {
      const r = e.policy;
      if (r.config) {
        const [revision] = stored(r.config.policyVersion);
        const holds = r.config.policyVersion === 0 ? r.config.policy === null : revision;
        if (!holds || (revision && !isDeepStrictEqual(revision.policy, r.config.policy))) {
          out.push({
            rule: 'a config read shows a policy its revision does not hold',
            object,
            detail: `policyVersion ${r.config.policyVersion}`,
            excerpt: [e],
          });
        }
      }
      if (!r.revision) continue;
      const v = r.revision.version;
      reported.add(v);
      const copies = stored(v);
      if (copies.length !== 1) {
        out.push({
          rule: 'a reported revision is not stored exactly once',
          object,
          detail: `revision ${v} stored ${copies.length} times`,
          excerpt: [e],
        });
      } else if (!isDeepStrictEqual(copies[0]!.policy, r.revision.policy)) {
        out.push({
          rule: 'a reported revision differs from the stored one',
          object,
          detail: `revision ${v}`,
          excerpt: [e],
        });
      }
      if (CREATES_ITS_REVISION.has(r.op)) {
        const other = created.get(v);
        if (other) {
          out.push({
            rule: 'two writes claim one revision',
            object,
            detail: `revision ${v}`,
            excerpt: [other, e],
          });
        }
        created.set(v, e);
      }
      if (r.op === 'put' && r.policy) {
        const missing = [...policyElements(r.policy)].filter(
          (el) => !grantsElement(r.revision!.policy, el),
        );
        if (missing.length) {
          out.push({
            rule: 'a revision does not grant what its write set',
            object,
            detail: `revision ${v} lacks ${missing.join(' ')}`,
            excerpt: [e],
          });
        }
      }
    }
    for (const v of numbers) {
      if (!reported.has(v)) {
        out.push({
          rule: 'a stored revision no successful write reports',
          object,
          detail: `revision ${v}`,
          excerpt: [],
        });
      }
    }
    // An APPROVED draft, whenever answered, names a revision that grants its rule.
    const approvedViews = [
      ...mine.filter(ok).flatMap((e) => (e.policy.answered ?? []).map((d) => ({ d, e }))),
      ...f.drafts.map((d) => ({ d, e: undefined })),
    ].filter(({ d }) => d.status === 'APPROVED');
    for (const { d, e } of approvedViews) {
      const [revision] = stored(d.appliedPolicyVersion ?? 0);
      const missing = [...ruleElements(d.ruleName, d.rule)].filter(
        (el) => !revision || !grantsElement(revision.policy, el),
      );
      if (missing.length) {
        out.push({
          rule: "an APPROVED draft's applied revision does not grant its rule",
          object: `PolicyDraft/${f.sandbox}/${d.dedupKey}`,
          detail: `revision ${d.appliedPolicyVersion} lacks ${missing.join(' ')}`,
          excerpt: e ? [e] : [],
        });
      }
    }
  }
}

/** What a reviewVersion of a draft fixes: its status, rule and applied revision. */
const reviewOf = (d: DraftView) =>
  JSON.stringify([
    d.status,
    d.ruleName,
    sorted(ruleElements(d.ruleName, d.rule)),
    d.appliedPolicyVersion,
  ]);

function checkDraftAnswers(
  history: PolicyEvent[],
  finals: readonly PolicyFinal[],
  out: Violation[],
) {
  const answers = [
    ...history.filter(ok).flatMap((e) => (e.policy.answered ?? []).map((d) => ({ d, e }))),
    ...finals.flatMap((f) => f.drafts.map((d) => ({ d, e: undefined as PolicyEvent | undefined }))),
  ];
  const reviews = new Map<string, { review: string; e: PolicyEvent | undefined }>();
  const versions = new Map<string, { version: string; e: PolicyEvent | undefined }>();
  for (const { d, e } of answers) {
    const object = `PolicyDraft/${e?.policy.sandbox ?? ''}/${d.dedupKey}`;
    const review = reviewOf(d);
    const rk = `${d.metadata.id}#${d.reviewVersion}`;
    const seen = reviews.get(rk);
    if (seen && seen.review !== review) {
      out.push({
        rule: 'two answers disagree on one reviewVersion',
        object,
        detail: `reviewVersion ${d.reviewVersion}: ${seen.review} vs ${review}`,
        excerpt: [seen.e, e].filter((x): x is PolicyEvent => x !== undefined),
      });
    }
    if (!seen) reviews.set(rk, { review, e });
    const version = JSON.stringify([d.reviewVersion, d.hitCount, review]);
    const vk = `${d.metadata.id}@${d.metadata.resourceVersion}`;
    const other = versions.get(vk);
    if (other && other.version !== version) {
      out.push({
        rule: 'two answers disagree on one version of a draft',
        object,
        detail: `version ${d.metadata.resourceVersion}`,
        excerpt: [other.e, e].filter((x): x is PolicyEvent => x !== undefined),
      });
    }
    if (!other) versions.set(vk, { version, e });
  }

  const basedOn = new Map<string, PolicyEvent>();
  const claimed = new Map<string, PolicyEvent>();
  for (const e of history.filter(ok)) {
    const r = e.policy;
    const decides = DECIDES[r.op];
    if (!decides) continue;
    const object = `Policy/${r.sandbox}`;
    const answered = r.answered ?? [];
    const named = r.drafts?.map((d) => d.dedupKey).sort();
    const wrong =
      answered.some((d) => d.status !== decides) ||
      (r.op === 'edit' &&
        r.rule !== undefined &&
        !sameSet(
          ruleElements(answered[0]!.ruleName, answered[0]!.rule),
          ruleElements(answered[0]!.ruleName, r.rule),
        )) ||
      (named !== undefined && !isDeepStrictEqual(answered.map((d) => d.dedupKey).sort(), named));
    if (wrong) {
      out.push({
        rule: 'a decision answered other than it decides',
        object,
        detail: `${r.op}: ${answered.map((d) => `${d.dedupKey} ${d.status}`).join(', ')}`,
        excerpt: [e],
      });
    }
    for (const d of answered) {
      const expected = r.drafts?.find((n) => n.dedupKey === d.dedupKey)?.expectedReviewVersion;
      const key = `${d.metadata.id}#${d.reviewVersion}`;
      if (ALWAYS_CHANGES.has(r.op)) {
        const other = claimed.get(key);
        if (other) {
          out.push({
            rule: 'two decisions claim one reviewVersion',
            object,
            detail: `${d.dedupKey} reviewVersion ${d.reviewVersion}`,
            excerpt: [other, e],
          });
        }
        claimed.set(key, e);
      }
      if (expected === undefined) continue;
      const changed = d.reviewVersion === expected + 1;
      if (!changed && (d.reviewVersion !== expected || ALWAYS_CHANGES.has(r.op))) {
        out.push({
          rule: 'a client-driven decision did not produce based-on + 1',
          object,
          detail: `${d.dedupKey} based on ${expected}, answered ${d.reviewVersion}`,
          excerpt: [e],
        });
        continue;
      }
      if (!changed) continue;
      const based = `${d.metadata.id}#${expected}`;
      const other = basedOn.get(based);
      if (other) {
        out.push({
          rule: 'two client-driven decisions based on one reviewVersion',
          object,
          detail: `${d.dedupKey} reviewVersion ${expected}`,
          excerpt: [other, e],
        });
      }
      basedOn.set(based, e);
    }
  }
}

function checkFinal(f: PolicyFinal, out: Violation[]) {
  const object = `Policy/${f.sandbox}`;
  const inForce = f.policy ?? {};
  const base = f.head?.base ?? inForce;
  const approved = f.drafts.filter((d) => d.status === 'APPROVED');
  const expected = unionElements(
    policyElements(base),
    ...approved.map((d) => ruleElements(d.ruleName, d.rule)),
  );
  const actual = policyElements(inForce);
  if (!sameSet(actual, expected)) {
    const extra = sorted(actual).filter((x) => !expected.has(x));
    const missing = sorted(expected).filter((x) => !actual.has(x));
    out.push({
      rule: 'the policy in force is not its base and the APPROVED drafts',
      object,
      detail: `extra ${extra.join(' ')}; missing ${missing.join(' ')}`,
      excerpt: [],
    });
  }
  for (const d of approved) {
    const missing = [...ruleElements(d.ruleName, d.rule)].filter(
      (el) => !grantsElement(inForce, el),
    );
    if (missing.length) {
      out.push({
        rule: "an APPROVED draft's rule is not in force",
        object: `PolicyDraft/${f.sandbox}/${d.dedupKey}`,
        detail: missing.join(' '),
        excerpt: [],
      });
    }
  }
  const headIds = new Set((f.head?.approved ?? []).map((g) => g.id));
  if (!sameSet(headIds, new Set(approved.map((d) => d.metadata.name)))) {
    out.push({
      rule: "the head's approved drafts are not the APPROVED drafts",
      object,
      detail: `head ${sorted(headIds)}, APPROVED ${approved.map((d) => d.metadata.name).sort()}`,
      excerpt: [],
    });
  }
}
