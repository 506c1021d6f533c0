import { randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keys } from '#lib/domain/keys.ts';
import type { Store } from '#lib/store/store.ts';
import { startLocalSystem } from '#local/system.ts';
import { type Call, createTestApi } from '#test/support/api.ts';
import { createHttpCall } from '#test/support/http-client.ts';
import {
  assertNoSecrets,
  registerSecret,
  registerSecrets,
  secretCount,
} from '#test/support/secrets.ts';
import { dynamoEndpoint } from '#test/support/store.ts';

/**
 * Provider credentials (and SSH session tokens) are registered centrally and every answer a
 * test receives is checked for them. These tests prove the check would catch a leak, and walk
 * every route that shows a provider or a session.
 */

const LEAK = /leaked a registered secret/;
const canary = (what: string) => `canary-${what}-${randomUUID()}`;

describe('the secret check itself', () => {
  it('finds a registered credential anywhere in a text; values under 8 characters are not registered', () => {
    const secret = canary('unit');
    const before = secretCount();
    registerSecrets({ credentials: { K: secret, SHORT: 'short', N: 12345678 } });
    expect(secretCount()).toBe(before + 1);
    expect(() => assertNoSecrets(`{"config":{"x":"…${secret}…"}}`)).toThrow(LEAK);
    expect(() => assertNoSecrets('{"credentials":{"K":"REDACTED"}}')).not.toThrow();
    expect(() => assertNoSecrets('short')).not.toThrow();
  });

  it('fails an in-process call whose answer carries a credential', async () => {
    // arrange: a credential, and the same value where the API shows it (config is not secret)
    const { call } = await createTestApi();
    const secret = canary('in-process');
    const created = await call('POST', '/v1/providers', {
      body: { name: 'leaky', type: 'x', credentials: { K: secret } },
    });
    expect(created.status).toBe(201);

    // act, assert
    await expect(
      call('PATCH', '/v1/providers/leaky', { body: { config: { echo: secret } } }),
    ).rejects.toThrow(LEAK);
    await expect(call('GET', '/v1/providers/leaky')).rejects.toThrow(LEAK);
    await expect(call('GET', '/v1/providers')).rejects.toThrow(LEAK);
  });

  describe('over HTTP', () => {
    let echo: Server;
    let url: string;
    const headerSecret = canary('header');
    beforeAll(async () => {
      // A server that sends back what it gets, and a secret in a header: the app never does.
      echo = createServer(async (req, res) => {
        const chunks: Buffer[] = [];
        for await (const chunk of req) chunks.push(chunk as Buffer);
        res.setHeader('content-type', 'application/json');
        if (req.url === '/header') res.setHeader('x-echo', headerSecret);
        res.end(Buffer.concat(chunks).toString('utf8') || '{}');
      });
      await new Promise<void>((resolve) => echo.listen(0, '127.0.0.1', resolve));
      url = `http://127.0.0.1:${(echo.address() as AddressInfo).port}`;
    });
    afterAll(async () => {
      echo.closeAllConnections();
      await new Promise((resolve) => echo.close(resolve));
    });

    it('fails the HTTP helper when an answer carries a credential it sent', async () => {
      const http = createHttpCall(url);
      await expect(
        http('POST', '/', { body: { credentials: { K: canary('helper') } } }),
      ).rejects.toThrow(LEAK);
      expect((await http('POST', '/', { body: { config: { K: 'not-a-secret' } } })).status).toBe(
        200,
      );
    });

    it('fails any fetch, whichever helper made it, on a credential in the body or a header', async () => {
      await expect(
        fetch(`${url}/`, {
          method: 'POST',
          body: JSON.stringify({ credentials: { K: canary('fetch') } }),
        }),
      ).rejects.toThrow(LEAK);
      registerSecret(headerSecret);
      await expect(fetch(`${url}/header`)).rejects.toThrow(LEAK);
      expect((await fetch(`${url}/`)).status).toBe(200);
    });

    it('fails a call to the dev server whose answer carries a credential', async () => {
      const system = await startLocalSystem({
        port: 0,
        dynamoEndpoint: dynamoEndpoint(),
        table: `shellgate-e2e-${randomUUID().slice(0, 8)}`,
        stateDir: mkdtempSync(join(tmpdir(), 'shellgate-secrets-')),
        schedules: false,
        log: () => {},
      });
      try {
        const http = createHttpCall(system.url, system.token);
        const secret = canary('dev-server');
        const created = await http('POST', '/v1/providers', {
          body: { name: 'leaky', type: 'x', credentials: { K: secret } },
        });
        expect(created.status).toBe(201);
        await expect(
          http('PATCH', '/v1/providers/leaky', { body: { config: { echo: secret } } }),
        ).rejects.toThrow(LEAK);
        await expect(
          fetch(`${system.url}/v1/providers/leaky`, {
            headers: { authorization: `Bearer ${system.token}` },
          }),
        ).rejects.toThrow(LEAK);
      } finally {
        await system.stop();
      }
    });
  });
});

