import { en } from 'zod/locales';
import * as z from 'zod/mini';
import { childPrefix } from '#lib/domain/keys.ts';
import { LIMITS } from '#lib/domain/limits.ts';

// zod/mini: every schema is a plain object without the classic API's bound methods, which makes
// building the schemas of a function's routes several times cheaper at each cold start. Unlike
// `zod`, it loads no locale of its own: the messages are the classic English ones.
z.config(en());

export const bytes = (s: string) => Buffer.byteLength(s, 'utf8');

export const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
export const name = z
  .string()
  .check(
    z.minLength(1),
    z.maxLength(63),
    z.regex(DNS_LABEL, 'must be a DNS label: lowercase letters, digits and "-", 1–63 characters'),
  );

const LABEL_NAME = /^([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** Kubernetes label key syntax: `[prefix/]name`, prefix a DNS subdomain ≤ 253, name ≤ 63. */
export function isLabelKey(key: string): boolean {
  const slash = key.lastIndexOf('/');
  const prefix = slash >= 0 ? key.slice(0, slash) : undefined;
  const local = slash >= 0 ? key.slice(slash + 1) : key;
  if (
    prefix !== undefined &&
    (prefix.length > 253 ||
      !DNS_SUBDOMAIN.test(prefix) ||
      prefix.split('.').some((label) => label.length > 63))
  ) {
    return false;
  }
  return local.length >= 1 && local.length <= 63 && LABEL_NAME.test(local);
}

export function isLabelValue(value: string): boolean {
  return value === '' || (value.length <= 63 && LABEL_NAME.test(value));
}

export const labels = z
  .record(
    z
      .string()
      .check(
        z.refine(isLabelKey, 'is not a valid label key ([prefix/]name, name ≤ 63 characters)'),
      ),
    z
      .string()
      .check(
        z.refine(isLabelValue, 'is not a valid label value (≤ 63 alphanumerics, "-", "_", ".")'),
      ),
  )
  .check(
    z.refine((m) => Object.keys(m).length <= LIMITS.labels, `at most ${LIMITS.labels} labels`),
  );

export const resourceVersion = z
  .number()
  .check(z.int(), z.minimum(0), z.maximum(Number.MAX_SAFE_INTEGER));
export const uuid = z.uuid();

/** Fields every mutating body may carry. */
export const preconditions = {
  expectedResourceVersion: z.optional(resourceVersion),
  expectedId: z.optional(uuid),
};

/** Violations reported per walk: enough to fix the input, never a response as big as it. */
const MAX_REPORTED = 10;

/** DynamoDB stores numbers of magnitude 1e-130…1e126; the SDK refuses integers past 2^53. */
const isStorableNumber = (n: number) =>
  n === 0 || (Math.abs(n) >= 1e-130 && Math.abs(n) <= Number.MAX_SAFE_INTEGER);

/**
 * A free-form JSON object (a policy): nested at most `policyDepth` levels (DynamoDB allows 32
 * for the whole item), numbers DynamoDB can store, at most `policyBytes` as JSON. Walked
 * without recursion, so no input can exhaust the stack.
 */
export const jsonObject = z.record(z.string(), z.unknown()).check(
  z.superRefine((value, ctx) => {
    const stack: Array<{ node: unknown; path: string[] }> = [{ node: value, path: [] }];
    let badNumbers = 0;
    while (stack.length) {
      const { node, path } = stack.pop()!;
      if (typeof node === 'number' && !isStorableNumber(node) && ++badNumbers <= MAX_REPORTED) {
        ctx.addIssue({
          code: 'custom',
          path,
          message: 'numbers must be 0 or of magnitude 1e-130 to 2^53-1',
        });
      }
      if (node === null || typeof node !== 'object') continue;
      if (path.length >= LIMITS.policyDepth) {
        ctx.addIssue({
          code: 'custom',
          path: path.slice(0, LIMITS.policyDepth),
          message: `is nested more than ${LIMITS.policyDepth} levels deep`,
        });
        return;
      }
      for (const [k, v] of Object.entries(node)) stack.push({ node: v, path: [...path, k] });
    }
    if (bytes(JSON.stringify(value)) > LIMITS.policyBytes) {
      ctx.addIssue({ code: 'custom', message: `is at most ${LIMITS.policyBytes} bytes as JSON` });
    }
  }),
);

// Path and query parameters arrive as strings.

export const intString = (min: number, max: number) =>
  z.pipe(
    z.pipe(
      z.string().check(z.regex(/^\d{1,16}$/, 'must be a non-negative integer')),
      z.transform(Number),
    ),
    z.number().check(z.int(), z.minimum(min), z.maximum(max)),
  );

export const NameParams = z.strictObject({ name });

interface TokenScopes {
  /** Tokens of a list by kind: the cursor carries the index key, whose partition is the scope. */
  byKind: boolean;
  /** Tokens of a query of one sandbox's children with these sort-key prefixes. */
  children: readonly string[];
}

const cursorValue = (v: unknown) =>
  typeof v === 'string' && v.length > 0 && v.length < 2048 && v.isWellFormed();

/**
 * Whether a page token has the shape the store issues (the store checks again, precisely, that
 * it belongs to the very list it is sent to) (base64url JSON `{s: scope, k: cursor}`,
 * the cursor being the key of the page's last item) for a route that reads `scopes`. DynamoDB
 * rejects a start key outside the query, so a forged or misplaced token must stop here.
 */
function isPageToken(token: string, scopes: TokenScopes): boolean {
  if (!/^[A-Za-z0-9_-]+$/.test(token)) return false;
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
  } catch {
    return false;
  }
  const { s, k } = (parsed ?? {}) as { s?: unknown; k?: unknown };
  if (typeof s !== 'string' || !k || typeof k !== 'object' || Array.isArray(k)) return false;
  const cursor = k as Record<string, unknown>;
  if (!Object.values(cursor).every(cursorValue)) return false;
  const attributes = Object.keys(cursor).sort().join(',');
  if (attributes === 'gsi1pk,gsi1sk,pk,sk') return scopes.byKind && cursor.gsi1pk === s;
  if (attributes === 'pk,sk') {
    return cursor.pk === s && scopes.children.some((p) => (cursor.sk as string).startsWith(p));
  }
  return false;
}

/** `pageSize` and `pageToken` of a list whose tokens are of `scopes`. */
export const pagination = (scopes: TokenScopes) => ({
  pageSize: z.optional(intString(1, LIMITS.pageSizeMax)),
  pageToken: z.optional(
    z.string().check(
      z.minLength(1),
      z.maxLength(4096),
      z.refine((t) => isPageToken(t, scopes), 'is not a valid page token'),
    ),
  ),
});

/** Lists by kind (providers, inference routes) and of a sandbox's revisions and sessions. */
export const ListQuery = z.strictObject({
  ...pagination({
    byKind: true,
    children: [childPrefix.policyRevision, childPrefix.sshSession],
  }),
});
/** DELETE and body-less routes take the preconditions in the query string. */
export const PreconditionQuery = z.strictObject({
  expectedResourceVersion: z.optional(intString(0, Number.MAX_SAFE_INTEGER)),
  expectedId: z.optional(uuid),
});

/**
 * `Body` must yield what the use-case takes; extra members (preconditions) are fine. A kind's
 * schemas module states it for its bodies (`schemas/inference.ts`); the older kinds' are
 * listed in `conformance.ts`.
 */
export type Yields<Body extends Input, Input> = Body;
