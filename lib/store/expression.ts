import { A, FROZEN, type Item, isLive, versionOf } from './attributes.ts';
import type { Change, Condition, Path } from './types.ts';

export type { Change, Condition, Path };

/**
 * The store's vocabulary for conditions and changes, in domain terms: a path names a field of
 * an object's data (`field('settings', key)`) or of a bookkeeping record (`record('sandbox')`),
 * never an attribute of the item layout. The store renders them to DynamoDB expressions and
 * evaluates the same conditions in memory, to explain a failed write from the item DynamoDB
 * returned with it.
 */

/** A field of an object's data, e.g. `field('spec', 'providers')`. */
export const field = (...keys: string[]): Path => ({ in: 'data', keys });
/** An attribute of a bookkeeping record, e.g. `record('sandbox')`. */
export const record = (...keys: string[]): Path => ({ in: 'record', keys });

/** Condition builders: `where.live()`, `where.equals(field('phase'), 'READY')`. */
export const where = {
  /** The item exists and is not a tombstone. */
  live: (): Condition => ({ is: 'live' }),
  /** No item, or a tombstone: the key is free. */
  absent: (): Condition => ({ is: 'absent' }),
  /** The object is at this version; an item written before versions existed is at 1. */
  version: (version: number): Condition => ({ is: 'version', version }),
  id: (id: string): Condition => ({ is: 'id', id }),
  /** No delete of an owner has frozen the object (see `Store.freeze`). */
  notFrozen: (): Condition => ({ is: 'notFrozen' }),
  /** The item's last write was not this request's (a retry of it finds its own receipt). */
  notReceipt: (receipt: string): Condition => ({ is: 'notReceipt', receipt }),
  equals: (path: Path, value: unknown): Condition => ({ is: 'equals', path, value }),
  /** The field is absent, or present with another value. */
  differs: (path: Path, value: unknown): Condition => ({ is: 'differs', path, value }),
  oneOf: (path: Path, values: readonly unknown[]): Condition => ({ is: 'oneOf', path, values }),
  present: (path: Path): Condition => ({ is: 'present', path }),
  missing: (path: Path): Condition => ({ is: 'missing', path }),
  /** A list (or string) field holds `value`. */
  contains: (path: Path, value: unknown): Condition => ({ is: 'contains', path, value }),
  /** A list field does not hold `value` (an absent list holds nothing). */
  excludes: (path: Path, value: unknown): Condition => ({ is: 'excludes', path, value }),
  /** A map or list field has fewer than `size` elements (absent counts as 0). */
  sizeBelow: (path: Path, size: number): Condition => ({ is: 'sizeBelow', path, size }),
  /** A number field is below `value` (an absent field is not). */
  below: (path: Path, value: number): Condition => ({ is: 'below', path, value }),
  /** A counter record's count is at most `value` (absent counts as 0). */
  counterAtMost: (value: number): Condition => ({ is: 'counterAtMost', value }),
  and: (...all: Condition[]): Condition => ({ is: 'and', all }),
  or: (...any: Condition[]): Condition => ({ is: 'or', any }),
};

/** A counter record's count. */
export const COUNT = 'ref_count';
export { FROZEN };

/**
 * Placeholders of one expression: each attribute name and value is named once, so a
 * request's expressions never carry item-layout names, and several ops of a transaction (each
 * with its own prefix) never collide.
 */
export class Placeholders {
  readonly names: Record<string, string> = {};
  readonly values: Record<string, unknown> = {};
  private readonly byName = new Map<string, string>();
  private nextValue = 0;
  private readonly prefix: string;

  constructor(prefix = '') {
    this.prefix = prefix;
  }

  name(attribute: string): string {
    let p = this.byName.get(attribute);
    if (!p) {
      p = `#${this.prefix}n${this.byName.size}`;
      this.byName.set(attribute, p);
      this.names[p] = attribute;
    }
    return p;
  }

  value(v: unknown): string {
    const p = `:${this.prefix}v${this.nextValue++}`;
    this.values[p] = v;
    return p;
  }

  /** The document path of `path` in the item: under `data` for an object's field. */
  path(path: Path): string {
    const attrs = path.in === 'data' ? [A.data, ...path.keys] : [...path.keys];
    return attrs.map((a) => this.name(a)).join('.');
  }

