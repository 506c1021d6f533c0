import { UsageError } from './exit-codes.ts';
import { compileJsonPath } from './jsonpath.ts';
import { toYaml } from './yaml.ts';

/**
 * `-o`: `table` (for people: tables, key/value views, one line per write) or a rendering of the
 * API's JSON body for scripts: `json`, `yaml`, or `jsonpath=TEMPLATE` (kubectl's syntax).
 */
export type OutputFormat =
  | { kind: 'table' }
  | { kind: 'json' }
  | { kind: 'yaml' }
  | { kind: 'jsonpath'; render: (value: unknown) => string };

export const OUTPUT_HELP = 'table, json, yaml, or jsonpath=TEMPLATE (e.g. {.metadata.name})';

/** The formats shell completion offers for `-o`. */
export const OUTPUT_CHOICES = ['table', 'json', 'yaml', 'jsonpath='];

export function parseOutput(raw: string | undefined): OutputFormat {
  if (raw === undefined || raw === 'table') return { kind: 'table' };
  if (raw === 'json' || raw === 'yaml') return { kind: raw };
  const jsonpath = /^jsonpath=(.*)$/s.exec(raw);
  if (jsonpath) {
    if (!jsonpath[1]) throw new UsageError('-o jsonpath= needs a template, e.g. {.metadata.name}');
    return { kind: 'jsonpath', render: compileJsonPath(jsonpath[1]) };
  }
  throw new UsageError(`--output must be ${OUTPUT_HELP}; got "${raw}"`);
}

/** The value as `format` prints it; a newline ends it. */
export function renderValue(format: Exclude<OutputFormat, { kind: 'table' }>, value: unknown) {
  if (format.kind === 'json') return `${JSON.stringify(value, null, 2)}\n`;
  if (format.kind === 'yaml') return toYaml(value);
  const out = format.render(value);
  return out.endsWith('\n') ? out : `${out}\n`;
}
