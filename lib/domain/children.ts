import { Aborted, NotFound } from '#lib/errors.ts';
import { record, where } from '#lib/store/expression.ts';
import type { Store } from '#lib/store/store.ts';
import type { StoredObject } from '#lib/store/types.ts';
import { childPrefix, Kind, keys } from './keys.ts';
import type { SSHSessionData } from './types.ts';

const CONCURRENCY = 16;

/** What removing a session came to: removed, nothing to do, or conflicts outlasted the retries. */
export type RemoveOutcome = 'removed' | 'unchanged' | 'conflict';

/**
 * Removes an SSH session and its id pointer in one transaction, conditioned on the version the
 * decision was made on; a session that changed meanwhile is read again and `shouldRemove`
 * decides again. A missing pointer (data written before pointers) does not block the removal.
 */
export async function removeSession(
  store: Store,
  session: StoredObject<SSHSessionData>,
  requestId: string,
  shouldRemove: (s: StoredObject<SSHSessionData>) => boolean = () => true,
): Promise<RemoveOutcome> {
  try {
    const res = await store.transactWithRetry<
      StoredObject<SSHSessionData> | undefined,
      RemoveOutcome
    >({
      requestId: `${requestId}:${session.id}`,
      read: async (attempt) => (attempt === 1 ? session : store.get<SSHSessionData>(session.key)),
      plan: (current) => {
        if (!current || !shouldRemove(current)) return { done: 'unchanged' };
        return {
          ops: [
            {
              type: 'delete',
              subject: { kind: Kind.SSHSession, name: current.name },
              base: current,
            },
            {
              type: 'deleteRecord',
              // The pointer is keyed by the session id in the session's own key.
              key: keys.sshSessionPointer(current.key.sk.slice(childPrefix.sshSession.length)),
              condition: where.or(
                where.absent(),
                where.equals(record('sandbox'), current.data.sandboxName),
              ),
            },
          ],
          result: () => 'removed',
        };
      },
    });
    return res.value;
  } catch (err) {
    if (err instanceof NotFound) return 'unchanged';
    if (err instanceof Aborted) return 'conflict';
    throw err;
  }
}

/** Deletes every child of a sandbox (settings, policy revisions, sessions, services). */
export async function deleteChildren(store: Store, sandbox: string, requestId: string) {
  const children = (await store.queryAll(keys.sandboxPartition(sandbox))).filter(
    (c) => c.key.sk !== keys.sandbox(sandbox).sk,
  );
  for (let i = 0; i < children.length; i += CONCURRENCY) {
    await Promise.all(
      children.slice(i, i + CONCURRENCY).map(async (child) => {
        if (child.kind === Kind.SSHSession) {
          await removeSession(store, child as StoredObject<SSHSessionData>, requestId);
          return;
        }
        if (child.kind === undefined) {
          // A bookkeeping record (the draft counter): nothing writes it once the sandbox is
          // DELETING, as every write of it checks the sandbox in its transaction.
          await store.transact([{ type: 'deleteRecord', key: child.key }], {
            requestId: `${requestId}:${child.key.sk}`,
          });
          return;
        }
        try {
          // Server-driven from the version the query saw: a conflict re-applies, no read first.
          await store.delete(
            child.key,
            { kind: child.kind, name: child.name },
            { requestId: `${requestId}:${child.key.sk}`, current: child },
          );
        } catch (err) {
          if (!(err instanceof NotFound)) throw err;
        }
      }),
    );
  }
}
