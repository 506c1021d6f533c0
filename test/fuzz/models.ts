import fc from 'fast-check';
import {
  ALREADY_EXISTS,
  FAILED_PRECONDITION,
  type FieldSpec,
  missing,
  NOT_FOUND,
  preconditionFields,
  preconditionQueries,
  stale,
  stateBreaker,
} from './breakers.ts';
import { type Breaker, type FuzzRequest, invalidField, setAt } from './request.ts';
import {
  anyText,
  badEnvName,
  badInteger,
  badIntString,
  badLabelKey,
  badLabelValue,
  badName,
  entries,
  isLabelKey,
  isLabelValue,
  nested,
  RawJson,
  tooManyBytes,
  tooManyChars,
  unstorableNumber,
} from './values.ts';
import { BIG_CONFIG_ENTRIES, BIG_VALUE_BYTES, SECRETS, type World } from './world.ts';

/**
 * What the fuzz run knows of one route beyond its contract. A route without a hand-written
 * model gets its contract's (`default-model.ts`); the ones here (and the policy lifecycle's, in
 * `policy-models.ts`) refine it with the rules of SPEC §1 and the refusals of the seeded
 * world's state.
 */
export interface RouteModel {
  operationId: string;
  /** Valid requests: every case starts from one and breaks at least one rule. */
  base: fc.Arbitrary<FuzzRequest>;
  fields?: FieldSpec[];
  query?: Array<[string, fc.Arbitrary<string>]>;
  /** Invalid values of path parameters the fuzz run has none of its own for (`PARAM_VALUES`). */
  params?: Record<string, fc.Arbitrary<string>>;
  state?: fc.Arbitrary<Breaker>[];
}

export const request = (
  params: Record<string, string>,
  json?: unknown,
  query: Array<[string, string]> = [],
): FuzzRequest => ({ params, query, headers: {}, json });

// --- Valid values ---

const freshName = fc.stringMatching(/^fz-c-[a-z0-9]{8}$/);
const secret = fc.constantFrom(...SECRETS);
const labels = fc.constantFrom({}, { env: 'fz' }, { 'app.example.com/name': 'fz_1.x', tier: '' });
const smallMap = fc.dictionary(fc.stringMatching(/^[a-z][a-z0-9_]{0,15}$/), anyText(40), {
  maxKeys: 3,
});
const env = fc.dictionary(fc.stringMatching(/^[A-Z_][A-Z0-9_]{0,10}$/), anyText(30), {
  maxKeys: 3,
});
export const policy = fc.constantFrom(
  { allow: ['*'] },
  { rules: [{ host: 'api.example.com', ports: [443, 8443], weight: 0.5 }] },
  nested(8),
  { deny: [], note: 'ünïcödé ✓', n: -1e-20 },
);
const condition = fc.record(
  {
    type: fc.constantFrom('Ready', 'DiskPressure', 'x'.repeat(63)),
    status: fc.constantFrom('True', 'False', 'Unknown'),
    reason: fc.constantFrom('Ok', 'r'.repeat(128)),
    message: anyText(50),
    lastTransitionTime: fc.constantFrom('2024-01-02T03:04:05Z', '2024-01-02T03:04:05.123Z'),
  },
  { requiredKeys: ['type', 'status'] },
);
const settingValue = fc.oneof(
  anyText(50),
  fc.boolean(),
  fc.integer({ min: Number.MIN_SAFE_INTEGER, max: Number.MAX_SAFE_INTEGER }),
);

// --- Invalid values of kinds several routes share ---

const badLabels = fc.oneof(
  badLabelKey.map((k) => ({ [k]: 'v' })),
  badLabelValue.map((v) => ({ env: v })),
  fc.constant(
    entries(
      65,
      (i) => `k${i}`,
      () => 'v',
    ),
  ),
  fc.constantFrom<Record<string, unknown>>({ env: 1 }, { env: null }, { env: ['x'] }),
);

