import { type ContractSpec, isCreate, isMutating } from '#lib/contract/contract.ts';
import { InvalidArgument } from '#lib/errors.ts';

export interface Preconditions {
  expectedResourceVersion?: number;
  expectedId?: string;
  /** The precondition came in If-Match: a mismatch answers 412. */
  fromIfMatch: boolean;
}

/** One strong ETag as the API issues them: `"<uuid>:<resourceVersion>"`. */
const ETAG = /^"([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}):([1-9]\d{0,15})"$/i;

/**
 * The caller's precondition, from `expectedResourceVersion`/`expectedId` in the body (query
 * string for DELETE and body-less PUT) or from `If-Match: "<id>:<resourceVersion>"`.
 */
export function parsePreconditions(
  route: Pick<ContractSpec, 'method' | 'body' | 'creates'>,
  headers: Record<string, string | undefined>,
  input: { body: Record<string, unknown>; query: Record<string, unknown> },
): Preconditions {
  if (!isMutating(route)) return { fromIfMatch: false };
  const source = route.body ? input.body : input.query;
  let version = source.expectedResourceVersion as number | undefined;
  // UUIDs compare case-insensitively; the server issues them in lowercase.
  let id = (source.expectedId as string | undefined)?.toLowerCase();
  const ifMatch = headers['if-match']?.trim();
  // A create has no version to be based on (as in Kubernetes): a precondition is a mistake.
  if (isCreate(route)) {
    const set = [
      ...(version ? ['body.expectedResourceVersion'] : []),
      ...(id ? ['body.expectedId'] : []),
      ...(ifMatch !== undefined && ifMatch !== '*' ? ['header.if-match'] : []),
    ];
    if (set.length) {
      throw new InvalidArgument(
        set.map((field) => ({ field, message: 'must not be set when creating an object' })),
      );
    }
    return { fromIfMatch: false };
  }
  if (ifMatch === undefined || ifMatch === '*') {
    return { expectedResourceVersion: version, expectedId: id, fromIfMatch: false };
  }
  const m = ETAG.exec(ifMatch);
  if (!m || Number(m[2]) > Number.MAX_SAFE_INTEGER) {
    throw new InvalidArgument([
      { field: 'header.if-match', message: 'must be one strong ETag "<id>:<resourceVersion>"' },
    ]);
  }
  const etagId = m[1]!.toLowerCase();
  const etagVersion = Number(m[2]);
  if (
    (version !== undefined && version !== 0 && version !== etagVersion) ||
    (id && id !== etagId)
  ) {
    throw new InvalidArgument([
      { field: 'header.if-match', message: 'disagrees with expectedResourceVersion/expectedId' },
    ]);
  }
  version = etagVersion;
  id = etagId;
  return { expectedResourceVersion: version, expectedId: id, fromIfMatch: true };
}

/** The first element of an `If-None-Match` list: an entity tag, weak (`W/"…"`) or strong. */
const ENTITY_TAG = /^(?:W\/)?"([\x21\x23-\x7e\x80-\xff]*)"\s*(?:,\s*|$)/;

/**
 * The condition of `If-None-Match` on a GET (RFC 9110 §13.1.2): `*` or a list of entity tags,
 * compared weakly (`W/` ignored), matched against the ETag of the answer. Absent: undefined.
 * A malformed value is a 400, and so is the header on a write, which it does not condition.
 */
export function parseIfNoneMatch(
  route: Pick<ContractSpec, 'method'>,
  headers: Record<string, string | undefined>,
): ((etag: string) => boolean) | undefined {
  const header = headers['if-none-match'];
  if (header === undefined) return undefined;
  const refuse = (message: string) =>
    new InvalidArgument([{ field: 'header.if-none-match', message }]);
  if (isMutating(route)) {
    throw refuse(
      'is honoured by GET and HEAD only: a write takes If-Match or expectedResourceVersion',
    );
  }
  let rest = header.trim();
  if (rest === '*') return () => true;
  const wanted = new Set<string>();
  while (rest.length) {
    const m = ENTITY_TAG.exec(rest);
    if (!m) {
      throw refuse('must be "*" or a list of entity tags ("<id>:<resourceVersion>", W/ allowed)');
    }
    wanted.add(m[1]!);
    rest = rest.slice(m[0].length);
  }
  if (!wanted.size) throw refuse('must be "*" or a list of entity tags');
  return (etag) => wanted.has(ENTITY_TAG.exec(etag)?.[1] ?? etag);
}
