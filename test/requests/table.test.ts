import { describe, expect, it } from 'vitest';
import { routes } from '#lib/http/routes.ts';
import { expectedCosts, expectedRequests, totalOf } from './expected.ts';
import { scenarios } from './scenarios.ts';

const routeIds = routes.map((r) => r.operationId);

describe('the request-count table', () => {
  it('states the cost of every route of the route table: on its binding or in the table, not both', () => {
    // assert
    const tabled = (id: string) => Object.hasOwn(expectedRequests, id);
    const missing = routes.filter((r) => !r.cost && !tabled(r.operationId));
    expect(
      missing.map((r) => r.operationId),
      'routes with neither a cost on the binding nor an entry in test/requests/expected.ts',
    ).toEqual([]);
    const twice = routes.filter((r) => r.cost && tabled(r.operationId));
    expect(
      twice.map((r) => r.operationId),
      'routes with both: the binding states the example’s cost, the table the other scenarios',
    ).toEqual([]);
  });

  it('names no operationId that no route has', () => {
    // assert
    const unknown = Object.keys(expectedRequests).filter((id) => !routeIds.includes(id));
    expect(unknown, 'entries of test/requests/expected.ts without a route').toEqual([]);
  });

  it('pairs every expectation with a scenario to measure, and every scenario with its expectation', () => {
    // assert
    for (const [operationId, byScenario] of Object.entries(expectedRequests)) {
      const expected = Object.keys(byScenario);
      const measured = Object.keys(scenarios[operationId as keyof typeof scenarios]);
      expect(expected.length, `${operationId}: no scenario at all`).toBeGreaterThan(0);
      const unmeasured = expected.filter((s) => !measured.includes(s));
      expect(unmeasured, `${operationId}: expectations without a scenario`).toEqual([]);
      const unexpected = measured.filter((s) => !expected.includes(s));
      expect(unexpected, `${operationId}: scenarios without an expectation`).toEqual([]);
    }
  });

  it('names each scenario once (bench/RESULTS.md records them by id)', () => {
    // assert
    const ids = expectedCosts.map((e) => e.id);
    expect(ids.length).toBe(new Set(ids).size);
  });

  it('holds a get, a create and a client-driven write to one request, unless it says why not', () => {
    // assert
    const over = expectedCosts.filter((e) => e.oneRequest && !e.exception && totalOf(e.cost) !== 1);
    expect(over.map((e) => e.id)).toEqual([]);
  });
});
