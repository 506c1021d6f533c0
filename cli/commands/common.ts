import type { Command } from 'commander';
import { integer } from '../args.ts';

/** `--if-version N`: the write applies only if the object is still at version N. */
export function addIfVersion(command: Command, what = 'the object'): Command {
  return command.option(
    '--if-version <n>',
    `write only if ${what} is still at resource version n (else exit code 4)`,
    integer,
  );
}

export interface IfVersionOptions {
  ifVersion?: number;
}
