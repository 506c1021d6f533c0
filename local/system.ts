import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ensureTable } from '#lib/store/admin.ts';
import { createDevAuthority } from './dev-auth.ts';
import { type DevServer, startDevServer } from './dev-server.ts';
import { type DynamoDbLocal, freePort, startDynamoDbLocal } from './dynamodb-local.ts';
import { localContext } from './event.ts';
import { type StreamPoller, startStreamPoller } from './stream.ts';

export interface LocalSystemOptions {
  /** @default 8080 */
  port?: number;
  /** Throwaway data: DynamoDB Local in memory. */
  inMemory?: boolean;
  /** @default `.shellgate` under the working directory (git-ignored) */
  stateDir?: string;
  /** @default shellgate */
  table?: string;
  /** Use this DynamoDB (e.g. the test run's) instead of starting one. */
  dynamoEndpoint?: string;
  /** Run the scheduled jobs on their schedules. @default true */
  schedules?: boolean;
  /** @default 60 s */
  reconcileEveryMs?: number;
  /** @default 15 min */
  migrateEveryMs?: number;
  log?: (line: string) => void;
}

export interface LocalSystem {
  url: string;
  dynamoEndpoint: string;
  table: string;
  token: string;
  /** A token with only the in-sandbox supervisor's scope, `policy:propose` (SPEC §7.3). */
  supervisorToken: string;
  db: DynamoDbLocal;
  dbPath?: string;
  server: DevServer;
  /** The stream consumer, fed from DynamoDB Local's stream of the table. */
  stream: StreamPoller;
  stop(): Promise<void>;
}

/** Runs a job handler unless its previous run is still going: runs never pile up. */
function schedule(
  name: string,
  everyMs: number,
  run: () => Promise<unknown>,
  log: (l: string) => void,
) {
  let running = false;
  const timer = setInterval(async () => {
    if (running) return;
    running = true;
    try {
      await run();
    } catch (err) {
      log(`${name} failed: ${(err as Error).message}`);
    } finally {
      running = false;
    }
  }, everyMs);
  timer.unref();
  return () => clearInterval(timer);
}

/**
 * The whole system on one machine: DynamoDB Local, the table, pending migrations, the HTTP API
 * on the same Lambda handlers, the stream consumer on DynamoDB Local's stream, and the
 * scheduled jobs.
 */
export async function startLocalSystem(opts: LocalSystemOptions = {}): Promise<LocalSystem> {
  const log = opts.log ?? ((line: string) => console.log(line));
  const stateDir = resolve(opts.stateDir ?? '.shellgate');
  const table = opts.table ?? 'shellgate';
  const dbPath = opts.inMemory ? undefined : join(stateDir, 'dynamodb');
  const db: DynamoDbLocal = opts.dynamoEndpoint
    ? { endpoint: opts.dynamoEndpoint, port: 0, pid: -1, stop: async () => {} }
    : await startDynamoDbLocal({ dbPath, port: await freePort() });
  process.env.SHELLGATE_TABLE = table;
  process.env.DYNAMODB_ENDPOINT = db.endpoint;

  const admin = new DynamoDBClient({
    endpoint: db.endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  await ensureTable(admin, table, { stream: true });
  admin.destroy();

  // The job and HTTP handlers read the environment set above when they load.
  const jobs = await import('#functions/jobs.ts');
  const { httpHandlers } = await import('#functions/http.ts');
  const consumer = await import('#functions/stream.ts');
  const stream = await startStreamPoller({
    endpoint: db.endpoint,
    table,
    handle: consumer.handler,
    log,
  });
  const migrate = () => jobs.migrate({}, localContext('migrate', 15 * 60 * 1000));
  const migrated = await migrate();
  for (const r of migrated.results) log(`migration ${r.id}: ${r.status}`);

  mkdirSync(stateDir, { recursive: true });
  const authority = await createDevAuthority(join(stateDir, 'dev-jwt-key.json'));
  const server = await startDevServer({
    port: opts.port ?? 8080,
    handlers: httpHandlers,
    authority,
  });
  const token = await authority.mint();
  const supervisorToken = await authority.mint({
    scopes: ['policy:propose'],
    subject: 'dev-supervisor',
  });
  writeFileSync(
    join(stateDir, 'local.json'),
    JSON.stringify({ url: server.url, dynamoEndpoint: db.endpoint, table }, null, 2),
  );

  const stops: Array<() => void> = [];
  if (opts.schedules !== false) {
    stops.push(
      schedule(
        'reconcile',
        opts.reconcileEveryMs ?? 60_000,
        () => jobs.reconcile({}, localContext('reconcile')),
        log,
      ),
      schedule('migrate', opts.migrateEveryMs ?? 15 * 60_000, migrate, log),
    );
  }
  return {
    url: server.url,
    dynamoEndpoint: db.endpoint,
    table,
    token,
    supervisorToken,
    db,
    dbPath,
    server,
    stream,
    stop: async () => {
      for (const stop of stops) stop();
      await stream.stop();
      await server.close();
      await db.stop();
    },
  };
}
