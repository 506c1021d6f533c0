import { afterAll, beforeAll } from 'vitest';

// biome-ignore lint/suspicious/noExplicitAny: log records are whatever JSON the libraries wrote.
export type LogRecord = Record<string, any>;

export interface CapturedOutput {
  /**
   * The JSON lines written since the last call, from stdout and stderr (Powertools writes
   * errors and its own warnings to stderr), and stderr as it was written.
   */
  drain(): { records: LogRecord[]; stderr: string };
}

const parse = (text: string): LogRecord[] =>
  text
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l));

/**
 * Records what the test file's process writes to stdout and stderr (still passing it through),
 * from `beforeAll` to `afterAll`.
 */
export function captureOutput(): CapturedOutput {
  const out: string[] = [];
  const err: string[] = [];
  const original = { stdout: process.stdout.write, stderr: process.stderr.write };
  const tap = (stream: NodeJS.WriteStream, into: string[]) => {
    const write = stream.write.bind(stream);
    stream.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
      into.push(String(chunk));
      return (write as (...a: unknown[]) => boolean)(chunk, ...rest);
    }) as typeof stream.write;
  };
  beforeAll(() => {
    tap(process.stdout, out);
    tap(process.stderr, err);
  });
  afterAll(() => {
    process.stdout.write = original.stdout;
    process.stderr.write = original.stderr;
  });
  return {
    drain() {
      const stdout = out.splice(0).join('');
      const stderr = err.splice(0).join('');
      return { records: [...parse(stdout), ...parse(stderr)], stderr };
    },
  };
}

/** An EMF record: what CloudWatch turns into metrics. */
export const isEmf = (r: LogRecord) => r._aws?.CloudWatchMetrics !== undefined;
