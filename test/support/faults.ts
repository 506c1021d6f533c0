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
