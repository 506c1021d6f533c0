import type { Command } from 'commander';
import { ShellgateClient } from '#lib/client/client.ts';
import type { ProgressOutput } from '#lib/jobs/progress-bar.ts';
import { resolveEndpoint, resolveToken } from './config.ts';
import { UsageError } from './exit-codes.ts';

export interface CliIO {
  stdout: ProgressOutput;
  stderr: ProgressOutput;
  env: NodeJS.ProcessEnv;
  cwd: string;
}

export type OutputFormat = 'table' | 'json';

interface GlobalOptions {
  endpoint?: string;
  token?: string;
  output?: string;
}

/** What every command works with: where the API is, the client, and how to print. */
export class CliContext {
  readonly io: CliIO;
  readonly output: OutputFormat;
  readonly endpoint: string;
  readonly #tokenFlag?: string;
  #client?: ShellgateClient;

  constructor(io: CliIO, options: GlobalOptions) {
    this.io = io;
    if (options.output !== undefined && options.output !== 'table' && options.output !== 'json') {
      throw new UsageError(`--output must be table or json, got "${options.output}"`);
    }
    this.output = options.output ?? 'table';
    this.endpoint = resolveEndpoint(options.endpoint, io.env, io.cwd);
    this.#tokenFlag = options.token;
  }

  /** The context of the command being run, with the program's global options. */
  static of(command: Command, io: CliIO): CliContext {
    return new CliContext(io, command.optsWithGlobals<GlobalOptions>());
  }

  get token(): string | undefined {
    return resolveToken(this.#tokenFlag, this.io.env, this.endpoint);
  }

  get client(): ShellgateClient {
    this.#client ??= new ShellgateClient({
      endpoint: this.endpoint,
      token: this.token,
      userAgent: 'shellgate-cli',
    });
    return this.#client;
  }

  get json(): boolean {
    return this.output === 'json';
  }

  /** Writes lines to standard output. */
  print(text: string): void {
    this.io.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
  }

  /** Writes notices (and errors) to standard error. */
  note(text: string): void {
    this.io.stderr.write(text.endsWith('\n') ? text : `${text}\n`);
  }

  /** `-o json`: the value as JSON; otherwise the human rendering. */
  show(value: unknown, human: () => string): void {
    this.print(this.json ? JSON.stringify(value, null, 2) : human());
  }
}
