import { type Command, InvalidArgumentError } from 'commander';
import { completionScript, SHELLS, type Shell } from '../completion.ts';
import type { CliIO } from '../context.ts';

export function completionCommands(program: Command, io: CliIO): void {
  program
    .command('completion')
    .description('print the shell completion script: bash, zsh or fish')
    .argument('<shell>', SHELLS.join(', '), (value: string) => {
      if (!(SHELLS as readonly string[]).includes(value)) {
        throw new InvalidArgumentError(`must be ${SHELLS.join(', ')}.`);
      }
      return value;
    })
    .addHelpText(
      'after',
      `
Load it in the current shell:
  bash  source <(shellgate completion bash)
  zsh   source <(shellgate completion zsh)
  fish  shellgate completion fish | source`,
    )
    .action((shell: Shell) => {
      io.stdout.write(completionScript(shell));
    });
}
