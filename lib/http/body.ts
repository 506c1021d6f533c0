import type { ContractSpec } from '#lib/contract/contract.ts';
import { type FieldViolation, InvalidArgument } from '#lib/errors.ts';
import type { HttpEvent } from './event.ts';
import { HttpRejection } from './problem.ts';

/** Larger bodies are refused before parsing (every valid body is far smaller). */
export const MAX_BODY_BYTES = 512 * 1024;

/**
 * Refuses bytes that are not UTF-8 instead of replacing them with U+FFFD, which would store
 * something the caller never sent. A byte order mark is kept, so that it is refused as JSON
 * exactly as in a text body.
 */
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

const tooLarge = () => new HttpRejection(413, 'body', `must be at most ${MAX_BODY_BYTES} bytes`);

/**
 * The body as text. API Gateway passes a body it cannot pass as text base64-encoded
 * (`isBase64Encoded`); the dev server does the same for bytes that are not UTF-8.
 */
function bodyText(event: HttpEvent): string {
  if (!event.body) return '';
  if (!event.isBase64Encoded) {
    if (Buffer.byteLength(event.body) > MAX_BODY_BYTES) throw tooLarge();
    return event.body;
  }
  const bytes = Buffer.from(event.body, 'base64');
  if (bytes.length > MAX_BODY_BYTES) throw tooLarge();
  try {
    return utf8.decode(bytes);
  } catch {
    throw new InvalidArgument([{ field: 'body', message: 'is not valid UTF-8' }]);
  }
}

export function parseBody(route: Pick<ContractSpec, 'body'>, event: HttpEvent): unknown {
  const raw = bodyText(event);
  if (!route.body) {
    if (raw.trim() !== '')
      throw new InvalidArgument([{ field: 'body', message: 'this route takes no body' }]);
    return undefined;
  }
  if (raw.trim() === '') return {};
  const type = (event.headers?.['content-type'] ?? '').split(';')[0]?.trim().toLowerCase();
  if (type !== 'application/json' && !type?.endsWith('+json')) {
    throw new HttpRejection(415, 'header.content-type', 'must be application/json');
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw new InvalidArgument([{ field: 'body', message: 'is not valid JSON' }]);
  }
  const errors = plainJsonViolations(parsed);
  if (errors.length) throw new InvalidArgument(errors);
  return parsed;
}

/** Nesting levels any body may have; every valid body is far shallower. */
export const MAX_BODY_DEPTH = 32;
/** Violations reported per body: enough to fix it, never a response as big as the body. */
const MAX_REPORTED = 10;

/**
 * What JSON allows but no field of this API does, checked once for the whole body without
 * recursion: strings that are not well-formed Unicode (lone surrogates cannot be stored as
 * UTF-8), `__proto__` keys (objects built from them silently lose them), empty keys (DynamoDB
 * refuses an empty attribute name in a map, so the write would fail), and nesting that deep
 * (it would exhaust the stack of whatever walks it next). An object with an empty key is named
 * itself: the key has no name to add to the path.
 */
function plainJsonViolations(body: unknown): FieldViolation[] {
  const errors: FieldViolation[] = [];
  const field = (path: string[]) => ['body', ...path].join('.');
  const stack: Array<{ node: unknown; path: string[] }> = [{ node: body, path: [] }];
  while (stack.length && errors.length < MAX_REPORTED) {
    const { node, path } = stack.pop()!;
    if (typeof node === 'string') {
      if (!node.isWellFormed())
        errors.push({ field: field(path), message: 'is not well-formed Unicode' });
      continue;
    }
    if (node === null || typeof node !== 'object') continue;
    if (path.length >= MAX_BODY_DEPTH) {
      errors.push({ field: field(path), message: `is nested more than ${MAX_BODY_DEPTH} levels` });
      break;
    }
    for (const [k, v] of Object.entries(node)) {
      const at = [...path, k];
      if (k === '__proto__') errors.push({ field: field(at), message: 'is not an allowed key' });
      else if (k === '') errors.push({ field: field(path), message: 'has an empty key' });
      else if (!k.isWellFormed())
        errors.push({ field: field(path), message: 'has a key that is not well-formed Unicode' });
      else stack.push({ node: v, path: at });
    }
  }
  return errors.slice(0, MAX_REPORTED);
}
