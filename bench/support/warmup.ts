import { randomUUID } from 'node:crypto';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import type { Bench } from './local.ts';
import {
  captureUpdate,
  createSettingsObjects,
  rawSettingWrite,
  setSetting,
} from './settings-write.ts';
import { runWindow } from './windows.ts';

/**
 * DynamoDB Local runs on the JVM: its first few thousand requests are several times slower than
 * the rest while the JIT compiles. The run warms it up (and this process) before measuring.
 */
export async function warmUp(bench: Bench, durationMs: number): Promise<void> {
  const table = await bench.newTable('bench-warmup');
  const store = bench.store(table);
  const raw = bench.rawClient();
  const keys = Array.from({ length: 16 }, (_, w) => ({ pk: `warm#${w}`, sk: 'settings' }));
  const versions = await createSettingsObjects(store, keys);
  const captured = await captureUpdate(
    store.client,
    { value: -1, expected: versions[0]! },
    async () => {
      versions[0] = (
        await store.update(keys[0]!, { kind: 'SandboxSettings', name: 'w' }, setSetting(-1), {
          expectedResourceVersion: versions[0]!,
          requestId: randomUUID(),
        })
      ).object.resourceVersion;
    },
  );
  const write = rawSettingWrite(raw, table, captured);
  let value = 0;
  await runWindow(16, durationMs, async (w) => {
    versions[w] = await write(keys[w]!, versions[w]!, ++value);
    await store.client.send(
      new GetCommand({ TableName: table, Key: keys[w]!, ConsistentRead: true }),
    );
  });
  raw.destroy();
  store.client.destroy();
  await bench.dropTable(table);
}
