/**
 * Checks of RFC 9457 problem responses: their shape, their code and status, their field-level
 * errors, and that they name nothing internal.
 */

export interface ProblemResponse {
  status: number;
  headers: Record<string, string>;
  // biome-ignore lint/suspicious/noExplicitAny: a response body as parsed from JSON.
  body: any;
}

/** The HTTP statuses each code may come with (SPEC §3, docs/api.md). */
export const STATUSES_OF_CODE: Readonly<Record<string, readonly number[]>> = {
  INVALID_ARGUMENT: [400, 405, 413, 415],
  UNAUTHENTICATED: [401],
  PERMISSION_DENIED: [403],
  NOT_FOUND: [404],
  ALREADY_EXISTS: [409],
  ABORTED: [409, 412],
  FAILED_PRECONDITION: [409],
  IDEMPOTENCY_MISMATCH: [422],
  RESOURCE_EXHAUSTED: [429],
  UNAVAILABLE: [503],
  INTERNAL: [500],
};

const MEMBERS = new Set([
  'type',
  'title',
  'status',
  'detail',
  'code',
  'instance',
  'requestId',
  'errors',
  'currentResourceVersion',
  'current',
  'details',
]);

const FIELD = /^(body|path|query|header|method)(\..*)?$/s;

const isText = (v: unknown) => typeof v === 'string' && v.length > 0;

/** What is wrong with a response that must be a problem (none: it is a well-formed one). */
export function problemShapeErrors(res: ProblemResponse): string[] {
  const out: string[] = [];
  const b = res.body;
  if (res.headers['content-type'] !== 'application/problem+json') {
    out.push(`content-type is ${res.headers['content-type']}`);
  }
  if (!b || typeof b !== 'object' || Array.isArray(b)) return [...out, 'the body is no object'];
  for (const k of Object.keys(b)) if (!MEMBERS.has(k)) out.push(`unexpected member ${k}`);
  const statuses = STATUSES_OF_CODE[b.code];
  if (!statuses) out.push(`unknown code ${b.code}`);
  else if (!statuses.includes(res.status)) out.push(`code ${b.code} with status ${res.status}`);
  if (b.status !== res.status) out.push(`status member ${b.status} ≠ ${res.status}`);
  const slug = String(b.code).toLowerCase().replaceAll('_', '-');
  if (b.type !== `urn:shellgate:problem:${slug}`) out.push(`type ${b.type}`);
  for (const k of ['title', 'detail', 'instance', 'requestId']) {
    if (!isText(b[k])) out.push(`${k} is not a non-empty string`);
  }
  if (res.headers['x-request-id'] !== undefined && res.headers['x-request-id'] !== b.requestId) {
    out.push('requestId differs from x-request-id');
  }
  if (b.code === 'INVALID_ARGUMENT') {
    if (!Array.isArray(b.errors) || b.errors.length === 0) out.push('errors is empty');
    for (const e of Array.isArray(b.errors) ? b.errors : []) {
      if (!e || !FIELD.test(e.field) || !isText(e.message) || Object.keys(e).length !== 2) {
        out.push(`malformed field violation ${JSON.stringify(e)?.slice(0, 200)}`);
      }
    }
  }
  if (b.code === 'ABORTED') {
    if (!Number.isInteger(b.currentResourceVersion) || b.currentResourceVersion < 1) {
      out.push('ABORTED without currentResourceVersion');
    }
    if (b.current !== undefined && typeof b.current !== 'object') out.push('current is no object');
  }
  return out;
}

/** Whether a violation of `field` (or of something inside it) is among the problem's errors. */
export function hasFieldError(body: { errors?: Array<{ field: string }> }, field: string): boolean {
  return (body.errors ?? []).some((e) => e.field === field || e.field.startsWith(`${field}.`));
}

const INTERNALS: ReadonlyArray<[string, RegExp]> = [
  ['a key attribute', /"(pk|sk|gsi1pk|gsi1sk)"/],
  ['a partition or sort key', /\b(sandbox|provider|inference|settings|ssh|idem|migration)#/],
  ['a child sort key', /\b(rev|svc|ref)#/],
  [
    'an item attribute',
    /\b(resource_version|last_request_id|tombstone|ref_count|expires_at|created_at|updated_at)\b/,
  ],
  ['an exception name', /Exception|TransactionCanceled|ConditionalCheck/],
  ['a stack frame', /\bat [^\s"]+ \(|\n\s+at |\.ts:\d+|\.js:\d+|node_modules|file:\/\//],
  [
    'a DynamoDB term or message',
    /DynamoDB|AttributeValue|ExpressionAttribute|ConditionExpression|KeyCondition|ExclusiveStartKey|\$metadata|starting key|key element|query boundaries|parameter values were invalid|item size/i,
  ],
  ['an error class', /\b(TypeError|RangeError|SyntaxError|ReferenceError|ZodError)\b/],
];

/**
 * The internals a response text names, if any: key attributes and layouts, item attributes,
 * exception names, stack frames, SDK terms, and the given table names.
 */
export function internalLeaks(text: string, tableNames: readonly string[] = []): string[] {
  const found = INTERNALS.filter(([, re]) => re.test(text)).map(([what, re]) => {
    const m = re.exec(text);
    return `${what} (${m?.[0]})`;
  });
  for (const t of tableNames) if (text.includes(t)) found.push(`the table name ${t}`);
  if (/shellgate-(test|e2e)-[0-9a-f]{8}/.test(text)) found.push('a table name');
  return found;
}
