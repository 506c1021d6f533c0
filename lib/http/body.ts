import { type FieldViolation, InvalidArgument } from '#lib/errors.ts';
import type { HttpEvent } from './handler.ts';
import { HttpRejection } from './problem.ts';
import type { Route } from './route.ts';

/** Larger bodies are refused before parsing (every valid body is far smaller). */
export const MAX_BODY_BYTES = 512 * 1024;

export function parseBody(route: Route, event: HttpEvent): unknown {
  const raw = event.body
    ? event.isBase64Encoded
      ? Buffer.from(event.body, 'base64').toString('utf8')
      : event.body
    : '';
  if (Buffer.byteLength(raw) > MAX_BODY_BYTES) {
    throw new HttpRejection(413, 'body', `must be at most ${MAX_BODY_BYTES} bytes`);
  }
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
 * UTF-8), `__proto__` keys (objects built from them silently lose them), and nesting that
 * deep (it would exhaust the stack of whatever walks it next).
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
      else if (!k.isWellFormed())
        errors.push({ field: field(path), message: 'has a key that is not well-formed Unicode' });
      else stack.push({ node: v, path: at });
    }
  }
  return errors.slice(0, MAX_REPORTED);
}
