import fc from 'fast-check';

/**
 * Invalid values by kind, each checked against the rule it breaks with this file's own reading
 * of SPEC §1 and docs/api.md (never the server's schemas), so a generated value is invalid by
 * construction.
 */

/** A JSON text fragment sent as is: what JSON.stringify cannot write (1e400, -0, 1.0). */
export class RawJson {
  readonly text: string;
  constructor(text: string) {
    this.text = text;
  }
}

/** JSON text of a value that may contain RawJson fragments and own `__proto__` keys. */
export function encodeJson(value: unknown): string {
  if (value instanceof RawJson) return value.text;
  if (Array.isArray(value)) return `[${value.map(encodeJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const members = Object.entries(value).map(([k, v]) => `${JSON.stringify(k)}:${encodeJson(v)}`);
    return `{${members.join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/** An object with an own `__proto__` key, as JSON.parse makes it. */
export function withProtoKey(value: unknown): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  Object.defineProperty(out, '__proto__', { value, enumerable: true, writable: true });
  return out;
}

export const LONE_SURROGATES = ['\ud800', '\udfff', 'a\udc00b', '\ud83d', 'x\ud83d\ud83d'];

// --- The rules, read from SPEC §1 and docs/api.md ---

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
export const isName = (s: string) => s.length <= 63 && DNS_LABEL.test(s);

const K8S_NAME = /^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
export function isLabelKey(k: string): boolean {
  const parts = k.split('/');
  if (parts.length > 2) return false;
  const name = parts.pop()!;
  const prefix = parts[0];
  if (
    prefix !== undefined &&
    (prefix.length > 253 ||
      !prefix.split('.').every((l) => l.length <= 63 && DNS1123_LABEL.test(l)))
  ) {
    return false;
  }
  return name.length <= 63 && K8S_NAME.test(name);
}
export const isLabelValue = (v: string) => v === '' || (v.length <= 63 && K8S_NAME.test(v));

const SETTING_KEY = /^[A-Za-z0-9]([A-Za-z0-9._-]*[A-Za-z0-9])?$/;
export const isSettingKey = (k: string) => k.length <= 128 && SETTING_KEY.test(k);

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
export const isUuid = (s: string) => UUID.test(s);

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
export const isEnvName = (s: string) => Buffer.byteLength(s) <= 256 && ENV_NAME.test(s);

// --- Building blocks ---

/** Well-formed text that can travel in a URL and as a JSON string. */
const text = (maxLength: number) =>
  fc.oneof(
    fc.string({ unit: 'grapheme', minLength: 1, maxLength }),
    fc.string({ unit: 'binary-ascii', minLength: 1, maxLength }),
    fc.string({ minLength: 1, maxLength }),
  );

/** Strings meant to reach something they should not: paths, keys, markup, controls. */
export const HOSTILE = [
  '..',
  '.',
  '../etc/passwd',
  '..%2F..%2Fetc',
  '..\\..\\windows\\win.ini',
  '%2e%2e%2f',
  '/etc/passwd',
  'a/b',
  'sandbox#fz-box',
  'provider#fz-prov',
  'x#@',
  '@',
  '\u0000',
  'a\u0000b',
  'a\nb',
  '\r\n',
  ' ',
  '\t',
  '\u200bbox',
  'box\u200d',
  '\u202ebox',
  'é',
  'ü-ber',
  'ｂｏｘ',
  'İ',
  'ß',
  '😀',
  '👩‍👩‍👧',
  '<script>',
  "'; DROP TABLE x; --",
  ['$', '{jndi:ldap://x}'].join(''),
  '{{7*7}}',
  '%00',
  '%',
  'null',
  'undefined',
  'constructor',
  'toString',
];

const longString = (min: number, max: number, unit = 'a') =>
  fc.integer({ min, max }).map((n) => unit.repeat(n));

/** Non-empty, well-formed, not a DNS label of 1–63 characters. */
export const badName = fc
  .oneof(
    fc.constantFrom('Box', 'UPPER', '-a', 'a-', '-', 'a_b', 'a.b', 'a b', ' a', 'a ', ...HOSTILE),
    longString(64, 300),
    text(40),
  )
  .filter((s) => s.length > 0 && s.isWellFormed() && !isName(s) && s !== '__proto__');

export const badLabelKey = fc
  .oneof(
    fc.constantFrom(
      '-a',
      'a-',
      '_a',
      'a_',
      '.a',
      'a b',
      'a/b/c',
      '/a',
      'a/',
      'A.B/c',
      'exa_mple.com/a',
      'example..com/a',
      'k=v',
      'k,v',
      `${'a'.repeat(64)}.example.com/k`,
      `${'a'.repeat(254)}/k`,
      ...HOSTILE,
    ),
    longString(64, 200),
    text(30),
  )
  // Lone surrogates, `__proto__` and empty keys are refused before the fields (breakers.ts).
  .filter((k) => k.isWellFormed() && !isLabelKey(k) && k !== '__proto__' && k !== '');

export const badLabelValue = fc
  .oneof(
    fc.constantFrom('-a', 'a-', 'a b', 'a/b', 'k=v', ...HOSTILE),
    longString(64, 200),
    text(30),
  )
  .filter((v) => v.isWellFormed() && !isLabelValue(v));

export const badSettingKey = fc
  .oneof(
    fc.constantFrom('-a', 'a-', '.a', 'a.', '_a', 'a b', 'a/b', '__proto__', ...HOSTILE),
    longString(129, 300),
    text(30),
  )
  .filter((k) => k.length > 0 && k.isWellFormed() && !isSettingKey(k));

export const badUuid = fc
  .oneof(
    fc.constantFrom(
      'x',
      'not-a-uuid',
      '00000000000000000000000000000000',
      '{00000000-0000-4000-8000-000000000000}',
      'urn:uuid:00000000-0000-4000-8000-000000000000',
      '00000000-0000-4000-8000-00000000000',
      '00000000-0000-4000-8000-0000000000000',
      'g0000000-0000-4000-8000-000000000000',
      ...HOSTILE,
    ),
    fc.uuid().map((u) => `${u}x`),
    fc.uuid().map((u) => u.replaceAll('-', '')),
    text(40),
  )
  .filter((s) => s.length > 0 && s.isWellFormed() && !isUuid(s));

const DRAFT_ID = /^d[0-9a-f]{23}$/;

/**
 * Path ids that neither an SSH session (a UUID) nor a draft (`d` and 23 hexadecimal digits)
 * has: the routes of both take `{id}`.
 */
export const badId = fc
  .oneof(
    badUuid,
    fc.constantFrom(
      'd',
      `d${'0'.repeat(22)}`,
      `d${'0'.repeat(24)}`,
      `D${'0'.repeat(23)}`,
      `d${'A'.repeat(23)}`,
      `e${'0'.repeat(23)}`,
      `d${'g'.repeat(23)}`,
      ` d${'0'.repeat(23)}`,
    ),
  )
  .filter((s) => !isUuid(s) && !DRAFT_ID.test(s));

export const badEnvName = fc
  .oneof(
    fc.constantFrom('1A', 'A-B', 'A B', 'A=B', '=', 'é', ...HOSTILE),
    longString(257, 400, 'A'),
    text(20),
  )
  // Lone surrogates, `__proto__` and empty keys are refused before the fields (breakers.ts).
  .filter((k) => k.isWellFormed() && !isEnvName(k) && k !== '__proto__' && k !== '');

/** Integers past `max` (2^53 when `max` is the largest safe integer). */
const above = (max: number) =>
  max >= Number.MAX_SAFE_INTEGER
    ? fc.constant(2 ** 53)
    : fc.integer({ min: max + 1, max: Number.MAX_SAFE_INTEGER });

/** Integers as path or query strings that are not in [min, max], or not integers at all. */
export const badIntString = (min: number, max: number) =>
  fc
    .oneof(
      fc.constantFrom(
        '',
        '-1',
        '1.5',
        '1e3',
        '+1',
        '0x10',
        ' 1',
        '1 ',
        'abc',
        'Infinity',
        'NaN',
        '１',
        '99999999999999999',
        '9007199254740992',
        '1,2',
      ),
      fc.integer({ min: -1_000_000, max: min - 1 }).map(String),
      above(max).map(String),
      text(10),
    )
    .filter((s) => {
      if (!/^\d+$/.test(s)) return s.isWellFormed();
      const n = Number(s);
      return s.length > 16 || n < min || n > max;
    });

/** Whether an empty key is anywhere in a JSON value (refused before any field is checked). */
export function hasEmptyKey(value: unknown): boolean {
  if (value === null || typeof value !== 'object') return false;
  return Object.entries(value).some(([k, v]) => k === '' || hasEmptyKey(v));
}

/** JSON values of any type but the ones listed. */
export function otherThan(...types: Array<'string' | 'number' | 'boolean' | 'object' | 'array'>) {
  const all = {
    string: fc.constantFrom('x', '', '1', 'true'),
    number: fc.constantFrom(0, 1, -1, 1.5),
    boolean: fc.boolean(),
    object: fc.constantFrom({}, { a: 1 }),
    array: fc.constantFrom([], ['x'], [1]),
  };
  const rest = (Object.keys(all) as Array<keyof typeof all>).filter((t) => !types.includes(t));
  return fc.oneof(fc.constant(null), ...rest.map((t) => all[t] as fc.Arbitrary<unknown>));
}

/** Numbers that are not integers in [min, max] (as JSON: some only as raw text). */
export const badInteger = (min: number, max: number) =>
  fc.oneof(
    fc.integer({ min: Number.MIN_SAFE_INTEGER, max: min - 1 }),
    above(max),
    fc.constantFrom(1.5, min + 0.5, 2 ** 53, -(2 ** 53), 1e300, -1e300),
    fc.constantFrom(new RawJson('1e400'), new RawJson('-1e400'), new RawJson('1.0000000001')),
    otherThan('number'),
  );

/** Strings whose UTF-8 encoding is longer than `maxBytes` (some of them within the character count). */
export const tooManyBytes = (maxBytes: number) =>
  fc.oneof(
    fc.integer({ min: maxBytes + 1, max: maxBytes + 64 }).map((n) => 'x'.repeat(n)),
    fc.constant('é'.repeat(Math.floor(maxBytes / 2) + 1)),
    fc.constant('€'.repeat(Math.floor(maxBytes / 3) + 1)),
    fc.constant('😀'.repeat(Math.floor(maxBytes / 4) + 1)),
  );

export const tooManyChars = (maxChars: number) =>
  fc.integer({ min: maxChars + 1, max: maxChars + 64 }).map((n) => 'y'.repeat(n));

/** A map of `n` valid entries. */
export const entries = (n: number, key: (i: number) => string, value: (i: number) => unknown) =>
  Object.fromEntries(Array.from({ length: n }, (_, i) => [key(i), value(i)]));

/** A JSON object nested `levels` deep. */
export function nested(levels: number): Record<string, unknown> {
  let out: Record<string, unknown> = { leaf: true };
  for (let i = 1; i < levels; i++) out = { [i % 2 ? 'a' : 'b']: out };
  return out;
}

/** Numbers DynamoDB cannot store, or the SDK refuses to convert. */
export const unstorableNumber = fc.constantFrom(
  1e300,
  -1e300,
  2 ** 53 + 2,
  -(2 ** 60),
  1e-200,
  -1e-131,
  new RawJson('1e400'),
  new RawJson('-1e400'),
);

/** Well-formed text for values that take anything (config, credentials, messages). */
export const anyText = (maxLength: number) =>
  fc.oneof(fc.constantFrom(...HOSTILE), text(maxLength)).filter((s) => s.isWellFormed());
