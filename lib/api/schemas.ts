import * as z from 'zod';
import { childPrefix } from '#lib/domain/keys.ts';
import { PHASES } from '#lib/domain/types.ts';

/** Limits of SPEC §1, and the ones this service sets where the spec is silent (docs/api.md). */
export const LIMITS = {
  providerCredentials: 32,
  providerConfig: 64,
  mapKeyBytes: 256,
  mapValueBytes: 8192,
  environment: 128,
  providersPerSandbox: 32,
  labels: 64,
  policyBytes: 64 * 1024,
  /** Levels of objects and arrays in a policy; DynamoDB allows 32 in a whole item. */
  policyDepth: 20,
  /** Every object stays well below DynamoDB's 400 KB item limit. */
  objectBytes: 300 * 1024,
  conditions: 16,
  pageSizeMax: 1000,
  pageSizeDefault: 100,
  ttlSecondsMax: 30 * 24 * 3600,
  ttlSecondsDefault: 86_400,
} as const;

const bytes = (s: string) => Buffer.byteLength(s, 'utf8');

export const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
export const name = z
  .string()
  .min(1)
  .max(63)
  .regex(DNS_LABEL, 'must be a DNS label: lowercase letters, digits and "-", 1–63 characters');

const LABEL_NAME = /^([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** Kubernetes label key syntax: `[prefix/]name`, prefix a DNS subdomain ≤ 253, name ≤ 63. */
export function isLabelKey(key: string): boolean {
  const slash = key.lastIndexOf('/');
  const prefix = slash >= 0 ? key.slice(0, slash) : undefined;
  const local = slash >= 0 ? key.slice(slash + 1) : key;
  if (
    prefix !== undefined &&
    (prefix.length > 253 ||
      !DNS_SUBDOMAIN.test(prefix) ||
      prefix.split('.').some((label) => label.length > 63))
  ) {
    return false;
  }
  return local.length >= 1 && local.length <= 63 && LABEL_NAME.test(local);
}

export function isLabelValue(value: string): boolean {
  return value === '' || (value.length <= 63 && LABEL_NAME.test(value));
}

export const labels = z
  .record(
    z.string().refine(isLabelKey, 'is not a valid label key ([prefix/]name, name ≤ 63 characters)'),
    z
      .string()
      .refine(isLabelValue, 'is not a valid label value (≤ 63 alphanumerics, "-", "_", ".")'),
  )
  .refine((m) => Object.keys(m).length <= LIMITS.labels, `at most ${LIMITS.labels} labels`);

/** A string map with per-key and per-value byte limits and an entry limit. */
function boundedMap(maxEntries: number, value: z.ZodType<string> = z.string()) {
  return z
    .record(
      z
        .string()
        .min(1, 'keys must not be empty')
        .refine(
          (k) => bytes(k) <= LIMITS.mapKeyBytes,
          `keys are at most ${LIMITS.mapKeyBytes} bytes`,
        ),
      value.refine(
        (v) => bytes(v) <= LIMITS.mapValueBytes,
        `values are at most ${LIMITS.mapValueBytes} bytes`,
      ),
    )
    .refine((m) => Object.keys(m).length <= maxEntries, `at most ${maxEntries} entries`);
}

export const resourceVersion = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);
export const uuid = z.uuid();

/** Fields every mutating body may carry. */
const preconditions = {
  expectedResourceVersion: resourceVersion.optional(),
  expectedId: uuid.optional(),
};

/** Violations reported per walk: enough to fix the input, never a response as big as it. */
const MAX_REPORTED = 10;

/** DynamoDB stores numbers of magnitude 1e-130…1e126; the SDK refuses integers past 2^53. */
const isStorableNumber = (n: number) =>
  n === 0 || (Math.abs(n) >= 1e-130 && Math.abs(n) <= Number.MAX_SAFE_INTEGER);

/**
 * A free-form JSON object (a policy): nested at most `policyDepth` levels (DynamoDB allows 32
 * for the whole item), numbers DynamoDB can store, at most `policyBytes` as JSON. Walked
 * without recursion, so no input can exhaust the stack.
 */
export const jsonObject = z.record(z.string(), z.unknown()).superRefine((value, ctx) => {
  const stack: Array<{ node: unknown; path: string[] }> = [{ node: value, path: [] }];
  let badNumbers = 0;
  while (stack.length) {
    const { node, path } = stack.pop()!;
    if (typeof node === 'number' && !isStorableNumber(node) && ++badNumbers <= MAX_REPORTED) {
      ctx.addIssue({
        code: 'custom',
        path,
        message: 'numbers must be 0 or of magnitude 1e-130 to 2^53-1',
      });
    }
    if (node === null || typeof node !== 'object') continue;
    if (path.length >= LIMITS.policyDepth) {
      ctx.addIssue({
        code: 'custom',
        path: path.slice(0, LIMITS.policyDepth),
        message: `is nested more than ${LIMITS.policyDepth} levels deep`,
      });
      return;
    }
    for (const [k, v] of Object.entries(node)) stack.push({ node: v, path: [...path, k] });
  }
  if (bytes(JSON.stringify(value)) > LIMITS.policyBytes) {
    ctx.addIssue({ code: 'custom', message: `is at most ${LIMITS.policyBytes} bytes as JSON` });
  }
});

export const providerType = z
  .string()
  .min(1)
  .max(63)
  .regex(DNS_LABEL, 'must be a slug: lowercase letters, digits and "-"');

export const CreateProviderBody = z.strictObject({
  name: name.optional(),
  labels: labels.optional(),
  type: providerType,
  credentials: boundedMap(LIMITS.providerCredentials).refine(
    (m) => Object.keys(m).length >= 1,
    'at least one credential is required',
  ),
  config: boundedMap(LIMITS.providerConfig).optional(),
  ...preconditions,
});
export type CreateProviderBody = z.infer<typeof CreateProviderBody>;

export const UpdateProviderBody = z.strictObject({
  type: providerType.optional(),
  credentials: boundedMap(LIMITS.providerCredentials).optional(),
  config: boundedMap(LIMITS.providerConfig).optional(),
  ...preconditions,
});
export type UpdateProviderBody = z.infer<typeof UpdateProviderBody>;

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error'] as const;

export const SandboxSpecBody = z.strictObject({
  image: z.string().min(1).max(1024).optional(),
  environment: z
    .record(
      z.string().max(256).regex(ENV_NAME, 'must be an environment variable name'),
      z
        .string()
        .refine(
          (v) => bytes(v) <= LIMITS.mapValueBytes,
          `values are at most ${LIMITS.mapValueBytes} bytes`,
        ),
    )
    .refine(
      (m) => Object.keys(m).length <= LIMITS.environment,
      `at most ${LIMITS.environment} entries`,
    )
    .optional(),
  providers: z
    .array(name)
    .max(LIMITS.providersPerSandbox, `at most ${LIMITS.providersPerSandbox} providers`)
    .refine((a) => new Set(a).size === a.length, 'must not contain duplicates')
    .optional(),
  policy: jsonObject.optional(),
  logLevel: z.enum(LOG_LEVELS).optional(),
  gpu: z.boolean().optional(),
});

export const CreateSandboxBody = z.strictObject({
  name: name.optional(),
  labels: labels.optional(),
  spec: SandboxSpecBody,
  ...preconditions,
});
export type CreateSandboxBody = z.infer<typeof CreateSandboxBody>;

export const ConditionBody = z.strictObject({
  type: z.string().min(1).max(63),
  status: z.enum(['True', 'False', 'Unknown']),
  reason: z.string().max(128).optional(),
  message: z.string().max(1024).optional(),
  lastTransitionTime: z.iso.datetime().optional(),
});

export const SandboxStatusBody = z.strictObject({
  phase: z.enum(PHASES),
  conditions: z
    .array(ConditionBody)
    .max(LIMITS.conditions, `at most ${LIMITS.conditions} conditions`)
    .refine(
      (a) => new Set(a.map((c) => c.type)).size === a.length,
      'condition types must be unique',
    )
    .optional(),
  ...preconditions,
});
export type SandboxStatusBody = z.infer<typeof SandboxStatusBody>;

/** Bodies of routes that take nothing but the preconditions. */
export const PreconditionsBody = z.strictObject({ ...preconditions });

export const PolicyBody = z.strictObject({ policy: jsonObject, ...preconditions });
export type PolicyBody = z.infer<typeof PolicyBody>;

export const RevisionStatusBody = z.strictObject({
  status: z.enum(['LOADED', 'FAILED']),
  loadError: z.string().max(4096).optional(),
  ...preconditions,
});
export type RevisionStatusBody = z.infer<typeof RevisionStatusBody>;

export const settingValue = z.union(
  [
    z
      .string()
      .refine(
        (v) => bytes(v) <= LIMITS.mapValueBytes,
        `strings are at most ${LIMITS.mapValueBytes} bytes`,
      ),
    z.boolean(),
    z.number().int().min(Number.MIN_SAFE_INTEGER).max(Number.MAX_SAFE_INTEGER),
  ],
  {
    error: `must be a string of at most ${LIMITS.mapValueBytes} bytes, a boolean or an integer within ±(2^53-1)`,
  },
);
export const SettingBody = z.strictObject({ value: settingValue, ...preconditions });
export type SettingBody = z.infer<typeof SettingBody>;

export const SSHSessionBody = z.strictObject({
  ttlSeconds: z.number().int().min(0).max(LIMITS.ttlSecondsMax).optional(),
  ...preconditions,
});
export type SSHSessionBody = z.infer<typeof SSHSessionBody>;

export const ServiceBody = z.strictObject({
  targetPort: z.number().int().min(1).max(65535),
  domain: z.boolean().optional(),
  ...preconditions,
});
export type ServiceBody = z.infer<typeof ServiceBody>;

export const InferenceRouteBody = z.strictObject({
  providerName: name,
  modelId: z.string().min(1).max(256),
  timeoutSeconds: z.number().int().min(1).max(3600).optional(),
  ...preconditions,
});
export type InferenceRouteBody = z.infer<typeof InferenceRouteBody>;

// Path and query parameters arrive as strings.

const SETTING_KEY = /^[A-Za-z0-9]([A-Za-z0-9._-]{0,126}[A-Za-z0-9])?$/;
export const settingKey = z
  .string()
  .regex(SETTING_KEY, 'must be 1–128 letters, digits, ".", "_" or "-"');

const intString = (min: number, max: number) =>
  z
    .string()
    .regex(/^\d{1,16}$/, 'must be a non-negative integer')
    .transform(Number)
    .pipe(z.number().int().min(min).max(max));

export const NameParams = z.strictObject({ name });
export const ProviderAttachmentParams = z.strictObject({ name, provider: name });
export const RevisionParams = z.strictObject({
  name,
  version: intString(1, Number.MAX_SAFE_INTEGER),
});
export const SandboxSettingParams = z.strictObject({ name, key: settingKey });
export const SettingParams = z.strictObject({ key: settingKey });
export const SessionParams = z.strictObject({ id: uuid });
export const ServiceParams = z.strictObject({ name, service: name });

interface TokenScopes {
  /** Tokens of a list by kind: the cursor carries the index key, whose partition is the scope. */
  byKind: boolean;
  /** Tokens of a query of one sandbox's children with these sort-key prefixes. */
  children: readonly string[];
}

const cursorValue = (v: unknown) =>
  typeof v === 'string' && v.length > 0 && v.length < 2048 && v.isWellFormed();

/**
 * Whether a page token has the shape the store issues (the store checks again, precisely, that
 * it belongs to the very list it is sent to) (base64url JSON `{s: scope, k: cursor}`,
 * the cursor being the key of the page's last item) for a route that reads `scopes`. DynamoDB
 * rejects a start key outside the query, so a forged or misplaced token must stop here.
 */
function isPageToken(token: string, scopes: TokenScopes): boolean {
  if (!/^[A-Za-z0-9_-]+$/.test(token)) return false;
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
  } catch {
    return false;
  }
  const { s, k } = (parsed ?? {}) as { s?: unknown; k?: unknown };
  if (typeof s !== 'string' || !k || typeof k !== 'object' || Array.isArray(k)) return false;
  const cursor = k as Record<string, unknown>;
  if (!Object.values(cursor).every(cursorValue)) return false;
  const attributes = Object.keys(cursor).sort().join(',');
  if (attributes === 'gsi1pk,gsi1sk,pk,sk') return scopes.byKind && cursor.gsi1pk === s;
  if (attributes === 'pk,sk') {
    return cursor.pk === s && scopes.children.some((p) => (cursor.sk as string).startsWith(p));
  }
  return false;
}

