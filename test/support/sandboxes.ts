import { randomUUID } from 'node:crypto';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { index, Kind, keys } from '#lib/domain/keys.ts';
import type { Phase, SandboxData } from '#lib/domain/types.ts';
import type { Store } from '#lib/store/store.ts';

/** A sandbox as the API would have written it, created `ageMs` ago; legacy without `version`. */
export async function putSandbox(
  db: Store,
  name: string,
  phase: Phase,
  ageMs: number,
  version?: number,
) {
  const at = new Date(Date.now() - ageMs).toISOString();
  const data: SandboxData = {
    spec: { environment: {}, providers: [], gpu: false },
    phase,
    conditions: [
      {
        type: 'Scheduled',
        status: 'True',
        reason: 'Scheduled',
        lastTransitionTime: at,
      },
    ],
    currentPolicyVersion: null,
    latestPolicyVersion: 0,
  };
  await db.client.send(
    new PutCommand({
      TableName: db.tableName,
      Item: {
        ...keys.sandbox(name),
        ...index.sandbox(name),
        kind: Kind.Sandbox,
        name,
        id: randomUUID(),
        ...(version === undefined ? {} : { resource_version: version }),
        created_at: at,
        updated_at: at,
        labels: {},
        data,
        last_request_id: 'seed',
      },
      ConditionExpression: 'attribute_not_exists(pk)',
    }),
  );
}
