import { type Command, Option } from 'commander';
import type { OperationBody, OperationResult } from '#lib/client/types.ts';
import { collect, integer, jsonFileArg, jsonObjectArg } from '../args.ts';
import { CliContext, type CliIO } from '../context.ts';
import { UsageError } from '../exit-codes.ts';
import { addListOptions, fetchList, type ListOptions, printList } from '../lists.ts';
import {
  draftEventHeader,
  draftEventRow,
  draftHeader,
  draftRow,
  draftView,
} from '../policy-views.ts';
import { addIfVersion, type IfVersionOptions } from './common.ts';

type Rule = OperationBody<'editPolicyDraft'>['rule'];
type Decision = OperationResult<'approvePolicyDraft'>;

const STATUSES = ['PENDING', 'APPROVED', 'REJECTED'] as const;

interface RuleOptions {
  rule?: string;
  file?: string;
}

function addRuleOptions(command: Command): Command {
  return command
    .option('--rule <json|@file|->', 'the network rule, a JSON object {endpoints, binaries?}')
    .option('-f, --file <file>', 'read the rule from a JSON file (- for standard input)');
}

/** The rule of `--rule` or `-f`, given exactly once. */
function ruleOf(opts: RuleOptions): Rule {
  if ((opts.rule === undefined) === (opts.file === undefined)) {
    throw new UsageError('give the rule once: with --rule JSON or with -f FILE');
  }
  const rule = opts.file !== undefined ? jsonFileArg(opts.file, '-f') : undefined;
  return (rule ?? jsonObjectArg(opts.rule!, '--rule')) as Rule;
}

/** `--if-version N` of a decision: the draft's review version, which hits never move. */
const addIfReviewVersion = (command: Command) =>
  addIfVersion(command, 'the draft', 'review version');

const reviewPrecondition = (opts: IfVersionOptions) =>
  opts.ifVersion !== undefined ? { expectedReviewVersion: opts.ifVersion } : {};

/** `ID[:REVIEWVERSION]`: a draft for approve-all, optionally only at that review version. */
export function namedDraft(raw: string): { id: string; expectedReviewVersion?: number } {
  const match = /^([^:]+)(?::(\d{1,15}))?$/.exec(raw);
  if (!match) throw new UsageError(`--draft takes ID[:REVIEWVERSION], got "${raw}"`);
  const [, id = '', version] = match;
  return { id, ...(version !== undefined ? { expectedReviewVersion: Number(version) } : {}) };
}

const plural = (n: number, noun: string) => `${n} ${noun}${n === 1 ? '' : 's'}`;

function policyOutcome(revision: Decision['revision']): string {
  return revision
    ? `policy revision ${revision.version} is ${revision.status}`
    : 'the policy is unchanged';
}

/** Where a decision left the draft and the policy (also when there was nothing to do). */
function decisionLine(sandbox: string, res: Decision): string {
  const d = res.draft;
  return `✓ Draft ${d.metadata.name} of sandbox ${sandbox} is ${d.status} (review version ${d.reviewVersion}); ${policyOutcome(res.revision)}`;
}

