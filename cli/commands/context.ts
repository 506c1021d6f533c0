import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import {
  CONTEXT_NAME,
  deleteContext,
  findContext,
  listContexts,
  saveContext,
  useContext,
} from '../config.ts';
import { CliContext, type CliIO } from '../context.ts';
import { CommandFailed, ExitCode, UsageError } from '../exit-codes.ts';
import { table } from '../format.ts';

interface SetOptions {
  endpoint?: string;
  token?: string;
  withToken?: boolean;
}

function checkName(name: string): string {
  if (!CONTEXT_NAME.test(name)) {
    throw new UsageError(
      `context names are 1–63 letters, digits, ".", "_" or "-", starting with a letter or digit; got "${name}"`,
    );
  }
  return name;
}

/**
 * `shellgate context`: named endpoints and their tokens, as kubectl's contexts (`kubectl config
 * use-context`) and gh's hosts. Kept in `credentials.json` beside the tokens `login` saves.
 */
export function contextCommands(program: Command, io: CliIO): void {
  const group = program
    .command('context')
    .description('named endpoints (and tokens) to switch between: dev, staging, prod');

  // `--endpoint` and `--token` are the program's own options, which may come anywhere.
  group
    .command('set')
    .description(
      'create or change a context: --endpoint URL, and --token TOKEN or --with-token (kept in credentials.json, mode 0600)',
    )
    .usage('<name> [--endpoint URL] [--token TOKEN | --with-token]')
    .argument('<name>')
    .option('--with-token', 'read the token from standard input')
    .action((name: string, _opts: unknown, cmd: Command) => {
      const opts = cmd.optsWithGlobals<SetOptions>();
      const token = opts.withToken ? readFileSync(0, 'utf8').trim() : opts.token;
      const existed = listContexts(io.env).some((c) => c.name === name);
      const file = saveContext(io.env, checkName(name), { endpoint: opts.endpoint, token });
      io.stdout.write(`✓ ${existed ? 'Changed' : 'Created'} context ${name}\n`);
      io.stderr.write(`Saved in ${file}\n`);
    });

  group
    .command('use')
    .description('make a context the current one: commands then talk to its endpoint')
    .argument('<name>')
    .action((name: string) => {
      useContext(io.env, name);
      const chosen = findContext(io.env, name)!;
      io.stdout.write(`✓ Switched to context ${name} (${chosen.endpoint})\n`);
      if (io.env.SHELLGATE_ENDPOINT) {
        io.stderr.write('Note: SHELLGATE_ENDPOINT is set and takes precedence over the context.\n');
      }
    });

  group
    .command('list')
    .description('the saved contexts; * marks the current one')
    .action((_opts: unknown, cmd: Command) => {
      const ctx = new CliContext(io, { output: cmd.optsWithGlobals<{ output?: string }>().output });
      const contexts = listContexts(io.env);
      // Tokens are never printed: only whether a context has one.
      const items = contexts.map(({ token, ...c }) => ({ ...c, hasToken: token !== undefined }));
      if (ctx.json) {
        ctx.show({ items }, () => '');
        return;
      }
      if (!items.length) {
        ctx.note('No contexts. Create one with `shellgate context set NAME --endpoint URL`.');
        return;
      }
      ctx.print(
        table(
          ['CURRENT', 'NAME', 'ENDPOINT', 'TOKEN'],
          items.map((c) => [c.current ? '*' : '', c.name, c.endpoint, c.hasToken ? 'yes' : '-']),
          ctx.width,
        ),
      );
    });

  group
    .command('current')
    .description('the name of the current context')
    .action(() => {
      const current = listContexts(io.env).find((c) => c.current);
      if (!current) throw new CommandFailed('No current context.', ExitCode.notFound);
      io.stdout.write(`${current.name}\n`);
    });

  group
    .command('delete')
    .description('forget a context')
    .argument('<name>')
    .action((name: string) => {
      if (!deleteContext(io.env, name)) {
        throw new CommandFailed(`No context named ${name}.`, ExitCode.notFound);
      }
      io.stdout.write(`✓ Deleted context ${name}\n`);
    });
}
