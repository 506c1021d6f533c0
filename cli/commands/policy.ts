import { Argument, type Command } from 'commander';
import { integer, jsonFileArg, jsonObjectArg } from '../args.ts';
import { CliContext, type CliIO } from '../context.ts';
import { UsageError } from '../exit-codes.ts';
import { addListOptions, fetchList, type ListOptions, printList } from '../lists.ts';
import { globalPolicyView, globalRevisionHeader, globalRevisionRow } from '../policy-views.ts';
import { policyView, revisionHeader, revisionRow } from '../views.ts';
import { addIfVersion, type IfVersionOptions } from './common.ts';
import { draftCommands } from './drafts.ts';
import { mergeCommand } from './policy-merge.ts';

interface GlobalOption {
  global?: boolean;
}

interface SetOptions extends GlobalOption, IfVersionOptions {
  file?: string;
  policy?: string;
}

const GLOBAL_HELP = "the global policy, which while in force is every sandbox's";

/** The sandbox a command names, or undefined for `--global`: exactly one of the two. */
function sandboxOrGlobal(sandbox: string | undefined, opts: GlobalOption): string | undefined {
  if (opts.global && sandbox !== undefined) {
    throw new UsageError(`give a sandbox or --global, not both (got sandbox "${sandbox}")`);
  }
  if (!opts.global && sandbox === undefined) {
    throw new UsageError('give a sandbox, or --global for the global policy');
  }
  return sandbox;
}

/** The policy to set: the argument, `-f FILE` or `--policy JSON`, given exactly once. */
function policyToSet(positional: string | undefined, opts: SetOptions): Record<string, unknown> {
  const given = [positional, opts.file, opts.policy].filter((v) => v !== undefined).length;
  if (given !== 1) {
    throw new UsageError(
      `give the policy ${given ? 'once' : 'to set'}: as an argument (JSON, @file or -), with -f FILE or with --policy JSON`,
    );
  }
  if (opts.file !== undefined) return jsonFileArg(opts.file, '-f');
  if (opts.policy !== undefined) return jsonObjectArg(opts.policy, '--policy');
  return jsonObjectArg(positional!, 'policy');
}

export function policyCommands(program: Command, io: CliIO): void {
  const policy = program
    .command('policy')
    .description(
      "a sandbox's policy, its revisions, merges and drafts; or the global policy (--global)",
    );

  policy
    .command('get')
    .description(
      "show a sandbox's policy as it applies (its source and versions); --global: the global policy",
    )
    .argument('[sandbox]')
    .option('--global', `${GLOBAL_HELP} (exit code 3 when none is in force)`)
    .action(async (name: string | undefined, opts: GlobalOption, cmd: Command) => {
      const ctx = CliContext.of(cmd, io);
      const sandbox = sandboxOrGlobal(name, opts);
      if (sandbox === undefined) {
        const global = await ctx.client.getGlobalPolicy();
        ctx.show(global, () => globalPolicyView(global));
        return;
      }
      const config = await ctx.client.getSandboxConfig({ params: { name: sandbox } });
      ctx.show(config, () => policyView(config));
    });

  policy
    .command('set')
    .description(
      "set a sandbox's policy: revision N+1, PENDING until the supervisor loads it; --global: the global policy, in force at once",
    )
    .argument('[sandbox]', 'the sandbox (none with --global)')
    .argument('[policy]', 'a JSON object, @file, or - for standard input')
    .option('--global', `set ${GLOBAL_HELP} (give it with -f or --policy)`)
    .option('-f, --file <file>', 'read the policy from a JSON file (- for standard input)')
    .option('--policy <json|@file|->', 'the policy, a JSON object')
    .option(
      '--if-version <n>',
      'write only if the sandbox is still at resource version n; with --global, only if the latest global policy revision is still n (else exit code 4)',
      integer,
    )
    .action(
      async (name: string | undefined, raw: string | undefined, opts: SetOptions, cmd: Command) => {
        const ctx = CliContext.of(cmd, io);
        if (opts.global && name !== undefined) {
          throw new UsageError(
            '--global sets the global policy: give no sandbox, and the policy with -f FILE or --policy JSON',
          );
        }
        const sandbox = sandboxOrGlobal(name, opts);
        const value = policyToSet(raw, opts);
        if (sandbox === undefined) {
          const global = await ctx.client.putGlobalPolicy({
            body: {
              policy: value,
              ...(opts.ifVersion !== undefined ? { expectedPolicyVersion: opts.ifVersion } : {}),
            },
          });
          ctx.show(
            global,
            () =>
              `✓ Global policy revision ${global.version} is in force for every sandbox (resource version ${global.metadata.resourceVersion})`,
          );
          return;
        }
        const res = await ctx.client.putPolicy({
          params: { name: sandbox },
          body: {
            policy: value,
            ...(opts.ifVersion !== undefined ? { expectedResourceVersion: opts.ifVersion } : {}),
          },
        });
        ctx.show(
          res,
          () =>
            `✓ Policy revision ${res.revision.version} of sandbox ${sandbox} is ${res.revision.status} (sandbox resource version ${res.sandbox.metadata.resourceVersion})`,
        );
      },
    );

  mergeCommand(policy, io);

  policy
    .command('delete')
    .description('lift the global policy (--global): every sandbox uses its own policy again')
    .option(
      '--global',
      `lift ${GLOBAL_HELP} (required: a sandbox's policy is replaced, not deleted)`,
    )
    .option(
      '--if-version <n>',
      'lift only if the latest global policy revision is still n (else exit code 4)',
      integer,
    )
    .action(async (opts: GlobalOption & IfVersionOptions, cmd: Command) => {
      const ctx = CliContext.of(cmd, io);
      if (!opts.global) {
        throw new UsageError(
          "policy delete lifts the global policy and needs --global; a sandbox's policy is replaced with policy set or policy merge",
        );
      }
      const lifted = await ctx.client.deleteGlobalPolicy({
        query: { expectedPolicyVersion: opts.ifVersion },
      });
      ctx.show(
        lifted,
        () =>
          `✓ Lifted the global policy (revision ${lifted.version} is SUPERSEDED): every sandbox uses its own policy`,
      );
    });

  addListOptions(
    policy
      .command('revisions')
      .description("a sandbox's policy revisions, newest first; --global: the global policy's")
      .argument('[sandbox]')
      .option('--global', "the global policy's revisions"),
  ).action(async (name: string | undefined, opts: ListOptions & GlobalOption, cmd: Command) => {
    const ctx = CliContext.of(cmd, io);
    const sandbox = sandboxOrGlobal(name, opts);
    if (sandbox === undefined) {
      const page = await fetchList(opts, (query) =>
        ctx.client.listGlobalPolicyRevisions({ query }),
      );
      printList(ctx, page, globalRevisionHeader, globalRevisionRow, 'global policy revisions');
      return;
    }
    const page = await fetchList(opts, (query) =>
      ctx.client.listPolicyRevisions({ params: { name: sandbox }, query }),
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

  draftCommands(policy, io);
}
