import { readFileSync } from 'node:fs';
import type { ApiOverheadResult, HandlerCpuRow } from './sections/api-overhead.ts';
import type { BackfillResult } from './sections/backfill.ts';
import type { ColdStartResult } from './sections/cold-start.ts';
import type { ContentionResult } from './sections/contention.ts';
import type { MeasuredCost } from './sections/requests.ts';
import type { StoreOverheadResult } from './sections/store-overhead.ts';
import type { WindowPlan } from './support/windows.ts';

/** Everything one `npm run bench` measured; RESULTS.md is rendered from it and embeds it. */
export interface BenchResults {
  schema: 1;
  command: string;
  startedAt: string;
  durationSeconds: number;
  /** A shortened run (`--quick`): fine for trying things out, not for `bench:check`. */
  quick: boolean;
  machine: {
    cpus: number;
    cpuModel: string;
    memoryGiB: number;
    os: string;
    /** 1-minute load average at the start and the end of the run (other work on the machine). */
    loadAverage: { start: number; end: number };
  };
  versions: Record<string, string>;
  plan: WindowPlan & {
    concurrencies: number[];
    writers: number[];
    contention: WindowPlan;
    backfillItems: number;
    backfillWindowMs: number;
    backfillSecondRuns: number;
    coldStartWindows: number;
  };
  sectionSeconds: Record<string, number>;
  requests?: MeasuredCost[];
  storeOverhead?: StoreOverheadResult;
  apiOverhead?: ApiOverheadResult;
  handlerCpu?: HandlerCpuRow[];
  contention?: ContentionResult;
  backfill?: BackfillResult;
  coldStart?: ColdStartResult;
}

export const RESULTS_FILE = new URL('./RESULTS.md', import.meta.url);

const BEGIN = '<!-- bench-data';
const END = 'bench-data -->';

/** The data rides along in RESULTS.md, so the report and what `bench:check` reads never part. */
export function embed(results: BenchResults): string {
  return `${BEGIN}\n${JSON.stringify(results)}\n${END}\n`;
}

export function readResults(file: URL = RESULTS_FILE): BenchResults {
  const text = readFileSync(file, 'utf8');
  const start = text.indexOf(BEGIN);
  const end = text.indexOf(END, start);
  if (start < 0 || end < 0) throw new Error(`${file.pathname} holds no bench data`);
  return JSON.parse(text.slice(start + BEGIN.length, end)) as BenchResults;
}
