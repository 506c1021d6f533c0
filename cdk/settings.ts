import type { Node } from 'constructs';
import {
  isStageName,
  ROLLOUTS,
  type Rollout,
  STAGE_NAMES,
  STAGES,
  type StageName,
  type StageSettings,
  UNSTAGED,
} from './stages.ts';

/**
 * What a deployment of shellgate is configured with: its stage's settings (`cdk/stages.ts`)
 * and the identity of the deployment, each overridable from CDK context (`cdk.json`, `-c`).
 */
export interface ShellgateSettings extends StageSettings {
  /** The stage deployed; none for the unstaged stack. */
  stage?: StageName;
  /** The `iss` every token must carry, an https URL whose discovery document API Gateway reads. */
  jwtIssuer: string;
  /** Accepted `aud` values (or `client_id` for access tokens without `aud`). */
  jwtAudience: string[];
  /** An address subscribed to the alarm topic; none when absent. */
  alarmEmail?: string;
  /** The domain of exposed service URLs (`SHELLGATE_SERVICE_DOMAIN`); the handlers' default when absent. */
  serviceDomain?: string;
}

/** The issuer in the checked-in `cdk.json`, so that synth works without configuration. */
export const PLACEHOLDER_ISSUER = 'https://issuer.example.com/';

type Context = Pick<Node, 'tryGetContext'>;

function text(node: Context, key: string): string | undefined {
  const value: unknown = node.tryGetContext(key);
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean') {
    throw new Error(`context ${key} must be a string`);
  }
  return String(value);
}

/** `-c key=false` arrives as a string, a `cdk.json` value as a boolean: both are accepted. */
function flag(node: Context, key: string, fallback: boolean): boolean {
  const value = text(node, key);
  if (value === undefined) return fallback;
  if (value === 'true') return true;
  if (value === 'false') return false;
  throw new Error(`context ${key} must be true or false, got ${value}`);
}

function positive(node: Context, key: string, fallback: number): number {
  const value = text(node, key);
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`context ${key} must be a number > 0`);
  return n;
}

/** A list from a JSON array or a comma-separated string. */
function list(node: Context, key: string): string[] {
  const value: unknown = node.tryGetContext(key);
  const items = Array.isArray(value) ? value.map(String) : (text(node, key) ?? '').split(',');
  return items.map((s) => s.trim()).filter(Boolean);
}

/**
 * A stage's values in context: `stages.<stage>.<key>` (an object in `cdk.json`, for a pipeline
 * that deploys several stages from one synth) before the plain `<key>`.
 */
function scoped(node: Context, stage: StageName | undefined): Context {
  const stages: unknown = node.tryGetContext('stages');
  const own =
    stage && stages && typeof stages === 'object'
      ? ((stages as Record<string, unknown>)[stage] as Record<string, unknown> | undefined)
      : undefined;
  return {
    tryGetContext: (key: string) => own?.[key] ?? node.tryGetContext(key),
  };
}

/** The stage named by `-c stage=…`, if any. */
export function stageFromContext(node: Context): StageName | undefined {
  const stage = text(node, 'stage');
  if (stage === undefined) return undefined;
  if (!isStageName(stage)) {
    throw new Error(`context stage must be one of ${STAGE_NAMES.join(', ')}, got ${stage}`);
  }
  return stage;
}

function rollout(node: Context, fallback: Rollout): Rollout {
  const value = text(node, 'rollout');
  if (value === undefined) return fallback;
  if (!(value in ROLLOUTS)) {
    throw new Error(
      `context rollout must be one of ${Object.keys(ROLLOUTS).join(', ')}, got ${value}`,
    );
  }
  return value as Rollout;
}

/**
 * Reads and checks the deployment's settings: the stage's (`stage`, else the context's `stage`,
 * else none), each overridden by context. A missing or malformed value fails the synth.
 */
export function settingsFromContext(
  root: Context,
  stage: StageName | undefined = stageFromContext(root),
): ShellgateSettings {
  const node = scoped(root, stage);
  const base = stage ? STAGES[stage] : UNSTAGED;
  const jwtIssuer = text(node, 'jwtIssuer');
  if (!jwtIssuer || !URL.canParse(jwtIssuer) || new URL(jwtIssuer).protocol !== 'https:') {
    throw new Error('context jwtIssuer must be an https URL (e.g. -c jwtIssuer=https://…/)');
  }
  const jwtAudience = list(node, 'jwtAudience');
  if (jwtAudience.length === 0) {
    throw new Error('context jwtAudience must name at least one audience (-c jwtAudience=…)');
  }
  const alarmEmail = text(node, 'alarmEmail');
  const serviceDomain = text(node, 'serviceDomain');
  return {
    ...(stage ? { stage } : {}),
    stackName: text(node, 'stackName') ?? base.stackName,
    jwtIssuer,
    jwtAudience,
    retainData: flag(node, 'retainData', base.retainData),
    httpMemorySize: positive(node, 'httpMemorySize', base.httpMemorySize),
    conflictAlarmPerMinute: positive(node, 'conflictAlarmPerMinute', base.conflictAlarmPerMinute),
    apiRateLimit: positive(node, 'apiRateLimit', base.apiRateLimit),
    apiBurstLimit: positive(node, 'apiBurstLimit', base.apiBurstLimit),
    rollout: rollout(node, base.rollout),
    migrationStallMinutes: positive(node, 'migrationStallMinutes', base.migrationStallMinutes),
    ...(alarmEmail ? { alarmEmail } : {}),
    ...(serviceDomain ? { serviceDomain } : {}),
  };
}
