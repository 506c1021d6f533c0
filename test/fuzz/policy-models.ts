import fc from 'fast-check';
import { LIMITS } from '#lib/domain/limits.ts';
import {
  FAILED_PRECONDITION,
  type FieldSpec,
  missing,
  NOT_FOUND,
  preconditionFields,
  preconditionQueries,
  stale,
  stateBreaker,
} from './breakers.ts';
import { listQuery, pagination, policy, policyField, type RouteModel, request } from './models.ts';
import { type Expectation, invalidField, setAt, setQuery } from './request.ts';
import { anyText, badIntString, tooManyBytes, tooManyChars } from './values.ts';
import { BIN_BINARIES, DRAFT_RULE, type DraftVersion, type World } from './world.ts';

/**
 * The hand-written models of the policy lifecycle's routes (SPEC §7): merges, drafts and the
 * global policy, over the world's `fz-drafts` and `fz-crowd` sandboxes and its lifted global
 * policy. Their state refusals are the ones SPEC §7 names: a draft in a status its decision does
 * not allow (409 FAILED_PRECONDITION), a stale `expectedReviewVersion` or `expectedPolicyVersion`
 * (409 ABORTED with the current version), more PENDING drafts than one approval commits.
 */

const host = fc.constantFrom('api.example.com', '*.example.org', 'Git.Example.com.', '10.0.0.1');
const endpoint = fc.record(
  {
    host,
    ports: fc.uniqueArray(fc.integer({ min: 1, max: 65535 }), { minLength: 1, maxLength: 4 }),
    protocol: fc.constantFrom('tcp', 'rest', 'websocket', 'grpc'),
    access: fc.constantFrom('read-only', 'read-write', 'full'),
  },
  { requiredKeys: ['host', 'ports'] },
);
const rule = fc.record(
  {
    endpoints: fc.tuple(endpoint).map((e) => [...e]),
    binaries: fc.constantFrom([], [{ path: '/usr/bin/curl' }], [{ path: '/opt/x y/z' }]),
  },
  { requiredKeys: ['endpoints'] },
);
const ruleName = fc.stringMatching(/^fz-r-[a-z0-9]{6}$/);

const endpointOf = (extra: Record<string, unknown>) => ({
  endpoints: [{ host: 'a.example.com', ports: [443], ...extra }],
});

/** Rules SPEC §7.1 refuses: shapes, local destinations, counts and bytes past `LIMITS`. */
const badRule = fc.constantFrom<unknown>(
  {},
  { endpoints: [] },
  { endpoints: [{ host: 'a.example.com' }] },
  { endpoints: [{ ports: [443] }] },
  endpointOf({ host: 'localhost' }),
  endpointOf({ host: 'api.localhost' }),
  endpointOf({ host: '127.0.0.1' }),
  endpointOf({ host: '2130706433' }),
  endpointOf({ host: '169.254.169.254' }),
  endpointOf({ host: 'metadata.google.internal' }),
  endpointOf({ host: '[::1]' }),
  endpointOf({ host: 'fd00:ec2::254' }),
  endpointOf({ host: 'a b.example.com' }),
  endpointOf({ host: '' }),
  endpointOf({ ports: [] }),
  endpointOf({ ports: [0] }),
  endpointOf({ ports: [65536] }),
  endpointOf({ ports: [1.5] }),
  endpointOf({ protocol: 'udp' }),
  endpointOf({ access: 'admin' }),
  endpointOf({ extra: 1 }),
  {
    endpoints: [
      { host: 'a.example.com', ports: [443] },
      { host: 'A.example.com.', ports: [80] },
    ],
  },
  { ...endpointOf({}), binaries: [{ path: 'relative/path' }] },
  { ...endpointOf({}), binaries: [{ path: '/bin/a\nb' }] },
  { ...endpointOf({}), binaries: ['/bin/sh'] },
  { ...endpointOf({}), extra: true },
  {
    endpoints: Array.from({ length: LIMITS.networkRuleEndpoints + 1 }, (_, i) => ({
      host: `h${i}.example.com`,
      ports: [443],
    })),
  },
  endpointOf({ ports: Array.from({ length: LIMITS.networkEndpointPorts + 1 }, (_, i) => i + 1) }),
  {
    ...endpointOf({}),
    binaries: Array.from({ length: LIMITS.networkRuleBinaries + 1 }, (_, i) => ({
      path: `/bin/b${i}`,
    })),
  },
  // Each part within its bounds, the whole past `LIMITS.networkRuleBytes`.
  {
    ...endpointOf({}),
    binaries: Array.from({ length: 20 }, (_, i) => ({ path: `/${i}${'p'.repeat(1000)}` })),
  },
);

