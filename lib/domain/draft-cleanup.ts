import { NotFound } from '#lib/errors.ts';
import type { Store } from '#lib/store/store.ts';
import type { TransactOp } from '#lib/store/transact.ts';
import type { ItemKey, StoredObject } from '#lib/store/types.ts';
import { childPrefix, Kind, keys } from './keys.ts';

/**
 * What a cleared draft leaves behind until its events are deleted: a marker written in the
 * clear's own transaction and deleted once the events are, so that a clear interrupted between
 * the two (the process dies, the function times out) is finished by the reconciler, which
 * lists only the markers (their own `byKind` partition): its work is the leftovers, not the
 * table.
 */

export interface DraftLeftoversData {
  sandboxName: string;
  draftId: string;
  generation: string;
}

const CONCURRENCY = 8;

/** The marker's create op, for the transaction that deletes the draft. */
export function leftoversMarker(sandbox: string, draftId: string, generation: string): TransactOp {
  return {
    type: 'create',
    object: {
      key: keys.draftLeftovers(sandbox, draftId, generation),
      kind: Kind.PolicyDraftLeftovers,
      name: `${draftId}-${generation}`,
      data: { sandboxName: sandbox, draftId, generation } satisfies DraftLeftoversData,
      index: { gsi1pk: Kind.PolicyDraftLeftovers, gsi1sk: `${sandbox}/${draftId}/${generation}` },
    },
  };
}

/**
 * Deletes a cleared draft's events of its generation, then its marker. Idempotent. A marker
 * whose version is known (the clear that just wrote it) is deleted without reading it.
 */
export async function finishDraftCleanup(
  store: Store,
  marker: Pick<StoredObject<DraftLeftoversData>, 'data'> & { resourceVersion?: number },
  requestId: string,
): Promise<void> {
  const { sandboxName, draftId, generation } = marker.data;
  const events = await store.queryAll(
    keys.sandboxPartition(sandboxName),
    `${childPrefix.draftEvent}${draftId}#${generation}#`,
  );
  const remove = (
    key: ItemKey,
    subject: { kind: string; name: string },
    opts: { current?: StoredObject<unknown> } | { expectedResourceVersion: number },
  ) =>
    store.delete(key, subject, { requestId: `${requestId}:${key.sk}`, ...opts }).catch((err) => {
      if (!(err instanceof NotFound)) throw err;
    });
  for (let i = 0; i < events.length; i += CONCURRENCY) {
    await Promise.all(
      events.slice(i, i + CONCURRENCY).map((e) => remove(e.key, e, { current: e })),
    );
  }
  const key = keys.draftLeftovers(sandboxName, draftId, generation);
  const subject = { kind: Kind.PolicyDraftLeftovers, name: `${draftId}-${generation}` };
  if (marker.resourceVersion) {
    await remove(key, subject, { expectedResourceVersion: marker.resourceVersion });
    return;
  }
  const current = await store.get(key);
  if (current) await remove(key, subject, { current });
}
