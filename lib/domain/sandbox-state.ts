import { FailedPrecondition, NotFound } from '#lib/errors.ts';
import { field, where } from '#lib/store/expression.ts';
import type { TransactOp } from '#lib/store/transact.ts';
import type { StoredObject } from '#lib/store/types.ts';
import { Kind, keys } from './keys.ts';
import type { SandboxData } from './types.ts';

/**
 * What every write under a sandbox asks of it: that it exists and is not being deleted. Kept
 * apart from the sandbox's use-cases, which the children's modules do not need.
 */

export const sandboxSubject = (name: string) => ({ kind: Kind.Sandbox, name });

/**
 * A transaction's check that the sandbox exists and is not being deleted, so that nothing new
 * is added under a sandbox that delete has already marked.
 */
export function sandboxAcceptsChildren(sandbox: string): TransactOp {
  return {
    type: 'check',
    key: keys.sandbox(sandbox),
    condition: where.and(where.live(), where.differs(field('phase'), 'DELETING')),
    failure: (old) =>
      old
        ? new FailedPrecondition(`sandbox ${sandbox} is being deleted`, { sandbox })
        : new NotFound(Kind.Sandbox, sandbox),
  };
}

/** Refuses changes to a sandbox that is being deleted. */
export function assertNotDeleting(sandbox: StoredObject<SandboxData>): void {
  if (sandbox.data.phase === 'DELETING') {
    throw new FailedPrecondition(`sandbox ${sandbox.name} is being deleted`, {
      sandbox: sandbox.name,
    });
  }
}
