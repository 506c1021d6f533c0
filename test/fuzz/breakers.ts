import fc from 'fast-check';
import {
  type Breaker,
  deleteAt,
  type Expectation,
  type FuzzRequest,
  invalidField,
  Stage,
  setAt,
  setQuery,
} from './request.ts';
import {
  badId,
  badIntString,
  badName,
  badSettingKey,
  badUuid,
  HOSTILE,
  hasEmptyKey,
  isUuid,
  LONE_SURROGATES,
  otherThan,
  withProtoKey,
} from './values.ts';
import type { Version } from './world.ts';

/** Breakers that apply to every route, or to every route with a body, a query, or a version. */

export type JsonType = 'string' | 'number' | 'boolean' | 'object' | 'array';

export interface FieldSpec {
  /** Where in the body. */
  path: string[];
  /** The JSON types the field takes. */
  types: JsonType[];
  required?: boolean;
  /** Values of an accepted type that break the field's own rules. */
  invalid?: fc.Arbitrary<unknown>;
  /** A map (its keys are checked too) or a list of strings. */
  shape?: 'map' | 'list';
}

const breaker = (b: Breaker): Breaker => b;

export function fieldBreakers(f: FieldSpec): fc.Arbitrary<Breaker>[] {
  const field = ['body', ...f.path].join('.');
  const set = (rule: string, stage: number, expect: Expectation) => (value: unknown) =>
    breaker({
      rule: `${field}: ${rule}`,
      stage,
      slots: [field],
      apply: (r) => setAt(r, f.path, value),
      expect,
    });
  const out: fc.Arbitrary<Breaker>[] = [
    otherThan(...f.types).map(set('type', Stage.fields, invalidField(field))),
  ];
  if (f.required) {
    out.push(
      fc.constant(
        breaker({
          rule: `${field}: required`,
          stage: Stage.fields,
          slots: [field],
          apply: (r) => deleteAt(r, f.path),
          expect: invalidField(field),
        }),
      ),
    );
  }
  if (f.invalid) out.push(f.invalid.map(set('rule', Stage.fields, invalidField(field))));
  if (f.types.includes('string')) {
    out.push(
      fc
        .constantFrom(...LONE_SURROGATES)
        .map(set('lone surrogate', Stage.plainJson, invalidField(field))),
    );
  }
  if (f.shape === 'map') {
    out.push(
      fc
        .constant(withProtoKey('x'))
        .map(set('__proto__ key', Stage.plainJson, invalidField(`${field}.__proto__`))),
      fc
        .constantFrom(...LONE_SURROGATES)
        .map((k) => ({ [k]: 'x' }))
        .map(set('lone surrogate key', Stage.plainJson, invalidField(field))),
      fc.constant({ '': 'x' }).map(set('empty key', Stage.plainJson, invalidField(field))),
      fc
        .constant({ a: { '': 'x' } })
        .map(set('nested empty key', Stage.plainJson, invalidField(`${field}.a`))),
    );
  }
  if (f.shape === 'list') {
    out.push(
      fc
        .constantFrom(...LONE_SURROGATES)
        .map((s) => [s])
        .map(set('lone surrogate item', Stage.plainJson, invalidField(field))),
    );
  }
  return out;
}

/** The preconditions every mutating body may carry. */
export const preconditionFields: FieldSpec[] = [
  {
    path: ['expectedResourceVersion'],
    types: ['number'],
    invalid: fc.oneof(
      fc.integer({ min: Number.MIN_SAFE_INTEGER, max: -1 }),
      fc.constantFrom(1.5, 2 ** 53, 1e300, -1e-9),
    ),
  },
  { path: ['expectedId'], types: ['string'], invalid: badUuid },
];

const notJson = (t: string) => {
  try {
    JSON.parse(t);
    return false;
  } catch {
    return true;
  }
};

