import { randomUUID } from 'node:crypto';
import {
  type AttributeValue,
  type DynamoDBClient,
  UpdateItemCommand,
  type UpdateItemCommandInput,
} from '@aws-sdk/client-dynamodb';
import { change } from '#lib/store/expression.ts';
import type { Store } from '#lib/store/store.ts';
import type { ItemKey, Mutation } from '#lib/store/types.ts';

type Settings = { settings: Record<string, string | number | boolean> };

/** The object every overhead benchmark writes: a settings map, like a sandbox's. */
export const SETTINGS_KIND = 'SandboxSettings';
const KEY = 'mode';

/**
 * "Set one setting", as `writeSetting` (lib/domain/settings.ts) hands it to the store: a pure
 * `apply` and the same change as a structured change, so a write is one UpdateItem with no
 * read.
 */
export function setSetting(value: number): Mutation<Settings> {
  return {
    apply: (cur) =>
      cur.data.settings[KEY] === value
        ? undefined
        : { settings: { ...cur.data.settings, [KEY]: value } },
    blind: { changes: [change.set(['settings', KEY], value)] },
  };
}

/** Creates settings objects and moves each to version 2, past the legacy-aware v1 condition. */
export async function createSettingsObjects(store: Store, keys: ItemKey[]): Promise<number[]> {
  return Promise.all(
    keys.map(async (key) => {
      await store.create(
        { key, kind: SETTINGS_KIND, name: key.pk, data: { settings: {} } },
        { requestId: randomUUID() },
      );
      const res = await store.update(key, { kind: SETTINGS_KIND, name: key.pk }, setSetting(0), {
        expectedResourceVersion: 1,
        requestId: randomUUID(),
      });
      return res.object.resourceVersion;
    }),
  );
}

/** The request the store sends for a client-driven `setSetting`, captured from the store itself. */
export interface CapturedUpdate {
  UpdateExpression: string;
  ConditionExpression: string;
  ExpressionAttributeNames: Record<string, string>;
  valueNames: string[];
}

/** Runs `action` and returns the first UpdateItem it made `client` send. */
export async function captureUpdate(
  client: Store['client'],
  action: () => Promise<unknown>,
): Promise<CapturedUpdate> {
  let captured: CapturedUpdate | undefined;
  const name = `capture-${randomUUID()}`;
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const command = (context as { commandName?: string }).commandName;
      if (!captured && command === 'UpdateItemCommand') {
        const input = args.input as UpdateItemCommandInput;
        captured = {
          UpdateExpression: input.UpdateExpression ?? '',
          ConditionExpression: input.ConditionExpression ?? '',
          ExpressionAttributeNames: input.ExpressionAttributeNames ?? {},
          valueNames: Object.keys(input.ExpressionAttributeValues ?? {}).sort(),
        };
      }
      return next(args);
    },
    { step: 'initialize', name },
  );
  try {
    await action();
  } finally {
    client.middlewareStack.remove(name);
  }
  // Assigned inside the middleware, which control-flow analysis does not follow.
  const sent = captured as CapturedUpdate | undefined;
  if (!sent) throw new Error('no UpdateItem was sent');
  if (sent.valueNames.join() !== RAW_VALUE_NAMES.join()) {
    throw new Error(`the UpdateItem changed shape: ${sent.valueNames.join()}`);
  }
  return sent;
}

/** The raw floor: the same UpdateItem, condition and returned values, without shellgate. */
export function rawSettingWrite(client: DynamoDBClient, table: string, captured: CapturedUpdate) {
  return async (key: ItemKey, expected: number, value: number): Promise<number> => {
    const values: Record<string, AttributeValue> = {
      ':value': { N: String(value) },
      ':now': { S: new Date().toISOString() },
      ':rid': { S: randomUUID() },
      ':expected': { N: String(expected) },
      ':one': { N: '1' },
    };
    const res = await client.send(
      new UpdateItemCommand({
        TableName: table,
        Key: { pk: { S: key.pk }, sk: { S: key.sk } },
        UpdateExpression: captured.UpdateExpression,
        ConditionExpression: captured.ConditionExpression,
        ExpressionAttributeNames: captured.ExpressionAttributeNames,
        ExpressionAttributeValues: values,
        ReturnValues: 'ALL_NEW',
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
      }),
    );
    return Number(res.Attributes?.resource_version?.N);
  };
}

/** The raw write's placeholders must be exactly the store's, or the comparison is off. */
export const RAW_VALUE_NAMES = [':expected', ':now', ':one', ':rid', ':value'];
