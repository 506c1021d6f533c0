import * as z from 'zod/mini';
import { allKindViews } from '#lib/api/kind-views.ts';
import * as requests from '#lib/api/schemas.ts';
import * as views from '#lib/api/view-schemas.ts';
import {
  allowedScopes,
  type Contract,
  isCreate,
  isMutating,
  SUPER_SCOPE,
} from '#lib/contract/contract.ts';
import { contractGroups, contracts } from '#lib/contract/index.ts';
import { PLACEHOLDER_ISSUER } from './issuer.ts';

type Json = Record<string, unknown>;

const ref = (kind: 'schemas' | 'responses' | 'headers' | 'parameters', name: string) => ({
  $ref: `#/components/${kind}/${name}`,
});

/** Every exported zod schema of a module, by export name. */
function schemasOf(module: Record<string, unknown>): [string, z.ZodMiniType][] {
  return Object.entries(module).filter(
    (entry): entry is [string, z.ZodMiniType] =>
      typeof entry[1] === 'object' && entry[1] !== null && '_zod' in entry[1],
  );
}

/**
 * Path and query parameters arrive as strings that the schemas parse into numbers: a client
 * sends them as integers, so the document describes what they parse to.
 */
function integerStrings(ctx: { zodSchema: z.core.$ZodTypes; jsonSchema: Json }): void {
  const def = ctx.zodSchema._zod.def;
  if (def.type !== 'pipe') return;
  const out = z.toJSONSchema(def.out as z.ZodMiniType, {
    io: 'output',
    unrepresentable: 'any',
  }) as Json;
  if (out.type !== 'integer') return;
  for (const key of Object.keys(ctx.jsonSchema)) delete ctx.jsonSchema[key];
  const { $schema: _drop, ...integer } = out;
  Object.assign(ctx.jsonSchema, integer);
}

const conversion = (io: 'input' | 'output') =>
  ({
    io,
    unrepresentable: 'any',
    target: 'draft-2020-12',
    override: io === 'input' ? integerStrings : undefined,
  }) as const;

/**
 * Request bodies by their export names in `lib/api/schemas.ts` (`CreateProviderBody`); a body
 * no module there exports is named after its operation (`createWidget` → `CreateWidgetBody`).
 */
function bodies(): [string, z.ZodMiniType][] {
  const named = schemasOf(requests).filter(([name]) => name.endsWith('Body'));
  const known = new Set(named.map(([, schema]) => schema));
  const unnamed = contracts.flatMap((c): [string, z.ZodMiniType][] =>
    c.body && !known.has(c.body)
      ? [[`${c.operationId[0]!.toUpperCase()}${c.operationId.slice(1)}Body`, c.body]]
      : [],
  );
  return [...named, ...unnamed];
}

/**
 * The named schemas: request bodies (`bodies`), responses as their names without `View`
 * (`Provider`: `view-schemas.ts` and the kinds' own, `kind-views.ts`), each converted once,
 * referring to each other by `$ref`.
 */
function components() {
  const names = new Map<z.ZodMiniType, string>();
  const convert = (entries: [string, z.ZodMiniType][], io: 'input' | 'output') => {
    const registry = z.registry<{ id: string }>();
    for (const [name, schema] of entries) {
      registry.add(schema, { id: name });
      names.set(schema, name);
    }
    const out = z.toJSONSchema(registry, {
      ...conversion(io),
      uri: (id) => `#/components/schemas/${id}`,
    }) as { schemas: Record<string, Json> };
    for (const schema of Object.values(out.schemas)) {
      delete schema.$schema;
      delete schema.$id;
    }
    return out.schemas;
  };
  const schemas = {
    ...convert(bodies(), 'input'),
    ...convert(
      [...schemasOf(views), ...Object.entries(allKindViews(views))]
        .filter(([name]) => name.endsWith('View') || name === 'Problem')
        .map(([name, schema]) => [name.replace(/View$/, ''), schema]),
      'output',
    ),
  };
  return { schemas, names };
}

function parameters(schema: z.ZodMiniType | undefined, where: 'path' | 'query') {
  if (!schema) return [];
  const s = z.toJSONSchema(schema, conversion('input')) as {
    properties?: Record<string, Json>;
    required?: string[];
  };
  return Object.entries(s.properties ?? {}).map(([name, schema]) => ({
    name,
    in: where,
    required: where === 'path' || (s.required ?? []).includes(name),
    description: PARAMETER_DESCRIPTIONS[name] ?? `The ${name}.`,
    schema,
  }));
}

