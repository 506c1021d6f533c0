import { UsageError } from './exit-codes.ts';

/**
 * `-o jsonpath=TEMPLATE`, as kubectl reads it: text with `{…}` expressions, each a path such
 * as `{.metadata.name}`, `{.items[*].metadata.name}`, `{.spec.providers[0]}` or
 * `{.metadata.labels['app.kubernetes.io/name']}`; `{range .items[*]}…{end}` repeats its body
 * for each match; `{"\n"}` is a literal. Several matches print separated by spaces, strings as
 * they are, other values as JSON; a path that matches nothing prints nothing.
 */

type Segment = { kind: 'key'; key: string } | { kind: 'index'; index: number } | { kind: 'all' };

type Node =
  | { kind: 'text'; text: string }
  | { kind: 'path'; path: Segment[] }
  | { kind: 'range'; path: Segment[]; body: Node[] };

/** Each step a path may take, and the segment it reads. */
const STEPS: Array<[RegExp, (m: RegExpExecArray) => Segment]> = [
  [/^(?:\.\*|\[\*\])/, () => ({ kind: 'all' })],
  [/^\.([A-Za-z0-9_$-]+)/, (m) => ({ kind: 'key', key: m[1]! })],
  [/^\[(-?\d+)\]/, (m) => ({ kind: 'index', index: Number(m[1]) })],
  [/^\[(?:'([^']*)'|"([^"]*)")\]/, (m) => ({ kind: 'key', key: m[1] ?? m[2]! })],
];

function parsePath(source: string): Segment[] {
  let rest = source.trim().replace(/^\$/, '');
  if (rest === '' || rest === '.' || rest === '@') return [];
  const segments: Segment[] = [];
  while (rest.length) {
    const step = STEPS.map(([re, make]) => [re.exec(rest), make] as const).find(([m]) => m);
    if (!step) throw new UsageError(`jsonpath: cannot read "${rest}" in {${source}}`);
    const [m, make] = step as [RegExpExecArray, (m: RegExpExecArray) => Segment];
    segments.push(make(m));
    rest = rest.slice(m[0].length);
  }
  return segments;
}

/** The template's expressions and text, `{range}` bodies nested. */
function parse(template: string): Node[] {
  const root: Node[] = [];
  const stack: Node[][] = [root];
  let i = 0;
  while (i < template.length) {
    const open = template.indexOf('{', i);
    const current = stack.at(-1)!;
    if (open === -1) {
      current.push({ kind: 'text', text: template.slice(i) });
      break;
    }
    if (open > i) current.push({ kind: 'text', text: template.slice(i, open) });
    const close = template.indexOf('}', open);
    if (close === -1) throw new UsageError(`jsonpath: unclosed { in ${template}`);
    const expr = template.slice(open + 1, close).trim();
    i = close + 1;
    if (/^"(?:[^"\\]|\\.)*"$/.test(expr)) {
      // `{"\n"}`, `{"\t"}`: JSON's escapes.
      current.push({ kind: 'text', text: JSON.parse(expr) as string });
    } else if (/^'[^']*'$/.test(expr)) {
      current.push({ kind: 'text', text: expr.slice(1, -1) });
    } else if (expr.startsWith('range ')) {
      const node: Node = { kind: 'range', path: parsePath(expr.slice(6)), body: [] };
      current.push(node);
      stack.push(node.body);
    } else if (expr === 'end') {
      if (stack.length === 1)
        throw new UsageError(`jsonpath: {end} without {range} in ${template}`);
      stack.pop();
    } else {
      current.push({ kind: 'path', path: parsePath(expr) });
    }
  }
  if (stack.length > 1) throw new UsageError(`jsonpath: {range} without {end} in ${template}`);
  return root;
}

function select(values: unknown[], path: Segment[]): unknown[] {
  let out = values;
  for (const s of path) {
    out = out.flatMap((v): unknown[] => {
      if (s.kind === 'all') {
        if (Array.isArray(v)) return v;
        return v !== null && typeof v === 'object' ? Object.values(v) : [];
      }
      if (s.kind === 'index') {
        if (!Array.isArray(v)) return [];
        const item = v.at(s.index);
        return item === undefined ? [] : [item];
      }
      if (v === null || typeof v !== 'object' || Array.isArray(v) || !Object.hasOwn(v, s.key)) {
        return [];
      }
      return [(v as Record<string, unknown>)[s.key]];
    });
  }
  return out;
}

const text = (v: unknown) => (typeof v === 'string' ? v : JSON.stringify(v));

function render(nodes: Node[], value: unknown): string {
  return nodes
    .map((node) => {
      if (node.kind === 'text') return node.text;
      if (node.kind === 'path') return select([value], node.path).map(text).join(' ');
      return select([value], node.path)
        .map((item) => render(node.body, item))
        .join('');
    })
    .join('');
}

/** Checks a template once, before any request is sent; answers its renderer. */
export function compileJsonPath(template: string): (value: unknown) => string {
  const nodes = parse(template);
  return (value) => render(nodes, value);
}
