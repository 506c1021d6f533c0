import { describe, expect, it } from 'vitest';
import * as z from 'zod/mini';
import * as views from '#lib/api/view-schemas.ts';
import { operationIds, operations } from '#lib/client/operations.ts';
import { operationSchemas } from '#lib/client/schemas.ts';
import { routes } from '#lib/http/routes.ts';

const routeOf = (id: string) => {
  const route = routes.find((r) => r.operationId === id);
  if (!route) throw new Error(`no route ${id}`);
  return route;
};

const jsonSchema = (s: z.ZodMiniType) =>
  z.toJSONSchema(s, { io: 'output', unrepresentable: 'any' });

describe("the client's operation table", () => {
  it('has exactly the route table’s operations, with their methods and paths', () => {
    // assert
    expect([...operationIds].sort()).toEqual(routes.map((r) => r.operationId).sort());
    for (const route of routes) {
      expect(operations[route.operationId as keyof typeof operations], route.operationId).toEqual({
        method: route.method,
        path: route.path,
      });
    }
  });

  it('types requests with the very schemas the route table validates with', () => {
    for (const id of operationIds) {
      const route = routeOf(id);
      const schemas = operationSchemas[id] as Record<string, z.ZodMiniType | undefined>;
      expect(schemas.params, `${id} params`).toBe(route.params);
      expect(schemas.query, `${id} query`).toBe(route.query);
      expect(schemas.body, `${id} body`).toBe(route.body);
    }
  });

  it("types responses with the route table's own response schemas", () => {
    for (const id of operationIds) {
      expect(jsonSchema(operationSchemas[id].response), id).toEqual(
        jsonSchema(routeOf(id).response(views)),
      );
    }
  });
});
