import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

export interface LostResponseFaults {
  /** How many responses were dropped after the request had reached DynamoDB. */
  readonly injected: number;
  remove(): void;
}

/**
 * Lets matching requests reach DynamoDB, then drops the response as a timeout would, so the
 * SDK's retry sends the same request again. `decide` says which calls to fault.
 */
export function loseResponses(
  client: DynamoDBDocumentClient,
  decide: (commandName: string, call: number) => boolean,
): LostResponseFaults {
  const name = `lose-responses-${Math.random()}`;
  let calls = 0;
  let injected = 0;
  const faulted = new WeakSet<object>();
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const result = await next(args);
      const command = (context as { commandName?: string }).commandName ?? '';
      // Fault each logical request at most once so the SDK's retry can get through.
      if (!faulted.has(args.input as object) && decide(command, ++calls)) {
        faulted.add(args.input as object);
        injected++;
        throw Object.assign(new Error('socket hang up'), {
          name: 'TimeoutError',
          code: 'ECONNRESET',
          $metadata: {},
        });
      }
      return result;
    },
    { step: 'deserialize', name, priority: 'low' },
  );
  return {
    get injected() {
      return injected;
    },
    remove: () => client.middlewareStack.remove(name),
  };
}

export interface InjectedFaults {
  /** How many requests were failed before they left the process. */
  readonly injected: number;
  remove(): void;
}

/**
 * Fails the next `times` requests of `commands` before they reach DynamoDB (Infinity: all), as
 * throttling or a cancelled transaction would, so nothing they carry is applied.
 */
export function failBeforeSending(
  client: DynamoDBDocumentClient,
  commands: ReadonlySet<string>,
  error: () => Error,
  times: number,
): InjectedFaults {
  const name = `fail-${Math.random()}`;
  let injected = 0;
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const command = (context as { commandName?: string }).commandName ?? '';
      if (commands.has(command) && injected < times) {
        injected++;
        throw error();
      }
      return next(args);
    },
    { step: 'deserialize', name, priority: 'low' },
  );
  return {
    get injected() {
      return injected;
    },
    remove: () => client.middlewareStack.remove(name),
  };
}

/** What DynamoDB answers a request over the table's throughput. */
export const throttle = () =>
  Object.assign(new Error('Rate of requests exceeds the allowed throughput.'), {
    name: 'ProvisionedThroughputExceededException',
    $fault: 'client',
    $metadata: { httpStatusCode: 400 },
  });

/** What DynamoDB answers a transaction that collided with another on one of its items. */
export const transactionConflict = () =>
  Object.assign(new Error('Transaction cancelled'), {
    name: 'TransactionCanceledException',
    $fault: 'client',
    $metadata: { httpStatusCode: 400 },
    CancellationReasons: [{ Code: 'TransactionConflict' }, { Code: 'None' }],
  });
