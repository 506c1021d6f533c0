import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { openApiDocument } from '#lib/http/openapi.ts';

/**
 * `npm run openapi`: writes the OpenAPI document generated from the contract table to
 * `openapi.json`, formatted as Biome formats it. `test/api/openapi.test.ts` fails when the file
 * is not what the contract table generates.
 */
const file = fileURLToPath(new URL('../openapi.json', import.meta.url));
writeFileSync(file, `${JSON.stringify(openApiDocument(), null, 2)}\n`);
const biome = fileURLToPath(new URL('../node_modules/.bin/biome', import.meta.url));
const formatted = spawnSync(biome, ['format', '--write', file], { stdio: 'inherit' });
if (formatted.status !== 0) process.exit(formatted.status ?? 1);
console.log(`wrote ${file}`);