export function draftCommands(policy: Command, io: CliIO): void {
  const drafts = policy
    .command('drafts')
    .description('network rules proposed for a sandbox (by its supervisor), waiting for review');

  addRuleOptions(
    drafts
      .command('submit')
      .description(
        'propose a network rule, as the supervisor does: a new draft, or hits added to the draft of the same dedup key',
      )
      .argument('<sandbox>')
      .argument('<rule-name>', 'the name of the rule in the policy')
      .option('--dedup-key <key>', 'one draft per key (default: one per rule name and rule)')
      .option('--hits <n>', 'how many denied connections this reports (1–100, default 1)', integer)
      .option('--rationale <text>', 'why the rule is needed'),
  ).action(
    async (
      name: string,
      ruleName: string,
      opts: RuleOptions & { dedupKey?: string; hits?: number; rationale?: string },
      cmd: Command,
    ) => {
      const ctx = CliContext.of(cmd, io);
      const res = await ctx.client.request('submitPolicyDraft', {
        params: { name },
        body: {
          ruleName,
          rule: ruleOf(opts),
          ...(opts.dedupKey !== undefined ? { dedupKey: opts.dedupKey } : {}),
          ...(opts.hits !== undefined ? { hits: opts.hits } : {}),
          ...(opts.rationale !== undefined ? { rationale: opts.rationale } : {}),
        },
      });
      const d = res.body;
      ctx.show(d, () =>
        res.status === 201
          ? `✓ Submitted draft ${d.metadata.name} of sandbox ${name} (${d.status})`
          : `✓ Draft ${d.metadata.name} of sandbox ${name} has ${plural(d.hitCount, 'hit')} (${d.status})`,
      );
    },
  );

  addListOptions(
    drafts
      .command('list')
      .description("a sandbox's drafts, newest first")
      .argument('<sandbox>')
      .addOption(new Option('--status <status>', 'only drafts of this status').choices(STATUSES)),
  ).action(
    async (
      name: string,
      opts: ListOptions & { status?: (typeof STATUSES)[number] },
      cmd: Command,
    ) => {
      const ctx = CliContext.of(cmd, io);
      const page = await fetchList(opts, (query) =>
        ctx.client.listPolicyDrafts({ params: { name }, query: { ...query, status: opts.status } }),
      );
      printList(ctx, page, draftHeader, draftRow, opts.status ? `${opts.status} drafts` : 'drafts');
    },
  );

  drafts
    .command('get')
    .description('show a draft')
    .argument('<sandbox>')
    .argument('<id>')
    .action(async (name: string, id: string, _opts: unknown, cmd: Command) => {
      const ctx = CliContext.of(cmd, io);
      const d = await ctx.client.getPolicyDraft({ params: { name, id } });
      ctx.show(d, () => draftView(d));
    });

  addIfReviewVersion(
    addRuleOptions(
      drafts
        .command('edit')
        .description("replace a PENDING draft's rule (review version + 1)")
        .argument('<sandbox>')
        .argument('<id>'),
    ),
  ).action(async (name: string, id: string, opts: RuleOptions & IfVersionOptions, cmd: Command) => {
    const ctx = CliContext.of(cmd, io);
    const d = await ctx.client.editPolicyDraft({
      params: { name, id },
      body: { rule: ruleOf(opts), ...reviewPrecondition(opts) },
    });
    ctx.show(
      d,
      () =>
        `✓ Edited draft ${d.metadata.name} of sandbox ${name} (review version ${d.reviewVersion})`,
    );
  });

  addIfReviewVersion(
    drafts
      .command('approve')
      .description('approve a draft: its rule is merged into the policy as revision N+1')
      .argument('<sandbox>')
      .argument('<id>'),
  ).action(async (name: string, id: string, opts: IfVersionOptions, cmd: Command) => {
    const ctx = CliContext.of(cmd, io);
    const res = await ctx.client.approvePolicyDraft({
      params: { name, id },
      body: reviewPrecondition(opts),
    });
    ctx.show(res, () => decisionLine(name, res));
  });

  addIfReviewVersion(
    drafts
      .command('reject')
      .description('reject a draft; an approved one loses what its approval added to the policy')
      .argument('<sandbox>')
      .argument('<id>')
      .option('--reason <text>', 'why, kept with the draft and in its history'),
  ).action(
    async (
      name: string,
      id: string,
      opts: IfVersionOptions & { reason?: string },
      cmd: Command,
    ) => {
      const ctx = CliContext.of(cmd, io);
      const res = await ctx.client.rejectPolicyDraft({
        params: { name, id },
        body: {
          ...(opts.reason !== undefined ? { reason: opts.reason } : {}),
          ...reviewPrecondition(opts),
        },
      });
      ctx.show(res, () => decisionLine(name, res));
    },
  );

  addIfReviewVersion(
    drafts
      .command('undo')
      .description('undo an approval: the draft is PENDING again and its rule leaves the policy')
      .argument('<sandbox>')
      .argument('<id>'),
  ).action(async (name: string, id: string, opts: IfVersionOptions, cmd: Command) => {
    const ctx = CliContext.of(cmd, io);
    const res = await ctx.client.undoPolicyDraft({
      params: { name, id },
      body: reviewPrecondition(opts),
    });
    ctx.show(res, () => decisionLine(name, res));
  });

  drafts
    .command('approve-all')
    .description(
      'approve PENDING drafts (all of them, or those named) in one atomic change and one policy revision',
    )
    .argument('<sandbox>')
    .option(
      '--draft <ID[:REVIEWVERSION]>',
      'approve this draft, only if still at REVIEWVERSION when given (repeatable)',
      collect,
    )
    .action(async (name: string, opts: { draft?: string[] }, cmd: Command) => {
      const ctx = CliContext.of(cmd, io);
      const res = await ctx.client.approvePolicyDrafts({
        params: { name },
        body: opts.draft ? { drafts: opts.draft.map(namedDraft) } : {},
      });
      ctx.show(res, () =>
        res.drafts.length
          ? `✓ Approved ${plural(res.drafts.length, 'draft')} of sandbox ${name}; ${policyOutcome(res.revision)}`
          : `No PENDING drafts to approve in sandbox ${name}.`,
      );
    });

  drafts
    .command('clear')
    .description('delete the PENDING drafts and their history (approved and rejected ones stay)')
    .argument('<sandbox>')
    .action(async (name: string, _opts: unknown, cmd: Command) => {
      const ctx = CliContext.of(cmd, io);
      const res = await ctx.client.clearPolicyDrafts({ params: { name } });
      ctx.show(res, () => `✓ Deleted ${plural(res.deleted, 'PENDING draft')} of sandbox ${name}`);
    });

  addListOptions(
    drafts
      .command('history')
      .description("a draft's events, oldest first")
      .argument('<sandbox>')
      .argument('<id>'),
  ).action(async (name: string, id: string, opts: ListOptions, cmd: Command) => {
    const ctx = CliContext.of(cmd, io);
    const page = await fetchList(opts, (query) =>
      ctx.client.listPolicyDraftHistory({ params: { name, id }, query }),
    );
    printList(ctx, page, draftEventHeader, draftEventRow, 'events');
  });
}
