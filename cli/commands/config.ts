import { Argument, type Command, Option } from 'commander';
import { integer, jsonObjectArg, type SettingType, settingValue } from '../args.ts';
import { CliContext, type CliIO } from '../context.ts';
import { UsageError } from '../exit-codes.ts';
import { addListOptions, fetchList, type ListOptions, printList } from '../lists.ts';
import { policyView, revisionHeader, revisionRow, type Settings, settingsView } from '../views.ts';
import { addIfVersion, type IfVersionOptions } from './common.ts';

interface ScopeOptions {
  sandbox?: string;
  global?: boolean;
}

/** `--sandbox NAME` or `--global` (the default); not both. */
function scopeOf(opts: ScopeOptions): string | undefined {
  if (opts.sandbox && opts.global)
    throw new UsageError('give --sandbox NAME or --global, not both');
  return opts.sandbox;
}

function addScope(command: Command): Command {
  return command
    .option('--sandbox <name>', "a sandbox's settings")
    .option('--global', 'the gateway-wide settings (the default)');
}

const scopeText = (sandbox: string | undefined) => (sandbox ? `sandbox ${sandbox}` : 'global');

export function policyCommands(program: Command, io: CliIO): void {
  const policy = program.command('policy').description("a sandbox's policy and its revisions");

  policy
    .command('get')
    .description("show a sandbox's policy and policy versions")
    .argument('<sandbox>')
    .action(async (name: string, _opts: unknown, cmd: Command) => {
      const ctx = CliContext.of(cmd, io);
      const config = await ctx.client.getSandboxConfig({ params: { name } });
      ctx.show(config, () => policyView(config));
    });

  addIfVersion(
    policy
      .command('set')
      .description('set the policy: creates revision N+1 (PENDING until the supervisor loads it)')
      .argument('<sandbox>')
      .argument('<policy>', 'a JSON object, @file, or - for standard input'),
    'the sandbox',
  ).action(async (name: string, raw: string, opts: IfVersionOptions, cmd: Command) => {
    const ctx = CliContext.of(cmd, io);
    const res = await ctx.client.putPolicy({
      params: { name },
      body: {
        policy: jsonObjectArg(raw, 'policy'),
        ...(opts.ifVersion !== undefined ? { expectedResourceVersion: opts.ifVersion } : {}),
      },
    });
    ctx.show(
      res,
      () =>
        `✓ Policy revision ${res.revision.version} of sandbox ${name} is ${res.revision.status} (sandbox resource version ${res.sandbox.metadata.resourceVersion})`,
    );
  });

  addListOptions(
    policy.command('revisions').description('policy revisions, newest first').argument('<sandbox>'),
  ).action(async (name: string, opts: ListOptions, cmd: Command) => {
    const ctx = CliContext.of(cmd, io);
    const page = await fetchList(opts, (query) =>
      ctx.client.listPolicyRevisions({ params: { name }, query }),
    );
    printList(ctx, page, revisionHeader, revisionRow, 'policy revisions');
  });

  const status = policy.command('status').description("a policy revision's load status");
  addIfVersion(
    status
      .command('set')
      .description('report a revision LOADED or FAILED, as the supervisor does')
      .argument('<sandbox>')
      .argument('<version>', 'the revision number', integer)
      .addArgument(new Argument('<status>', 'LOADED or FAILED').choices(['LOADED', 'FAILED']))
      .option('--load-error <message>', 'why the revision failed to load'),
    'the revision',
  ).action(
    async (
      name: string,
      version: number,
      reported: 'LOADED' | 'FAILED',
      opts: IfVersionOptions & { loadError?: string },
      cmd: Command,
    ) => {
      const ctx = CliContext.of(cmd, io);
      const revision = await ctx.client.reportPolicyRevisionStatus({
        params: { name, version },
        body: {
          status: reported,
          ...(opts.loadError !== undefined ? { loadError: opts.loadError } : {}),
          ...(opts.ifVersion !== undefined ? { expectedResourceVersion: opts.ifVersion } : {}),
        },
      });
      ctx.show(
        revision,
        () =>
          `✓ Policy revision ${revision.version} of sandbox ${name} is ${revision.status} (resource version ${revision.metadata.resourceVersion})`,
      );
    },
  );
}

export function settingsCommands(program: Command, io: CliIO): void {
  const settings = program
    .command('settings')
    .description('settings of a sandbox (--sandbox NAME) or of the gateway (--global)');

  addScope(settings.command('get').description('show settings and their resource version')).action(
    async (opts: ScopeOptions, cmd: Command) => {
      const ctx = CliContext.of(cmd, io);
      const sandbox = scopeOf(opts);
      let value: Settings;
      if (sandbox) {
        const config = await ctx.client.getSandboxConfig({ params: { name: sandbox } });
        value = { settings: config.settings, resourceVersion: config.settingsResourceVersion };
      } else {
        value = await ctx.client.getGlobalSettings();
      }
      ctx.show(value, () => settingsView(scopeText(sandbox), value));
    },
  );

  addIfVersion(
    addScope(
      settings
        .command('set')
        .description('set one setting (a string, boolean or integer)')
        .argument('<key>')
        .argument('<value>')
        .addOption(
          new Option('--type <type>', 'how to read the value; auto reads true/false and integers')
            .choices(['auto', 'string', 'boolean', 'integer'])
            .default('auto'),
        ),
    ),
    'the settings',
  ).action(
    async (
      key: string,
      raw: string,
      opts: ScopeOptions & IfVersionOptions & { type: SettingType },
      cmd: Command,
    ) => {
      const ctx = CliContext.of(cmd, io);
      const sandbox = scopeOf(opts);
      const body = {
        value: settingValue(raw, opts.type),
        ...(opts.ifVersion !== undefined ? { expectedResourceVersion: opts.ifVersion } : {}),
      };
      const res = sandbox
        ? await ctx.client.setSandboxSetting({ params: { name: sandbox, key }, body })
        : await ctx.client.setGlobalSetting({ params: { key }, body });
      ctx.show(
        res,
        () =>
          `✓ Set ${key}=${String(body.value)} (${scopeText(sandbox)} settings, resource version ${res.resourceVersion})`,
      );
    },
  );

  addIfVersion(
    addScope(settings.command('delete').description('delete one setting').argument('<key>')),
    'the settings',
  ).action(async (key: string, opts: ScopeOptions & IfVersionOptions, cmd: Command) => {
    const ctx = CliContext.of(cmd, io);
    const sandbox = scopeOf(opts);
    const query = { expectedResourceVersion: opts.ifVersion };
    const res = sandbox
      ? await ctx.client.deleteSandboxSetting({ params: { name: sandbox, key }, query })
      : await ctx.client.deleteGlobalSetting({ params: { key }, query });
    ctx.show(
      res,
      () =>
        `✓ Deleted ${key} (${scopeText(sandbox)} settings, resource version ${res.resourceVersion})`,
    );
  });
}
