import type { Command } from 'commander';
import { collect, jsonObjectArg, keyValueMap } from '../args.ts';
import { CliContext, type CliIO } from '../context.ts';
import { UsageError } from '../exit-codes.ts';
import { addListOptions, fetchList, type ListOptions, printList } from '../lists.ts';
import { sandboxHeader, sandboxRow, sandboxView } from '../views.ts';
import { attachmentCommands } from './attachments.ts';
import { addIfVersion, type IfVersionOptions } from './common.ts';

interface CreateOptions {
  image?: string;
  env?: string[];
  provider?: string[];
  label?: string[];
  policy?: string;
  logLevel?: 'trace' | 'debug' | 'info' | 'warn' | 'error';
  gpu?: boolean;
}

interface StatusOptions extends IfVersionOptions {
  condition?: string[];
}

const PHASES = ['PROVISIONING', 'READY', 'ERROR', 'UNKNOWN'] as const;
type ReportedPhase = (typeof PHASES)[number];
const CONDITION_STATUSES = ['True', 'False', 'Unknown'] as const;

/** `TYPE=STATUS[:REASON[:MESSAGE]]`, e.g. `Ready=False:ImagePull:image not found`. */
export function parseCondition(raw: string) {
  const eq = raw.indexOf('=');
  if (eq <= 0)
    throw new UsageError(`--condition takes TYPE=STATUS[:REASON[:MESSAGE]], got "${raw}"`);
  const [status = '', reason, ...message] = raw.slice(eq + 1).split(':');
  if (!(CONDITION_STATUSES as readonly string[]).includes(status)) {
    throw new UsageError(`--condition ${raw}: status must be True, False or Unknown`);
  }
  return {
    type: raw.slice(0, eq),
    status: status as (typeof CONDITION_STATUSES)[number],
    ...(reason ? { reason } : {}),
    ...(message.length ? { message: message.join(':') } : {}),
  };
}

export function sandboxCommands(program: Command, io: CliIO): void {
  const sandbox = program.command('sandbox').description('sandboxes: where agents run');

  sandbox
    .command('create')
    .description('create a sandbox (every listed provider must exist)')
    .argument('[name]', 'DNS label; generated when omitted')
    .option('--image <image>', 'container image')
    .option('--env <KEY=VALUE>', 'an environment variable (repeatable)', collect)
    .option('--provider <name>', 'a provider to attach, in order (repeatable)', collect)
    .option('--label <KEY=VALUE>', 'a label (repeatable)', collect)
    .option('--policy <json|@file|->', 'the first policy, a JSON object')
    .option('--log-level <level>', 'trace, debug, info, warn or error')
    .option('--gpu', 'give the sandbox a GPU')
    .action(async (name: string | undefined, opts: CreateOptions, cmd: Command) => {
      const ctx = CliContext.of(cmd, io);
      const created = await ctx.client.createSandbox({
        body: {
          ...(name ? { name } : {}),
          ...(opts.label ? { labels: keyValueMap(opts.label, '--label') } : {}),
          spec: {
            ...(opts.image ? { image: opts.image } : {}),
            ...(opts.env ? { environment: keyValueMap(opts.env, '--env') } : {}),
            ...(opts.provider ? { providers: opts.provider } : {}),
            ...(opts.policy ? { policy: jsonObjectArg(opts.policy, '--policy') } : {}),
            ...(opts.logLevel ? { logLevel: opts.logLevel } : {}),
            ...(opts.gpu ? { gpu: true } : {}),
          },
        },
      });
      ctx.show(
        created,
        () =>
          `✓ Created sandbox ${created.metadata.name} (phase ${created.phase}, resource version ${created.metadata.resourceVersion})`,
      );
    });

  sandbox
    .command('get')
    .description('show a sandbox')
    .argument('<name>')
    .action(async (name: string, _opts: unknown, cmd: Command) => {
      const ctx = CliContext.of(cmd, io);
      const s = await ctx.client.getSandbox({ params: { name } });
      ctx.show(s, () => sandboxView(s));
    });

  addListOptions(
    sandbox
      .command('list')
      .description('list sandboxes')
      .option('-l, --selector <k=v,…>', 'only sandboxes with all these labels'),
  ).action(async (opts: ListOptions & { selector?: string }, cmd: Command) => {
    const ctx = CliContext.of(cmd, io);
    const page = await fetchList(opts, (query) =>
      ctx.client.listSandboxes({ query: { ...query, labelSelector: opts.selector } }),
    );
    printList(ctx, page, sandboxHeader, sandboxRow, 'sandboxes');
  });

  addIfVersion(
    sandbox
      .command('delete')
      .description('delete a sandbox and everything it owns (config, sessions, services)')
      .argument('<name>'),
    'the sandbox',
  ).action(async (name: string, opts: IfVersionOptions, cmd: Command) => {
    const ctx = CliContext.of(cmd, io);
    const deleted = await ctx.client.deleteSandbox({
      params: { name },
      query: { expectedResourceVersion: opts.ifVersion },
    });
    ctx.show(deleted, () => `✓ Deleted sandbox ${name}`);
  });

  const status = sandbox.command('status').description("report a sandbox's phase and conditions");
  addIfVersion(
    status
      .command('set')
      .description('report phase and conditions, as the compute driver does')
      .argument('<name>')
      .argument('<phase>', PHASES.join(', '))
      .option(
        '--condition <TYPE=STATUS[:REASON[:MESSAGE]]>',
        'a condition, e.g. Ready=True (repeatable)',
        collect,
      ),
    'the sandbox',
  ).action(async (name: string, phase: string, opts: StatusOptions, cmd: Command) => {
    const ctx = CliContext.of(cmd, io);
    const upper = phase.toUpperCase();
    if (!(PHASES as readonly string[]).includes(upper)) {
      throw new UsageError(`phase must be one of ${PHASES.join(', ')}, got "${phase}"`);
    }
    const updated = await ctx.client.reportSandboxStatus({
      params: { name },
      body: {
        phase: upper as ReportedPhase,
        ...(opts.condition ? { conditions: opts.condition.map(parseCondition) } : {}),
        ...(opts.ifVersion !== undefined ? { expectedResourceVersion: opts.ifVersion } : {}),
      },
    });
    ctx.show(
      updated,
      () =>
        `✓ Sandbox ${name} is ${updated.phase} (resource version ${updated.metadata.resourceVersion})`,
    );
  });

  attachmentCommands(sandbox, io);
}
