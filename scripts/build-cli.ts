import { build } from 'esbuild';

/**
 * `npm run build` (and `prepack`): the `shellgate` command as one JavaScript file,
 * `dist/cli.js`, for installed copies: Node strips no TypeScript under `node_modules`. The
 * packages it imports stay imports, resolved from the installing project's `node_modules`:
 * `test/cli/package.test.ts` checks that each is a runtime dependency.
 */
await build({
  entryPoints: ['cli/shellgate.ts'],
  outfile: 'dist/cli.js',
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node24',
  packages: 'external',
  legalComments: 'none',
  logLevel: 'warning',
});
