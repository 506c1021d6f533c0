import type { TableHandle } from '#lib/store/handle.ts';
import { appendToLog } from '#lib/store/log.ts';
import { eventsOf, type ItemChange, toLogEntry, type WatchKind } from './events.ts';

/** How long the feed keeps an event: SPEC §8 promises at least 24 h; the TTL removes it later. */
export const HISTORY_SECONDS = 24 * 60 * 60;
/** What the TTL is set to: past the history promised, so an event is never gone early. */
const EVENT_TTL_SECONDS = HISTORY_SECONDS + 60 * 60;

export interface ConsumeResult {
  events: number;
  appended: number;
  duplicates: number;
}

/**
 * Turns a batch of the table's changes, in the stream's order, into watch events and appends
 * each kind's to its feed in that order. A batch consumed again (the consumer failed after
 * appending part of it) appends nothing twice: an event's identity is its object, version and
 * type.
 */
export async function consumeChanges(
  table: TableHandle,
  changes: readonly ItemChange[],
): Promise<ConsumeResult> {
  const byKind = new Map<WatchKind, ReturnType<typeof toLogEntry>[]>();
  let events = 0;
  for (const change of changes) {
    for (const event of eventsOf(change)) {
      events++;
      const entries = byKind.get(event.kind) ?? [];
      entries.push(toLogEntry(event));
      byKind.set(event.kind, entries);
    }
  }
  let appended = 0;
  let duplicates = 0;
  for (const [kind, entries] of byKind) {
    const res = await appendToLog(table, kind, entries, { ttlSeconds: EVENT_TTL_SECONDS });
    appended += res.appended;
    duplicates += res.duplicates;
  }
  return { events, appended, duplicates };
}
