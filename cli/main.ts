import { readFileSync } from 'node:fs';
import { Command, CommanderError, Option } from 'commander';
import { ApiError, ConnectionError } from '#lib/client/errors.ts';
import { completionCommands } from './commands/completion.ts';
import { settingsCommands } from './commands/config.ts';
import { contextCommands } from './commands/context.ts';
import { inferenceCommands } from './commands/inference.ts';
import { loginCommands } from './commands/login.ts';
import { metaCommands } from './commands/meta.ts';
import { migrateCommands } from './commands/migrate.ts';
import { policyCommands } from './commands/policy.ts';
import { providerCommands } from './commands/providers.ts';
import { sandboxCommands } from './commands/sandboxes.ts';
import { serviceCommands } from './commands/services.ts';
import { sessionCommands } from './commands/sessions.ts';
import { completionLines } from './completion.ts';
import { DEFAULT_ENDPOINT } from './config.ts';
import type { CliIO } from './context.ts';
import { CommandFailed, EXIT_CODES_HELP, ExitCode, exitCodeOf } from './exit-codes.ts';
import { OUTPUT_HELP } from './output.ts';

const ENVIRONMENT_HELP = `Environment:
  SHELLGATE_ENDPOINT    the API (default: the context's endpoint, else the local
                        dev server: the url in .shellgate/local.json here, else
                        ${DEFAULT_ENDPOINT})
  SHELLGATE_TOKEN       bearer token (else the context's, else the one
                        \`shellgate login\` saved)
  SHELLGATE_CONTEXT     the context to use (else the current one)
  SHELLGATE_CONFIG_DIR  where \`login\` and \`context\` keep tokens and contexts
                        (default ~/.config/shellgate)`;

function version(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
    return String(pkg.version);
  } catch {
    return 'unknown';
  }
}

/** The `shellgate` program: every command, wired to `io`. */
export function buildProgram(io: CliIO, setExitCode: (code: number) => void): Command {
  const program = new Command('shellgate')
    .description('Command-line client of the shellgate API')
    .version(version(), '-V, --version')
    .addOption(new Option('--endpoint <url>', 'API base URL (env SHELLGATE_ENDPOINT)'))
    .addOption(new Option('--token <token>', 'bearer token (env SHELLGATE_TOKEN)'))
    .addOption(
      new Option(
        '--context <name>',
        'use a saved context (env SHELLGATE_CONTEXT; default: the current one)',
      ),
    )
    .addOption(
      new Option(
        '-o, --output <format>',
        `table (for people), or the API's JSON for scripts as ${OUTPUT_HELP.replace('table, ', '')}`,
      ).default('table'),
    )
    .addOption(new Option('--debug', 'show each request and response on stderr, secrets redacted'))
    .exitOverride()
    .configureOutput({
      writeOut: (s) => io.stdout.write(s),
      writeErr: (s) => io.stderr.write(s),
    })
    .showHelpAfterError('(add --help for usage)')
    .showSuggestionAfterError()
    .addHelpText('after', `\n${ENVIRONMENT_HELP}\n\n${EXIT_CODES_HELP}\n`);

  sandboxCommands(program, io);
  providerCommands(program, io);
  policyCommands(program, io);
  settingsCommands(program, io);
  sessionCommands(program, io);
  serviceCommands(program, io);
  inferenceCommands(program, io);
  migrateCommands(program, io, setExitCode);
  loginCommands(program, io);
  contextCommands(program, io);
  metaCommands(program, io);
  completionCommands(program, io);
  return program;
}

function describe(err: unknown, io: CliIO): string {
  if (err instanceof CommandFailed) return err.message;
  if (err instanceof ApiError) {
    const lines = err.errors.length
      ? ['Error: the request is invalid:', ...err.errors.map((e) => `  ${e.field}: ${e.message}`)]
      : [`Error: ${err.message}`];
    if (err.code === 'UNAUTHENTICATED') {
      lines.push(
        'Pass a token with --token or SHELLGATE_TOKEN, or run `shellgate login --dev` against the local dev server.',
      );
    }
    return lines.join('\n');
  }
  if (err instanceof ConnectionError) {
    const local = /^https?:\/\/(127\.0\.0\.1|localhost)[:/]/.test(err.endpoint);
    return `Error: ${err.message}${local ? '\nIs the local dev server running (`npm start`)?' : ''}`;
  }
  if (err instanceof Error) {
    return io.env.SHELLGATE_DEBUG ? `Error: ${err.stack}` : `Error: ${err.message}`;
  }
  return `Error: ${String(err)}`;
}

/** Runs one command line (without `node` and the script) and answers the exit code. */
export async function runCli(argv: readonly string[], io: CliIO): Promise<number> {
  let exitCode: number = ExitCode.ok;
  const program = buildProgram(io, (code) => {
    exitCode = code;
  });
  try {
    // What the completion scripts call: not parsed, since its words are a partial command line.
    if (argv[0] === '__complete') {
      io.stdout.write(completionLines(program, argv.slice(1), io.env));
      return ExitCode.ok;
    }
    await program.parseAsync([...argv], { from: 'user' });
    return exitCode;
  } catch (err) {
    if (err instanceof CommanderError) {
      // Commander printed the message (or the help) already.
      if (err.exitCode === 0) return ExitCode.ok;
      return ExitCode.invalid;
    }
    io.stderr.write(`${describe(err, io)}\n`);
    return exitCodeOf(err);
  }
}
