import { config } from './config.ts';
import type { Contract } from './contract.ts';
import { drafts } from './drafts.ts';
import { inference } from './inference.ts';
import { meta } from './meta.ts';
import { providers } from './providers.ts';
import { sandboxes } from './sandboxes.ts';
import { sessions } from './sessions.ts';

/**
 * The contract table: every function's routes (`lib/contract/<fn>.ts`), in the order the API
 * lists them. Loading it builds every request schema: a function's bundle imports its own
 * group's module only.
 */
export const contractGroups = { providers, sandboxes, config, drafts, sessions, inference, meta };

type Groups = typeof contractGroups;

/** The Lambda functions routes are grouped into; each gets only its routes' permissions. */
export type FunctionName = keyof Groups;

/** Every contract of the table, each as its group declares it. */
type AnyContract = { [F in FunctionName]: Groups[F]['contracts'][number] }[FunctionName];

export type OperationId = AnyContract['operationId'];

/** The contract of one operation, with the very schemas its route validates with. */
export type ContractOf<K extends OperationId> = Extract<AnyContract, { operationId: K }>;

/** Every route of the API, in the order the API lists them. */
export const contracts: readonly Contract<FunctionName>[] = Object.values(contractGroups).flatMap(
  (g): readonly Contract<FunctionName>[] => g.contracts,
);

/** Each contract by its operationId. */
export const contractsById = Object.fromEntries(contracts.map((c) => [c.operationId, c])) as {
  readonly [K in OperationId]: ContractOf<K>;
};

export const operationIds = contracts.map((c) => c.operationId as OperationId);
