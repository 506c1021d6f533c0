import { randomUUID } from 'node:crypto';
import { Agent, request } from 'node:http';
import { DeleteTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { FunctionName } from '#lib/contract/index.ts';
import { ensureTable } from '#lib/store/admin.ts';
import { createDocumentClient } from '#lib/store/client.ts';
import { Store } from '#lib/store/store.ts';
import { createDevAuthority } from '#local/dev-auth.ts';
import { type LambdaHttpHandler, startDevServer } from '#local/dev-server.ts';
import { type DynamoDbLocal, startDynamoDbLocal } from '#local/dynamodb-local.ts';

/** The settings `createDocumentClient` uses, so raw and store clients differ in nothing else. */
const REGION = 'us-east-1';
const MAX_ATTEMPTS = 4;
const CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' };

/** One in-memory DynamoDB Local for the whole run, and tables on it. */
export interface Bench {
  db: DynamoDbLocal;
  endpoint: string;
  /** A fresh table of the shared definition. */
  newTable(prefix: string): Promise<string>;
  dropTable(name: string): Promise<void>;
  /** A store over `table` on a client of its own. */
  store(table: string, options?: ConstructorParameters<typeof Store>[2]): Store;
  /** The low-level client a caller without shellgate would use: the raw floor. */
  rawClient(): DynamoDBClient;
  documentClient(): DynamoDBDocumentClient;
  stop(): Promise<void>;
}

export async function startBench(): Promise<Bench> {
  const db = await startDynamoDbLocal();
  // Whatever happens to this process, the Java child it started goes with it.
  const kill = () => {
    try {
      process.kill(db.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  };
  process.once('exit', kill);
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      kill();
      process.exit(130);
    });
  }
  const rawClient = () =>
    new DynamoDBClient({
      endpoint: db.endpoint,
      region: REGION,
      maxAttempts: MAX_ATTEMPTS,
      credentials: CREDENTIALS,
    });
  const admin = rawClient();
  return {
    db,
    endpoint: db.endpoint,
    async newTable(prefix) {
      const name = `${prefix}-${randomUUID().slice(0, 8)}`;
      await ensureTable(admin, name);
      return name;
    },
    async dropTable(name) {
      await admin.send(new DeleteTableCommand({ TableName: name }));
    },
    store: (table, options) =>
      new Store(createDocumentClient({ endpoint: db.endpoint }), table, options),
    rawClient,
    documentClient: () => createDocumentClient({ endpoint: db.endpoint }),
    async stop() {
      admin.destroy();
      await db.stop();
    },
  };
}

export interface ApiResponse {
  status: number;
  // biome-ignore lint/suspicious/noExplicitAny: the bench reads whatever the route returned.
  body: any;
}

export type Call = (
  method: string,
  path: string,
  body?: unknown,
  headers?: Record<string, string>,
) => Promise<ApiResponse>;

/** An HTTP/1.1 caller with keep-alive connections, as a CLI or SDK would hold them. */
export function httpCaller(baseUrl: string, token: string, maxSockets = 64): Call {
  const agent = new Agent({ keepAlive: true, maxSockets });
  const base = new URL(baseUrl);
  return (method, path, body, headers = {}) =>
    new Promise((resolve, reject) => {
      const payload = body === undefined ? undefined : JSON.stringify(body);
      const req = request(
        {
          agent,
          host: base.hostname,
          port: base.port,
          method,
          path,
          headers: {
            authorization: `Bearer ${token}`,
            ...(payload
              ? {
                  'content-type': 'application/json',
                  'content-length': Buffer.byteLength(payload),
                }
              : {}),
            ...headers,
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            const text = Buffer.concat(chunks).toString('utf8');
            // /docs answers HTML; every other route answers JSON (or nothing).
            const json = /json/.test(res.headers['content-type'] ?? '');
            resolve({
              status: res.statusCode ?? 0,
              body: text ? (json ? JSON.parse(text) : text) : undefined,
            });
          });
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      req.end(payload);
    });
}

/** The local HTTP path: dev server → API Gateway v2 event → the real Lambda handlers. */
export interface LocalApi {
  url: string;
  token: string;
  table: string;
  /** The handlers' own store (module scope, as in a Lambda instance). */
  store: Store;
  handlers: Record<FunctionName, LambdaHttpHandler>;
  call: Call;
  close(): Promise<void>;
}

/**
 * Serves the real handlers (`functions/http.ts`) on 127.0.0.1 over a table of their own. The
 * handlers read `SHELLGATE_TABLE` and `DYNAMODB_ENDPOINT` when their store is first used, so
 * they are set before the handler modules load.
 */
export async function startApi(bench: Bench): Promise<LocalApi> {
  const table = await bench.newTable('bench-api');
  process.env.SHELLGATE_TABLE = table;
  process.env.DYNAMODB_ENDPOINT = bench.endpoint;
  const { httpHandlers } = await import('#functions/http.ts');
  const { defaultStore } = await import('#lib/http/store.ts');
  const authority = await createDevAuthority();
  const server = await startDevServer({
    port: 0,
    host: '127.0.0.1',
    handlers: httpHandlers,
    authority,
  });
  const token = await authority.mint({ ttlSeconds: 3600 });
  return {
    url: server.url,
    token,
    table,
    store: defaultStore(),
    handlers: httpHandlers,
    call: httpCaller(server.url, token),
    close: () => server.close(),
  };
}
