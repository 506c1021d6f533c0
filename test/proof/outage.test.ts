import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { type DynamoDbLocal, startDynamoDbLocal } from '#local/dynamodb-local.ts';
import { startLocalSystem } from '#local/system.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

it('the database goes away mid-load: clean 503s, nothing acknowledged lost, service resumes', async () => {
  // arrange: the whole local system with DynamoDB Local on a data folder
  const system = await startLocalSystem({
    port: 0,
    stateDir: mkdtempSync(join(tmpdir(), 'shellgate-outage-')),
    schedules: false,
    log: () => {},
  });
  let restarted: DynamoDbLocal | undefined;
  try {
    const auth = { authorization: `Bearer ${system.token}`, 'content-type': 'application/json' };
    const outcomes: Array<{
      name: string;
      status: number;
      phase: string;
      retryAfter: string | null;
    }> = [];
    let phase = 'before';
    let running = true;
    const worker = async (w: number) => {
      for (let n = 0; running; n++) {
        const name = `o-${w}-${n}`;
        const res = await fetch(`${system.url}/v1/providers`, {
          method: 'POST',
          headers: auth,
          body: JSON.stringify({ name, type: 't', credentials: { K: `outage-secret-${name}` } }),
        });
        await res.text();
        outcomes.push({
          name,
          status: res.status,
          phase,
          retryAfter: res.headers.get('retry-after'),
        });
      }
    };

    // act: load, kill the database, keep loading, restart it on the same folder and port
    const load = Promise.all([0, 1, 2, 3].map(worker));
    await sleep(1500);
    process.kill(system.db.pid, 'SIGKILL');
    phase = 'outage';
    await sleep(2500);
    restarted = await startDynamoDbLocal({ dbPath: system.dbPath, port: system.db.port });
    phase = 'after';
    await sleep(2000);
    running = false;
    await load;

    // assert
    expect(outcomes.filter((o) => o.status >= 500 && o.status !== 503)).toEqual([]);
    expect(outcomes.filter((o) => o.status !== 201 && o.status !== 503)).toEqual([]);
    const failed = outcomes.filter((o) => o.status === 503);
    expect(failed.length).toBeGreaterThan(0);
    for (const o of failed) expect(Number(o.retryAfter)).toBeGreaterThan(0);
    expect(outcomes.filter((o) => o.phase === 'before' && o.status === 201).length).toBeGreaterThan(
      0,
    );
    expect(outcomes.filter((o) => o.phase === 'after' && o.status === 201).length).toBeGreaterThan(
      0,
    );
    for (const o of outcomes.filter((o) => o.status === 201)) {
      const res = await fetch(`${system.url}/v1/providers/${o.name}`, { headers: auth });
      expect(res.status, o.name).toBe(200);
      const body = (await res.json()) as { metadata: { resourceVersion: number } };
      expect(body.metadata.resourceVersion).toBe(1);
    }
  } finally {
    await system.stop();
    await restarted?.stop();
  }
}, 120_000);
