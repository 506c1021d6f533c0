import type { Command } from 'commander';
import { integer } from '../args.ts';
import { readLocalState } from '../config.ts';
import { CliContext, type CliIO } from '../context.ts';
import { UsageError } from '../exit-codes.ts';
import { fittedProgressOutput } from '../progress.ts';

interface DatabaseOptions {
  dynamoEndpoint?: string;
  table?: string;
  region?: string;
}

interface RunOptions extends DatabaseOptions {
  dryRun?: boolean;
  segments?: number;
  rate?: number;
}

/**
 * Which table to migrate: the flags and `DYNAMODB_ENDPOINT`/`SHELLGATE_TABLE` when any is given,
 * else the local dev server's (`.shellgate/local.json`). No endpoint means AWS itself.
 */
export function resolveDatabase(opts: DatabaseOptions, io: CliIO) {
  const explicit = {
    endpoint: opts.dynamoEndpoint ?? io.env.DYNAMODB_ENDPOINT,
    table: opts.table ?? io.env.SHELLGATE_TABLE,
  };
  const chosen =
    explicit.endpoint || explicit.table
      ? explicit
      : (() => {
          const local = readLocalState(io.cwd);
          return { endpoint: local.dynamoEndpoint, table: local.table };
        })();
  if (!chosen.table) {
    throw new UsageError(
      'which table? give --table (and --dynamo-endpoint for DynamoDB Local), set SHELLGATE_TABLE, or run it next to `npm start`',
    );
  }
  return { endpoint: chosen.endpoint || undefined, table: chosen.table, region: opts.region };
}

function addDatabaseOptions(command: Command): Command {
  return command
    .option(
      '--dynamo-endpoint <url>',
      'DynamoDB endpoint, e.g. DynamoDB Local (env DYNAMODB_ENDPOINT)',
    )
    .option('--table <name>', 'the table (env SHELLGATE_TABLE)')
    .option('--region <region>', 'AWS region (default AWS_REGION)');
}

async function migrate(action: 'status' | 'run', opts: RunOptions, cmd: Command, io: CliIO) {
  const ctx = CliContext.of(cmd, io);
  const db = resolveDatabase(opts, io);
  // Loaded only here: the other commands never load the AWS SDK.
  const [{ createDocumentClient, Store }, { migrateCommand }] = await Promise.all([
    import('#lib/store/index.ts'),
    import('../migrate.ts'),
  ]);
  ctx.note(
    `Table ${db.table} on ${db.endpoint ?? `AWS DynamoDB (${db.region ?? io.env.AWS_REGION ?? 'default region'})`}`,
  );
  const client = createDocumentClient({ endpoint: db.endpoint, region: db.region });
  // yaml and jsonpath render the JSON the command writes.
  let json = '';
  const stdout = ctx.json ? { write: (chunk: string) => (json += chunk) } : io.stdout;
  try {
    const code = await migrateCommand(
      new Store(client, db.table),
      {
        action,
        dryRun: opts.dryRun,
        segments: opts.segments,
        rate: opts.rate,
        output: ctx.json ? 'json' : 'table',
      },
      { stdout, stderr: fittedProgressOutput(io.stderr) },
    );
    if (ctx.json) ctx.show(JSON.parse(json), () => json);
    return code;
  } finally {
    client.destroy();
  }
}

/** `migrate status|run`: works on the table directly (not through the API). */
export function migrateCommands(program: Command, io: CliIO, setExitCode: (code: number) => void) {
  const group = program
    .command('migrate')
    .description('data migrations, run directly against the DynamoDB table');

  addDatabaseOptions(group.command('status').description('state of every migration')).action(
    async (opts: DatabaseOptions, cmd: Command) => {
      setExitCode(await migrate('status', opts, cmd, io));
    },
  );

  addDatabaseOptions(
    group
      .command('run')
      .description(
        'run pending migrations (resumable; a progress bar on a terminal, plain lines otherwise)',
      )
      .option('--dry-run', 'count what would be written; write nothing')
      .option('--segments <n>', 'parallel scan segments (default 16)', integer)
      .option('--rate <n>', 'write units per second, 0 = no limit (default 500)', integer),
  ).action(async (opts: RunOptions, cmd: Command) => {
    setExitCode(await migrate('run', opts, cmd, io));
  });
}
