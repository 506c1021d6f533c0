import { type Command, Option } from 'commander';
import { type SettingType, settingValue } from '../args.ts';
import { CliContext, type CliIO } from '../context.ts';
import { UsageError } from '../exit-codes.ts';
import { sandboxSettingsView, settingsView } from '../views.ts';
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

export function settingsCommands(program: Command, io: CliIO): void {
  const settings = program
    .command('settings')
    .description('settings of a sandbox (--sandbox NAME) or of the gateway (--global)');

  addScope(settings.command('get').description('show settings and their resource version')).action(
    async (opts: ScopeOptions, cmd: Command) => {
      const ctx = CliContext.of(cmd, io);
      const sandbox = scopeOf(opts);
      if (sandbox) {
        // The sandbox's own settings, the shape of every settings route; the view shows
        // them as they apply, under the global ones.
        const config = await ctx.client.getSandboxConfig({ params: { name: sandbox } });
        const own = { settings: config.settings, resourceVersion: config.settingsResourceVersion };
        ctx.show(own, () => sandboxSettingsView(config));
        return;
      }
      const global = await ctx.client.getGlobalSettings();
      ctx.show(global, () => settingsView('global', global));
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
