/**
 * Post-deploy smoke test: `npm run smoke -- --endpoint URL --token T`.
 *
 * Checks, against a running deployment (or the dev server), that the API is healthy and that a
 * versioned write path works end to end: a create, an update, a stale update refused with 409
 * ABORTED, a delete conditioned on the version, and the object gone. It writes one provider of
 * its own (`smoke-<random>`) and removes it, also when a step fails. Exit codes: 0 passed,
 * 1 a check failed, 2 usage.
 *
 * The token: `--token`, else `SHELLGATE_TOKEN`, else one fetched with the client-credentials
 * grant from `SHELLGATE_TOKEN_URL` with `SHELLGATE_CLIENT_ID` and `SHELLGATE_CLIENT_SECRET`
 * (scope `SHELLGATE_TOKEN_SCOPE`, default `shellgate:all`), as the deploy pipeline does. In a CI
 * log prefer the environment: `npm run` echoes its arguments, `--token` included.
 */
import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';

const REQUEST_TIMEOUT_MS = 15_000;

class CheckFailed extends Error {}

interface Options {
  endpoint: string;
  token: string;
}

function usage(message: string): never {
  console.error(`smoke: ${message}
usage: npm run smoke -- --endpoint URL [--token T]
       (or SHELLGATE_ENDPOINT, SHELLGATE_TOKEN; or SHELLGATE_TOKEN_URL, SHELLGATE_CLIENT_ID,
        SHELLGATE_CLIENT_SECRET for a client-credentials token)`);
  process.exit(2);
}

async function clientCredentialsToken(): Promise<string | undefined> {
  const {
    SHELLGATE_TOKEN_URL: url,
    SHELLGATE_CLIENT_ID: id,
    SHELLGATE_CLIENT_SECRET: secret,
  } = process.env;
  if (!url || !id || !secret) return undefined;
  const res = await fetch(url, {
    method: 'POST',
    headers: {
      authorization: `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`,
      'content-type': 'application/x-www-form-urlencoded',
    },
    body: new URLSearchParams({
      grant_type: 'client_credentials',
      scope: process.env.SHELLGATE_TOKEN_SCOPE ?? 'shellgate:all',
    }),
    signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
  });
  const body = (await res.json().catch(() => ({}))) as { access_token?: unknown };
  if (!res.ok || typeof body.access_token !== 'string') {
    throw new CheckFailed(`token endpoint answered ${res.status} without an access_token`);
  }
  return body.access_token;
}

async function options(): Promise<Options> {
  let values: { endpoint?: string; token?: string; help?: boolean };
  try {
    ({ values } = parseArgs({
      options: {
        endpoint: { type: 'string' },
        token: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (err) {
    usage((err as Error).message);
  }
  if (values.help) usage('post-deploy smoke test');
  const endpoint = values.endpoint ?? process.env.SHELLGATE_ENDPOINT;
  if (!endpoint || !URL.canParse(endpoint)) usage('--endpoint must be the API base URL');
  const token =
    values.token ?? process.env.SHELLGATE_TOKEN ?? (await clientCredentialsToken()) ?? undefined;
  if (!token) usage('--token (or SHELLGATE_TOKEN, or a client-credentials client) is required');
  return { endpoint: endpoint.replace(/\/+$/, ''), token };
}

interface Answer {
  status: number;
  // biome-ignore lint/suspicious/noExplicitAny: checks read whatever the API returned.
  body: any;
}

function api(o: Options) {
  return async (method: string, path: string, body?: unknown): Promise<Answer> => {
    const res = await fetch(`${o.endpoint}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${o.token}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {}
    return { status: res.status, body: parsed };
  };
}

function check(what: string, answer: Answer, status: number, holds = true): void {
  if (answer.status !== status || !holds) {
    const detail = typeof answer.body === 'object' ? JSON.stringify(answer.body) : answer.body;
    throw new CheckFailed(
      `${what}: expected ${status}, got ${answer.status} ${String(detail).slice(0, 300)}`,
    );
  }
}

async function main(): Promise<number> {
  const o = await options();
  const call = api(o);
  const name = `smoke-${randomUUID().slice(0, 8)}`;
  const path = `/v1/providers/${name}`;
  let created = false;
  const step = async (label: string, run: () => Promise<void>) => {
    await run();
    console.log(`ok   ${label}`);
  };
  try {
    await step('GET /healthz', async () => {
      const health = await call('GET', '/healthz');
      check('health', health, 200, health.body?.status === 'ok');
    });
    await step(`POST /v1/providers (${name})`, async () => {
      const res = await call('POST', '/v1/providers', {
        name,
        type: 'smoke',
        labels: { purpose: 'smoke-test' },
        credentials: { TOKEN: randomUUID() },
      });
      created = res.status === 201;
      check(
        'create',
        res,
        201,
        res.body?.metadata?.resourceVersion === 1 && res.body?.credentials?.TOKEN === 'REDACTED',
      );
    });
    await step(`PATCH ${path} at version 1`, async () => {
      const res = await call('PATCH', path, {
        config: { step: 'one' },
        expectedResourceVersion: 1,
      });
      check('update', res, 200, res.body?.metadata?.resourceVersion === 2);
    });
    await step(`PATCH ${path} at stale version 1 → 409 ABORTED`, async () => {
      const res = await call('PATCH', path, {
        config: { step: 'two' },
        expectedResourceVersion: 1,
      });
      check(
        'stale update',
        res,
        409,
        res.body?.code === 'ABORTED' && res.body?.currentResourceVersion === 2,
      );
    });
    await step(`DELETE ${path} at version 2`, async () => {
      const res = await call('DELETE', `${path}?expectedResourceVersion=2`);
      check('delete', res, 200);
      created = false;
    });
    await step(`GET ${path} → 404`, async () => {
      check('read after delete', await call('GET', path), 404);
    });
  } catch (err) {
    console.error(`FAIL ${(err as Error).message}`);
    if (created) await call('DELETE', path).catch(() => undefined);
    return 1;
  }
  console.log(`smoke test passed against ${o.endpoint}`);
  return 0;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(`FAIL ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  },
);
