/** Plain-text tables and key/value views for terminals. */

/** Columns padded to their widest cell, two spaces apart. */
export function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i] ?? 0))
      .join('  ')
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
