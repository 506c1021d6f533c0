import type { Command } from 'commander';
import type { OperationBody } from '#lib/client/types.ts';
import { jsonFileArg, jsonObjectArg } from '../args.ts';
import { CliContext, type CliIO } from '../context.ts';
import { UsageError } from '../exit-codes.ts';
import { addIfVersion, type IfVersionOptions } from './common.ts';

type MergeBody = OperationBody<'mergePolicy'>;
export type MergeOperation = MergeBody['operations'][number];
type Rule = Extract<MergeOperation, { op: 'addRule' }>['rule'];

type FlagKind = 'addRule' | 'removeRule' | 'removeEndpoint' | 'removeBinary';

/** One operation flag as given, with its place on the command line. */
interface Flag {
  kind: FlagKind;
  raw: string;
  at: number;
}

interface MergeOptions extends IfVersionOptions {
  addRule?: Flag[];
  removeRule?: Flag[];
  removeEndpoint?: Flag[];
  removeBinary?: Flag[];
  file?: string;
}

/**
 * Commander keeps each option's values apart, but the operations apply in the order the flags
 * came, whichever flag each is: every value takes a number as it is parsed.
 */
let parsed = 0;
const flag =
  (kind: FlagKind) =>
  (raw: string, previous: Flag[] = []): Flag[] => [...previous, { kind, raw, at: parsed++ }];

/** `NAME=RULE`, the rule a JSON object, `@file` or `-`. */
export function addRuleOperation(raw: string): MergeOperation {
  const eq = raw.indexOf('=');
  if (eq <= 0) throw new UsageError(`--add-rule takes NAME=<JSON rule>, got "${raw}"`);
  const ruleName = raw.slice(0, eq);
  const rule = jsonObjectArg(raw.slice(eq + 1), `--add-rule ${ruleName}`) as Rule;
  return { op: 'addRule', ruleName, rule };
}

/**
 * `[RULE:]HOST:PORT`; an IPv6 host is bracketed (`[2001:db8::1]:443`), since rule names and
 * host names hold no `:` and an IPv6 address does.
 */
export function removeEndpointOperation(raw: string): MergeOperation {
  const match = /^(?:([^:[\]]+):)?(\[[^\]]+\]|[^:[\]]+):(\d{1,5})$/.exec(raw);
  if (!match) {
    throw new UsageError(
      `--remove-endpoint takes [RULE:]HOST:PORT (an IPv6 host in brackets), got "${raw}"`,
    );
  }
  const [, ruleName, host = '', port = ''] = match;
  return {
    op: 'removeEndpoint',
    ...(ruleName ? { ruleName } : {}),
    host: host.startsWith('[') ? host.slice(1, -1) : host,
    port: Number(port),
  };
}

/** `RULE:PATH`. */
export function removeBinaryOperation(raw: string): MergeOperation {
  const colon = raw.indexOf(':');
  if (colon <= 0 || colon === raw.length - 1) {
    throw new UsageError(`--remove-binary takes RULE:PATH, got "${raw}"`);
  }
  return { op: 'removeBinary', ruleName: raw.slice(0, colon), path: raw.slice(colon + 1) };
}

function operationOf(f: Flag): MergeOperation {
  switch (f.kind) {
    case 'addRule':
      return addRuleOperation(f.raw);
    case 'removeRule':
      return { op: 'removeRule', ruleName: f.raw };
    case 'removeEndpoint':
      return removeEndpointOperation(f.raw);
    case 'removeBinary':
      return removeBinaryOperation(f.raw);
  }
}

/** The body a merge sends: the flags' operations in order, or the file's `{operations: […]}`. */
export function mergeBody(opts: MergeOptions): MergeBody {
  const flags = [
    ...(opts.addRule ?? []),
    ...(opts.removeRule ?? []),
    ...(opts.removeEndpoint ?? []),
    ...(opts.removeBinary ?? []),
  ].sort((a, b) => a.at - b.at);
  const expected =
    opts.ifVersion !== undefined ? { expectedPolicyVersion: opts.ifVersion } : undefined;
  if (opts.file !== undefined) {
    if (flags.length) {
      throw new UsageError('give the operations as flags or with -f FILE, not both');
    }
    const body = jsonFileArg(opts.file, '-f');
    if (!Array.isArray(body.operations)) {
      throw new UsageError('-f: the file must be a JSON object {"operations": [...]}');
    }
    // The server checks the rest of the file, naming each field it refuses.
    return { ...(body as unknown as MergeBody), ...expected };
  }
  if (!flags.length) {
    throw new UsageError(
      'give at least one operation: --add-rule, --remove-rule, --remove-endpoint, --remove-binary, or -f FILE',
    );
  }
  return { operations: flags.map(operationOf), ...expected };
}

export function mergeCommand(policy: Command, io: CliIO): void {
  addIfVersion(
    policy
      .command('merge')
      .description(
        "change a sandbox's policy by operations, applied in order, all or none: revision N+1 (concurrent merges each apply)",
      )
      .argument('<sandbox>')
      .option(
        '--add-rule <NAME=RULE>',
        'add network rule NAME, or merge into it; RULE is JSON, @file or - (repeatable)',
        flag('addRule'),
      )
      .option('--remove-rule <NAME>', 'remove network rule NAME (repeatable)', flag('removeRule'))
      .option(
        '--remove-endpoint <[RULE:]HOST:PORT>',
        'remove a port of HOST, from RULE or from every rule (repeatable)',
        flag('removeEndpoint'),
      )
      .option(
        '--remove-binary <RULE:PATH>',
        'remove a binary from RULE (repeatable)',
        flag('removeBinary'),
      )
      .option(
        '-f, --file <file>',
        'the operations from a JSON file {"operations": [...]} (- for standard input)',
      ),
    "the sandbox's latest policy",
    'revision',
  ).action(async (name: string, opts: MergeOptions, cmd: Command) => {
    const ctx = CliContext.of(cmd, io);
    const body = mergeBody(opts);
    // A no-op merge answers the latest revision, as a merge that created one does: the
    // revision read first tells them apart (only for people; scripts get the body).
    const before = ctx.json
      ? undefined
      : (opts.ifVersion ?? (await ctx.client.getSandboxConfig({ params: { name } })).policyVersion);
    const res = await ctx.client.mergePolicy({ params: { name }, body });
    ctx.show(res, () => {
      const r = res.revision;
      if (!r) return `Nothing to change: sandbox ${name} has no policy, and the merge adds none.`;
      if (r.version === before) {
        return `Nothing to change: the policy of sandbox ${name} stays at revision ${r.version} (${r.status}).`;
      }
      return `✓ Policy revision ${r.version} of sandbox ${name} is ${r.status} (sandbox resource version ${res.sandbox.metadata.resourceVersion})`;
    });
  });
}
