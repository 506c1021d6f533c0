import type { Command } from 'commander';
import { CliContext, type CliIO } from '../context.ts';

export function metaCommands(program: Command, io: CliIO): void {
  program
    .command('health')
    .description('check that the API answers (GET /healthz)')
    .action(async (_opts: unknown, cmd: Command) => {
      const ctx = CliContext.of(cmd, io);
      const health = await ctx.client.healthz();
      ctx.show(health, () => `✓ ${ctx.endpoint} is ${health.status}`);
    });

  program
    .command('openapi')
    .description('print the OpenAPI 3.1 document of the API (JSON)')
    .action(async (_opts: unknown, cmd: Command) => {
      const ctx = CliContext.of(cmd, io);
      const doc = await ctx.client.openapi();
      ctx.show(doc, () => JSON.stringify(doc, null, 2));
    });
}