/** Invalid credential or config maps (SPEC §1: keys ≤ 256 bytes, values ≤ 8192 bytes). */
const badStringMap = (maxEntries: number) =>
  fc.oneof(
    fc.constant(
      entries(
        maxEntries + 1,
        (i) => `k${i}`,
        () => 'v',
      ),
    ),
    fc.constantFrom('é'.repeat(129), 'k'.repeat(257), '😀'.repeat(65)).map((k) => ({ [k]: 'v' })),
    tooManyBytes(8192).map((v) => ({ k: v })),
    fc.constantFrom<Record<string, unknown>>(
      { k: 1 },
      { k: true },
      { k: null },
      { k: {} },
      { k: ['x'] },
    ),
  );

const badPolicy = fc.oneof(
  fc.integer({ min: 21, max: 28 }).map(nested),
  fc.constant({ blob: 'p'.repeat(64 * 1024) }),
  fc.constant({ list: Array.from({ length: 14_000 }, (_, i) => i) }),
  unstorableNumber.map((n) => ({ n })),
  unstorableNumber.map((n) => ({ deep: { list: [1, n] } })),
);

export const policyField = (path: string[], required = false): FieldSpec => ({
  path,
  types: ['object'],
  required,
  invalid: badPolicy,
  shape: 'map',
});

/** A label selector that breaks `k=v[,k=v]` with label syntax (docs/api.md). */
const badSelector = fc
  .oneof(
    fc.constantFrom(
      '',
      'a',
      ',',
      'env=fz,',
      '=b',
      'a==b',
      'A B=c',
      'a=b c',
      'a!=b',
      'a in (b)',
      `${'a'.repeat(64)}=x`,
      `a=${'v'.repeat(64)}`,
    ),
    fc.string({ maxLength: 30 }),
  )
  .filter(
    (s) =>
      s.isWellFormed() &&
      !s.split(',').every((part) => {
        const eq = part.indexOf('=');
        return (
          eq >= 0 && isLabelKey(part.slice(0, eq).trim()) && isLabelValue(part.slice(eq + 1).trim())
        );
      }),
  );

const token = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');

/**
 * Page tokens the store did not issue for this route: garbage, and forgeries of its format
 * whose cursor would fall outside the route's query (`scope`: the partition the route reads).
 */
function badPageToken(scope: string, childPrefix?: string): fc.Arbitrary<string> {
  const listKey = { pk: 'provider#x', sk: '@', gsi1pk: scope, gsi1sk: 'x' };
  const forged = [
    token({ s: scope, k: {} }),
    token({ s: scope, k: { foo: 'bar' } }),
    token({ s: scope, k: { pk: '', sk: '', gsi1pk: scope, gsi1sk: '' } }),
    token({ s: scope, k: { ...listKey, gsi1pk: 'Other' } }),
    token({ s: scope, k: { ...listKey, extra: 'x' } }),
    token({ s: scope, k: { pk: 1, sk: 2 } }),
    token({ s: scope, k: null }),
    token({ s: 'Other', k: listKey }),
    token({ k: listKey }),
    token({ s: scope, k: { pk: 'x'.repeat(2048), sk: '@', gsi1pk: scope, gsi1sk: 'x' } }),
    token([scope]),
    token(null),
    token('x'),
  ];
  if (childPrefix) {
    forged.push(
      token({ s: scope, k: { pk: scope, sk: 'zzz' } }),
      token({ s: scope, k: { pk: scope, sk: '@' } }),
      token({ s: scope, k: { pk: scope, sk: 'settings' } }),
      token({ s: scope, k: { pk: 'sandbox#other', sk: `${childPrefix}x` } }),
      token({ s: scope, k: { pk: scope, sk: '' } }),
    );
  } else {
    forged.push(token({ s: scope, k: { pk: 'x', sk: 'y' } }));
  }
  return fc.oneof(
    fc.constantFrom('', 'x'.repeat(4097), 'not a token', '!!!', 'eyJ9', '====', ...forged),
    fc.jsonValue({ maxDepth: 2 }).map(token),
    fc.string({ minLength: 1, maxLength: 40 }),
    fc.record({ s: fc.string(), k: fc.dictionary(fc.string(), fc.string()) }).map((o) => token(o)),
  );
}