const pagination = (scopes: TokenScopes) => ({
  pageSize: intString(1, LIMITS.pageSizeMax).optional(),
  pageToken: z
    .string()
    .min(1)
    .max(4096)
    .refine((t) => isPageToken(t, scopes), 'is not a valid page token')
    .optional(),
});

/** `k=v,k2=v2` → a map; each key and value checked with the label syntax. */
export const labelSelector = z.string().transform((raw, ctx) => {
  const out: Record<string, string> = {};
  for (const part of raw.split(',')) {
    const eq = part.indexOf('=');
    const k = eq >= 0 ? part.slice(0, eq).trim() : '';
    const v = eq >= 0 ? part.slice(eq + 1).trim() : '';
    if (!isLabelKey(k) || !isLabelValue(v)) {
      ctx.addIssue({ code: 'custom', message: `"${part}" is not a k=v label requirement` });
      return z.NEVER;
    }
    out[k] = v;
  }
  return out;
});

/** Lists by kind (providers, inference routes) and of a sandbox's revisions and sessions. */
export const ListQuery = z.strictObject({
  ...pagination({
    byKind: true,
    children: [childPrefix.policyRevision, childPrefix.sshSession],
  }),
});
export const SandboxListQuery = z.strictObject({
  ...pagination({ byKind: true, children: [] }),
  labelSelector: labelSelector.optional(),
});
export const ServiceListQuery = z.strictObject({
  ...pagination({ byKind: true, children: [childPrefix.service] }),
  sandbox: name.optional(),
});
/** DELETE and body-less routes take the preconditions in the query string. */
export const PreconditionQuery = z.strictObject({
  expectedResourceVersion: intString(0, Number.MAX_SAFE_INTEGER).optional(),
  expectedId: uuid.optional(),
});
