import { randomUUID } from 'node:crypto';
import {
  type AttributeValue,
  type DynamoDBClient,
  GetItemCommand,
  UpdateItemCommand,
  type UpdateItemCommandInput,
} from '@aws-sdk/client-dynamodb';
import { convertToAttr } from '@aws-sdk/util-dynamodb';
import { A } from '#lib/store/attributes.ts';
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

/** What a value placeholder of the store's setting write stands for, per write. */
export type ValueRole = 'value' | 'expected' | 'one' | 'now' | 'receipt';

/** The request the store sends for a client-driven `setSetting`, captured from the store itself. */
export interface CapturedUpdate {
  UpdateExpression: string;
  ConditionExpression: string;
  ExpressionAttributeNames: Record<string, string>;
  /** The value placeholders that change with each write, and what each stands for. */
  valueRoles: Record<string, ValueRole>;
  /** The others (a limit in a condition), sent as captured. */
  constants: Record<string, AttributeValue>;
  /**
   * The items the action read before its write (the global settings, for a sandbox's setting),
   * which the raw floor reads as well: the same requests, without shellgate.
   */
  reads: Array<{ Key: Record<string, unknown>; ConsistentRead: boolean }>;
}

/** A value as the low-level client carries it, whichever client it was captured from. */
function attributeValue(v: unknown): AttributeValue {
  const isAttributeValue =
    v !== null &&
    typeof v === 'object' &&
    Object.keys(v).length === 1 &&
    ['S', 'N', 'BOOL', 'NULL', 'M', 'L', 'SS', 'NS', 'B', 'BS'].includes(Object.keys(v)[0]!);
  return isAttributeValue ? (v as AttributeValue) : convertToAttr(v);
}

/**
 * Runs `action`, which must write the setting `probe.value` on an object at `probe.expected`,
 * and returns the first UpdateItem it made `client` send, with each value placeholder named by
 * its role. `probe.value` must differ from 1 and `probe.expected` be above 1 (at version 1 the
 * store sends the legacy-aware condition, which later writes do not), so no role is ambiguous.
 */
export async function captureUpdate(
  client: Store['client'],
  probe: { value: number; expected: number },
  action: () => Promise<unknown>,
): Promise<CapturedUpdate> {
  if (probe.value === 1 || probe.expected <= 1 || probe.value === probe.expected) {
    throw new Error(`ambiguous probe ${JSON.stringify(probe)}`);
  }
  let input: UpdateItemCommandInput | undefined;
  const reads: CapturedUpdate['reads'] = [];
  const name = `capture-${randomUUID()}`;
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const command = (context as { commandName?: string }).commandName;
      if (!input && command === 'UpdateItemCommand') input = args.input as UpdateItemCommandInput;
      if (!input && command === 'GetItemCommand') {
        const get = args.input as { Key: Record<string, unknown>; ConsistentRead?: boolean };
        reads.push({ Key: get.Key, ConsistentRead: get.ConsistentRead === true });
      } else if (!input && command !== 'UpdateItemCommand') {
        throw new Error(`the write sends a ${command} the raw floor does not replay`);
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
  const sent = input as UpdateItemCommandInput | undefined;
  if (!sent) throw new Error('no UpdateItem was sent');
  const names = sent.ExpressionAttributeNames ?? {};
  const update = sent.UpdateExpression ?? '';
  /** The value placeholder the update expression SETs `attribute` to. */
  const setTo = (attribute: string) => {
    const placeholder = Object.keys(names).find((n) => names[n] === attribute);
    return placeholder ? update.match(new RegExp(`${placeholder} = (:\\w+)`))?.[1] : undefined;
  };
  const valueRoles: Record<string, ValueRole> = {};
  const constants: Record<string, AttributeValue> = {};
  const now = setTo(A.updatedAt);
  const receipt = setTo(A.receipt);
  for (const [placeholder, raw] of Object.entries(sent.ExpressionAttributeValues ?? {})) {
    const av = attributeValue(raw);
    const n = av.N === undefined ? undefined : Number(av.N);
    if (placeholder === now) valueRoles[placeholder] = 'now';
    else if (placeholder === receipt) valueRoles[placeholder] = 'receipt';
    else if (n === probe.value) valueRoles[placeholder] = 'value';
    else if (n === probe.expected) valueRoles[placeholder] = 'expected';
    else if (n === 1) valueRoles[placeholder] = 'one';
    else constants[placeholder] = av;
  }
  const roles = new Set(Object.values(valueRoles));
  for (const r of ['value', 'expected', 'one', 'now', 'receipt'] as const) {
    if (!roles.has(r)) throw new Error(`the UpdateItem changed shape: no ${r} in ${update}`);
  }
  return {
    UpdateExpression: update,
    ConditionExpression: sent.ConditionExpression ?? '',
    ExpressionAttributeNames: names,
    valueRoles,
    constants,
    reads,
  };
}

/**
 * The raw floor: the same reads first, then the same UpdateItem, condition and returned
 * values, without shellgate.
 */
export function rawSettingWrite(client: DynamoDBClient, table: string, captured: CapturedUpdate) {
  const roles = Object.entries(captured.valueRoles);
  const reads = captured.reads.map((r) => ({
    TableName: table,
    Key: Object.fromEntries(Object.entries(r.Key).map(([k, v]) => [k, attributeValue(v)])),
    ConsistentRead: r.ConsistentRead,
  }));
  return async (key: ItemKey, expected: number, value: number): Promise<number> => {
    for (const read of reads) await client.send(new GetItemCommand(read));
    const byRole: Record<ValueRole, AttributeValue> = {
      value: { N: String(value) },
      expected: { N: String(expected) },
      one: { N: '1' },
      now: { S: new Date().toISOString() },
      receipt: { S: randomUUID() },
    };
    const values = {
      ...captured.constants,
      ...Object.fromEntries(roles.map(([p, role]) => [p, byRole[role]])),
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
