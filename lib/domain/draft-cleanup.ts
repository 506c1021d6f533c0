import { NotFound } from '#lib/errors.ts';
import type { Store } from '#lib/store/store.ts';
import type { TransactOp } from '#lib/store/transact.ts';
import type { StoredObject } from '#lib/store/types.ts';
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

/** Deletes a cleared draft's events of its generation, then its marker. Idempotent. */
export async function finishDraftCleanup(
  store: Store,
  marker: Pick<StoredObject<DraftLeftoversData>, 'data'>,
  requestId: string,
): Promise<void> {
  const { sandboxName, draftId, generation } = marker.data;
  const events = await store.queryAll(
    keys.sandboxPartition(sandboxName),
    `${childPrefix.draftEvent}${draftId}#${generation}#`,
  );
  const leftovers = [...events];
  const current = await store.get(keys.draftLeftovers(sandboxName, draftId, generation));
  if (current) leftovers.push(current);
  for (let i = 0; i < leftovers.length; i += CONCURRENCY) {
    await Promise.all(
      leftovers.slice(i, i + CONCURRENCY).map(async (item) => {
        try {
          await store.delete(
            item.key,
            { kind: item.kind, name: item.name },
            { requestId: `${requestId}:${item.key.sk}`, current: item },
          );
        } catch (err) {
          if (!(err instanceof NotFound)) throw err;
        }
      }),
    );
  }
}