export const pagination = (
  scope: string,
  childPrefix?: string,
): Array<[string, fc.Arbitrary<string>]> => [
  ['pageSize', badIntString(1, 1000)],
  ['pageToken', badPageToken(scope, childPrefix)],
];

const pageSize = fc.option(fc.integer({ min: 1, max: 1000 }).map(String), { nil: undefined });
export const listQuery = (extra: Array<[string, string]> = []) =>
  pageSize.map(
    (n): Array<[string, string]> => [...(n ? [['pageSize', n] as [string, string]] : []), ...extra],
  );

/** The hand-written models, over the seeded world. */
export function routeModels(world: World): RouteModel[] {
  const box = { name: 'fz-box' };
  const ghost = fc.stringMatching(/^fz-ghost-[a-z0-9]{6}$/);
  const missingName = (param: string) => ghost.chain((g) => missing(param, g));

  return [
    // Providers
    {
      operationId: 'createProvider',
      base: fc
        .record(
          {
            name: freshName,
            labels,
            type: fc.constantFrom('openai', 'github', 'x-1'),
            credentials: fc.record({ API_KEY: secret }),
            config: smallMap,
          },
          { requiredKeys: ['type', 'credentials'] },
        )
        .map((b) => request({}, b)),
      fields: [
        { path: ['name'], types: ['string'], invalid: badName },
        { path: ['labels'], types: ['object'], invalid: badLabels, shape: 'map' },
        { path: ['type'], types: ['string'], required: true, invalid: badName },
        {
          path: ['credentials'],
          types: ['object'],
          required: true,
          invalid: fc.oneof(fc.constant({}), badStringMap(32)),
          shape: 'map',
        },
        { path: ['config'], types: ['object'], invalid: badStringMap(64), shape: 'map' },
        ...preconditionFields,
      ],
      state: [
        stateBreaker(
          'state: name taken',
          ['body.name'],
          (r) => setAt(r, ['name'], 'fz-prov'),
          ALREADY_EXISTS,
        ),
        stateBreaker(
          'state: object over 300 KiB',
          ['body.credentials', 'body.config'],
          (r) => {
            setAt(
              r,
              ['credentials'],
              entries(
                32,
                (i) => `K${i}`,
                () => SECRETS[0]!.padEnd(8192, 's'),
              ),
            );
            setAt(
              r,
              ['config'],
              entries(
                6,
                (i) => `c${i}`,
                () => 'c'.repeat(8192),
              ),
            );
          },
          invalidField('body'),
        ),
      ],
    },
    {
      operationId: 'listProviders',
      base: listQuery().map((q) => request({}, undefined, q)),
      query: pagination('Provider'),
    },
    {
      operationId: 'getProvider',
      base: fc.constantFrom('fz-prov', 'fz-spare').map((name) => request({ name })),
      state: [missingName('name')],
    },
    {
      operationId: 'updateProvider',
      base: fc
        .record(
          {
            config: smallMap,
            credentials: fc.record({ API_KEY: secret }),
            type: fc.constant('openai'),
          },
          { requiredKeys: [] },
        )
        .map((b) => request({ name: 'fz-prov' }, b)),
      fields: [
        { path: ['type'], types: ['string'], invalid: badName },
        { path: ['credentials'], types: ['object'], invalid: badStringMap(32), shape: 'map' },
        { path: ['config'], types: ['object'], invalid: badStringMap(64), shape: 'map' },
        ...preconditionFields,
      ],
      state: [
        missingName('name'),
        stale('body', world.provider),
        stateBreaker(
          'state: type changed',
          ['body.type'],
          (r) => setAt(r, ['type'], 'anthropic'),
          invalidField('body.type'),
        ),
        stateBreaker(
          'state: last credential removed',
          ['body.credentials'],
          (r) => setAt(r, ['credentials'], { API_KEY: '' }),
          invalidField('body.credentials'),
        ),
        stateBreaker(
          'state: merged config over 64 entries',
          ['body.config'],
          (r) =>
            setAt(
              r,
              ['config'],
              entries(
                64 - BIG_CONFIG_ENTRIES + 1,
                (i) => `n${i}`,
                () => 'v',
              ),
            ),
          invalidField('body.config'),
        ),
        stateBreaker(
          'state: merged object over 300 KiB',
          ['body.config'],
          (r) =>
            setAt(
              r,
              ['config'],
              entries(
                10,
                (i) => `big${i}`,
                () => 'b'.repeat(BIG_VALUE_BYTES),
              ),
            ),
          invalidField('body'),
        ),
      ],
    },
    {
      operationId: 'deleteProvider',
      base: fc.constant(request({ name: 'fz-spare' })),
      query: preconditionQueries,
      state: [
        missingName('name'),
        stale('query', world.spare),
        stateBreaker(
          'state: provider attached',
          ['path.name'],
          (r) => {
            r.params.name = 'fz-prov';
          },
          FAILED_PRECONDITION,
        ),
      ],
    },

    // Sandboxes
    {
      operationId: 'createSandbox',
      base: fc
        .record(
          {
            name: freshName,
            labels,
            spec: fc.record(
              {
                image: fc.constantFrom('ubuntu:24.04', 'ghcr.io/x/y@sha256:abc'),
                environment: env,
                providers: fc.constantFrom([], ['fz-prov'], ['fz-prov', 'fz-spare']),
                policy,
                logLevel: fc.constantFrom('trace', 'debug', 'info', 'warn', 'error'),
                gpu: fc.boolean(),
              },
              { requiredKeys: [] },
            ),
          },
          { requiredKeys: ['spec'] },
        )
        .map((b) => request({}, b)),
      fields: [
        { path: ['name'], types: ['string'], invalid: badName },
        { path: ['labels'], types: ['object'], invalid: badLabels, shape: 'map' },
        { path: ['spec'], types: ['object'], required: true },
        {
          path: ['spec', 'image'],
          types: ['string'],
          invalid: fc.oneof(fc.constant(''), tooManyChars(1024)),
        },
        {
          path: ['spec', 'environment'],
          types: ['object'],
          shape: 'map',
          invalid: fc.oneof(
            badEnvName.map((k) => ({ [k]: 'v' })),
            tooManyBytes(8192).map((v) => ({ A: v })),
            fc.constant(
              entries(
                129,
                (i) => `E${i}`,
                () => 'v',
              ),
            ),
            fc.constantFrom<Record<string, unknown>>({ A: 1 }, { A: null }, { A: false }),
          ),
        },
        {
          path: ['spec', 'providers'],
          types: ['array'],
          shape: 'list',
          invalid: fc.oneof(
            fc.constant(Array.from({ length: 33 }, (_, i) => `fz-p${i}`)),
            fc.constant(['fz-prov', 'fz-prov']),
            badName.map((n) => [n]),
            fc.constantFrom([1], [null], [['fz-prov']], [{}]),
          ),
        },
        policyField(['spec', 'policy']),
        {
          path: ['spec', 'logLevel'],
          types: ['string'],
          invalid: fc.constantFrom('INFO', 'Info', 'verbose', 'warning', 'fatal', '', ' info'),
        },
        { path: ['spec', 'gpu'], types: ['boolean'] },
        ...preconditionFields,
      ],
      state: [
        stateBreaker(
          'state: name taken',
          ['body.name'],
          (r) => setAt(r, ['name'], 'fz-box'),
          ALREADY_EXISTS,
        ),
        ghost.chain((g) =>
          stateBreaker(
            'state: listed provider missing',
            ['body.spec.providers'],
            (r) => setAt(r, ['spec', 'providers'], ['fz-prov', g]),
            FAILED_PRECONDITION,
          ),
        ),
        fc.integer({ min: 38, max: 50 }).chain((n) =>
          stateBreaker(
            'state: object over 300 KiB',
            ['body.spec.environment'],
            (r) =>
              setAt(
                r,
                ['spec', 'environment'],
                entries(
                  n,
                  (i) => `E${i}`,
                  () => 'e'.repeat(8192),
                ),
              ),
            invalidField('body.spec'),
          ),
        ),
      ],
    },
    {
      operationId: 'listSandboxes',
      base: fc
        .option(fc.constantFrom('env=fz', 'env=fz,app.example.com/tier=web', 'tier='), {
          nil: undefined,
        })
        .chain((sel) => listQuery(sel ? [['labelSelector', sel]] : []))
        .map((q) => request({}, undefined, q)),
      query: [...pagination('Sandbox'), ['labelSelector', badSelector]],
    },
    {
      operationId: 'getSandbox',
      base: fc.constantFrom('fz-box', 'fz-new', 'fz-full').map((name) => request({ name })),
      state: [missingName('name')],
    },
    {
      operationId: 'deleteSandbox',
      base: fc.constant(request({ name: 'fz-new' })),
      query: preconditionQueries,
      state: [missingName('name'), stale('query', world.fresh)],
    },
    {
      operationId: 'reportSandboxStatus',
      base: fc
        .record(
          {
            phase: fc.constantFrom('PROVISIONING', 'READY', 'ERROR', 'UNKNOWN'),
            conditions: fc
              .array(condition, { maxLength: 2 })
              .map((cs) => cs.filter((c, i) => cs.findIndex((d) => d.type === c.type) === i)),
          },
          { requiredKeys: ['phase'] },
        )
        .map((b) => request(box, b)),
      fields: [
        {
          path: ['phase'],
          types: ['string'],
          required: true,
          invalid: fc.constantFrom('ready', 'Ready', 'RUNNING', 'DELETED', '', 'READY '),
        },
        {
          path: ['conditions'],
          types: ['array'],
          invalid: fc.oneof(
            fc.constant(Array.from({ length: 17 }, (_, i) => ({ type: `T${i}`, status: 'True' }))),
            fc.constant([
              { type: 'Ready', status: 'True' },
              { type: 'Ready', status: 'False' },
            ]),
            fc.constantFrom<unknown[]>(
              ['Ready'],
              [null],
              [{ status: 'True' }],
              [{ type: 'Ready' }],
              [{ type: '', status: 'True' }],
              [{ type: 't'.repeat(64), status: 'True' }],
              [{ type: 'Ready', status: 'true' }],
              [{ type: 'Ready', status: 'Yes' }],
              [{ type: 'Ready', status: 'True', reason: 'r'.repeat(129) }],
              [{ type: 'Ready', status: 'True', message: 'm'.repeat(1025) }],
              [{ type: 'Ready', status: 'True', lastTransitionTime: 'yesterday' }],
              [{ type: 'Ready', status: 'True', lastTransitionTime: '2024-13-01T00:00:00Z' }],
              [{ type: 'Ready', status: 'True', lastTransitionTime: '2024-01-01' }],
              [{ type: 'Ready', status: 'True', lastTransitionTime: 1704067200 }],
              [{ type: 'Ready', status: 'True', extra: 1 }],
              [{ type: 'Ready', status: 'True', reason: 5 }],
            ),
          ),
        },
        ...preconditionFields,
      ],
      state: [
        missingName('name'),
        stale('body', world.box),
        stateBreaker(
          'state: phase DELETING',
          ['body.phase'],
          (r) => setAt(r, ['phase'], 'DELETING'),
          FAILED_PRECONDITION,
        ),
      ],
    },
    {
      operationId: 'listAttachedProviders',
      base: fc.constantFrom('fz-box', 'fz-full').map((name) => request({ name })),
      query: pagination('sandbox#fz-box', 'providers#'),
      state: [missingName('name')],
    },
    {
      operationId: 'attachProvider',
      base: fc.constant(request({ name: 'fz-box', provider: 'fz-spare' })),
      query: preconditionQueries,
      state: [
        missingName('name'),
        stale('query', world.box),
        ghost.chain((g) =>
          stateBreaker(
            'state: provider missing',
            ['path.provider'],
            (r) => {
              r.params.provider = g;
            },
            FAILED_PRECONDITION,
          ),
        ),
        stateBreaker(
          'state: a 33rd provider',
          ['path.name'],
          (r) => {
            r.params.name = 'fz-full';
          },
          invalidField('path.provider'),
        ),
      ],
    },
    {
      operationId: 'detachProvider',
      base: fc
        .constantFrom('fz-prov', 'fz-spare')
        .map((provider) => request({ name: 'fz-box', provider })),
      query: preconditionQueries,
      state: [missingName('name'), stale('query', world.box)],
    },

    // Config
    {
      operationId: 'getSandboxConfig',
      base: fc.constantFrom('fz-box', 'fz-new').map((name) => request({ name })),
      state: [missingName('name')],
    },
    {
      operationId: 'putPolicy',
      base: policy.map((p) => request(box, { policy: p })),
      fields: [policyField(['policy'], true), ...preconditionFields],
      state: [missingName('name'), stale('body', world.box)],
    },
    {
      operationId: 'listPolicyRevisions',
      base: listQuery().map((q) => request(box, undefined, q)),
      query: pagination('sandbox#fz-box', 'rev#'),
      state: [missingName('name')],
    },
    {
      operationId: 'reportPolicyRevisionStatus',
      base: fc
        .tuple(
          fc.constantFrom('1', '2'),
          fc.record(
            { status: fc.constantFrom('LOADED', 'FAILED'), loadError: anyText(100) },
            { requiredKeys: ['status'] },
          ),
        )
        .map(([version, b]) => request({ name: 'fz-box', version }, b)),
      fields: [
        {
          path: ['status'],
          types: ['string'],
          required: true,
          invalid: fc.constantFrom('PENDING', 'SUPERSEDED', 'loaded', 'Failed', '', 'READY'),
        },
        { path: ['loadError'], types: ['string'], invalid: tooManyChars(4096) },
        ...preconditionFields,
      ],
      state: [
        missingName('name'),
        stateBreaker(
          'state: revision missing',
          ['path.version'],
          (r) => {
            r.params.version = '999';
          },
          NOT_FOUND,
        ),
        ...([1, 2] as const).map((v) =>
          stale('body', world.revisions[v], {
            slots: ['path.version'],
            apply: (r) => {
              r.params.version = String(v);
            },
          }),
        ),
      ],
    },
    {
      operationId: 'setSandboxSetting',
      base: fc
        .tuple(fc.constantFrom('mode', 'new.key-1', 'A'), settingValue)
        .map(([key, value]) => request({ name: 'fz-box', key }, { value })),
      fields: settingFields,
      state: [missingName('name'), stale('body', world.boxSettings)],
    },
    {
      operationId: 'deleteSandboxSetting',
      base: fc.constantFrom('mode', 'absent').map((key) => request({ name: 'fz-box', key })),
      query: preconditionQueries,
      state: [missingName('name'), stale('query', world.boxSettings)],
    },
    {
      operationId: 'setGlobalSetting',
      base: fc
        .tuple(fc.constantFrom('theme', 'other', '9'), settingValue)
        .map(([key, value]) => request({ key }, { value })),
      fields: settingFields,
      state: [stale('body', world.globalSettings)],
    },
    {
      operationId: 'deleteGlobalSetting',
      base: fc.constantFrom('theme', 'absent').map((key) => request({ key })),
      query: preconditionQueries,
      state: [stale('query', world.globalSettings)],
    },

    // SSH sessions and services
    {
      operationId: 'createSSHSession',
      base: fc
        .record({ ttlSeconds: fc.integer({ min: 0, max: 2_592_000 }) }, { requiredKeys: [] })
        .map((b) => request(box, b)),
      fields: [
        { path: ['ttlSeconds'], types: ['number'], invalid: badInteger(0, 2_592_000) },
        ...preconditionFields,
      ],
      state: [
        missingName('name'),
        stateBreaker(
          'state: sandbox not READY',
          ['path.name'],
          (r) => {
            r.params.name = 'fz-new';
          },
          FAILED_PRECONDITION,
        ),
      ],
    },
    {
      operationId: 'listSSHSessions',
      base: listQuery().map((q) => request(box, undefined, q)),
      query: pagination('sandbox#fz-box', 'ssh#'),
      state: [missingName('name')],
    },
    {
      operationId: 'revokeSSHSession',
      base: fc.constant(request({ id: world.session.id })),
      query: preconditionQueries,
      state: [fc.uuid().chain((id) => missing('id', id)), stale('query', world.session)],
    },
    {
      operationId: 'exposeService',
      base: fc
        .tuple(
          fc.constantFrom('web', 'api'),
          fc.record(
            { targetPort: fc.integer({ min: 1, max: 65535 }), domain: fc.boolean() },
            { requiredKeys: ['targetPort'] },
          ),
        )
        .map(([service, b]) => request({ name: 'fz-box', service }, b)),
      fields: [
        { path: ['targetPort'], types: ['number'], required: true, invalid: badInteger(1, 65535) },
        { path: ['domain'], types: ['boolean'] },
        ...preconditionFields,
      ],
      state: [
        missingName('name'),
        stale('body', world.service, {
          slots: ['path.service'],
          apply: (r) => {
            r.params.service = 'web';
          },
        }),
      ],
    },
    {
      operationId: 'listServices',
      base: fc
        .option(fc.constantFrom('fz-box', 'fz-new'), { nil: undefined })
        .chain((s) => listQuery(s ? [['sandbox', s]] : []))
        .map((q) => request({}, undefined, q)),
      query: [...pagination('Service'), ['sandbox', badName]],
    },
    {
      operationId: 'getService',
      base: fc.constant(request({ name: 'fz-box', service: 'web' })),
      state: [missingName('name'), missingName('service')],
    },
    {
      operationId: 'deleteService',
      base: fc.constant(request({ name: 'fz-box', service: 'web' })),
      query: preconditionQueries,
      state: [missingName('service'), stale('query', world.service)],
    },

    // Inference routes
    {
      operationId: 'listInferenceRoutes',
      base: listQuery().map((q) => request({}, undefined, q)),
      query: pagination('InferenceRoute'),
    },
    {
      operationId: 'getInferenceRoute',
      base: fc.constant(request({ name: 'fz-route' })),
      state: [missingName('name')],
    },
    {
      operationId: 'upsertInferenceRoute',
      base: fc
        .tuple(
          fc.constantFrom('fz-route', 'fz-route-2'),
          fc.record(
            {
              providerName: fc.constantFrom('fz-prov', 'fz-spare'),
              modelId: fc.constantFrom('gpt-4o', 'claude/x:1', 'm'.repeat(256)),
              timeoutSeconds: fc.integer({ min: 1, max: 3600 }),
            },
            { requiredKeys: ['providerName', 'modelId'] },
          ),
        )
        .map(([name, b]) => request({ name }, b)),
      fields: [
        { path: ['providerName'], types: ['string'], required: true, invalid: badName },
        {
          path: ['modelId'],
          types: ['string'],
          required: true,
          invalid: fc.oneof(fc.constant(''), tooManyChars(256)),
        },
        { path: ['timeoutSeconds'], types: ['number'], invalid: badInteger(1, 3600) },
        ...preconditionFields,
      ],
      state: [
        stale('body', world.route, {
          slots: ['path.name'],
          apply: (r) => {
            r.params.name = 'fz-route';
          },
        }),
        ghost.chain((g) =>
          stateBreaker(
            'state: update of a missing route',
            ['path.name', 'body.expectedResourceVersion'],
            (r) => {
              r.params.name = g;
              setAt(r, ['expectedResourceVersion'], 1);
            },
            NOT_FOUND,
          ),
        ),
      ],
    },
  ];
}

const settingFields: FieldSpec[] = [
  {
    path: ['value'],
    types: ['string', 'boolean', 'number'],
    required: true,
    invalid: fc.oneof(
      fc.constantFrom(
        1.5,
        -0.25,
        2 ** 53,
        -(2 ** 53),
        1e300,
        new RawJson('1e400'),
        new RawJson('1.0000001'),
      ),
      tooManyBytes(8192),
    ),
  },
  ...preconditionFields,
];
