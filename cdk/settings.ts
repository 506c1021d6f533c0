import type { Node } from 'constructs';

/** What a deployment of shellgate is configured with; read from CDK context (`cdk.json`, `-c`). */
export interface ShellgateSettings {
  /** The `iss` every token must carry, an https URL whose discovery document API Gateway reads. */
  jwtIssuer: string;
  /** Accepted `aud` values (or `client_id` for access tokens without `aud`). */
  jwtAudience: string[];
  /**
   * Keep the table when the stack is deleted, and refuse to delete it through the API.
   * @default true
   */
  retainData: boolean;
  /** Sustained conflicts (409 ABORTED) per minute that raise the conflict alarm. @default 30 */
  conflictAlarmPerMinute: number;
  /** Steady-state requests per second of the `$default` stage. @default 100 */
  apiRateLimit: number;
  /** Burst of requests the stage accepts above the rate. @default 200 */
  apiBurstLimit: number;
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

/** Reads and checks the deployment's settings; a missing or malformed value fails the synth. */
export function settingsFromContext(node: Context): ShellgateSettings {
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
    jwtIssuer,
    jwtAudience,
    retainData: flag(node, 'retainData', true),
    conflictAlarmPerMinute: positive(node, 'conflictAlarmPerMinute', 30),
    apiRateLimit: positive(node, 'apiRateLimit', 100),
    apiBurstLimit: positive(node, 'apiBurstLimit', 200),
    ...(alarmEmail ? { alarmEmail } : {}),
    ...(serviceDomain ? { serviceDomain } : {}),
  };
}
