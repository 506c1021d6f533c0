import type { Command } from 'commander';
import { ApiError } from '#lib/client/errors.ts';
import type { OperationResult } from '#lib/client/types.ts';
import { integer } from '../args.ts';
import { CliContext, type CliIO } from '../context.ts';
import { CommandFailed, ExitCode, exitCodeOf } from '../exit-codes.ts';
import { addListOptions, fetchList, type ListOptions, printList } from '../lists.ts';
import { providerHeader, providerRow, type Sandbox } from '../views.ts';

type Action = 'attach' | 'detach';

const isSandbox = (value: unknown): value is Sandbox =>
  typeof value === 'object' &&
  value !== null &&
  typeof (value as Sandbox).metadata?.resourceVersion === 'number' &&
  Array.isArray((value as Sandbox).spec?.providers);

/**
 * Reads the sandbox, then attaches or detaches conditioned on the version read (and its id, so
 * a same-named successor is never written). On a conflict, up to `retries` more attempts start
 * from the conflict's `current` object instead of reading again.
 */
export async function changeAttachment(
  ctx: CliContext,
  action: Action,
  sandbox: string,
  provider: string,
  retries: number,
): Promise<OperationResult<'attachProvider'> | OperationResult<'detachProvider'>> {
  let current: Sandbox = await ctx.client.getSandbox({ params: { name: sandbox } });
  for (let attempt = 0; ; attempt++) {
    const input = {
      params: { name: sandbox, provider },
      query: {
        expectedResourceVersion: current.metadata.resourceVersion,
        expectedId: current.metadata.id,
      },
    };
    try {
      return action === 'attach'
        ? await ctx.client.attachProvider(input)
        : await ctx.client.detachProvider(input);
    } catch (err) {
      const retry =
        err instanceof ApiError &&
        err.code === 'ABORTED' &&
        attempt < retries &&
        isSandbox(err.current);
      if (!retry) throw err;
      current = err.current as Sandbox;
      ctx.note(
        `Sandbox ${sandbox} was modified by another operation (now at resource version ${current.metadata.resourceVersion}); retrying (${attempt + 1} of ${retries}).`,
      );
    }
  }
}

/** The message SPEC §5 fixes for a conflict, and the problem's own message for anything else. */
function failure(action: Action, err: unknown): unknown {
  if (!(err instanceof ApiError)) return err;
  const lead = `Failed to ${action} provider:`;
  if (err.code === 'ABORTED') {
    return new CommandFailed(
      `${lead} sandbox was modified by another operation.\nPlease retry the command.`,
      ExitCode.conflict,
    );
  }
  return new CommandFailed(`${lead} ${err.message}`, exitCodeOf(err));
}

async function runAttachment(
  action: Action,
  sandbox: string,
  provider: string,
  opts: { retry?: number },
  cmd: Command,
  io: CliIO,
) {
  const ctx = CliContext.of(cmd, io);
  let result: Awaited<ReturnType<typeof changeAttachment>>;
  try {
    result = await changeAttachment(ctx, action, sandbox, provider, opts.retry ?? 0);
  } catch (err) {
    throw failure(action, err);
  }
  const changed = 'attached' in result ? result.attached : result.detached;
  ctx.show(result, () => {
    if (action === 'attach') {
      return changed
        ? `✓ Attached provider ${provider} to sandbox ${sandbox}`
        : `Provider ${provider} is already attached to sandbox ${sandbox}.`;
    }
    return changed
      ? `✓ Detached provider ${provider} from sandbox ${sandbox}`
      : `Provider ${provider} is not attached to sandbox ${sandbox}.`;
  });
}

export function attachmentCommands(sandbox: Command, io: CliIO): void {
  const provider = sandbox.command('provider').description('providers attached to a sandbox');

  addListOptions(
    provider
      .command('list')
      .description(
        "a sandbox's providers, in order (credentials redacted), and those it lists that are gone",
      )
      .argument('<sandbox>'),
  ).action(async (name: string, opts: ListOptions, cmd: Command) => {
    const ctx = CliContext.of(cmd, io);
    const missing: string[] = [];
    const page = await fetchList(opts, async (query) => {
      const res = await ctx.client.listAttachedProviders({ params: { name }, query });
      missing.push(...res.missing);
      return res;
    });
    const listing = { ...page, missing };
    printList(ctx, listing, providerHeader, providerRow, 'attached providers');
    if (missing.length && !ctx.json) {
      ctx.note(
        `Sandbox ${name} lists providers that do not exist: ${missing.join(', ')}. Detach them with: shellgate sandbox provider detach ${name} <provider>`,
      );
    }
  });

  for (const action of ['attach', 'detach'] as const) {
    provider
      .command(action)
      .description(
        action === 'attach'
          ? 'attach a provider: reads the sandbox and writes conditioned on its version'
          : 'detach a provider (works after the provider was deleted)',
      )
      .argument('<sandbox>')
      .argument('<provider>')
      .option(
        '--retry <n>',
        'on a conflict, retry up to n times from the current sandbox the conflict returns',
        integer,
      )
      .action((s: string, p: string, opts: { retry?: number }, cmd: Command) =>
        runAttachment(action, s, p, opts, cmd, io),
      );
  }
}