const PARAMETER_DESCRIPTIONS: Record<string, string> = {
  name: 'The name of the object (a DNS label).',
  provider: 'The name of the provider.',
  service: 'The name of the service within the sandbox.',
  key: 'The setting key.',
  version: 'The policy revision number.',
  id: 'The id of the SSH session.',
  pageSize: 'Items per page (1–1000, default 100).',
  pageToken: 'The `nextPageToken` of the previous page.',
  labelSelector: 'Only objects with these labels: `k=v,k2=v2`.',
  sandbox: 'Only the services of this sandbox.',
  expectedResourceVersion:
    'Apply only if the object is still at this version (0 or absent: no precondition).',
  expectedId: 'Apply only if the object still has this id.',
};

const problem = (description: string, headers: Json = {}) => ({
  description,
  headers: { 'X-Request-Id': ref('headers', 'XRequestId'), ...headers },
  content: { 'application/problem+json': { schema: ref('schemas', 'Problem') } },
});

const retry = { 'Retry-After': ref('headers', 'RetryAfter') };

/** The error responses, each declared once and referred to by the operations that answer it. */
const RESPONSES = {
  BadRequest: problem('INVALID_ARGUMENT: the body, a parameter or a header fails validation.'),
  Unauthenticated: problem('UNAUTHENTICATED: no bearer token, or an invalid or expired one.'),
  PermissionDenied: problem("PERMISSION_DENIED: the token lacks the operation's scope."),
  NotFound: problem('NOT_FOUND: the object, or the sandbox it belongs to, does not exist.'),
  Conflict: problem(
    'ALREADY_EXISTS (a create of a taken name), ABORTED (the version precondition failed, or ' +
      'conflicts outlasted the retries; `currentResourceVersion` and `current` say what is ' +
      'stored) or FAILED_PRECONDITION (the system is not in the state the operation needs).',
  ),
  PreconditionFailed: problem('ABORTED: the `If-Match` ETag is not the current one.'),
  ContentTooLarge: problem('INVALID_ARGUMENT: the body is over 512 KiB.'),
  UnsupportedMediaType: problem('INVALID_ARGUMENT: the body is not `application/json`.'),
  IdempotencyMismatch: problem(
    'IDEMPOTENCY_MISMATCH: the `Idempotency-Key` was used with a different request.',
  ),
  TooManyRequests: problem('RESOURCE_EXHAUSTED: throttled; retry after `Retry-After`.', retry),
  Internal: problem('INTERNAL: a bug; the body says nothing about internals.'),
  Unavailable: problem(
    'UNAVAILABLE: the database could not be reached or stayed busy; retry after `Retry-After`.',
    retry,
  ),
};

const HEADERS = {
  ETag: {
    description: 'The object\'s id and version, `"<id>:<resourceVersion>"`: send it as `If-Match`.',
    schema: { type: 'string', pattern: '^"[0-9a-f-]{36}:[1-9][0-9]*"$' },
  },
  XRequestId: {
    description: 'The id of the request in the logs (absent when the gateway answered).',
    schema: { type: 'string' },
  },
  IdempotentReplayed: {
    description: '`true`: the stored response of an earlier request with this Idempotency-Key.',
    schema: { type: 'string', enum: ['true'] },
  },
  RetryAfter: {
    description: 'Seconds to wait before retrying.',
    schema: { type: 'integer', minimum: 0 },
  },
  Location: {
    description: 'The path of the object the request created.',
    schema: { type: 'string', format: 'uri-reference' },
  },
};

const PARAMETERS = {
  IfMatch: {
    name: 'If-Match',
    in: 'header',
    required: false,
    description:
      'One strong ETag `"<id>:<resourceVersion>"`: apply only to that version (a mismatch is 412); `*`: no precondition.',
    schema: { type: 'string' },
  },
  IfNoneMatch: {
    name: 'If-None-Match',
    in: 'header',
    required: false,
    description:
      'ETags the client holds (`*`: any; weak comparison): when one is the current one, 304 with the ETag and no body.',
    schema: { type: 'string' },
  },
  IdempotencyKey: {
    name: 'Idempotency-Key',
    in: 'header',
    required: false,
    description:
      '1–255 visible ASCII characters. A retry with the same key and body answers the first success; the same key with another body is 422.',
    schema: { type: 'string', minLength: 1, maxLength: 255, pattern: '^[\\x21-\\x7e]+$' },
  },
};

