/** Plain-text tables and key/value views for terminals. */

const GAP = 2;
/** A column is not cut narrower than its header or this. */
const MIN_COLUMN = 6;

/**
 * The column widths that fit `maxWidth`: while the line is too wide, the widest column but
 * the first (the name, which a command needs whole) gives up a character, down to its header
 * or {@link MIN_COLUMN}. What cannot fit then overflows, as it would without a width.
 */
function fitWidths(header: string[], natural: number[], maxWidth: number): number[] {
  const widths = [...natural];
  const total = () => widths.reduce((a, b) => a + b, 0) + GAP * (widths.length - 1);
  while (total() > maxWidth) {
    let widest = -1;
    for (let i = 1; i < widths.length; i++) {
      const floor = Math.max(header[i]!.length, MIN_COLUMN);
      if (widths[i]! > floor && (widest === -1 || widths[i]! > widths[widest]!)) widest = i;
    }
    if (widest === -1) break;
    widths[widest]!--;
  }
  return widths;
}

/** A cell cut to `width` characters, its end replaced by `…`. */
const cut = (cell: string, width: number) =>
  cell.length <= width ? cell : `${cell.slice(0, Math.max(0, width - 1))}…`;

/**
 * Columns padded to their widest cell, two spaces apart. With `maxWidth` (the terminal's
 * columns), wide cells are cut with `…` so that each line fits, as gh does on a terminal;
 * without it (a pipe, a file) nothing is cut.
 */
export function table(header: string[], rows: string[][], maxWidth?: number): string {
  const natural = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const widths = maxWidth ? fitWidths(header, natural, maxWidth) : natural;
  const line = (cells: string[]) =>
    cells
      .map((c, i) => cut(c, widths[i] ?? c.length).padEnd(widths[i] ?? 0))
      .join(' '.repeat(GAP))
      .trimEnd();
  return [line(header), ...rows.map(line)].join('\n');
}

export type Field = [label: string, value: string | number | boolean | null | undefined];

/** `Label:  value` lines with the values aligned; a multi-line value is indented under its label. */
export function keyValues(fields: Field[]): string {
  const width = Math.max(...fields.map(([label]) => label.length)) + 2;
  return fields
    .map(([label, value]) => {
      const text = value === undefined || value === null || value === '' ? '-' : String(value);
      const [first = '', ...rest] = text.split('\n');
      const head = `${`${label}:`.padEnd(width)}${first}`;
      return [head, ...rest.map((l) => `${' '.repeat(width)}${l}`)].join('\n');
    })
    .join('\n');
}

/** `k=v, k2=v2`, or `-` for an empty map. */
export function mapText(map: Record<string, unknown> | undefined): string {
  const entries = Object.entries(map ?? {});
  return entries.length ? entries.map(([k, v]) => `${k}=${String(v)}`).join(', ') : '-';
}

export function listText(items: readonly string[] | undefined): string {
  return items?.length ? items.join(', ') : '-';
}

/** Age as kubectl shows it: `42s`, `5m`, `3h`, `12d`. */
export function age(iso: string | null | undefined, now = Date.now()): string {
  if (!iso) return '-';
  const seconds = Math.max(0, Math.floor((now - Date.parse(iso)) / 1000));
  if (!Number.isFinite(seconds)) return '-';
  if (seconds < 120) return `${seconds}s`;
  if (seconds < 2 * 3600) return `${Math.floor(seconds / 60)}m`;
  if (seconds < 2 * 86_400) return `${Math.floor(seconds / 3600)}h`;
  return `${Math.floor(seconds / 86_400)}d`;
}

/** Pretty JSON for values shown inside a view (policies), or `-`. */
export function jsonText(value: unknown): string {
  return value === undefined || value === null ? '-' : JSON.stringify(value, null, 2);
}
