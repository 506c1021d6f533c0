import { InvalidArgument } from '#lib/errors.ts';

/**
 * Page tokens are opaque to clients: base64url JSON of the list's scope and the key of the
 * page's last item. A token is only good for the list that issued it: its scope must match and
 * its cursor must have exactly the key attributes that list's query starts from, with values
 * inside that query — DynamoDB rejects any other start key, and that must be a 400, not a 500.
 */
export function encodePageToken(scope: string, cursor: Record<string, unknown>): string {
  return Buffer.from(JSON.stringify({ s: scope, k: cursor })).toString('base64url');
}

const invalid = () =>
  new InvalidArgument([
    { field: 'query.pageToken', message: 'is not a valid page token for this list' },
  ]);

const isKeyValue = (v: unknown): v is string =>
  typeof v === 'string' && v.length > 0 && v.length < 2048 && v.isWellFormed();

export function decodePageToken(
  token: string,
  scope: string,
  /** The cursor's attributes and a check of their values against the query. */
  expect: { attributes: readonly string[]; within: (cursor: Record<string, string>) => boolean },
): Record<string, string> {
  if (!/^[A-Za-z0-9_-]+$/.test(token)) throw invalid();
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
  } catch {
    throw invalid();
  }
  const { s, k } = (parsed ?? {}) as { s?: unknown; k?: unknown };
  if (s !== scope || !k || typeof k !== 'object' || Array.isArray(k)) throw invalid();
  const cursor = k as Record<string, unknown>;
  const names = Object.keys(cursor).sort();
  const wanted = [...expect.attributes].sort();
  if (names.length !== wanted.length || names.some((n, i) => n !== wanted[i])) throw invalid();
  if (!Object.values(cursor).every(isKeyValue)) throw invalid();
  if (!expect.within(cursor as Record<string, string>)) throw invalid();
  return cursor as Record<string, string>;
}