/** Breakers of the body as a whole, for routes that take one. */
export function bodyBreakers(known: readonly string[]): fc.Arbitrary<Breaker>[] {
  return [
    fc
      .oneof(
        fc.constantFrom('foo', 'Name', 'metadata', 'resourceVersion', 'id', 'spec ', ...HOSTILE),
        fc.string({ minLength: 1, maxLength: 12 }),
      )
      .filter((k) => !known.includes(k) && k !== '__proto__' && k.isWellFormed())
      .chain((k) =>
        fc
          .jsonValue({ maxDepth: 2 })
          .filter((v) => !hasEmptyKey(v))
          .map((v) => [k, v] as const),
      )
      .map(([k, v]) =>
        breaker({
          rule: 'body: unknown field',
          stage: Stage.fields,
          slots: [`body.${k}`],
          apply: (r) => setAt(r, [k], v),
          expect: invalidField('body'),
        }),
      ),
    fc.constant(
      breaker({
        rule: 'body: empty key',
        stage: Stage.plainJson,
        slots: ['body.'],
        apply: (r) => setAt(r, [''], 'x'),
        expect: invalidField('body'),
      }),
    ),
    fc.constantFrom([], [{}], 'text', '', 0, 1.5, true, false, null).map((v) =>
      breaker({
        rule: 'body: not an object',
        stage: Stage.fields,
        slots: ['body'],
        apply: (r) => {
          r.json = undefined;
          r.text = JSON.stringify(v);
        },
        expect: invalidField('body'),
      }),
    ),
    fc
      .oneof(
        fc.constantFrom(
          '{',
          '}',
          '{"a":1,}',
          '{"a":NaN}',
          '{"a":undefined}',
          "{'a':1}",
          '{a:1}',
          '{"a":1}/*c*/',
          '// c\n{}',
          '\ufeff{}',
          '{"a":"\\x41"}',
          '{"a":"\\u12"}',
          '{"a":01}',
          '{"a":.5}',
          '{"a":+1}',
          '{"a":0x10}',
          '{"a":"line\nbreak"}',
          '{}{}',
          '{"a":1}}',
          '[1,]',
          'nul',
          'True',
        ),
        fc.json().map((t) => `${t}${t}`),
        fc.json().map((t) => t.slice(0, -1)),
        fc.string({ minLength: 1, maxLength: 30 }),
      )
      .filter((t) => t.trim() !== '' && notJson(t))
      .map((text) =>
        breaker({
          rule: 'body: malformed JSON',
          stage: Stage.json,
          slots: ['body'],
          apply: (r) => {
            r.json = undefined;
            r.text = text;
          },
          expect: invalidField('body'),
        }),
      ),
    fc
      .constantFrom(
        'text/plain',
        'text/json',
        'application/x-www-form-urlencoded',
        'multipart/form-data; boundary=x',
        'application/xml',
        'application/jsonp',
        'application/json-seq',
        'application/javascript',
        'json',
        '*/*',
        '',
        ' ',
      )
      .map((type) =>
        breaker({
          rule: 'header.content-type: not JSON',
          stage: Stage.contentType,
          // The body must stay a non-empty JSON text for the type to matter.
          slots: ['header.content-type', 'body'],
          apply: (r) => {
            r.headers['content-type'] = type;
          },
          expect: { status: 415, code: 'INVALID_ARGUMENT', field: 'header.content-type' },
        }),
      ),
    fc.integer({ min: 33, max: 20_000 }).map((levels) =>
      breaker({
        rule: 'body: nested too deep',
        stage: Stage.plainJson,
        slots: ['body'],
        apply: (r) => {
          r.json = undefined;
          r.text = `{"x":${'['.repeat(levels)}${']'.repeat(levels)}}`;
        },
        expect: invalidField('body'),
      }),
    ),
  ];
}

/** A body over 512 KiB: refused before anything else, on every route. */
export const oversizeBody: fc.Arbitrary<Breaker> = fc
  .integer({ min: 1, max: 64 * 1024 })
  .map((extra) =>
    breaker({
      rule: 'body: over 512 KiB',
      stage: Stage.bodySize,
      slots: ['body'],
      apply: (r) => {
        r.json = undefined;
        r.text = `{"x":"${'a'.repeat(512 * 1024 + extra)}"}`;
      },
      expect: { status: 413, code: 'INVALID_ARGUMENT', field: 'body' },
    }),
  );

/** Any body at all, to a route that takes none. */
export const bodyNotTaken: fc.Arbitrary<Breaker> = fc
  .oneof(fc.constantFrom('{}', '[]', 'null', '0', 'x', '{"expectedResourceVersion":1}'), fc.json())
  .filter((t) => t.trim() !== '')
  .map((text) =>
    breaker({
      rule: 'body: not taken by this route',
      stage: Stage.bodyNotTaken,
      slots: ['body'],
      apply: (r) => {
        r.json = undefined;
        r.text = text;
      },
      expect: invalidField('body'),
    }),
  );

/** A query parameter the route does not have. */
export function unknownQuery(known: readonly string[]): fc.Arbitrary<Breaker> {
  return fc
    .tuple(
      fc.oneof(
        fc.constantFrom(
          'pageSize',
          'pageToken',
          'labelSelector',
          'sandbox',
          'expectedResourceVersion',
          'expectedId',
          'name',
          'foo',
          'page_size',
          'PageSize',
          ...HOSTILE,
        ),
        fc.string({ minLength: 1, maxLength: 12 }),
      ),
      fc.oneof(fc.constantFrom('1', '', 'x'), fc.string({ maxLength: 10 })),
    )
    .filter(([k, v]) => !known.includes(k) && k.isWellFormed() && v.isWellFormed())
    .map(([k, v]) =>
      breaker({
        rule: 'query: unknown parameter',
        stage: Stage.fields,
        slots: [`query.${k}`],
        apply: (r) => setQuery(r, k, v),
        expect: invalidField('query'),
      }),
    );
}

