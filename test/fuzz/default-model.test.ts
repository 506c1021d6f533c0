import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { z } from 'zod/mini';
import { contracts } from '#lib/contract/index.ts';
import { fieldBreakers, pathBreakers, queryBreaker } from './breakers.ts';
import { defaultModel } from './default-model.ts';
import { type Breaker, type FuzzRequest, Stage } from './request.ts';

/**
 * The default models (`default-model.ts`) of every route, checked without a database: the base
 * is valid, and each field breaker makes the route's own schema refuse the field it names. The
 * fuzz run then checks that the handlers answer these requests as the breakers say.
 */

const violates = (schema: z.ZodMiniType, value: unknown, where: string, field: string) => {
  const res = schema.safeParse(value);
  if (res.success) return false;
  return res.error.issues.some((i) => {
    const at = [where, ...i.path.map(String)].join('.');
    return at === field || at.startsWith(`${field}.`) || field.startsWith(`${at}.`);
  });
};

/** Each breaker a few times over, applied to the base. */
function applied(base: FuzzRequest, arbitraries: fc.Arbitrary<Breaker>[]) {
  return arbitraries.flatMap((arbitrary) =>
    fc.sample(arbitrary, { numRuns: 5, seed: 7 }).map((breaker) => {
      const req = structuredClone(base);
      breaker.apply(req);
      return { breaker, req };
    }),
  );
}

describe('the default fuzz model of every route', () => {
  it.each(contracts.map((c) => [c.operationId, c] as const))('%s', (_, route) => {
    // arrange
    const model = defaultModel(route);
    const [base] = fc.sample(model.base, { numRuns: 1 });
    const failures: string[] = [];

    // act: the base passes
    const parts = { path: base!.params, query: Object.fromEntries(base!.query), body: base!.json };
    const schemas = { path: route.params, query: route.query, body: route.body };
    for (const where of ['path', 'query', 'body'] as const) {
      const schema = schemas[where];
      if (schema && !schema.safeParse(parts[where] ?? {}).success) failures.push(`base ${where}`);
    }
    // ...and every breaker of a field breaks the field it names
    const breakers = [
      ...(model.fields ?? []).flatMap(fieldBreakers),
      ...(model.query ?? []).map(([name, invalid]) => queryBreaker(name, invalid)),
      ...Object.entries(model.params ?? {}).map(
        ([p, invalid]) => pathBreakers([p], { [p]: invalid })[0]!,
      ),
    ];
    for (const { breaker, req } of applied(base!, breakers)) {
      if (breaker.stage !== Stage.fields) continue;
      const field = breaker.expect.field!;
      const where = field.split('.')[0] as 'path' | 'query' | 'body';
      const value = { path: req.params, query: Object.fromEntries(req.query), body: req.json }[
        where
      ];
      if (!violates(schemas[where]!, value, where, field)) {
        failures.push(`${breaker.rule}: ${JSON.stringify(value).slice(0, 200)}`);
      }
    }

    // assert
    expect(failures).toEqual([]);
  });

  it('covers the body members, query and path parameters a schema lets it break', () => {
    const bodyRoutes = contracts.filter((c) => c.body);
    expect(bodyRoutes.every((c) => (defaultModel(c).fields ?? []).length > 0)).toBe(true);
    const paged = contracts.filter(
      (c) => c.query && 'pageSize' in (c.query as z.ZodMiniObject).shape,
    );
    for (const c of paged) {
      expect(
        defaultModel(c).query?.map(([name]) => name),
        c.operationId,
      ).toContain('pageSize');
    }
    for (const c of contracts.filter((c) => c.params)) {
      expect(Object.keys(defaultModel(c).params ?? {}).sort(), c.operationId).toEqual(
        Object.keys((c.params as z.ZodMiniObject).shape).sort(),
      );
    }
  });
});
