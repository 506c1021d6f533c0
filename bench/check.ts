/**
 * `npm run bench:check`: re-evaluates every target against the data the last `npm run bench`
 * embedded in bench/RESULTS.md, and exits non-zero when one is missed. `-- --render` first
 * renders the report again from that same data (after a change to the report's wording);
 * `-- --file FILE` checks (and renders) another report, e.g. one written with `--out`.
 */
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { renderReport } from './report.ts';
import { RESULTS_FILE, readResults } from './results.ts';
import { evaluate } from './targets.ts';

const { values } = parseArgs({
  options: { render: { type: 'boolean', default: false }, file: { type: 'string' } },
});
const file = values.file ? pathToFileURL(resolve(values.file)) : RESULTS_FILE;
const results = readResults(file);
if (values.render) writeFileSync(file, renderReport(results));
const outcomes = evaluate(results);
console.log(`${file.pathname} from ${results.startedAt} (${results.command})`);
for (const o of outcomes) {
  console.log(`${o.pass ? 'PASS' : 'FAIL'}  ${o.section}: ${o.target} — ${o.measured}`);
}
const failed = outcomes.filter((o) => !o.pass);
console.log(
  failed.length ? `${failed.length} of ${outcomes.length} targets missed` : 'every target met',
);
process.exitCode = failed.length ? 1 : 0;