const badRuleName = fc.constantFrom(
  '',
  'A',
  '-a',
  'a.b',
  'a b',
  '_provider_x',
  '__proto__',
  'r'.repeat(64),
  'é',
);

const ruleFields = (path: string[]): FieldSpec[] => [
  { path: [...path, 'ruleName'], types: ['string'], required: true, invalid: badRuleName },
  { path: [...path, 'rule'], types: ['object'], required: true, invalid: badRule },
];

const badReviewVersion = fc.constantFrom(0, -1, 1.5, 2 ** 53, 1e300);
const reviewVersionField: FieldSpec = {
  path: ['expectedReviewVersion'],
  types: ['number'],
  invalid: badReviewVersion,
};
const textField = (name: string): FieldSpec => ({
  path: [name],
  types: ['string'],
  invalid: fc.oneof(fc.constant(''), tooManyBytes(LIMITS.draftTextBytes)),
});

const badStatus = fc.constantFrom('', 'pending', 'Pending', 'DELETED', 'PENDING ', 'x');

const draftPath = (d: Pick<DraftVersion, 'name'>) => ({ name: 'fz-drafts', id: d.name });

const ABORTED = (d: Pick<DraftVersion, 'version'>): Expectation => ({
  status: 409,
  code: 'ABORTED',
  currentResourceVersion: d.version,
});

/** `expectedReviewVersion` other than the draft's: 409 ABORTED with the current draft. */
function staleReview(d: DraftVersion) {
  return fc
    .integer({ min: 1, max: 1_000_000 })
    .filter((v) => v !== d.reviewVersion)
    .chain((v) =>
      stateBreaker(
        'state: stale expectedReviewVersion',
        ['body.expectedReviewVersion'],
        (r) => setAt(r, ['expectedReviewVersion'], v),
        ABORTED(d),
      ),
    );
}

/**
 * The decision asked of a draft whose status does not allow it: 409 FAILED_PRECONDITION. The
 * review version sent is the draft's own, so that staleness is not what refuses it.
 */
function wrongStatus(d: DraftVersion, status: string) {
  return stateBreaker(
    `state: draft ${status}`,
    ['path.id', 'body.expectedReviewVersion'],
    (r) => {
      r.params.id = d.name;
      setAt(r, ['expectedReviewVersion'], d.reviewVersion);
    },
    FAILED_PRECONDITION,
  );
}

