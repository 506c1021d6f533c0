import type { Command } from 'commander';
import { integer } from '../args.ts';
import { CliContext, type CliIO } from '../context.ts';
import { addListOptions, fetchList, type ListOptions, printList } from '../lists.ts';
import { sessionHeader, sessionRow, sessionView } from '../views.ts';
import { addIfVersion, type IfVersionOptions } from './common.ts';

export function sessionCommands(program: Command, io: CliIO): void {
  const session = program.command('ssh-session').description('SSH sessions into READY sandboxes');

  session
    .command('create')
    .description('create an SSH session; its token is shown only this once')
    .argument('<sandbox>')
    .option('--ttl <seconds>', 'lifetime in seconds, 0 for no expiry (default 86400)', integer)
    .action(async (name: string, opts: { ttl?: number }, cmd: Command) => {
      const ctx = CliContext.of(cmd, io);
      const created = await ctx.client.createSSHSession({
        params: { name },
        body: opts.ttl !== undefined ? { ttlSeconds: opts.ttl } : {},
      });
      ctx.show(
        created,
        () => `${sessionView(created)}\n\nThe token is shown only once: keep it now.`,
      );
    });

  addListOptions(
    session.command('list').description("a sandbox's SSH sessions").argument('<sandbox>'),
  ).action(async (name: string, opts: ListOptions, cmd: Command) => {
    const ctx = CliContext.of(cmd, io);
    const page = await fetchList(opts, (query) =>
      ctx.client.listSSHSessions({ params: { name }, query }),
    );
    printList(ctx, page, sessionHeader, sessionRow, 'SSH sessions');
  });

  addIfVersion(
    session.command('revoke').description('revoke an SSH session').argument('<id>'),
    'the session',
  ).action(async (id: string, opts: IfVersionOptions, cmd: Command) => {
    const ctx = CliContext.of(cmd, io);
    const res = await ctx.client.revokeSSHSession({
      params: { id },
      query: { expectedResourceVersion: opts.ifVersion },
    });
    ctx.show(res, () => `✓ Revoked SSH session ${id} of sandbox ${res.session.sandboxName}`);
  });
}
