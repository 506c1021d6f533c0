import { isMutating } from '#lib/contract/contract.ts';
import type { FunctionName } from '#lib/contract/index.ts';
import { IDEMPOTENCY_DYNAMO_ACTIONS } from '#lib/http/idempotency.ts';
import type { DynamoAction, Route } from '#lib/http/route.ts';
import { routes } from '#lib/http/routes.ts';

export { IDEMPOTENCY_DYNAMO_ACTIONS };

/** The HTTP functions, one per route group, in API order. */
export const HTTP_FUNCTIONS: readonly FunctionName[] = [...new Set(routes.map((r) => r.fn))];

/**
 * The DynamoDB actions an HTTP function may call: the union of its routes' `dynamo` lists in their
 * bindings (`lib/http/routes/<fn>.ts`), so a route and its permissions change together, plus the idempotency records'
 * actions when one of its routes is mutating. Empty for a function whose routes touch no table
 * (`meta`).
 */
export function httpFunctionActions(
  fn: FunctionName,
  table: readonly Route[] = routes,
): DynamoAction[] {
  const own = table.filter((r) => r.fn === fn);
  const actions = new Set(own.flatMap((r) => r.dynamo));
  if (own.some(isMutating)) for (const action of IDEMPOTENCY_DYNAMO_ACTIONS) actions.add(action);
  return [...actions].sort();
}

/**
 * The DynamoDB actions of the scheduled jobs (`functions/jobs.ts`), which are not in the route
 * table. TransactWriteItems has no IAM action of its own: each item in it is authorized by the
 * action of its kind (Put, Update, Delete, ConditionCheck).
 */
export const JOB_DYNAMO_ACTIONS = {
  migrate: [
    // migrations/state.ts: `readMigration` → Store.get.
    'dynamodb:GetItem',
    // migrations/state.ts: `ensureMigrationRecord` → Store.create, a conditional put.
    'dynamodb:PutItem',
    // migrations/state.ts `acquireLease` and migrations/lease-keeper.ts checkpoints → Store.update;
    // lib/store/scan.ts `stampInitialVersion`, the backfill's conditional stamp.
    'dynamodb:UpdateItem',
    // lib/store/scan.ts `scanVersionPage` and `countUnversionedPage`: the segmented scans.
    'dynamodb:Scan',
    // lib/store/scan.ts `estimateItemCount`, called at the start of every backfill run. The
    // count only feeds the progress ETA and a failure is ignored, but a denied call would be an
    // AccessDenied event in CloudTrail on every run.
    'dynamodb:DescribeTable',
    // lib/jobs/provider-refs.ts (migration 006) → Store.list: the sandboxes on the `byKind` index.
    'dynamodb:Query',
    // lib/domain/provider-refs.ts `recordListingOps`: the transaction checks that the sandbox
    // still lists the provider; its ref put and count update are PutItem and UpdateItem.
    'dynamodb:ConditionCheckItem',
  ],
  reconcile: [
    // lib/jobs/reconciler.ts `forEachPage` → Store.list: a query of the `byKind` index.
    'dynamodb:Query',
    // Store.update's read of the sandbox, and the re-read of a session after a conflict.
    'dynamodb:GetItem',
    // `timeOutSandbox` → Store.update: the CAS write PROVISIONING → ERROR.
    'dynamodb:UpdateItem',
    // `removeSession` transaction (tombstone of the session) and `removeSessionAlone` → Store.delete.
    'dynamodb:PutItem',
    // `removeSession` transaction: deletes the session's pointer record.
    'dynamodb:DeleteItem',
  ],
} as const satisfies Record<string, readonly string[]>;

/** The stream consumer's table actions (lib/store/log.ts); its stream reads CDK grants. */
export const STREAM_CONSUMER_ACTIONS = [
  // `consistentHead`: the feed head's first replica, strongly consistent.
  'dynamodb:GetItem',
  // `appendToLog`'s transaction: the head replicas' updates and the events' and markers' puts.
  'dynamodb:UpdateItem',
  'dynamodb:PutItem',
] as const;
