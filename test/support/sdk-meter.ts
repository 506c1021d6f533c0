/**
 * What a DynamoDB client sends, counted in its middleware stack: the request-count suite
 * (test/requests) asserts the counts, the bench (bench/) measures with them.
 */
import type { MiddlewareStack } from '@smithy/types';

/** Anything with the SDK's middleware stack: a DynamoDBClient or a DynamoDBDocumentClient. */
interface WithMiddleware {
  // biome-ignore lint/suspicious/noExplicitAny: the stack is shared by every command type.
  middlewareStack: MiddlewareStack<any, any>;
}

/** DynamoDB requests by operation name (`UpdateItem`, `TransactWriteItems`, …). */
export type RequestCounts = Record<string, number>;

export interface Capacity {
  /** Read capacity units reported by DynamoDB (base table and indexes). */
  read: number;
  /** Write capacity units reported by DynamoDB (base table and indexes). */
  write: number;
}

export interface SdkMeter {
  /** Requests sent since the last reset (one per `send`, before the SDK's own retries). */
  readonly counts: RequestCounts;
  readonly total: number;
  /** Units DynamoDB reported for successful requests; only with `capacity: true`. */
  readonly capacity: Capacity;
  /**
   * Process CPU time spent inside the middleware stack, in microseconds (only with `cpu: true`).
   * Only meaningful while requests run one at a time: with several in flight, each span also
   * covers the others' work.
   */
  readonly sdkCpuMicros: number;
  reset(): void;
  remove(): void;
}

const READS = new Set(['GetItem', 'Query', 'Scan', 'BatchGetItem', 'TransactGetItems']);
const WITH_CAPACITY = new Set([
  'GetItem',
  'PutItem',
  'UpdateItem',
  'DeleteItem',
  'Query',
  'Scan',
  'BatchGetItem',
  'BatchWriteItem',
  'TransactGetItems',
  'TransactWriteItems',
]);

/**
 * CPU time of the calling (main) thread since `since`, in microseconds. The thread's own clock,
 * not the process's: V8's background GC and compiler threads, which serve every allocation
 * whoever made it, are charged to no request, and the clock's resolution is the nanosecond.
 */
function cpuMicros(since: NodeJS.CpuUsage): number {
  const d = process.threadCpuUsage(since);
  return d.user + d.system;
}

function unitsOf(consumed: unknown): number {
  const list = Array.isArray(consumed) ? consumed : consumed ? [consumed] : [];
  return list.reduce((n, c) => n + ((c as { CapacityUnits?: number }).CapacityUnits ?? 0), 0);
}

let meters = 0;

/**
 * Counts every request a client sends, by operation, from the outermost step of its middleware
 * stack (the SDK names commands like `UpdateItemCommand`). With `capacity`, asks DynamoDB for
 * `ReturnConsumedCapacity: INDEXES` and adds up the units it reports; with `cpu`, measures the
 * process CPU time spent in the stack.
 */
export function meter(
  client: WithMiddleware,
  options: { capacity?: boolean; cpu?: boolean } = {},
): SdkMeter {
  const name = `sdk-meter-${++meters}`;
  let counts: RequestCounts = {};
  let total = 0;
  let capacity: Capacity = { read: 0, write: 0 };
  let sdkCpu = 0;
  client.middlewareStack.add(
    (next, context) => async (args) => {
      // getrusage is a system call: only paid for where CPU is measured.
      const started = options.cpu ? process.threadCpuUsage() : undefined;
      const command = ((context as { commandName?: string }).commandName ?? 'Unknown').replace(
        /Command$/,
        '',
      );
      counts[command] = (counts[command] ?? 0) + 1;
      total++;
      const ask = options.capacity && WITH_CAPACITY.has(command);
      const input = args.input as Record<string, unknown>;
      try {
        const result = await next(
          ask ? { ...args, input: { ...input, ReturnConsumedCapacity: 'INDEXES' } } : args,
        );
        if (ask) {
          const units = unitsOf((result.output as { ConsumedCapacity?: unknown }).ConsumedCapacity);
          if (READS.has(command)) capacity.read += units;
          else capacity.write += units;
        }
        return result;
      } finally {
        if (started) sdkCpu += cpuMicros(started);
      }
    },
    { step: 'initialize', priority: 'high', name },
  );
  return {
    get counts() {
      return counts;
    },
    get total() {
      return total;
    },
    get capacity() {
      return capacity;
    },
    get sdkCpuMicros() {
      return sdkCpu;
    },
    reset() {
      counts = {};
      total = 0;
      capacity = { read: 0, write: 0 };
      sdkCpu = 0;
    },
    remove: () => client.middlewareStack.remove(name),
  };
}

export interface SendTimer {
  /** Main-thread CPU time spent in `client.send` calls, in microseconds (one call at a time). */
  readonly cpuMicros: number;
  readonly calls: number;
  reset(): void;
  remove(): void;
}

/**
 * Measures the CPU of whole `send` calls on one client instance, including the work the SDK
 * does before its middleware stack runs (resolving the stack, building the handler), which a
 * middleware cannot see.
 */
export function timeSend(client: { send: (...args: never[]) => Promise<unknown> }): SendTimer {
  const original = client.send;
  let cpu = 0;
  let calls = 0;
  const timed = async function (this: unknown, ...args: never[]) {
    const started = process.threadCpuUsage();
    calls++;
    try {
      return await original.apply(this, args);
    } finally {
      cpu += cpuMicros(started);
    }
  };
  client.send = timed;
  return {
    get cpuMicros() {
      return cpu;
    },
    get calls() {
      return calls;
    },
    reset() {
      cpu = 0;
      calls = 0;
    },
    remove() {
      client.send = original;
    },
  };
}
