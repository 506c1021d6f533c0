import type { Command } from 'commander';
import { integer } from '../args.ts';
import { CliContext, type CliIO } from '../context.ts';
import { addListOptions, fetchList, type ListOptions, printList } from '../lists.ts';
import { serviceHeader, serviceRow, serviceView } from '../views.ts';
import { addIfVersion, type IfVersionOptions } from './common.ts';

export function serviceCommands(program: Command, io: CliIO): void {
  const service = program.command('service').description('service endpoints of sandboxes');

  addIfVersion(
    service
      .command('expose')
      .description("create or update a sandbox's service endpoint")
      .argument('<sandbox>')
      .argument('<service>')
      .requiredOption('--port <port>', 'the target port in the sandbox (1–65535)', integer)
      .option(
        '--domain',
        'serve it on its own domain name (https://<service>--<sandbox>.<domain>)',
      ),
    'the endpoint',
  ).action(
    async (
      sandbox: string,
      name: string,
      opts: IfVersionOptions & { port: number; domain?: boolean },
      cmd: Command,
    ) => {
      const ctx = CliContext.of(cmd, io);
      const res = await ctx.client.request('exposeService', {
        params: { name: sandbox, service: name },
        body: {
          targetPort: opts.port,
          domain: opts.domain ?? false,
          ...(opts.ifVersion !== undefined ? { expectedResourceVersion: opts.ifVersion } : {}),
        },
      });
      const verb = res.status === 201 ? 'Exposed' : 'Updated';
      ctx.show(res.body, () => `✓ ${verb} service ${name} of sandbox ${sandbox}: ${res.body.url}`);
    },
  );

  service
    .command('get')
    .description('show a service endpoint')
    .argument('<sandbox>')
    .argument('<service>')
    .action(async (sandbox: string, name: string, _opts: unknown, cmd: Command) => {
      const ctx = CliContext.of(cmd, io);
      const s = await ctx.client.getService({ params: { name: sandbox, service: name } });
      ctx.show(s, () => serviceView(s));
    });

  addListOptions(
    service
      .command('list')
      .description('list service endpoints')
      .option('--sandbox <name>', 'only the endpoints of this sandbox'),
  ).action(async (opts: ListOptions & { sandbox?: string }, cmd: Command) => {
    const ctx = CliContext.of(cmd, io);
    const page = await fetchList(opts, (query) =>
      ctx.client.listServices({ query: { ...query, sandbox: opts.sandbox } }),
    );
    printList(ctx, page, serviceHeader, serviceRow, 'services');
  });

  addIfVersion(
    service
      .command('delete')
      .description('delete a service endpoint')
      .argument('<sandbox>')
      .argument('<service>'),
    'the endpoint',
  ).action(async (sandbox: string, name: string, opts: IfVersionOptions, cmd: Command) => {
    const ctx = CliContext.of(cmd, io);
    const deleted = await ctx.client.deleteService({
      params: { name: sandbox, service: name },
      query: { expectedResourceVersion: opts.ifVersion },
    });
    ctx.show(deleted, () => `✓ Deleted service ${name} of sandbox ${sandbox}`);
  });
}
