import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { keys } from '#lib/domain/keys.ts';
import type { SandboxData } from '#lib/domain/types.ts';
import type { Store } from '#lib/store/store.ts';
import type { MigrationRunResult } from '#migrations/runner.ts';
import type { MigrationRecord } from '#migrations/state.ts';
import { lambdaContext } from '#test/support/lambda-context.ts';
import { seedLegacyItems } from '#test/support/legacy-items.ts';
import { putSandbox } from '#test/support/sandboxes.ts';
import { createTestStore, dynamoEndpoint } from '#test/support/store.ts';

let store: Store;
let handlers: typeof import('#functions/jobs.ts');

beforeAll(async () => {
  store = await createTestStore();
  // The handlers build their client and store at module scope from the environment.
  process.env.SHELLGATE_TABLE = store.tableName;
  process.env.DYNAMODB_ENDPOINT = dynamoEndpoint();
  process.env.SHELLGATE_MIGRATION_RATE = '0';
  process.env.SHELLGATE_PROVISION_TIMEOUT_SECONDS = '60';
  handlers = await import('#functions/jobs.ts');
});

const context = (remainingMs: number) => lambdaContext('shellgate-job', remainingMs);

describe('migrate handler', () => {
  it('stops cleanly when the deadline is already near, and the next invocation finishes', async () => {
    // arrange
    await seedLegacyItems(store, { legacy: 200 });

    // act
    const first = await handlers.migrate({}, context(0));
    const stopped = await store.get<MigrationRecord>(keys.migration('005-resource-version'));
    const second = await handlers.migrate({}, context(299_997));
    const third = await handlers.migrate({}, context(300_000));

    // assert
    expect(first.results[0]?.status).toBe('stopped');
    expect(stopped?.data.status).toBe('pending');
    expect(stopped?.data.lease).toBeNull();
    expect(second.results[0]?.status).toBe('done');
    const stamped = (r: MigrationRunResult | undefined) => r?.counts.stamped ?? 0;
    expect(stamped(first.results[0]) + stamped(second.results[0])).toBe(200);
    expect(third.results[0]?.status).toBe('already-done');
  });
});

describe('reconcile handler', () => {
  it('times out a sandbox stuck in PROVISIONING past the configured timeout', async () => {
    const name = `stuck-${randomUUID().slice(0, 6)}`;
    await putSandbox(store, name, 'PROVISIONING', 5 * 60_000, 1);

    // Like a real context: the remaining time is not a round number.
    const result = await handlers.reconcile({}, context(29_003));

    expect(result.provisionTimeouts).toBe(1);
    const after = await store.get<SandboxData>(keys.sandbox(name));
    expect(after).toMatchObject({ resourceVersion: 2, data: { phase: 'ERROR' } });
  });
});
