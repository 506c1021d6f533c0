import { NotFound } from '#lib/errors.ts';
import type { Store } from '#lib/store/store.ts';
import type { StoredObject } from '#lib/store/types.ts';
import { Kind, keys } from './keys.ts';
import type { SSHSessionData } from './types.ts';

const CONCURRENCY = 16;

/**
 * Removes an SSH session and its id pointer in one transaction, conditioned on the version
 * read; a session that changed meanwhile is read again and removed at its new version.
 */
export async function removeSession(
  store: Store,
  session: StoredObject<SSHSessionData>,
  requestId: string,
  shouldRemove: (s: StoredObject<SSHSessionData>) => boolean = () => true,
): Promise<boolean> {
  let current: StoredObject<SSHSessionData> | undefined = session;
  for (let attempt = 1; current && attempt <= 5; attempt++) {
    if (!shouldRemove(current)) return false;
    try {
      await store.transact(
        [
          { type: 'delete', subject: { kind: Kind.SSHSession, name: current.name }, base: current },
          {
            type: 'record',
            key: keys.sshSessionPointer(current.id),
            remove: true,
            condition: {
              expression: 'attribute_not_exists(#pk) OR #sandbox = :sandbox',
              names: { '#pk': 'pk', '#sandbox': 'sandbox' },
              values: { ':sandbox': current.data.sandboxName },
            },
          },
        ],
        { requestId: `${requestId}:${current.id}:${attempt}` },
      );
      return true;
    } catch (err) {
      if (err instanceof NotFound) return false;
      if ((err as { code?: string }).code !== 'ABORTED') throw err;
      current = await store.get<SSHSessionData>(current.key);
    }
  }
  return false;
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
        try {
          await store.delete(
            child.key,
            { kind: child.kind, name: child.name },
            {
              requestId: `${requestId}:${child.key.sk}`,
            },
          );
        } catch (err) {
          if (!(err instanceof NotFound)) throw err;
        }
      }),
    );
  }
}
