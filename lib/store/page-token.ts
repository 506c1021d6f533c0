import { InvalidArgument } from '#lib/errors.ts';

/** Page tokens are opaque to clients: base64url of the scope and the cursor key. */
export function encodePageToken(scope: string, cursor: Record<string, unknown>): string {
  return Buffer.from(JSON.stringify({ s: scope, k: cursor })).toString('base64url');
}

export function decodePageToken(token: string, scope: string): Record<string, unknown> {
  const invalid = () =>
    new InvalidArgument([{ field: 'query.pageToken', message: 'is not a valid page token' }]);
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
  } catch {
    throw invalid();
  }
  const p = parsed as { s?: unknown; k?: unknown };
  if (!p || p.s !== scope || typeof p.k !== 'object' || p.k === null) throw invalid();
  const cursor = p.k as Record<string, unknown>;
  if (!Object.values(cursor).every((v) => typeof v === 'string' && v.length < 2048)) {
    throw invalid();
  }
  return cursor;
}
