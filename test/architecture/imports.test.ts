import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * The floors of the house and the directions they may import in (docs/contributing.md):
 * local → functions → lib/http → lib/api → lib/domain → lib/store, and lib never imports the
 * entry points, the local system, the CLI, the tests or the bench. Read from the sources, so it stays true.
 */

const ROOT = normalize(join(import.meta.dirname, '..', '..'));

function sources(dir: string): string[] {
  return readdirSync(join(ROOT, dir)).flatMap((entry) => {
    const path = join(dir, entry);
    if (statSync(join(ROOT, path)).isDirectory()) return sources(path);
    return path.endsWith('.ts') ? [path] : [];
  });
}

/** The repository-relative files a module imports (static and dynamic, types included). */
function importsOf(file: string): string[] {
  const text = readFileSync(join(ROOT, file), 'utf8');
  const specifiers = [
    ...text.matchAll(/(?:import|export)[^'"`;]*?from\s+['"]([^'"]+)['"]/g),
    ...text.matchAll(/import\(\s*['"]([^'"]+)['"]\s*\)/g),
  ].map((m) => m[1]!);
  return specifiers.flatMap((s) => {
    if (s.startsWith('#')) {
      const [alias, ...rest] = s.slice(1).split('/');
      return [join(alias!, ...rest)];
    }
    if (s.startsWith('.')) return [relative(ROOT, join(ROOT, dirname(file), s))];
    return [];
  });
}

const files = [
  ...sources('lib'),
  ...sources('functions'),
  ...sources('migrations'),
  ...sources('local'),
];
const graph = new Map(files.map((f) => [f, importsOf(f)]));

/** Which folders a folder must not import from. */
const FORBIDDEN: Array<{ from: string; not: string[] }> = [
  {
    from: 'lib/store/',
    not: [
      'lib/domain/',
      'lib/api/',
      'lib/http/',
      'lib/jobs/',
      'local/',
      'functions/',
      'migrations/',
    ],
  },
  {
    from: 'lib/domain/',
    not: ['lib/api/', 'lib/http/', 'lib/jobs/', 'local/', 'functions/', 'migrations/'],
  },
  { from: 'lib/api/', not: ['lib/http/', 'lib/jobs/', 'local/', 'functions/', 'migrations/'] },
  { from: 'lib/', not: ['functions/', 'local/', 'cli/', 'test/', 'bench/', 'cdk/'] },
  { from: 'functions/', not: ['local/', 'cli/', 'test/', 'bench/', 'cdk/'] },
];

describe('import directions', () => {
  for (const rule of FORBIDDEN) {
    it(`${rule.from} imports nothing from ${rule.not.join(', ')}`, () => {
      const violations = [...graph]
        .filter(([file]) => file.startsWith(rule.from))
        .flatMap(([file, deps]) =>
          deps.filter((d) => rule.not.some((n) => d.startsWith(n))).map((d) => `${file} → ${d}`),
        );
      expect(violations).toEqual([]);
    });
  }

  it('the layers below the HTTP layer have no import circle', () => {
    const inScope = (f: string) => /^lib\/(store|domain|api)\//.test(f);
    const cycles: string[] = [];
    const state = new Map<string, 'visiting' | 'done'>();
    const visit = (file: string, path: string[]) => {
      if (state.get(file) === 'done') return;
      if (state.get(file) === 'visiting') {
        cycles.push([...path.slice(path.indexOf(file)), file].join(' → '));
        return;
      }
      state.set(file, 'visiting');
      for (const dep of graph.get(file) ?? []) if (inScope(dep)) visit(dep, [...path, file]);
      state.set(file, 'done');
    };
    for (const file of graph.keys()) if (inScope(file)) visit(file, []);
    expect(cycles).toEqual([]);
  });
});
