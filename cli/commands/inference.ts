import type { Command } from 'commander';
import type { OperationResult } from '#lib/client/types.ts';
import { integer } from '../args.ts';
import { CliContext, type CliIO } from '../context.ts';
import { age, keyValues } from '../format.ts';
import { addListOptions, fetchList, type ListOptions, printList } from '../lists.ts';
import { metadataTail } from '../views.ts';
import { addIfVersion, type IfVersionOptions } from './common.ts';

/** The `inference` commands and how they show a route: the whole of the kind in the CLI. */

type InferenceRoute = OperationResult<'getInferenceRoute'>;

export function inferenceRouteView(r: InferenceRoute): string {
  return keyValues([
    ['Name', r.metadata.name],
    ['Provider', r.providerName],
    ['Model', r.modelId],
    ['Timeout', `${r.timeoutSeconds}s`],
    ['ID', r.metadata.id],
    ...metadataTail(r.metadata),
  ]);
}

export const inferenceRouteHeader = ['NAME', 'PROVIDER', 'MODEL', 'TIMEOUT', 'VERSION', 'AGE'];
export const inferenceRouteRow = (r: InferenceRoute) => [
  r.metadata.name,
  r.providerName,
  r.modelId,
  `${r.timeoutSeconds}s`,
  String(r.metadata.resourceVersion),
  age(r.metadata.createdAt),
];

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
