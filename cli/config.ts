import { chmodSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';

/** Where `npm start` serves the API. */
export const DEFAULT_ENDPOINT = 'http://127.0.0.1:8080';

/** What the local dev server writes to `.shellgate/local.json` when it starts. */
export interface LocalState {
  url?: string;
  dynamoEndpoint?: string;
  table?: string;
}

function readJson<T>(file: string): T | undefined {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as T;
  } catch {
    return undefined;
  }
}

/** The running dev server's addresses, from `.shellgate/local.json` under `cwd`, if any. */
export function readLocalState(cwd: string): LocalState {
  const state = readJson<LocalState>(join(resolve(cwd), '.shellgate', 'local.json'));
  return state && typeof state === 'object' ? state : {};
}

/**
 * `--endpoint`, else `SHELLGATE_ENDPOINT`, else the local dev server (its `.shellgate/local.json`
 * in the working directory, else {@link DEFAULT_ENDPOINT}).
 */
export function resolveEndpoint(flag: string | undefined, env: NodeJS.ProcessEnv, cwd: string) {
  return (flag || env.SHELLGATE_ENDPOINT || readLocalState(cwd).url || DEFAULT_ENDPOINT).replace(
    /\/+$/,
    '',
  );
}

/** `SHELLGATE_CONFIG_DIR`, else `$XDG_CONFIG_HOME/shellgate`, else `~/.config/shellgate`. */
export function configDir(env: NodeJS.ProcessEnv): string {
  if (env.SHELLGATE_CONFIG_DIR) return resolve(env.SHELLGATE_CONFIG_DIR);
  return join(env.XDG_CONFIG_HOME || join(homedir(), '.config'), 'shellgate');
}

interface Credentials {
  /** Tokens saved by `shellgate login`, by endpoint. */
  tokens: Record<string, { token: string; savedAt: string }>;
}

const credentialsFile = (env: NodeJS.ProcessEnv) => join(configDir(env), 'credentials.json');

function readCredentials(env: NodeJS.ProcessEnv): Credentials {
  const c = readJson<Credentials>(credentialsFile(env));
  return c && typeof c.tokens === 'object' && c.tokens ? c : { tokens: {} };
}

function writeCredentials(env: NodeJS.ProcessEnv, credentials: Credentials): string {
  const dir = configDir(env);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const file = credentialsFile(env);
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(credentials, null, 2)}\n`, { mode: 0o600 });
  chmodSync(tmp, 0o600);
  renameSync(tmp, file);
  return file;
}

export function savedToken(env: NodeJS.ProcessEnv, endpoint: string): string | undefined {
  return readCredentials(env).tokens[endpoint]?.token;
}

/** Keeps a token for an endpoint (file mode 0600); answers the file's path. */
export function saveToken(env: NodeJS.ProcessEnv, endpoint: string, token: string): string {
  const credentials = readCredentials(env);
  credentials.tokens[endpoint] = { token, savedAt: new Date().toISOString() };
  return writeCredentials(env, credentials);
}

/** Forgets the endpoint's token; answers whether there was one. */
export function forgetToken(env: NodeJS.ProcessEnv, endpoint: string): boolean {
  const credentials = readCredentials(env);
  if (!credentials.tokens[endpoint]) return false;
  delete credentials.tokens[endpoint];
  writeCredentials(env, credentials);
  return true;
}

/** `--token`, else `SHELLGATE_TOKEN`, else the token `shellgate login` saved for the endpoint. */
export function resolveToken(
  flag: string | undefined,
  env: NodeJS.ProcessEnv,
  endpoint: string,
): string | undefined {
  return flag || env.SHELLGATE_TOKEN || savedToken(env, endpoint);
}

/** The `exp` claim of a JWT, without verifying it (for messages only). */
export function tokenExpiry(token: string): Date | undefined {
  const payload = token.split('.')[1];
  if (!payload) return undefined;
  try {
    const exp = (JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { exp?: number })
      .exp;
    return typeof exp === 'number' ? new Date(exp * 1000) : undefined;
  } catch {
    return undefined;
  }
}