/**
 * Whether a success response carries an ETag: every one but lists, the public routes, and the
 * routes that act on many objects.
 */
function hasEtag(route: Contract, schema: Json): boolean {
  const properties = (schema.properties ?? {}) as Record<string, unknown>;
  return route.etag ?? (route.scope !== null && !('items' in properties));
}

/** The success body: its named schema, or the schema itself when it has no name. */
function successContent(route: Contract, names: Map<z.ZodMiniType, string>) {
  const schema = route.response(views);
  const converted = z.toJSONSchema(schema, conversion('output')) as Json;
  const name = names.get(schema);
  const { $schema: _drop, ...inline } = converted;
  return {
    converted,
    content: {
      [route.mediaType ?? 'application/json']: { schema: name ? ref('schemas', name) : inline },
    },
  };
}

function operation(route: Contract, names: Map<z.ZodMiniType, string>) {
  const mutating = isMutating(route);
  const { converted, content } = successContent(route, names);
  const successHeaders: Json = {
    'X-Request-Id': ref('headers', 'XRequestId'),
    ...(hasEtag(route, converted) ? { ETag: ref('headers', 'ETag') } : {}),
    ...(mutating ? { 'Idempotent-Replayed': ref('headers', 'IdempotentReplayed') } : {}),
  };
  const created = { ...successHeaders, Location: ref('headers', 'Location') };
  const success: Json = route.upsert
    ? {
        '200': { description: 'Updated.', headers: successHeaders, content },
        '201': { description: 'Created.', headers: created, content },
      }
    : {
        [String(route.status)]: {
          description: route.status === 201 ? 'Created.' : 'Success.',
          headers: route.status === 201 ? created : successHeaders,
          content,
        },
      };
  const notFound = route.notFound ?? route.params !== undefined;
  /** A read whose answer has an ETag honours If-None-Match. */
  const conditional = !mutating && hasEtag(route, converted);
  const scope = route.scope;
  const op: Json = {
    operationId: route.operationId,
    summary: route.summary,
    description: scope
      ? `${route.summary}. Needs the scope ${allowedScopes(route)
          .map((s) => `\`${s}\``)
          .join(' or ')} (or \`${SUPER_SCOPE}\`).`
      : `${route.summary}. Public: no token needed.`,
    tags: [route.fn],
    security: scope
      ? [...allowedScopes(route).map((s) => ({ oidc: [s] })), { oidc: [SUPER_SCOPE] }]
      : [],
    parameters: [
      ...parameters(route.params, 'path'),
      ...parameters(route.query, 'query'),
      ...(mutating && !isCreate(route) ? [ref('parameters', 'IfMatch')] : []),
      ...(conditional ? [ref('parameters', 'IfNoneMatch')] : []),
      ...(mutating ? [ref('parameters', 'IdempotencyKey')] : []),
    ],
    responses: {
      ...success,
      ...(conditional
        ? {
            '304': {
              description: 'Not modified: the object is the one `If-None-Match` names.',
              headers: { ETag: ref('headers', 'ETag') },
            },
          }
        : {}),
      '400': ref('responses', 'BadRequest'),
      ...(scope
        ? {
            '401': ref('responses', 'Unauthenticated'),
            '403': ref('responses', 'PermissionDenied'),
          }
        : {}),
      ...(notFound ? { '404': ref('responses', 'NotFound') } : {}),
      ...(mutating ? { '409': ref('responses', 'Conflict') } : {}),
      ...(mutating && !isCreate(route) ? { '412': ref('responses', 'PreconditionFailed') } : {}),
      '413': ref('responses', 'ContentTooLarge'),
      ...(route.body ? { '415': ref('responses', 'UnsupportedMediaType') } : {}),
      ...(mutating ? { '422': ref('responses', 'IdempotencyMismatch') } : {}),
      '429': ref('responses', 'TooManyRequests'),
      '500': ref('responses', 'Internal'),
      '503': ref('responses', 'Unavailable'),
    },
  };
  if (route.body) {
    const name = names.get(route.body);
    op.requestBody = {
      required: true,
      content: {
        'application/json': {
          schema: name ? ref('schemas', name) : z.toJSONSchema(route.body, conversion('input')),
        },
      },
    };
  }
  return op;
}

