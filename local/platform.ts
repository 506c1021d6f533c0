import { type IncomingMessage, STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import { MAX_BODY_BYTES } from '#lib/http/body.ts';
import { HttpRejection, type HttpResponse, problemResponse } from '#lib/http/problem.ts';
import { PLATFORM } from '#lib/platform-limits.ts';

/**
 * What API Gateway and Lambda do to a request before the function runs and to its answer after,
 * as far as the dev server imitates them: the payload and header limits, Lambda's response
 * limit, and requests that are not HTTP at all.
 */

/**
 * Node's own limit on the request line and headers (its default is 16 KiB), set far above API
 * Gateway's so that the dev server can refuse a large header itself and name it.
 */
export const NODE_MAX_HEADER_BYTES = 1024 * 1024;

/**
 * Body bytes kept for the function; the handlers refuse anything over {@link MAX_BODY_BYTES},
 * so past this margin the dev server answers 413 itself and reads the rest only to discard it.
 */
const KEPT_BODY_BYTES = MAX_BODY_BYTES + 1024;

export type BodyRead =
  /** The whole body, for the function. */
  | { kind: 'complete'; bytes: Buffer }
  /** Read to its end and discarded: the answer is 413 and the connection stays usable. */
  | { kind: 'too-large' }
  /**
   * Past API Gateway's payload limit: the rest is not read, so the answer is 413 with
   * `connection: close`.
   */
  | { kind: 'past-payload-limit' };

/** The client went away, or its body could not be parsed, before the body ended. */
export class RequestAborted extends Error {
  constructor() {
    super('the request ended before its body did');
  }
}

/**
 * Reads the request body. A body the function would refuse is still read to its end (up to API
 * Gateway's payload limit) so that the next request on a kept-alive connection finds the
 * connection at a request boundary.
 */
export function readBody(req: IncomingMessage): Promise<BodyRead> {
  const limit = PLATFORM.apiGateway.payloadBytes;
  if (Number(req.headers['content-length'] ?? 0) > limit) {
    return Promise.resolve({ kind: 'past-payload-limit' });
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        req.off('data', onData);
        resolve({ kind: 'past-payload-limit' });
      } else if (size <= KEPT_BODY_BYTES) {
        chunks.push(chunk);
      }
    };
    req.on('data', onData);
    req.once('end', () =>
      resolve(
        size > KEPT_BODY_BYTES
          ? { kind: 'too-large' }
          : { kind: 'complete', bytes: Buffer.concat(chunks) },
      ),
    );
    const aborted = () => reject(new RequestAborted());
    req.once('error', aborted);
    req.once('close', aborted);
  });
}

export const bodyTooLarge = () =>
  new HttpRejection(413, 'body', `must be at most ${MAX_BODY_BYTES} bytes`);

/**
 * API Gateway's limit on the request line and header values together, checked as it does
 * before any function runs. The 400 names the largest part: a header (`header.<name>`, the
 * values of a repeated header added up), or the path or query string of the request line.
 */
export function headerLimitViolation(req: IncomingMessage): HttpRejection | undefined {
  const limit = PLATFORM.apiGateway.headerBytes;
  // Node reads the request line and header values as latin1: one character per byte.
  const url = req.url ?? '';
  const query = url.includes('?') ? url.length - url.indexOf('?') - 1 : 0;
  let total = `${req.method} ${url} HTTP/${req.httpVersion}`.length;
  const parts = new Map<string, number>([
    ['path', url.length - query],
    ['query', query],
  ]);
  for (let i = 0; i + 1 < req.rawHeaders.length; i += 2) {
    const field = `header.${req.rawHeaders[i]!.toLowerCase()}`;
    const size = req.rawHeaders[i + 1]!.length;
    total += size;
    parts.set(field, (parts.get(field) ?? 0) + size);
  }
  if (total <= limit) return undefined;
  const [field, size] = [...parts].reduce((a, b) => (b[1] > a[1] ? b : a));
  return new HttpRejection(
    400,
    field,
    `is ${size} bytes; the request line and header values together must be at most ${limit} bytes, and were ${total}`,
  );
}

/** HTTP/1.1 requires a Host header (RFC 9112 §3.2); Node would answer its absence with no body. */
export function missingHost(req: IncomingMessage): HttpRejection | undefined {
  if (req.httpVersion !== '1.1' || req.headers.host !== undefined) return undefined;
  return new HttpRejection(400, 'header.host', 'is required in HTTP/1.1');
}

