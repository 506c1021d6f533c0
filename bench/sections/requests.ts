import type { Cost } from '#test/requests/expected.ts';
import { measure } from '#test/requests/scenario.ts';
import { inSharedTableOrder } from '#test/requests/scenarios.ts';
import { type Capacity, meter } from '#test/support/sdk-meter.ts';
import type { LocalApi } from '../support/local.ts';

export interface MeasuredCost {
  id: string;
  status: number;
  cost: Cost;
  capacity: Capacity;
}

/**
 * Sends each scenario's request of test/requests/scenarios.ts (the suite that asserts their
 * counts) through the full local HTTP path and counts the DynamoDB requests the handlers' own
 * client makes for it, one request at a time, with the capacity units DynamoDB reports. All
 * scenarios share the handlers' one table and store, as requests to one Lambda instance do.
 */
export async function measureRequestCounts(api: LocalApi): Promise<MeasuredCost[]> {
  let n = 0;
  const name = (prefix: string) => `${prefix}-rc${++n}`;
  const counter = meter(api.store.client, { capacity: true });
  const out: MeasuredCost[] = [];
  try {
    for (const { expected, scenario } of inSharedTableOrder()) {
      const m = await measure(scenario, {
        call: api.call,
        name,
        store: api.store,
        meter: counter,
      });
      if (m.status !== m.expectedStatus) {
        throw new Error(
          `${expected.id}: expected ${m.expectedStatus}, got ${m.status} ${JSON.stringify(m.body)}`,
        );
      }
      out.push({ id: expected.id, status: m.status, cost: m.cost, capacity: m.capacity });
    }
  } finally {
    counter.remove();
  }
  return out;
}
