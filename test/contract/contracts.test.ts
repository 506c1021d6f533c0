import { describe, expect, it } from 'vitest';
import type { z } from 'zod/mini';
import * as views from '#lib/api/view-schemas.ts';
import { routeKey } from '#lib/contract/contract.ts';
import { contractGroups, contracts } from '#lib/contract/index.ts';
import { routeGroups } from '#lib/http/routes.ts';

/**
 * The contract table holds what the typed client, the OpenAPI document, the gateway and the
 * tests read without asking the bindings: each part checked here once, for every route.
 */

const pathParams = (path: string) => [...path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]!).sort();
const shapeKeys = (schema: z.ZodMiniType | undefined) =>
  schema ? Object.keys((schema as unknown as z.ZodMiniObject).shape).sort() : [];

describe('the contract table', () => {
  it('names each operation once and each method and path once', () => {
    // assert
    const ids = contracts.map((c) => c.operationId);
    expect(new Set(ids).size).toBe(ids.length);
    const keys = contracts.map(routeKey);
    expect(new Set(keys).size).toBe(keys.length);
  });

  it("marks each contract with its group's function", () => {
    for (const [fn, group] of Object.entries(contractGroups)) {
      expect(group.fn).toBe(fn);
      for (const c of group.contracts) expect(c.fn, c.operationId).toBe(fn);
    }
  });

  it('declares exactly the path parameters its path has', () => {
    for (const c of contracts) {
      expect(shapeKeys(c.params), c.operationId).toEqual(pathParams(c.path));
    }
  });

  it("gives every route an example that passes the route's own schemas", () => {
    // arrange
    const failures: string[] = [];
    // act
    for (const c of contracts) {
      const parts = [
        ['params', c.params, c.example.params],
        ['query', c.query, c.example.query],
        ['body', c.body, c.example.body],
      ] as const;
      for (const [part, schema, value] of parts) {
        if (!schema) {
          if (value !== undefined) failures.push(`${c.operationId}: ${part} the route takes none`);
          continue;
        }
        const res = schema.safeParse(value ?? {});
        if (!res.success) failures.push(`${c.operationId} ${part}: ${res.error.message}`);
      }
    }
    // assert
    expect(failures).toEqual([]);
  });

  it('names as secrets only members of the success body', () => {
    for (const c of contracts.filter((c) => c.secrets)) {
      const members = shapeKeys(c.response(views));
      for (const s of c.secrets ?? []) expect(members, c.operationId).toContain(s);
    }
  });

  it('has one binding per contract, in the same order, with the contract unchanged', () => {
    for (const [fn, group] of Object.entries(contractGroups)) {
      const bound = routeGroups[fn as keyof typeof routeGroups];
      expect(bound.fn).toBe(fn);
      expect(bound.routes.map((r) => r.operationId)).toEqual(
        group.contracts.map((c) => c.operationId),
      );
      for (const [i, c] of group.contracts.entries()) {
        const route = bound.routes[i]!;
        for (const [key, value] of Object.entries(c)) {
          expect(route[key as keyof typeof route], `${c.operationId}.${key}`).toBe(value);
        }
      }
    }
  });
});