/** An invalid value of one query parameter. */
export function queryBreaker(name: string, invalid: fc.Arbitrary<string>): fc.Arbitrary<Breaker> {
  return invalid.map((v) =>
    breaker({
      rule: `query.${name}: rule`,
      stage: Stage.fields,
      slots: [`query.${name}`],
      apply: (r) => setQuery(r, name, v),
      expect: invalidField(`query.${name}`),
    }),
  );
}

/** What each path parameter of the route table holds. */
const PARAM_VALUES: Record<string, fc.Arbitrary<string>> = {
  name: badName,
  provider: badName,
  service: badName,
  key: badSettingKey,
  id: badId,
  // An empty segment matches no route at all (the `empty segment` breaker).
  version: badIntString(1, Number.MAX_SAFE_INTEGER).filter((v) => v !== ''),
};

/**
 * Breakers of each path parameter: a value it refuses (this file's own, else `fallback`'s,
 * which a route's contract gives), and an empty segment.
 */
export function pathBreakers(
  params: readonly string[],
  fallback: Record<string, fc.Arbitrary<string>> = {},
): fc.Arbitrary<Breaker>[] {
  return params.flatMap((p) => {
    const invalid = PARAM_VALUES[p] ?? fallback[p];
    return [
      ...(invalid ? [invalid] : []).map((values) =>
        values.map((v) =>
          breaker({
            rule: `path.${p}: rule`,
            stage: Stage.fields,
            slots: [`path.${p}`],
            apply: (r) => {
              r.params[p] = v;
            },
            expect: invalidField(`path.${p}`),
          }),
        ),
      ),
      fc.constant(
        breaker({
          rule: `path.${p}: empty segment`,
          stage: Stage.route,
          slots: [`path.${p}`],
          apply: (r) => {
            r.params[p] = '';
          },
          expect: { status: 404, code: 'NOT_FOUND' },
        }),
      ),
    ];
  });
}

const ETAG = /^"([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}):([1-9]\d*)"$/i;
/** If-Match values docs/api.md accepts: `*` or one strong ETag `"<uuid>:<version ≥ 1>"`. */
const isIfMatch = (v: string) => {
  const t = v.trim();
  const m = ETAG.exec(t);
  return t === '*' || (m !== null && Number(m[2]) <= Number.MAX_SAFE_INTEGER);
};

/** Where a route takes its preconditions: the body, or the query string of body-less writes. */
export type PreconditionSource = 'body' | 'query';

function setPrecondition(r: FuzzRequest, source: PreconditionSource, name: string, v: unknown) {
  if (source === 'body') setAt(r, [name], v);
  else setQuery(r, name, String(v));
}

/** Breakers of the headers every write reads: If-Match and Idempotency-Key. */
export function writeHeaderBreakers(
  source: PreconditionSource,
  anId: string,
  seededIdempotencyKey: string,
): fc.Arbitrary<Breaker>[] {
  const versionSlots = [`${source}.expectedResourceVersion`, `${source}.expectedId`];
  return [
    fc
      .oneof(
        fc.constantFrom(
          `W/"${anId}:1"`,
          `"${anId}:1", "${anId}:2"`,
          `${anId}:1`,
          `"${anId}"`,
          `"${anId}:0"`,
          `"${anId}:-1"`,
          `"${anId}:1.5"`,
          `"${anId}:01"`,
          `"${anId}:9007199254740992"`,
          `"${anId}:99999999999999999"`,
          `"${anId}:1`,
          `"${anId.replaceAll('-', '')}:1"`,
          `"${anId}x:1"`,
          '"------------------------------------:1"',
          '"x:1"',
          '""',
          '',
          ' ',
          '**',
          '"*"',
          'W/*',
        ),
        fc.string({ maxLength: 50 }),
        fc.uuid().map((u) => `"${u}:${'9'.repeat(17)}"`),
      )
      .filter((v) => !isIfMatch(v))
      .map((v) =>
        breaker({
          rule: 'header.if-match: syntax',
          stage: Stage.ifMatch,
          slots: ['header.if-match'],
          apply: (r) => {
            r.headers['if-match'] = v;
          },
          expect: invalidField('header.if-match'),
        }),
      ),
    fc
      .record({
        etagVersion: fc.integer({ min: 1, max: 1000 }),
        version: fc.integer({ min: 1, max: 1000 }),
        etagId: fc.uuid(),
        id: fc.uuid(),
      })
      .filter((d) => d.etagVersion !== d.version && d.etagId !== d.id)
      .chain((d) =>
        fc.constantFrom('expectedResourceVersion', 'expectedId').map((member) =>
          breaker({
            rule: `header.if-match: disagrees with ${member}`,
            stage: Stage.ifMatch,
            slots: ['header.if-match', ...versionSlots],
            apply: (r) => {
              r.headers['if-match'] = `"${d.etagId}:${d.etagVersion}"`;
              setPrecondition(r, source, member, member === 'expectedId' ? d.id : d.version);
            },
            expect: invalidField('header.if-match'),
          }),
        ),
      ),
    fc
      .oneof(
        fc.constantFrom('', ' ', 'a b', 'é', 'x'.repeat(256), '\t', 'a\nb', '\u0000', 'ключ'),
        fc.string({ maxLength: 300 }),
      )
      .filter((k) => !/^[\x21-\x7e]{1,255}$/.test(k))
      .map((k) =>
        breaker({
          rule: 'header.idempotency-key: syntax',
          stage: Stage.idempotencyKey,
          slots: ['header.idempotency-key'],
          apply: (r) => {
            r.headers['idempotency-key'] = k;
          },
          expect: invalidField('header.idempotency-key'),
        }),
      ),
    fc.constant(
      breaker({
        rule: 'header.idempotency-key: reused for another request',
        stage: Stage.idempotencyMismatch,
        slots: ['header.idempotency-key'],
        apply: (r) => {
          r.headers['idempotency-key'] = seededIdempotencyKey;
        },
        expect: { status: 422, code: 'IDEMPOTENCY_MISMATCH' },
      }),
    ),
  ];
}

