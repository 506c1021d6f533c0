import type { Command } from 'commander';
import { integer } from '../args.ts';

/**
 * `--if-version N`: the write applies only if the object is still at version N. `version` names
 * which version N is: an object's resource version, unless the precondition is another one (a
 * draft's review version, a policy's revision).
 */
export function addIfVersion(
  command: Command,
  what = 'the object',
  version = 'resource version',
): Command {
  return command.option(
    '--if-version <n>',
    `write only if ${what} is still at ${version} n (else exit code 4)`,
    integer,
  );
}

export interface IfVersionOptions {
  ifVersion?: number;
}
