import { describe, expect, it } from 'vitest';
import { createTestApi } from '#test/support/api.ts';
import { meter } from '#test/support/sdk-meter.ts';
import { type Cost, type ExpectedCost, expectedCosts } from './expected.ts';
import { type Call, measure } from './scenario.ts';
import { scenarioOf } from './scenarios.ts';

let n = 0;
const name = (prefix: string) => `${prefix}-rc${++n}`;

const costText = (cost: Cost) =>
  Object.entries(cost)
    .map(([op, count]) => `${count} ${op}`)
    .join(' + ') || 'no request';

/**
 * Runs one scenario on a table and a store of its own (so no scenario depends on what another
 * left behind, and one runs alone with `-t`), counting on the client the handlers use.
 */
async function run(expected: ExpectedCost) {
  const scenario = scenarioOf(expected.operationId, expected.scenario);
  if (!scenario) throw new Error(`${expected.id}: no scenario`);
  const { store, call } = await createTestApi();
  const counter = meter(store.client);
  const positional: Call = (method, path, body, headers) => call(method, path, { body, headers });
  try {
    return await measure(scenario, { call: positional, name, store, meter: counter });
  } finally {
    counter.remove();
    store.client.destroy();
  }
}

const byRoute = Map.groupBy(expectedCosts, (e) => e.operationId);

// Side by side: each scenario has its own table and client, so no count can mix with another's.
describe.concurrent('DynamoDB requests of each route (test/requests/expected.ts)', () => {
  for (const [operationId, expectations] of byRoute) {
    describe(operationId, () => {
      for (const expected of expectations) {
        it(`${expected.variant || 'plain'}: ${costText(expected.cost)}`, async () => {
          // act
          const measured = await run(expected);

          // assert
          expect(measured.status, JSON.stringify(measured.body)).toBe(measured.expectedStatus);
          expect(measured.cost).toEqual(expected.cost);
        });
      }
    });
  }
});
