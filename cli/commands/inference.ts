import type { Command } from 'commander';
import { integer } from '../args.ts';
import { CliContext, type CliIO } from '../context.ts';
import { addListOptions, fetchList, type ListOptions, printList } from '../lists.ts';
import { inferenceRouteHeader, inferenceRouteRow, inferenceRouteView } from '../views.ts';
import { addIfVersion, type IfVersionOptions } from './common.ts';

export function inferenceCommands(program: Command, io: CliIO): void {
  const inference = program.command('inference').description('inference routes: model → provider');

  inference
    .command('get')
    .description('show an inference route')
    .argument('<name>')
    .action(async (name: string, _opts: unknown, cmd: Command) => {
      const ctx = CliContext.of(cmd, io);
      const r = await ctx.client.getInferenceRoute({ params: { name } });
      ctx.show(r, () => inferenceRouteView(r));
    });

  addListOptions(inference.command('list').description('list inference routes')).action(
    async (opts: ListOptions, cmd: Command) => {
      const ctx = CliContext.of(cmd, io);
      const page = await fetchList(opts, (query) => ctx.client.listInferenceRoutes({ query }));
      printList(ctx, page, inferenceRouteHeader, inferenceRouteRow, 'inference routes');
    },
  );

  addIfVersion(
    inference
      .command('set')
      .description('create or update an inference route')
      .argument('<name>')
      .requiredOption('--provider <name>', 'the provider that serves the model')
      .requiredOption('--model <id>', 'the model id, e.g. gpt-4.1')
      .option('--timeout <seconds>', 'request timeout, 1–3600 (default 60)', integer),
    'the route',
  ).action(
    async (
      name: string,
      opts: IfVersionOptions & { provider: string; model: string; timeout?: number },
      cmd: Command,
    ) => {
      const ctx = CliContext.of(cmd, io);
      const res = await ctx.client.request('upsertInferenceRoute', {
        params: { name },
        body: {
          providerName: opts.provider,
          modelId: opts.model,
          ...(opts.timeout !== undefined ? { timeoutSeconds: opts.timeout } : {}),
          ...(opts.ifVersion !== undefined ? { expectedResourceVersion: opts.ifVersion } : {}),
        },
      });
      const verb = res.status === 201 ? 'Created' : 'Updated';
      ctx.show(
        res.body,
        () =>
          `✓ ${verb} inference route ${name}: ${res.body.modelId} via ${res.body.providerName} (resource version ${res.body.metadata.resourceVersion})`,
      );
    },
  );
}