/** The `$ref`s a value holds, at any depth. */
function refsIn(value: unknown, into = new Set<string>()): Set<string> {
  if (Array.isArray(value)) for (const v of value) refsIn(v, into);
  else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      if (k === '$ref' && typeof v === 'string') into.add(v);
      else refsIn(v, into);
    }
  }
  return into;
}

/** Only the schemas the operations reach: an unused component would be noise to a generator. */
function reachable(schemas: Record<string, Json>, from: unknown): Record<string, Json> {
  const prefix = '#/components/schemas/';
  const seen = new Set<string>();
  const queue = [...refsIn(from)];
  while (queue.length) {
    const r = queue.pop()!;
    if (!r.startsWith(prefix) || seen.has(r)) continue;
    seen.add(r);
    queue.push(...refsIn(schemas[r.slice(prefix.length)]));
  }
  return Object.fromEntries(
    Object.entries(schemas)
      .filter(([name]) => seen.has(`${prefix}${name}`))
      .sort(([a], [b]) => a.localeCompare(b)),
  );
}

export interface OpenApiOptions {
  /**
   * The JWT issuer, whose discovery document the security scheme names.
   * @default the placeholder issuer of `cdk.json`
   */
  issuer?: string;
}

/**
 * The options of the document a function serves: the deployment's issuer when its environment
 * names it (`SHELLGATE_JWT_ISSUER`).
 */
export const servedDocumentOptions = (): OpenApiOptions =>
  process.env.SHELLGATE_JWT_ISSUER ? { issuer: process.env.SHELLGATE_JWT_ISSUER } : {};

/** The documents made so far, by issuer: a function serves one. */
const cached = new Map<string, Json>();

/** The OpenAPI 3.1 document, generated from the contract table. */
export function openApiDocument(options: OpenApiOptions = {}): Json {
  const key = options.issuer ?? '';
  const hit = cached.get(key);
  if (hit) return hit;
  const { schemas, names } = components();
  const paths: Record<string, Json> = {};
  for (const route of contracts) {
    paths[route.path] ??= {};
    paths[route.path]![route.method.toLowerCase()] = operation(route, names);
  }
  const issuer = (options.issuer ?? PLACEHOLDER_ISSUER).replace(/\/+$/, '');
  const document: Json = {
    openapi: '3.1.0',
    info: {
      title: 'shellgate',
      version: '1',
      description:
        'Control plane of a sandbox gateway. Every object carries a `resourceVersion` and every ' +
        'write is conditional: send the version you read (`expectedResourceVersion`, or the ' +
        '`ETag` as `If-Match`) and a concurrent change is a 409 (412 with `If-Match`) instead of ' +
        'a lost update. Errors are `application/problem+json` with a `code`.',
      license: { name: 'Apache-2.0', url: 'https://www.apache.org/licenses/LICENSE-2.0' },
      contact: { name: 'shellgate' },
    },
    servers: [
      { url: 'http://127.0.0.1:8080', description: 'The local dev server (`npm start`).' },
      {
        url: 'https://{apiId}.execute-api.{region}.amazonaws.com',
        description: 'A deployed stack: its `ApiUrl` output.',
        variables: {
          apiId: { default: 'abcdef1234', description: 'The HTTP API id.' },
          region: { default: 'us-east-1', description: 'The AWS region of the stack.' },
        },
      },
    ],
    tags: Object.values(contractGroups).map(({ fn, description }) => ({ name: fn, description })),
    paths,
    components: {
      securitySchemes: {
        oidc: {
          type: 'openIdConnect',
          openIdConnectUrl: `${issuer}/.well-known/openid-configuration`,
          description:
            "Bearer JWTs from the deployment's OpenID Connect issuer, checked by API Gateway's JWT " +
            'authorizer (issuer, audience, the scope claim) and again by the handlers. The ' +
            'scopes each operation lists are alternatives. Locally, the dev server mints tokens ' +
            '(`POST /dev/token`).',
        },
      },
      headers: HEADERS,
      parameters: PARAMETERS,
      responses: RESPONSES,
      schemas: {},
    },
  };
  (document.components as Json).schemas = reachable(schemas, [paths, RESPONSES]);
  cached.set(key, document);
  return document;
}