  /** Names and values, or undefined when there are none (DynamoDB refuses empty maps). */
  get namesOrUndefined() {
    return Object.keys(this.names).length ? this.names : undefined;
  }

  get valuesOrUndefined() {
    return Object.keys(this.values).length ? this.values : undefined;
  }
}

/** Renders a condition into a ConditionExpression with `p`'s placeholders. */
export function renderCondition(c: Condition, p: Placeholders): string {
  switch (c.is) {
    case 'live':
      return `attribute_exists(${p.name(A.pk)}) AND attribute_not_exists(${p.name(A.tombstone)})`;
    case 'absent':
      return `attribute_not_exists(${p.name(A.pk)}) OR ${p.name(A.tombstone)} = ${p.value(true)}`;
    case 'version': {
      const rv = p.name(A.version);
      const live = `attribute_not_exists(${p.name(A.tombstone)})`;
      const v = p.value(c.version);
      return c.version === 1
        ? `(${rv} = ${v} OR (attribute_not_exists(${rv}) AND attribute_exists(${p.name(A.pk)}))) AND ${live}`
        : `${rv} = ${v} AND ${live}`;
    }
    case 'id':
      return `${p.name(A.id)} = ${p.value(c.id)}`;
    case 'notFrozen':
      return `attribute_not_exists(${p.name(FROZEN)})`;
    case 'notReceipt':
      return `attribute_not_exists(${p.name(A.receipt)}) OR ${p.name(A.receipt)} <> ${p.value(c.receipt)}`;
    case 'equals':
      return `${p.path(c.path)} = ${p.value(c.value)}`;
    case 'differs': {
      const at = p.path(c.path);
      return `attribute_not_exists(${at}) OR ${at} <> ${p.value(c.value)}`;
    }
    case 'oneOf':
      return `${p.path(c.path)} IN (${c.values.map((v) => p.value(v)).join(', ')})`;
    case 'present':
      return `attribute_exists(${p.path(c.path)})`;
    case 'missing':
      return `attribute_not_exists(${p.path(c.path)})`;
    case 'contains':
      return `contains(${p.path(c.path)}, ${p.value(c.value)})`;
    case 'excludes':
      return `NOT contains(${p.path(c.path)}, ${p.value(c.value)})`;
    case 'sizeBelow': {
      const at = p.path(c.path);
      return `attribute_not_exists(${at}) OR size(${at}) < ${p.value(c.size)}`;
    }
    case 'below':
      return `${p.path(c.path)} < ${p.value(c.value)}`;
    case 'counterAtMost': {
      const at = p.name(COUNT);
      return `attribute_not_exists(${at}) OR ${at} <= ${p.value(c.value)}`;
    }
    case 'and':
    case 'or': {
      // Nested ANDs (ORs) are flattened and each operand is parenthesized once: DynamoDB
      // refuses redundant parentheses.
      const parts = flatten(c);
      if (parts.length === 1) return renderCondition(parts[0]!, p);
      return parts.map((x) => `(${renderCondition(x, p)})`).join(c.is === 'and' ? ' AND ' : ' OR ');
    }
  }
}

function flatten(c: Condition & { is: 'and' | 'or' }): Condition[] {
  const children = c.is === 'and' ? c.all : c.any;
  return children.flatMap((x) => (x.is === c.is ? flatten(x as typeof c) : [x]));
}

/** The value at `path` in a raw item, or undefined. */
export function valueAt(item: Item | undefined, path: Path): unknown {
  let at: unknown = path.in === 'data' ? item?.[A.data] : item;
  for (const k of path.keys) {
    if (at === null || typeof at !== 'object') return undefined;
    at = (at as Record<string, unknown>)[k];
  }
  return at;
}

