import { readFileSync } from 'node:fs';
import { InvalidArgumentError } from 'commander';
import { UsageError } from './exit-codes.ts';

/** Commander collector for a repeatable option. */
export const collect = (value: string, previous: string[] = []) => [...previous, value];

/** Commander parser for a non-negative integer option or argument. */
export function integer(value: string): number {
  if (!/^\d{1,15}$/.test(value)) throw new InvalidArgumentError('must be a non-negative integer.');
  return Number(value);
}

/** `KEY=VALUE` pairs into a map; `option` names the flag in errors. */
export function keyValueMap(pairs: string[] | undefined, option: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const pair of pairs ?? []) {
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new UsageError(`${option} takes KEY=VALUE, got "${pair}"`);
    out[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  return out;
}

/**
 * Secret `KEY=VALUE` pairs; a bare `KEY` takes its value from the environment variable of that
 * name, so the secret stays out of the shell history.
 */
export function secretMap(
  pairs: string[] | undefined,
  option: string,
  env: NodeJS.ProcessEnv,
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const pair of pairs ?? []) {
    const eq = pair.indexOf('=');
    // The text after `=` is a secret: the error names the flag, never the argument.
    if (eq === 0) throw new UsageError(`${option} takes KEY=VALUE or KEY; the KEY is empty`);
    if (eq > 0) {
      out[pair.slice(0, eq)] = pair.slice(eq + 1);
      continue;
    }
    const value = env[pair];
    if (value === undefined) {
      throw new UsageError(`${option} ${pair}: the environment variable ${pair} is not set`);
    }
    out[pair] = value;
  }
  return out;
}

/** A JSON object given inline, as `@file`, or as `-` for standard input. */
export function jsonObjectArg(raw: string, option: string): Record<string, unknown> {
  let text = raw;
  try {
    if (raw === '-') text = readFileSync(0, 'utf8');
    else if (raw.startsWith('@')) text = readFileSync(raw.slice(1), 'utf8');
  } catch (err) {
    throw new UsageError(`${option}: cannot read ${raw.slice(1)}: ${(err as Error).message}`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new UsageError(`${option}: not valid JSON: ${(err as Error).message}`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new UsageError(`${option}: must be a JSON object`);
  }
  return value as Record<string, unknown>;
}

export type SettingType = 'auto' | 'string' | 'boolean' | 'integer';

/** A setting's value from the command line: `auto` reads `true`/`false` and integers as such. */
export function settingValue(raw: string, type: SettingType): string | boolean | number {
  const asBoolean = raw === 'true' ? true : raw === 'false' ? false : undefined;
  const asInteger = /^-?\d{1,16}$/.test(raw) ? Number(raw) : undefined;
  switch (type) {
    case 'string':
      return raw;
    case 'boolean':
      if (asBoolean === undefined) throw new UsageError(`"${raw}" is not true or false`);
      return asBoolean;
    case 'integer':
      if (asInteger === undefined) throw new UsageError(`"${raw}" is not an integer`);
      return asInteger;
    default:
      return asBoolean ?? asInteger ?? raw;
  }
}

/** A JSON object read from a file named by `-f`, or from standard input for `-`. */
export function jsonFileArg(path: string, option: string): Record<string, unknown> {
  return jsonObjectArg(path === '-' ? '-' : `@${path}`, option);
}
