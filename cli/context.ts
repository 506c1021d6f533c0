import type { Command } from 'commander';
import { ShellgateClient } from '#lib/client/client.ts';
import { findContext, type NamedContext, resolveEndpoint, resolveToken } from './config.ts';
import { debugFetch } from './debug.ts';
import { type OutputFormat, parseOutput, renderValue } from './output.ts';
import type { ProgressOutput } from './progress-bar.ts';

export interface CliIO {
  stdout: ProgressOutput;
  stderr: ProgressOutput;
  env: NodeJS.ProcessEnv;
  cwd: string;
}

interface GlobalOptions {
  endpoint?: string;
  token?: string;
  output?: string;
  context?: string;
  debug?: boolean;
}

/** What every command works with: where the API is, the client, and how to print. */
export class CliContext {
  readonly io: CliIO;
  readonly output: OutputFormat;
  readonly endpoint: string;
  /** The named context in use (`--context`, `SHELLGATE_CONTEXT`, else the current one). */
  readonly context?: NamedContext & { name: string };
  readonly debug: boolean;
  readonly #tokenFlag?: string;
  #client?: ShellgateClient;

  constructor(io: CliIO, options: GlobalOptions) {
    this.io = io;
    this.output = parseOutput(options.output);
    this.context = findContext(io.env, options.context);
    this.endpoint = resolveEndpoint(options.endpoint, io.env, io.cwd, this.context);
    this.debug = options.debug === true;
    this.#tokenFlag = options.token;
  }

  /** The context of the command being run, with the program's global options. */
  static of(command: Command, io: CliIO): CliContext {
    return new CliContext(io, command.optsWithGlobals<GlobalOptions>());
  }

  get token(): string | undefined {
    return resolveToken(this.#tokenFlag, this.io.env, this.endpoint, this.context);
  }

  /** `fetch`, showing each exchange on standard error with `--debug`. */
  get fetch(): typeof fetch {
    return this.debug ? debugFetch(globalThis.fetch, this.io.stderr) : globalThis.fetch;
  }

  get client(): ShellgateClient {
    this.#client ??= new ShellgateClient({
      endpoint: this.endpoint,
      token: this.token,
      userAgent: 'shellgate-cli',
      fetch: this.fetch,
    });
    return this.#client;
  }

  /** A format for scripts (`json`, `yaml`, `jsonpath=…`): the API's body, not a view. */
  get json(): boolean {
    return this.output.kind !== 'table';
  }

  /** Columns of the terminal standard output is, for tables; none when it is not one. */
  get width(): number | undefined {
    return this.io.stdout.isTTY && this.io.stdout.columns ? this.io.stdout.columns : undefined;
  }

  /** Writes lines to standard output. */
  print(text: string): void {
    this.io.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
  }

  /** Writes notices (and errors) to standard error. */
  note(text: string): void {
    this.io.stderr.write(text.endsWith('\n') ? text : `${text}\n`);
  }

  /** `-o json|yaml|jsonpath=…`: the value so rendered; otherwise the human rendering. */
  show(value: unknown, human: () => string): void {
    if (this.output.kind === 'table') this.print(human());
    else this.io.stdout.write(renderValue(this.output, value));
  }
}
