import fc from 'fast-check';
import type { z } from 'zod/mini';
import { type ContractSpec, isMutating } from '#lib/contract/contract.ts';
import { contracts } from '#lib/contract/index.ts';
import {
  bodyBreakers,
  bodyNotTaken,
  fieldBreakers,
  oversizeBody,
  pathBreakers,
  queryBreaker,
  unknownQuery,
  writeHeaderBreakers,
} from './breakers.ts';
import { defaultModel } from './default-model.ts';
import { type RouteModel, routeModels } from './models.ts';
import { policyLifecycleModels } from './policy-models.ts';
import {
  type Breaker,
  encodeRequest,
  type FuzzRequest,
  Stage,
  setAt,
  setQuery,
  slotsConflict,
} from './request.ts';
import type { World } from './world.ts';

/** One request of the run, as sent, with the rules it breaks and the answer they call for. */
export interface FuzzCase {
  operationId: string;
  method: string;
  url: string;
  headers: Record<string, string>;
  body: string;
  rules: string[];
  expect: {
    stage: number;
    status: number;
    code: string;
    /** Each must have a violation (400, 413, 415). */
    fields: string[];
    currentResourceVersion?: number;
  };
}

const keysOf = (schema: z.ZodMiniType | undefined) =>
  schema ? Object.keys((schema as unknown as z.ZodMiniObject).shape) : [];

type Route = ContractSpec;

const paramsOf = (route: Route) => [...route.path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]!);

/** Valid variations every case may carry besides its breakers. */
function perturbations(route: Route) {
  const mutating = isMutating(route);
  return fc.record({
    idempotencyKey: mutating
      ? fc.option(fc.stringMatching(/^fz-k-[a-z0-9]{12}$/), { nil: undefined })
      : fc.constant(undefined),
    ifMatchAny: fc.boolean().map((b) => mutating && b),
    versionZero: fc.boolean().map((b) => mutating && b),
    contentType: route.body
      ? fc.constantFrom(
          undefined,
          'application/json; charset=utf-8',
          'Application/JSON',
          'application/merge-patch+json',
        )
      : fc.constant(undefined),
    userAgent: fc.option(fc.constantFrom('curl/8.0', '\u0000', 'é'.repeat(300)), {
      nil: undefined,
    }),
  });
}

type Perturbations = ReturnType<typeof perturbations> extends fc.Arbitrary<infer P> ? P : never;

function perturb(route: Route, req: FuzzRequest, p: Perturbations): void {
  if (p.idempotencyKey) req.headers['idempotency-key'] = p.idempotencyKey;
  if (p.ifMatchAny) req.headers['if-match'] = '*';
  if (p.contentType) req.headers['content-type'] = p.contentType;
  if (p.userAgent) req.headers['user-agent'] = p.userAgent;
  if (p.versionZero) {
    if (route.body) setAt(req, ['expectedResourceVersion'], 0);
    else setQuery(req, 'expectedResourceVersion', '0');
  }
}

/**
 * The route's breakers, weighted: refusals by the stored state (which reach DynamoDB) more
 * often, a body past 512 KiB (which costs the most to build) less.
 */
function breakersOf(route: Route, model: RouteModel, world: World) {
  const list: fc.Arbitrary<Breaker>[] = [];
  if (route.body) {
    list.push(...bodyBreakers(keysOf(route.body)), ...(model.fields ?? []).flatMap(fieldBreakers));
  } else {
    list.push(bodyNotTaken);
  }
  list.push(unknownQuery(keysOf(route.query)));
  list.push(...(model.query ?? []).map(([name, invalid]) => queryBreaker(name, invalid)));
  list.push(...pathBreakers(paramsOf(route), model.params));
  if (isMutating(route)) {
    list.push(
      ...writeHeaderBreakers(route.body ? 'body' : 'query', world.box.id, world.idempotencyKey),
    );
  }
  return [
    { arbitrary: oversizeBody, weight: 1 },
    ...list.map((arbitrary) => ({ arbitrary, weight: 2 })),
    ...(model.state ?? []).map((arbitrary) => ({ arbitrary, weight: 3 })),
  ];
}

/** The answer the first broken rule calls for; field violations are reported together. */
function expectationOf(breakers: Breaker[]): FuzzCase['expect'] {
  const stage = Math.min(...breakers.map((b) => b.stage));
  const first = breakers.filter((b) => b.stage === stage);
  if (stage === Stage.fields) {
    return {
      stage,
      status: 400,
      code: 'INVALID_ARGUMENT',
      fields: first.map((b) => b.expect.field!),
    };
  }
  const { status, code, field, currentResourceVersion } = first[0]!.expect;
  return {
    stage,
    status,
    code,
    fields: field ? [field] : [],
    ...(currentResourceVersion !== undefined ? { currentResourceVersion } : {}),
  };
}

function routeCases(route: Route, model: RouteModel, world: World): fc.Arbitrary<FuzzCase> {
  return fc
    .record({
      base: model.base,
      perturbations: perturbations(route),
      breakers: fc.uniqueArray(fc.oneof(...breakersOf(route, model, world)), {
        minLength: 1,
        maxLength: 2,
        comparator: slotsConflict,
      }),
    })
    .map(({ base, perturbations: p, breakers }) => {
      const req = structuredClone(base);
      perturb(route, req, p);
      for (const b of breakers) b.apply(req);
      const { url, body } = encodeRequest(route, req);
      const c: FuzzCase = {
        operationId: model.operationId,
        method: route.method,
        url,
        headers: req.headers,
        body: body ?? '',
        rules: breakers.map((b) => b.rule),
        expect: expectationOf(breakers),
      };
      return Object.assign(c, { [fc.toStringMethod]: () => describe(c) });
    });
}

/** How a failing case is printed: everything but the bulk of a huge body. */
function describe(c: FuzzCase): string {
  const body = c.body.length > 600 ? `${c.body.slice(0, 600)}… (${c.body.length} chars)` : c.body;
  return JSON.stringify({ ...c, url: c.url.slice(0, 600), body }, null, 1);
}

/**
 * The model of each route: the hand-written one where there is one, with what it leaves out
 * taken from the contract's own (its path parameters' invalid values), else the contract's.
 */
export function modelsOf(world: World): Map<string, RouteModel> {
  const models = [...routeModels(world), ...policyLifecycleModels(world)];
  const unknown = models.filter((m) => !contracts.some((r) => r.operationId === m.operationId));
  if (unknown.length) {
    throw new Error(`fuzz models of no route: ${unknown.map((m) => m.operationId)}`);
  }
  const byId = new Map(models.map((m) => [m.operationId, m]));
  return new Map(
    contracts.map((r) => {
      const fallback = defaultModel(r);
      const own = byId.get(r.operationId);
      return [r.operationId, own ? { ...own, params: own.params ?? fallback.params } : fallback];
    }),
  );
}

/** Cases over every route of the contract table, each breaking one or two rules. */
export function fuzzCases(world: World): fc.Arbitrary<FuzzCase> {
  const models = modelsOf(world);
  return fc.oneof(...contracts.map((r) => routeCases(r, models.get(r.operationId)!, world)));
}
