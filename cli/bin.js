#!/usr/bin/env node
// The package's `bin`: Node 24 runs the TypeScript entry directly (type stripping).
const [major] = process.versions.node.split('.').map(Number);
if (major < 24) {
  process.stderr.write(
    `shellgate needs Node.js 24 or later (this is ${process.version}); in the repository, run it with \`npx shellgate\`, which uses the project's Node 24.\n`,
  );
  process.exit(1);
}
await import('./shellgate.ts');