/** What API Gateway answers when the function fails, e.g. with a response too large. */
const GATEWAY_INTERNAL_ERROR: HttpResponse = {
  statusCode: 500,
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify({ message: 'Internal Server Error' }),
};

/**
 * Lambda refuses a synchronous response whose JSON is over its payload limit, and API Gateway
 * then answers 500 with its own body. The dev server does the same, and says so on stderr so
 * that a test driving a large response learns why it got a 500.
 */
export function withinLambdaResponseLimit(fn: string, out: HttpResponse): HttpResponse {
  const size = Buffer.byteLength(JSON.stringify(out));
  const limit = PLATFORM.lambda.responseBytes;
  if (size <= limit) return out;
  console.error(
    `dev server: the ${fn} function answered ${out.statusCode} with a ${size}-byte response, ` +
      `over Lambda's ${limit}-byte response limit. Deployed, Lambda refuses it and API Gateway ` +
      'answers 500 {"message":"Internal Server Error"}; so does the dev server.',
  );
  return GATEWAY_INTERNAL_ERROR;
}

interface ClientError extends Error {
  code?: string;
  /** The bytes the parser was reading when it failed. */
  rawPacket?: Buffer;
}

/** Which part of the request a parser error is about, as a field of the problem. */
function violationOf(err: ClientError): HttpRejection {
  const code = err.code ?? '';
  if (code === 'ERR_HTTP_REQUEST_TIMEOUT') {
    return new HttpRejection(408, 'header', 'the request did not arrive in time');
  }
  if (code === 'HPE_HEADER_OVERFLOW') {
    return new HttpRejection(
      400,
      'header',
      `the request line and headers must be at most ${PLATFORM.apiGateway.headerBytes} bytes`,
    );
  }
  if (/^HPE_(INVALID_(URL|METHOD|VERSION|CONSTANT)|URI)/.test(code)) {
    return new HttpRejection(400, 'path', 'the request line is not valid HTTP/1.1');
  }
  if (/CONTENT_LENGTH|TRANSFER_ENCODING|CHUNK|INVALID_EOF/.test(code)) {
    return new HttpRejection(400, 'body', 'is not framed as HTTP/1.1 requires');
  }
  return new HttpRejection(400, 'header', 'the request is not valid HTTP/1.1');
}

/** The path of the request line the parser failed on, percent-encoded as it can be. */
function requestTarget(raw: Buffer | undefined): string {
  if (!raw) return '/';
  const end = raw.indexOf('\r\n');
  const line = raw.subarray(0, end === -1 ? Math.min(raw.length, 2048) : end);
  const from = line.indexOf(' ');
  const to = line.lastIndexOf(' ');
  if (from === -1 || to <= from) return '/';
  let target = line.subarray(from + 1, to);
  const query = target.indexOf('?');
  if (query !== -1) target = target.subarray(0, query);
  let out = '';
  for (const byte of target) {
    out +=
      byte > 0x20 && byte < 0x7f
        ? String.fromCharCode(byte)
        : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out.startsWith('/') && out.length <= 2048 ? out : '/';
}

/**
 * Answers a request Node's parser refused (the server's `clientError`) with a problem+json and
 * closes the connection: Node's own answer has no body. Nothing can be written once a response
 * on the connection has started.
 */
export function answerClientError(err: ClientError, socket: Duplex): void {
  const current = (socket as Duplex & { _httpMessage?: { headersSent?: boolean } })._httpMessage;
  if (err.code === 'ECONNRESET' || !socket.writable || current?.headersSent) {
    socket.destroy();
    return;
  }
  const out = problemResponse(violationOf(err), {
    instance: requestTarget(err.rawPacket),
    requestId: 'local',
  });
  const head = [
    `HTTP/1.1 ${out.statusCode} ${STATUS_CODES[out.statusCode] ?? ''}`,
    ...Object.entries(out.headers).map(([k, v]) => `${k}: ${v}`),
    `content-length: ${Buffer.byteLength(out.body)}`,
    'connection: close',
  ].join('\r\n');
  socket.end(`${head}\r\n\r\n${out.body}`, () => socket.destroy());
}