export function policyLifecycleModels(world: World): RouteModel[] {
  const ghost = fc.stringMatching(/^fz-ghost-[a-z0-9]{6}$/);
  const missingName = ghost.chain((g) => missing('name', g));
  const ghostDraft = fc
    .stringMatching(/^d[0-9a-f]{23}$/)
    .filter((id) => ![world.pending, world.approved, world.rejected].some((d) => d.name === id));
  const missingDraft = ghostDraft.chain((id) => missing('id', id));
  const { pending, approved, rejected } = world;
  const anyDraft = fc.constantFrom(pending, approved, rejected);
  const draftRequest = (d: DraftVersion, json?: unknown, query: Array<[string, string]> = []) =>
    request(draftPath(d), json, query);
  const decision = (withReason: boolean) =>
    fc.record(
      {
        expectedReviewVersion: fc.constant(pending.reviewVersion),
        ...(withReason ? { reason: anyText(100).filter((t) => t.length > 0) } : {}),
      },
      { requiredKeys: [] },
    );

  return [
    // Merges (SPEC §7.2)
    {
      operationId: 'mergePolicy',
      base: fc
        .record(
          {
            operations: fc.array(
              fc.oneof(
                fc.record({ op: fc.constant('addRule'), ruleName, rule }),
                fc.record({ op: fc.constant('removeRule'), ruleName }),
                fc.record(
                  {
                    op: fc.constant('removeEndpoint'),
                    ruleName: fc.constantFrom('web', 'bin'),
                    host: fc.constantFrom('web.example.com', 'absent.example.com'),
                    port: fc.constantFrom(443, 22, 8080),
                  },
                  { requiredKeys: ['op', 'host', 'port'] },
                ),
                fc.record({
                  op: fc.constant('removeBinary'),
                  ruleName: fc.constant('bin'),
                  path: fc.constantFrom(...BIN_BINARIES.slice(0, 3), '/usr/bin/absent'),
                }),
              ),
              { minLength: 1, maxLength: 4 },
            ),
            expectedPolicyVersion: fc.constant(world.draftsPolicyVersion),
          },
          { requiredKeys: ['operations'] },
        )
        .map((b) => request({ name: 'fz-drafts' }, b)),
      fields: [
        {
          path: ['operations'],
          types: ['array'],
          required: true,
          invalid: fc.oneof(
            fc.constant([]),
            fc.constant(
              Array.from({ length: LIMITS.mergeOperations + 1 }, () => ({
                op: 'removeRule',
                ruleName: 'absent',
              })),
            ),
            fc.constantFrom<unknown[]>(
              [{}],
              [{ op: 'replaceRule', ruleName: 'web' }],
              [{ op: 'removeRule' }],
              [{ op: 'removeRule', ruleName: 'web', extra: 1 }],
              [{ op: 'removeEndpoint', host: 'web.example.com' }],
              [{ op: 'removeEndpoint', host: 'web.example.com', port: 0 }],
              [{ op: 'removeEndpoint', host: 'not a host', port: 443 }],
              [{ op: 'removeBinary', ruleName: 'bin', path: 'relative' }],
              [{ op: 'addRule', ruleName: 'x' }],
              ['addRule'],
            ),
            badRuleName.map((n) => [{ op: 'addRule', ruleName: n, rule: DRAFT_RULE }]),
            badRule.map((r) => [{ op: 'addRule', ruleName: 'x', rule: r }]),
          ),
        },
        {
          path: ['expectedPolicyVersion'],
          types: ['number'],
          invalid: fc.constantFrom(-1, 1.5, 2 ** 53),
        },
        ...preconditionFields,
      ],
      state: [
        missingName,
        stale('body', world.drafts),
        fc
          .integer({ min: 0, max: 1_000_000 })
          .filter((v) => v !== world.draftsPolicyVersion)
          .chain((v) =>
            stateBreaker(
              'state: stale expectedPolicyVersion',
              ['body.expectedPolicyVersion'],
              (r) => setAt(r, ['expectedPolicyVersion'], v),
              { status: 409, code: 'ABORTED', currentResourceVersion: world.drafts.version },
            ),
          ),
        stateBreaker(
          'state: removeBinary of a rule allowing any binary',
          ['body.operations'],
          (r) =>
            setAt(r, ['operations'], [{ op: 'removeBinary', ruleName: 'web', path: '/bin/sh' }]),
          FAILED_PRECONDITION,
        ),
        stateBreaker(
          'state: addRule past a rule’s binaries',
          ['body.operations'],
          (r) =>
            setAt(
              r,
              ['operations'],
              [
                {
                  op: 'addRule',
                  ruleName: 'bin',
                  rule: {
                    endpoints: [{ host: 'bin.example.com', ports: [22] }],
                    binaries: [{ path: '/usr/bin/new-1' }, { path: '/usr/bin/new-2' }],
                  },
                },
              ],
            ),
          invalidField('body.operations.0.rule'),
        ),
      ],
    },

    // Drafts (SPEC §7.3)
    {
      operationId: 'submitPolicyDraft',
      base: fc
        .record(
          {
            ruleName,
            rule,
            dedupKey: fc.stringMatching(/^fz-k-[a-z0-9]{8}$/),
            hits: fc.integer({ min: 1, max: 100 }),
            rationale: anyText(100).filter((t) => t.length > 0),
          },
          { requiredKeys: ['ruleName', 'rule'] },
        )
        .map((b) => request({ name: 'fz-drafts' }, b)),
      fields: [
        ...ruleFields([]),
        {
          path: ['dedupKey'],
          types: ['string'],
          invalid: fc.oneof(fc.constant(''), tooManyChars(256)),
        },
        { path: ['hits'], types: ['number'], invalid: fc.constantFrom(0, -1, 101, 1.5, 1e300) },
        textField('rationale'),
        ...preconditionFields,
      ],
      state: [missingName],
    },
    {
      operationId: 'listPolicyDrafts',
      base: fc.constantFrom('fz-drafts', 'fz-crowd').chain((name) =>
        fc
          .option(fc.constantFrom('PENDING', 'APPROVED', 'REJECTED'), { nil: undefined })
          .chain((status) => listQuery(status ? [['status', status]] : []))
          .map((q) => request({ name }, undefined, q)),
      ),
      query: [...pagination('sandbox#fz-drafts', 'draftseq#'), ['status', badStatus]],
      state: [missingName],
    },
    {
      operationId: 'getPolicyDraft',
      base: anyDraft.map((d) => draftRequest(d)),
      state: [missingName, missingDraft],
    },
    {
      operationId: 'listPolicyDraftHistory',
      base: anyDraft.chain((d) => listQuery().map((q) => draftRequest(d, undefined, q))),
      query: pagination('sandbox#fz-drafts', 'drafthist#'),
      state: [missingName, missingDraft],
    },
    {
      operationId: 'editPolicyDraft',
      base: fc
        .record(
          { rule, expectedReviewVersion: fc.constant(pending.reviewVersion) },
          { requiredKeys: ['rule'] },
        )
        .map((b) => draftRequest(pending, b)),
      fields: [
        { path: ['rule'], types: ['object'], required: true, invalid: badRule },
        reviewVersionField,
        ...preconditionFields,
      ],
      state: [
        missingName,
        missingDraft,
        staleReview(pending),
        stale('body', pending),
        wrongStatus(approved, 'APPROVED'),
        wrongStatus(rejected, 'REJECTED'),
      ],
    },
    {
      operationId: 'approvePolicyDraft',
      base: decision(false).map((b) => draftRequest(pending, b)),
      fields: [reviewVersionField, ...preconditionFields],
      state: [missingName, missingDraft, staleReview(pending), stale('body', pending)],
    },
    {
      operationId: 'rejectPolicyDraft',
      base: decision(true).map((b) => draftRequest(pending, b)),
      fields: [reviewVersionField, textField('reason'), ...preconditionFields],
      state: [missingName, missingDraft, staleReview(pending), stale('body', pending)],
    },
    {
      operationId: 'undoPolicyDraft',
      base: fc
        .record(
          { expectedReviewVersion: fc.constant(approved.reviewVersion) },
          { requiredKeys: [] },
        )
        .map((b) => draftRequest(approved, b)),
      fields: [reviewVersionField, ...preconditionFields],
      state: [
        missingName,
        missingDraft,
        staleReview(approved),
        stale('body', approved),
        wrongStatus(pending, 'PENDING'),
        wrongStatus(rejected, 'REJECTED'),
      ],
    },
    {
      operationId: 'approvePolicyDrafts',
      base: fc
        .constantFrom<Record<string, unknown>>(
          {},
          { drafts: [{ id: pending.name }] },
          { drafts: [{ id: pending.name, expectedReviewVersion: pending.reviewVersion }] },
        )
        .map((b) => request({ name: 'fz-drafts' }, b)),
      fields: [
        {
          path: ['drafts'],
          types: ['array'],
          invalid: fc.oneof(
            fc.constant([]),
            fc.constant(
              Array.from({ length: LIMITS.approveAllDrafts + 1 }, (_, i) => ({
                id: `d${i.toString(16).padStart(23, '0')}`,
              })),
            ),
            fc.constant([{ id: pending.name }, { id: pending.name }]),
            fc.constantFrom<unknown[]>(
              [{}],
              [pending.name],
              [{ id: 'not-a-draft' }],
              [{ id: pending.name, extra: 1 }],
            ),
            badReviewVersion.map((v) => [{ id: pending.name, expectedReviewVersion: v }]),
          ),
        },
        ...preconditionFields,
      ],
      state: [
        missingName,
        ghostDraft.chain((id) =>
          stateBreaker(
            'state: a named draft is missing',
            ['body.drafts'],
            (r) => setAt(r, ['drafts'], [{ id: pending.name }, { id }]),
            NOT_FOUND,
          ),
        ),
        fc
          .constantFrom(approved, rejected)
          .chain((d) =>
            stateBreaker(
              'state: a named draft is not PENDING',
              ['body.drafts'],
              (r) => setAt(r, ['drafts'], [{ id: pending.name }, { id: d.name }]),
              FAILED_PRECONDITION,
            ),
          ),
        fc
          .integer({ min: 1, max: 1_000_000 })
          .filter((v) => v !== pending.reviewVersion)
          .chain((v) =>
            stateBreaker(
              'state: a named draft is stale',
              ['body.drafts'],
              (r) => setAt(r, ['drafts'], [{ id: pending.name, expectedReviewVersion: v }]),
              ABORTED(pending),
            ),
          ),
        stateBreaker(
          `state: more than ${LIMITS.approveAllDrafts} drafts PENDING`,
          ['path.name', 'body.drafts'],
          (r) => {
            r.params.name = 'fz-crowd';
            if (r.json && typeof r.json === 'object')
              delete (r.json as { drafts?: unknown }).drafts;
          },
          invalidField('body.drafts'),
        ),
      ],
    },
    {
      operationId: 'clearPolicyDrafts',
      base: fc
        .constantFrom<Array<[string, string]>>([], [['status', 'PENDING']])
        .map((q) => request({ name: 'fz-drafts' }, undefined, q)),
      query: [
        ['status', fc.oneof(badStatus, fc.constantFrom('APPROVED', 'REJECTED'))],
        ...preconditionQueries,
      ],
      state: [missingName],
    },

    // The global policy (SPEC §7.4): lifted in the world, so no sandbox is managed globally.
    {
      operationId: 'putGlobalPolicy',
      base: fc
        .record(
          { policy, expectedPolicyVersion: fc.constantFrom(0, 1) },
          { requiredKeys: ['policy'] },
        )
        .map((b) => request({}, b)),
      fields: [
        policyField(['policy'], true),
        {
          path: ['expectedPolicyVersion'],
          types: ['number'],
          invalid: fc.constantFrom(-1, 1.5, 2 ** 53),
        },
        ...preconditionFields,
      ],
      state: [
        stale('body', world.globalPolicy),
        fc
          .integer({ min: 2, max: 1_000_000 })
          .chain((v) =>
            stateBreaker(
              'state: stale expectedPolicyVersion',
              ['body.expectedPolicyVersion'],
              (r) => setAt(r, ['expectedPolicyVersion'], v),
              { status: 409, code: 'ABORTED', currentResourceVersion: world.globalPolicy.version },
            ),
          ),
      ],
    },
    {
      operationId: 'getGlobalPolicy',
      base: fc.constant(request({})),
      state: [stateBreaker('state: none in force', [], () => {}, NOT_FOUND)],
    },
    {
      operationId: 'listGlobalPolicyRevisions',
      base: listQuery().map((q) => request({}, undefined, q)),
      query: pagination('policy#global', 'rev#'),
    },
    {
      operationId: 'deleteGlobalPolicy',
      base: fc
        .option(fc.constantFrom('1', '2'), { nil: undefined })
        .map((v) => request({}, undefined, v ? [['expectedPolicyVersion', v]] : [])),
      query: [
        ['expectedPolicyVersion', badIntString(1, Number.MAX_SAFE_INTEGER)],
        ...preconditionQueries,
      ],
      state: [
        stateBreaker(
          'state: none in force',
          ['query.expectedPolicyVersion'],
          (r) => setQuery(r, 'expectedPolicyVersion', '1'),
          NOT_FOUND,
        ),
      ],
    },
  ];
}
