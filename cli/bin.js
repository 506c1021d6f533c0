#!/usr/bin/env node
// The package's `bin`. In the repository Node 24 runs the TypeScript entry directly (type
// stripping); an installed copy has only the bundle `npm pack` built, since Node strips no
// types under node_modules.
import { existsSync } from 'node:fs';

const [major] = process.versions.node.split('.').map(Number);
if (major < 24) {
  process.stderr.write(
    `shellgate needs Node.js 24 or later (this is ${process.version}); in the repository, run it with \`npx shellgate\`, which uses the project's Node 24.\n`,
  );
  process.exit(1);
}
const source = new URL('./shellgate.ts', import.meta.url);
await import(existsSync(source) ? source.href : '../dist/cli.js');