const sameValue = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/** Whether a condition holds for a raw item (undefined: no item), as DynamoDB evaluates it. */
export function holds(c: Condition, item: Item | undefined): boolean {
  switch (c.is) {
    case 'live':
      return isLive(item);
    case 'absent':
      return !isLive(item);
    case 'version':
      return isLive(item) && versionOf(item) === c.version;
    case 'id':
      return item?.[A.id] === c.id;
    case 'notFrozen':
      return item?.[FROZEN] === undefined;
    case 'notReceipt':
      return item?.[A.receipt] !== c.receipt;
    case 'equals':
      return sameValue(valueAt(item, c.path), c.value);
    case 'differs': {
      const v = valueAt(item, c.path);
      return v === undefined || !sameValue(v, c.value);
    }
    case 'oneOf': {
      const v = valueAt(item, c.path);
      return c.values.some((x) => sameValue(x, v));
    }
    case 'present':
      return valueAt(item, c.path) !== undefined;
    case 'missing':
      return valueAt(item, c.path) === undefined;
    case 'contains': {
      const v = valueAt(item, c.path);
      if (Array.isArray(v)) return v.some((x) => sameValue(x, c.value));
      return typeof v === 'string' && typeof c.value === 'string' && v.includes(c.value);
    }
    case 'excludes':
      return !holds({ is: 'contains', path: c.path, value: c.value }, item);
    case 'sizeBelow': {
      const v = valueAt(item, c.path);
      if (v === undefined) return true;
      const size = Array.isArray(v)
        ? v.length
        : v && typeof v === 'object'
          ? Object.keys(v).length
          : 0;
      return size < c.size;
    }
    case 'below': {
      const v = valueAt(item, c.path);
      return typeof v === 'number' && v < c.value;
    }
    case 'counterAtMost': {
      const v = item?.[COUNT];
      return typeof v !== 'number' || v <= c.value;
    }
    case 'and':
      return c.all.every((x) => holds(x, item));
    case 'or':
      return c.any.some((x) => holds(x, item));
  }
}

export const change = {
  set: (path: readonly string[], value: unknown): Change => ({ op: 'set', path, value }),
  remove: (path: readonly string[]): Change => ({ op: 'remove', path }),
  append: (path: readonly string[], values: readonly unknown[]): Change => ({
    op: 'append',
    path,
    values,
  }),
  increment: (path: readonly string[], by = 1): Change => ({ op: 'increment', path, by }),
};

/** Applies changes to a copy of `data` (the in-memory twin of {@link renderChanges}). */
export function applyChanges<D>(data: D, changes: readonly Change[]): D {
  let out = structuredClone(data ?? {}) as Record<string, unknown>;
  for (const c of changes) {
    // An empty path is the whole data: `set([], value)` replaces it.
    if (c.path.length === 0) {
      if (c.op === 'set') out = structuredClone(c.value) as Record<string, unknown>;
      continue;
    }
    const parent = c.path.slice(0, -1).reduce<Record<string, unknown>>((at, k) => {
      if (at[k] === undefined || at[k] === null || typeof at[k] !== 'object') at[k] = {};
      return at[k] as Record<string, unknown>;
    }, out);
    const leaf = c.path[c.path.length - 1]!;
    if (c.op === 'set') parent[leaf] = structuredClone(c.value);
    else if (c.op === 'remove') delete parent[leaf];
    else if (c.op === 'append')
      parent[leaf] = [...((parent[leaf] as unknown[]) ?? []), ...c.values];
    else parent[leaf] = ((parent[leaf] as number | undefined) ?? 0) + c.by;
  }
  return out as D;
}

/** The condition under which `changes` change something: the no-op guard of a blind write. */
export function changesSomething(changes: readonly Change[]): Condition {
  const each = changes.map((c): Condition => {
    const at = field(...c.path);
    if (c.op === 'set') return where.differs(at, c.value);
    if (c.op === 'remove') return where.present(at);
    return { is: 'live' };
  });
  return each.length === 1 ? each[0]! : where.or(...each);
}

/** SET/REMOVE clauses of `changes` (paths under the item's data) with `p`'s placeholders. */
export function renderChanges(
  changes: readonly Change[],
  p: Placeholders,
): { set: string[]; remove: string[] } {
  const set: string[] = [];
  const remove: string[] = [];
  for (const c of changes) {
    const at = p.path(field(...c.path));
    if (c.op === 'set') set.push(`${at} = ${p.value(c.value)}`);
    else if (c.op === 'remove') remove.push(at);
    else if (c.op === 'append') {
      set.push(`${at} = list_append(if_not_exists(${at}, ${p.value([])}), ${p.value(c.values)})`);
    } else set.push(`${at} = if_not_exists(${at}, ${p.value(0)}) + ${p.value(c.by)}`);
  }
  return { set, remove };
}
