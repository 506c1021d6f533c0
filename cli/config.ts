import { chmodSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { UsageError } from './exit-codes.ts';

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
 * `--endpoint`, else `SHELLGATE_ENDPOINT`, else the named context's (`--context`, else the
 * current one), else the local dev server (its `.shellgate/local.json` in the working
 * directory, else {@link DEFAULT_ENDPOINT}).
 */
export function resolveEndpoint(
  flag: string | undefined,
  env: NodeJS.ProcessEnv,
  cwd: string,
  context?: NamedContext,
) {
  return (
    flag ||
    env.SHELLGATE_ENDPOINT ||
    context?.endpoint ||
    readLocalState(cwd).url ||
    DEFAULT_ENDPOINT
  ).replace(/\/+$/, '');
}

/** `SHELLGATE_CONFIG_DIR`, else `$XDG_CONFIG_HOME/shellgate`, else `~/.config/shellgate`. */
export function configDir(env: NodeJS.ProcessEnv): string {
  if (env.SHELLGATE_CONFIG_DIR) return resolve(env.SHELLGATE_CONFIG_DIR);
  return join(env.XDG_CONFIG_HOME || join(homedir(), '.config'), 'shellgate');
}

/** A named endpoint (and token) to switch to, as kubectl's contexts and gh's hosts. */
export interface NamedContext {
  endpoint: string;
  token?: string;
}

interface Credentials {
  /** Tokens saved by `shellgate login`, by endpoint. */
  tokens: Record<string, { token: string; savedAt: string }>;
  /** `shellgate context set`: kept here, beside the tokens, with the same file mode. */
  contexts?: Record<string, NamedContext>;
  /** `shellgate context use`. */
  currentContext?: string;
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

/**
 * `--token`, else `SHELLGATE_TOKEN`, else the context's token when the endpoint is the
 * context's, else the token `shellgate login` saved for the endpoint.
 */
export function resolveToken(
  flag: string | undefined,
  env: NodeJS.ProcessEnv,
  endpoint: string,
  context?: NamedContext,
): string | undefined {
  const own =
    context && context.endpoint.replace(/\/+$/, '') === endpoint ? context.token : undefined;
  return flag || env.SHELLGATE_TOKEN || own || savedToken(env, endpoint);
}

export const CONTEXT_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$/;

export interface ContextEntry extends NamedContext {
  name: string;
  current: boolean;
}

/** Every saved context, by name. */
export function listContexts(env: NodeJS.ProcessEnv): ContextEntry[] {
  const c = readCredentials(env);
  return Object.entries(c.contexts ?? {})
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([name, ctx]) => ({ name, ...ctx, current: name === c.currentContext }));
}

/** The context named `name`, else the current one; a name that is not saved is an error. */
export function findContext(
  env: NodeJS.ProcessEnv,
  name: string | undefined,
): (NamedContext & { name: string }) | undefined {
  const c = readCredentials(env);
  const chosen = name ?? env.SHELLGATE_CONTEXT ?? c.currentContext;
  if (chosen === undefined || chosen === '') return undefined;
  const found = c.contexts?.[chosen];
  if (!found) {
    const known = Object.keys(c.contexts ?? {});
    throw new UsageError(
      `no context named "${chosen}"${known.length ? ` (saved: ${known.join(', ')})` : ''}; create it with \`shellgate context set ${chosen} --endpoint URL\``,
    );
  }
  return { name: chosen, ...found };
}

/** Creates or changes a context; answers the file it is kept in. */
export function saveContext(
  env: NodeJS.ProcessEnv,
  name: string,
  change: { endpoint?: string; token?: string },
): string {
  const c = readCredentials(env);
  const before = c.contexts?.[name];
  const endpoint = (change.endpoint ?? before?.endpoint)?.replace(/\/+$/, '');
  if (!endpoint) throw new UsageError(`context ${name} needs --endpoint URL`);
  const token = change.token ?? before?.token;
  c.contexts = { ...c.contexts, [name]: { endpoint, ...(token ? { token } : {}) } };
  return writeCredentials(env, c);
}

export function useContext(env: NodeJS.ProcessEnv, name: string): void {
  const c = readCredentials(env);
  if (!c.contexts?.[name]) findContext(env, name);
  c.currentContext = name;
  writeCredentials(env, c);
}

/** Forgets a context (and that it was current); answers whether there was one. */
export function deleteContext(env: NodeJS.ProcessEnv, name: string): boolean {
  const c = readCredentials(env);
  if (!c.contexts?.[name]) return false;
  delete c.contexts[name];
  if (c.currentContext === name) delete c.currentContext;
  writeCredentials(env, c);
  return true;
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
