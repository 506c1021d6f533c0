import type { ProgressOutput } from './progress-bar.ts';

/**
 * `--debug`: each request and response on standard error, curl -v style (`> ` what was sent,
 * `< ` what came back), with every secret replaced by `REDACTED`: the bearer token, credential
 * values, SSH session tokens, and the token the dev server mints.
 */

const SECRET_HEADERS = new Set(['authorization', 'cookie', 'set-cookie', 'x-api-key']);
/** JSON members whose value is a secret wherever they appear. */
const SECRET_MEMBERS = new Set(['token', 'accessToken', 'access_token', 'password', 'secret']);
/** Bodies longer than this are cut: debugging needs their start, not megabytes. */
const MAX_BODY_CHARS = 4096;

/** A copy of a JSON value without its secrets. */
export function redact(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(redact);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.entries(value).map(([k, v]) => {
      if (SECRET_MEMBERS.has(k) && typeof v === 'string') return [k, 'REDACTED'];
      if (k === 'credentials' && v !== null && typeof v === 'object' && !Array.isArray(v)) {
        return [k, Object.fromEntries(Object.keys(v).map((c) => [c, 'REDACTED']))];
      }
      return [k, redact(v)];
    }),
  );
}

function bodyText(text: string): string {
  let shown = text;
  try {
    shown = JSON.stringify(redact(JSON.parse(text)));
  } catch {
    // Not JSON (the /docs page): only its size is shown.
    return `(${Buffer.byteLength(text)} bytes, not JSON)`;
  }
  return shown.length > MAX_BODY_CHARS
    ? `${shown.slice(0, MAX_BODY_CHARS)}… (${shown.length} characters)`
    : shown;
}

function headerLines(prefix: string, headers: Headers): string[] {
  return [...headers].map(
    ([k, v]) =>
      `${prefix} ${k}: ${SECRET_HEADERS.has(k) ? v.replace(/^(\w+\s+)?.*$/, (_, scheme = '') => `${scheme}REDACTED`) : v}`,
  );
}

/** The URL as shown: a token in the query string (`access_token`) is redacted too. */
function urlText(url: string): string {
  const u = new URL(url);
  for (const key of u.searchParams.keys()) {
    if (SECRET_MEMBERS.has(key)) u.searchParams.set(key, 'REDACTED');
  }
  return u.toString();
}

/** `fetch`, writing each exchange to `out`. */
export function debugFetch(inner: typeof fetch, out: ProgressOutput): typeof fetch {
  return async (input, init = {}) => {
    const request = new Request(input, init);
    const lines = [
      `> ${request.method} ${urlText(request.url)}`,
      ...headerLines('>', request.headers),
    ];
    if (typeof init.body === 'string' && init.body) lines.push(`> ${bodyText(init.body)}`);
    out.write(`${lines.join('\n')}\n`);
    const started = performance.now();
    let res: Response;
    try {
      res = await inner(input, init);
    } catch (err) {
      out.write(`< (no response: ${(err as Error).message})\n`);
      throw err;
    }
    const text = await res.clone().text();
    const ms = Math.round(performance.now() - started);
    out.write(
      `${[
        `< ${res.status} ${res.statusText} (${ms} ms)`,
        ...headerLines('<', res.headers),
        ...(text ? [`< ${bodyText(text)}`] : []),
      ].join('\n')}\n`,
    );
    return res;
  };
}