/** Query preconditions of DELETE and body-less PUT routes. */
export const preconditionQueries: Array<[string, fc.Arbitrary<string>]> = [
  ['expectedResourceVersion', badIntString(0, Number.MAX_SAFE_INTEGER)],
  ['expectedId', badUuid],
];

// --- State breakers: valid input that the stored objects refuse ---

export const NOT_FOUND: Expectation = { status: 404, code: 'NOT_FOUND' };
export const FAILED_PRECONDITION: Expectation = { status: 409, code: 'FAILED_PRECONDITION' };
export const ALREADY_EXISTS: Expectation = { status: 409, code: 'ALREADY_EXISTS' };

export function stateBreaker(
  rule: string,
  slots: string[],
  apply: (r: FuzzRequest) => void,
  expect: Expectation,
): fc.Arbitrary<Breaker> {
  return fc.constant(
    breaker({ rule, stage: Stage.state, slots: ['state', ...slots], apply, expect }),
  );
}

/** A name that is valid but names nothing: the object is missing. */
export function missing(param: string, value: string): fc.Arbitrary<Breaker> {
  return stateBreaker(
    `state: ${param} names nothing`,
    [`path.${param}`],
    (r) => {
      r.params[param] = value;
    },
    NOT_FOUND,
  );
}

/**
 * A precondition that does not hold for `target`: a newer version, or another id, in the body or
 * query (409) or in If-Match (412). Each fails at once and writes nothing.
 */
export function stale(
  source: PreconditionSource,
  target: Version,
  extra: { slots?: string[]; apply?: (r: FuzzRequest) => void } = {},
): fc.Arbitrary<Breaker> {
  const slots = [
    'state',
    `${source}.expectedResourceVersion`,
    `${source}.expectedId`,
    'header.if-match',
    ...(extra.slots ?? []),
  ];
  const v = target.version;
  const conflict = (status: number): Expectation => ({
    status,
    code: 'ABORTED',
    currentResourceVersion: v,
  });
  const otherId = fc.uuid().filter((u) => u !== target.id && isUuid(u));
  const make = (rule: string, set: (r: FuzzRequest) => void, status: number) =>
    breaker({
      rule: `state: stale ${rule}`,
      stage: Stage.state,
      slots,
      apply: (r) => {
        extra.apply?.(r);
        set(r);
      },
      expect: conflict(status),
    });
  return fc.oneof(
    fc
      .integer({ min: 1, max: 1_000_000 })
      .map((k) =>
        make(
          `${source} version`,
          (r) => setPrecondition(r, source, 'expectedResourceVersion', v + k),
          409,
        ),
      ),
    otherId.map((id) =>
      make(
        `${source} id`,
        (r) => {
          setPrecondition(r, source, 'expectedResourceVersion', v);
          setPrecondition(r, source, 'expectedId', id);
        },
        409,
      ),
    ),
    fc.integer({ min: 1, max: 1_000_000 }).map((k) =>
      make(
        'If-Match version',
        (r) => {
          r.headers['if-match'] = `"${target.id}:${v + k}"`;
        },
        412,
      ),
    ),
    otherId.map((id) =>
      make(
        'If-Match id',
        (r) => {
          r.headers['if-match'] = `"${id}:${v}"`;
        },
        412,
      ),
    ),
  );
}
