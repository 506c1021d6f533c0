import fc from 'fast-check';
import * as z from 'zod/mini';
import type { ContractSpec } from '#lib/contract/contract.ts';
import type { FieldSpec, JsonType } from './breakers.ts';
import type { RouteModel } from './models.ts';
import type { FuzzRequest } from './request.ts';
import { HOSTILE } from './values.ts';

/**
 * The model of a route that has no hand-written one (`models.ts`): its contract's example is the
 * valid base, and the breakers come from its schemas: a wrong JSON type or a missing required
 * member of the body, values past a member's declared bounds, and query and path values its
 * schemas refuse. With the breakers every route gets (unknown fields and parameters, malformed
 * bodies, write headers), a new route with an example is fuzzed without any edit here. It
 * knows nothing of the stored state: a hand-written model adds the refusals that need it.
 */
export function defaultModel(route: ContractSpec): RouteModel {
  const { params = {}, query = {}, body } = route.example;
  const base: FuzzRequest = {
    params: { ...params },
    query: Object.entries(query),
    headers: {},
    json: body === undefined ? undefined : structuredClone(body),
  };
  return {
    operationId: route.operationId,
    base: fc.constant(base),
    ...(route.body ? { fields: bodyFields(route.body) } : {}),
    ...(route.query ? { query: refusedValues(route.query, query, QUERY_CANDIDATES) } : {}),
    ...(route.params
      ? { params: Object.fromEntries(refusedValues(route.params, params, PATH_CANDIDATES)) }
      : {}),
  };
}

type Json = {
  type?: string | string[];
  anyOf?: Json[];
  enum?: unknown[];
  minLength?: number;
  maxLength?: number;
  minimum?: number;
  maximum?: number;
  properties?: Record<string, Json>;
  required?: string[];
};

/** The JSON types a member takes; undefined when its schema says no more than "anything". */
function jsonTypes(schema: Json): Set<JsonType | 'null'> | undefined {
  if (schema.anyOf) {
    const parts = schema.anyOf.map(jsonTypes);
    if (parts.some((p) => p === undefined)) return undefined;
    return new Set(parts.flatMap((p) => [...p!]));
  }
  if (schema.type === undefined) return undefined;
  const types = Array.isArray(schema.type) ? schema.type : [schema.type];
  return new Set(types.map((t) => (t === 'integer' ? 'number' : t)) as (JsonType | 'null')[]);
}

/** Values of the member's own type that its declared bounds refuse. */
function outOfBounds(schema: Json, types: Set<string>): unknown[] {
  const out: unknown[] = [];
  if (types.size !== 1) return out;
  if (types.has('string')) {
    if (schema.maxLength !== undefined) out.push('y'.repeat(schema.maxLength + 1));
    if (schema.minLength !== undefined && schema.minLength > 0) out.push('');
    if (schema.enum) out.push(...['not-listed', ''].filter((v) => !schema.enum!.includes(v)));
  }
  if (types.has('number')) {
    if (schema.minimum !== undefined) out.push(schema.minimum - 1);
    if (schema.maximum !== undefined) out.push(schema.maximum + 1);
    if (schema.type === 'integer') out.push(0.5);
  }
  return out;
}

/** The top-level members of a body, as the fuzz breakers know them. */
function bodyFields(body: z.ZodMiniType): FieldSpec[] {
  const json = z.toJSONSchema(body, { io: 'input', unrepresentable: 'any' }) as Json;
  return Object.entries(json.properties ?? {}).flatMap(([name, member]): FieldSpec[] => {
    const types = jsonTypes(member);
    // A member that takes anything, or null, has no wrong type to send.
    if (!types || types.has('null')) return [];
    const invalid = outOfBounds(member, types);
    return [
      {
        path: [name],
        types: [...types] as JsonType[],
        required: (json.required ?? []).includes(name),
        ...(invalid.length ? { invalid: fc.constantFrom(...invalid) } : {}),
        ...(types.size === 1 && types.has('object') ? { shape: 'map' as const } : {}),
        ...(types.size === 1 && types.has('array') ? { shape: 'list' as const } : {}),
      },
    ];
  });
}

/** Text that many a query or path parameter refuses; each schema picks the ones it does. */
const PATH_CANDIDATES = [
  ' ',
  '-1',
  '1.5',
  'abc',
  'ABC',
  '0',
  '99999999999999999',
  'not-a-uuid',
  'x'.repeat(300),
  ...HOSTILE,
];
const QUERY_CANDIDATES = ['', ...PATH_CANDIDATES];

/**
 * For each member of a params or query schema, the candidates it refuses in place of the
 * example's value, with the violation at that member: the schema itself is the oracle.
 */
function refusedValues(
  schema: z.ZodMiniType,
  example: Readonly<Record<string, string>>,
  candidates: readonly string[],
): Array<[string, fc.Arbitrary<string>]> {
  const members = Object.keys((schema as unknown as z.ZodMiniObject).shape);
  return members.flatMap((name): Array<[string, fc.Arbitrary<string>]> => {
    const refused = candidates.filter((value) => {
      const res = schema.safeParse({ ...example, [name]: value });
      return !res.success && res.error.issues.some((i) => i.path[0] === name);
    });
    return refused.length ? [[name, fc.constantFrom(...refused)]] : [];
  });
}