describe('secrets never come back', () => {
  let call: Call;
  let store: Store;
  beforeAll(async () => {
    ({ call, store } = await createTestApi());
  });

  const stored = async (name: string) =>
    (
      await store.client.send(
        new GetCommand({
          TableName: store.tableName,
          Key: keys.provider(name),
          ConsistentRead: true,
        }),
      )
    ).Item?.data?.credentials as Record<string, string> | undefined;

  it('from any route that shows a provider: reads, lists, writes, conflicts, replays, deletes', async () => {
    // arrange: every answer below passes the central check; the secrets are really stored
    const first = canary('first');
    const second = canary('second');
    const body = { name: 'gh', type: 'github', credentials: { TOKEN: first, ORG: 'org-name-1' } };
    const create = await call('POST', '/v1/providers', {
      body,
      headers: { 'idempotency-key': 'create-gh' },
    });
    expect(create.status).toBe(201);
    expect(await stored('gh')).toEqual({ TOKEN: first, ORG: 'org-name-1' });
    const etag = create.headers.etag!;

    // act: every route that renders the provider, whole or as a conflict's current object
    const answers = [
      create,
      await call('POST', '/v1/providers', { body, headers: { 'idempotency-key': 'create-gh' } }),
      await call('GET', '/v1/providers/gh'),
      await call('GET', '/v1/providers'),
      await call('PATCH', '/v1/providers/gh', { body: { credentials: { TOKEN: second } } }),
      await call('PATCH', '/v1/providers/gh', {
        body: { config: { a: '1' } },
        headers: { 'if-match': etag },
      }),
      await call('PATCH', '/v1/providers/gh', {
        body: { config: { a: '1' }, expectedResourceVersion: 1 },
      }),
      await call('POST', '/v1/sandboxes', { body: { name: 'box', spec: { providers: ['gh'] } } }),
      await call('GET', '/v1/sandboxes/box/providers'),
      await call('DELETE', '/v1/providers/gh'),
      await call('DELETE', '/v1/sandboxes/box/providers/gh'),
      await call('DELETE', '/v1/providers/gh'),
    ];

    // assert
    expect(answers.map((a) => a.status)).toEqual([
      201, 201, 200, 200, 200, 412, 409, 201, 200, 409, 200, 200,
    ]);
    expect(answers[1]!.headers['idempotent-replayed']).toBe('true');
    for (const a of answers) {
      for (const creds of [
        a.body?.credentials,
        a.body?.current?.credentials,
        ...(a.body?.items ?? []).map((i: { credentials?: unknown }) => i.credentials),
      ]) {
        for (const v of Object.values(creds ?? {})) expect(v).toBe('REDACTED');
      }
    }
  });

  it('an SSH session token only in the answer to its create, not in a list, a revoke or a replay', async () => {
    await call('POST', '/v1/sandboxes', { body: { name: 'ssh-box', spec: {} } });
    await call('PUT', '/v1/sandboxes/ssh-box/status', { body: { phase: 'READY' } });
    const create = await call('POST', '/v1/sandboxes/ssh-box/ssh-sessions', {
      body: { ttlSeconds: 60 },
      headers: { 'idempotency-key': 'ssh-1' },
    });
    expect(create.status).toBe(201);
    expect(create.body.token).toMatch(/^sgs_/);
    registerSecret(create.body.token);

    const replay = await call('POST', '/v1/sandboxes/ssh-box/ssh-sessions', {
      body: { ttlSeconds: 60 },
      headers: { 'idempotency-key': 'ssh-1' },
    });
    expect(replay.headers['idempotent-replayed']).toBe('true');
    expect(replay.body.token).toBe('REDACTED');
    expect((await call('GET', '/v1/sandboxes/ssh-box/ssh-sessions')).status).toBe(200);
    const id = create.body.metadata.id;
    expect((await call('DELETE', `/v1/ssh-sessions/${id}`)).status).toBe(200);
    expect((await call('DELETE', `/v1/ssh-sessions/${id}?expectedResourceVersion=9`)).status).toBe(
      409,
    );
  });
});
