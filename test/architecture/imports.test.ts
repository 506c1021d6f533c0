import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * The floors of the house and the directions they may import in (docs/contributing.md):
 * local → functions → lib/http → lib/contract → lib/api → lib/domain → lib/store, the client
 * beside lib/http over lib/contract, and lib never imports the entry points, the local system,
 * the CLI, the tests or the bench. Read from the sources, so it stays true.
 */

const ROOT = normalize(join(import.meta.dirname, '..', '..'));

function sources(dir: string): string[] {
  return readdirSync(join(ROOT, dir)).flatMap((entry) => {
    const path = join(dir, entry);
    if (statSync(join(ROOT, path)).isDirectory()) return sources(path);
    return path.endsWith('.ts') ? [path] : [];
  });
}

/** What a module names in its imports: static and dynamic, and whether only for types. */
function specifiersOf(file: string): Array<{ specifier: string; typeOnly: boolean }> {
  const text = readFileSync(join(ROOT, file), 'utf8');
  return [
    ...[...text.matchAll(/(?:import|export)[^'"`;]*?from\s+['"]([^'"]+)['"]/g)].map((m) => ({
      specifier: m[1]!,
      typeOnly: /^(import|export)\s+type\b/.test(m[0]),
    })),
    ...[
      ...text.matchAll(/import\(\s*['"]([^'"]+)['"]\s*\)/g),
      ...text.matchAll(/^import\s+['"]([^'"]+)['"]/gm),
    ].map((m) => ({ specifier: m[1]!, typeOnly: false })),
  ];
}

/** A specifier as a repository-relative file, or undefined for a package. */
function resolve(file: string, specifier: string): string | undefined {
  if (specifier.startsWith('#')) {
    const [alias, ...rest] = specifier.slice(1).split('/');
    return join(alias!, ...rest);
  }
  if (specifier.startsWith('.')) return relative(ROOT, join(ROOT, dirname(file), specifier));
  return undefined;
}

/** The repository-relative files a module imports (static and dynamic, types included). */
function importsOf(file: string): string[] {
  return specifiersOf(file).flatMap(({ specifier }) => resolve(file, specifier) ?? []);
}

/** The package a bare specifier names: `zod/mini` → `zod`, `@aws-sdk/x/y` → `@aws-sdk/x`. */
const packageOf = (s: string) =>
  s
    .split('/')
    .slice(0, s.startsWith('@') ? 2 : 1)
    .join('/');

/**
 * Everything a module loads when it runs, itself included: the files and the packages its
 * imports reach, following every import that is not for types only.
 */
function runtimeClosure(entry: string): { files: Set<string>; packages: Set<string> } {
  const files = new Set<string>();
  const packages = new Set<string>();
  const queue = [entry];
  while (queue.length) {
    const file = queue.pop()!;
    if (files.has(file)) continue;
    files.add(file);
    for (const { specifier, typeOnly } of specifiersOf(file)) {
      if (typeOnly) continue;
      const target = resolve(file, specifier);
      if (target) queue.push(target);
      else if (!specifier.startsWith('node:')) packages.add(packageOf(specifier));
    }
  }
  return { files, packages };
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
      'lib/watch/',
      'lib/domain/',
      'lib/api/',
      'lib/contract/',
      'lib/http/',
      'lib/client/',
      'lib/jobs/',
      'local/',
      'functions/',
      'migrations/',
    ],
  },
  {
    from: 'lib/domain/',
    not: [
      'lib/watch/',
      'lib/api/',
      'lib/contract/',
      'lib/http/',
      'lib/client/',
      'lib/jobs/',
      'local/',
      'functions/',
      'migrations/',
    ],
  },
  {
    from: 'lib/api/',
    not: [
      'lib/watch/',
      'lib/contract/',
      'lib/http/',
      'lib/client/',
      'lib/jobs/',
      'local/',
      'functions/',
      'migrations/',
    ],
  },
  {
    from: 'lib/contract/',
    not: [
      'lib/watch/',
      'lib/http/',
      'lib/store/',
      'lib/client/',
      'lib/jobs/',
      'local/',
      'functions/',
      'migrations/',
    ],
  },
  {
    from: 'lib/client/',
    not: [
      'lib/watch/',
      'lib/http/',
      'lib/store/',
      'lib/domain/',
      'lib/jobs/',
      'local/',
      'functions/',
      'migrations/',
    ],
  },
  { from: 'lib/http/', not: ['lib/client/'] },
  {
    from: 'lib/watch/',
    not: ['lib/contract/', 'lib/http/', 'lib/client/', 'lib/jobs/', 'local/', 'functions/'],
  },
  { from: 'lib/', not: ['functions/', 'local/', 'cli/', 'test/', 'bench/', 'cdk/'] },
  { from: 'functions/', not: ['local/', 'cli/', 'test/', 'bench/', 'cdk/'] },
];

/**
 * What a contract may import: the wire's schemas (and, for types, the response schemas), the
 * domain's data types and limits, and zod. No use-case, no store, no SDK: the client and the
 * OpenAPI document load the contracts without them.
 */
const CONTRACT_MAY_IMPORT = [
  /^lib\/contract\//,
  /^lib\/api\/schemas(\.ts|\/)/,
  /^lib\/api\/view-schemas\.ts$/,
  /^lib\/domain\/(types|limits)\.ts$/,
];

/** What the typed client may load when it runs: the contracts and the wire below them. */
const CLIENT_MAY_LOAD = [
  /^lib\/client\//,
  /^lib\/contract\//,
  /^lib\/api\/schemas(\.ts|\/)/,
  // A kind's views: how an object renders and its response schemas, built on first use.
  /^lib\/api\/(render|kind-views)\.ts$/,
  // network-rules: the pure normalization the policy schemas run (no store, no use-case).
  /^lib\/domain\/(keys|limits|types|network-rules)\.ts$/,
  /^lib\/errors\.ts$/,
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

  it('lib/contract imports only the wire schemas, the domain types and limits, and zod', () => {
    const violations = [...graph.keys()]
      .filter((file) => file.startsWith('lib/contract/'))
      .flatMap((file) =>
        specifiersOf(file)
          .map(({ specifier }) => resolve(file, specifier) ?? packageOf(specifier))
          .filter((d) => d !== 'zod' && !CONTRACT_MAY_IMPORT.some((allowed) => allowed.test(d)))
          .map((d) => `${file} → ${d}`),
      );
    expect(violations).toEqual([]);
  });

  it('the typed client loads no use-case, no store, no HTTP layer and no SDK when it runs', () => {
    const loaded = [...graph.keys()]
      .filter((file) => file.startsWith('lib/client/'))
      .map(runtimeClosure);
    const files = new Set(loaded.flatMap((l) => [...l.files]));
    const packages = new Set(loaded.flatMap((l) => [...l.packages]));
    expect([...files].filter((f) => !CLIENT_MAY_LOAD.some((allowed) => allowed.test(f)))).toEqual(
      [],
    );
    expect([...packages]).toEqual(['zod']);
  });

  it('the library has no import circle, the HTTP layer and the contracts included', () => {
    const inScope = (f: string) => /^lib\/(store|domain|api|contract|http|client)\//.test(f);
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
