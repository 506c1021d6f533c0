import type { Command } from 'commander';
import { collect, keyValueMap, secretMap } from '../args.ts';
import { CliContext, type CliIO } from '../context.ts';
import { UsageError } from '../exit-codes.ts';
import { addListOptions, fetchList, type ListOptions, printList } from '../lists.ts';
import { providerHeader, providerRow, providerView } from '../views.ts';
import { addIfVersion, type IfVersionOptions } from './common.ts';

interface CreateOptions {
  type: string;
  credential?: string[];
  config?: string[];
  label?: string[];
}

interface UpdateOptions extends IfVersionOptions {
  credential?: string[];
  config?: string[];
  deleteCredential?: string[];
  deleteConfig?: string[];
}

const emptied = (keys: string[] | undefined) =>
  Object.fromEntries((keys ?? []).map((k) => [k, '']));

export function providerCommands(program: Command, io: CliIO): void {
  const provider = program.command('provider').description('credentials for model and code hosts');

  provider
    .command('create')
    .description('create a provider (credentials are write-only: every response redacts them)')
    .argument('[name]', 'DNS label; generated when omitted')
    .requiredOption('--type <type>', 'provider type, e.g. openai, github')
    .option(
      '--credential <KEY=VALUE|KEY>',
      'a credential (repeatable); a bare KEY reads the value from the environment variable KEY',
      collect,
    )
    .option('--config <KEY=VALUE>', 'a config entry (repeatable)', collect)
    .option('--label <KEY=VALUE>', 'a label (repeatable)', collect)
    .action(async (name: string | undefined, opts: CreateOptions, cmd: Command) => {
      const ctx = CliContext.of(cmd, io);
      const created = await ctx.client.createProvider({
        body: {
          ...(name ? { name } : {}),
          type: opts.type,
          credentials: secretMap(opts.credential, '--credential', io.env),
          ...(opts.config ? { config: keyValueMap(opts.config, '--config') } : {}),
          ...(opts.label ? { labels: keyValueMap(opts.label, '--label') } : {}),
        },
      });
      ctx.show(
        created,
        () =>
          `✓ Created provider ${created.metadata.name} (resource version ${created.metadata.resourceVersion})`,
      );
    });

  provider
    .command('get')
    .description('show a provider')
    .argument('<name>')
    .action(async (name: string, _opts: unknown, cmd: Command) => {
      const ctx = CliContext.of(cmd, io);
      const p = await ctx.client.getProvider({ params: { name } });
      ctx.show(p, () => providerView(p));
    });

  addListOptions(provider.command('list').description('list providers')).action(
    async (opts: ListOptions, cmd: Command) => {
      const ctx = CliContext.of(cmd, io);
      const page = await fetchList(opts, (query) => ctx.client.listProviders({ query }));
      printList(ctx, page, providerHeader, providerRow, 'providers');
    },
  );

  addIfVersion(
    provider
      .command('update')
      .description('merge credentials and config key by key')
      .argument('<name>')
      .option('--credential <KEY=VALUE|KEY>', 'set a credential (repeatable)', collect)
      .option('--config <KEY=VALUE>', 'set a config entry (repeatable)', collect)
      .option('--delete-credential <KEY>', 'remove a credential (repeatable)', collect)
      .option('--delete-config <KEY>', 'remove a config entry (repeatable)', collect),
    'the provider',
  ).action(async (name: string, opts: UpdateOptions, cmd: Command) => {
    const ctx = CliContext.of(cmd, io);
    const credentials = {
      ...secretMap(opts.credential, '--credential', io.env),
      ...emptied(opts.deleteCredential),
    };
    const config = { ...keyValueMap(opts.config, '--config'), ...emptied(opts.deleteConfig) };
    if (!Object.keys(credentials).length && !Object.keys(config).length) {
      throw new UsageError(
        'nothing to update: give --credential, --config, --delete-credential or --delete-config',
      );
    }
    const updated = await ctx.client.updateProvider({
      params: { name },
      body: {
        ...(Object.keys(credentials).length ? { credentials } : {}),
        ...(Object.keys(config).length ? { config } : {}),
        ...(opts.ifVersion !== undefined ? { expectedResourceVersion: opts.ifVersion } : {}),
      },
    });
    ctx.show(
      updated,
      () => `✓ Updated provider ${name} (resource version ${updated.metadata.resourceVersion})`,
    );
  });

  addIfVersion(
    provider
      .command('delete')
      .description('delete a provider that no sandbox lists')
      .argument('<name>'),
    'the provider',
  ).action(async (name: string, opts: IfVersionOptions, cmd: Command) => {
    const ctx = CliContext.of(cmd, io);
    const deleted = await ctx.client.deleteProvider({
      params: { name },
      query: { expectedResourceVersion: opts.ifVersion },
    });
    ctx.show(deleted, () => `✓ Deleted provider ${name}`);
  });
}
