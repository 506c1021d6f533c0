/**
 * JSON values as YAML, the way `kubectl -o yaml` prints objects: block maps and sequences,
 * two-space indents, strings plain where YAML would read them back as the same string and
 * double-quoted (JSON escapes, which YAML shares) everywhere else.
 */

/** Plain scalars that YAML 1.1 or 1.2 would read as something other than a string. */
const NOT_A_STRING =
  /^(?:~|null|Null|NULL|true|True|TRUE|false|False|FALSE|y|Y|yes|Yes|YES|n|N|no|No|NO|on|On|ON|off|Off|OFF|[-+]?(?:\d[\d_]*(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN)|0x[0-9a-fA-F_]+|0o?[0-7_]+|0b[01_]+|\d{4}-\d\d?-\d\d?(?:[Tt ].*)?|[-+]?\d[\d_]*(?::[0-5]?\d)+(?:\.\d*)?)$/;

/** Whether a string can be written plain and still be read back as itself. */
function isPlain(s: string): boolean {
  return (
    s.length > 0 &&
    !NOT_A_STRING.test(s) &&
    // Indicators at the start, comments, mapping separators, flow characters, and anything
    // that is not printable ASCII are quoted.
    !/^[-?:,[\]{}#&*!|>'"%@`\s]/.test(s) &&
    !/\s$/.test(s) &&
    !/: |:$| #|[,[\]{}]/.test(s) &&
    /^[\x20-\x7e]+$/.test(s)
  );
}

const scalar = (s: string) => (isPlain(s) ? s : JSON.stringify(s));

function isBlock(value: unknown): value is object {
  if (Array.isArray(value)) return value.length > 0;
  return value !== null && typeof value === 'object' && Object.keys(value).length > 0;
}

function inline(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'string') return scalar(value);
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return Array.isArray(value) ? '[]' : '{}';
}

function lines(value: unknown, indent: string): string[] {
  if (Array.isArray(value)) {
    return value.flatMap((item) => {
      if (!isBlock(item)) return [`${indent}- ${inline(item)}`];
      const [first = '', ...rest] = lines(item, `${indent}  `);
      // The first entry of a map in a sequence shares the line with its dash.
      return Array.isArray(item)
        ? [`${indent}-`, first, ...rest]
        : [`${indent}- ${first.trimStart()}`, ...rest];
    });
  }
  return Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .flatMap(([key, v]) =>
      isBlock(v)
        ? [`${indent}${scalar(key)}:`, ...lines(v, `${indent}  `)]
        : [`${indent}${scalar(key)}: ${inline(v)}`],
    );
}

/** The value as a YAML document (without `---`), ending in a newline. */
export function toYaml(value: unknown): string {
  return `${isBlock(value) ? lines(value, '').join('\n') : inline(value)}\n`;
}
