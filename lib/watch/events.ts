import { gunzipSync, gzipSync } from 'node:zlib';
import { inferenceRouteView } from '#lib/api/schemas/inference.ts';
import { draftView, providerView, sandboxView, serviceView, sessionView } from '#lib/api/views.ts';
import { Kind } from '#lib/domain/keys.ts';
import { A, type Item, isLive, toObject, versionOf } from '#lib/store/attributes.ts';
import type { LogEntry, LogRecord } from '#lib/store/log.ts';

/**
 * Watch events (SPEC §8) from the table's changes: what a change of an item means to a watcher,
 * and how an event is kept in the feed (`lib/store/log.ts`, one log per watched kind).
 */

/**
 * The kinds a watch names, by their query name, with how their routes render them; a child
 * lives in its sandbox's partition, which names the sandbox its events carry.
 */
export const WATCH_KINDS = {
  sandbox: { kind: Kind.Sandbox, render: sandboxView, child: false },
  provider: { kind: Kind.Provider, render: providerView, child: false },
  draft: { kind: Kind.PolicyDraft, render: draftView, child: true },
  session: { kind: Kind.SSHSession, render: sessionView, child: true },
  service: { kind: Kind.Service, render: serviceView, child: true },
  inferenceRoute: { kind: Kind.InferenceRoute, render: inferenceRouteView, child: false },
} as const;
export type WatchKind = keyof typeof WATCH_KINDS;

const BY_STORE_KIND = new Map<string, WatchKind>(
  Object.entries(WATCH_KINDS).map(([watch, { kind }]) => [kind, watch as WatchKind]),
);

export type EventType = 'ADDED' | 'MODIFIED' | 'DELETED';

export interface WatchEvent {
  type: EventType;
  kind: WatchKind;
  /**
   * The object's id (none on an item written before ids existed), its item's key, name and
   * version; for a sandbox's child, its sandbox.
   */
  id: string;
  key: string;
  name: string;
  sandbox?: string;
  version: number;
  labels: Record<string, string>;
  /** The object as its routes render it: secrets redacted. */
  object: unknown;
}

/** One change of one item, as the stream gives it: the images before and after. */
export interface ItemChange {
  old?: Item;
  new?: Item;
}

const sandboxOf = (item: Item) => {
  const pk = item[A.pk] as string;
  return pk.startsWith('sandbox#') ? pk.slice('sandbox#'.length) : undefined;
};

/** The event of one object of a watched kind: what it is, as its routes render it. */
function eventFor(type: EventType, item: Item): WatchEvent | undefined {
  const kind = BY_STORE_KIND.get(item[A.kind] as string);
  if (!kind) return undefined;
  const object = toObject(item);
  const sandbox = WATCH_KINDS[kind].child ? sandboxOf(item) : undefined;
  return {
    type,
    kind,
    id: object.id,
    key: `${object.key.pk}/${object.key.sk}`,
    name: object.name,
    ...(sandbox !== undefined ? { sandbox } : {}),
    version: object.resourceVersion,
    labels: object.labels,
    object: (WATCH_KINDS[kind].render as (o: typeof object) => unknown)(object),
  };
}

/**
 * The events a change makes: a live object appearing (created, or created again where a
 * tombstone stood) is ADDED; a live object whose version moved is MODIFIED; a live object that
 * became a tombstone or was removed is DELETED, carrying the object as it last was; a live
 * object in the place of another (another id) is the other's DELETED and its ADDED. A change
 * that leaves the version where it was (the backfill's stamp of version 1) makes none, and so
 * does any change of an item that is not an object of a watched kind.
 */
export function eventsOf(change: ItemChange): WatchEvent[] {
  const before = isLive(change.old) ? change.old : undefined;
  const after = isLive(change.new) ? change.new : undefined;
  const events: Array<WatchEvent | undefined> = [];
  if (before && after && after[A.id] === before[A.id]) {
    if (versionOf(after) !== versionOf(before)) events.push(eventFor('MODIFIED', after));
  } else {
    if (before) events.push(eventFor('DELETED', before));
    if (after) events.push(eventFor('ADDED', after));
  }
  return events.filter((e): e is WatchEvent => e !== undefined);
}

/**
 * How an event is kept: its identity (one per object, version and type; an object written
 * before ids existed is told apart by its key), filters, the body.
 */
export function toLogEntry(event: WatchEvent): LogEntry {
  return {
    id: `${event.id ?? event.key}:${event.version}:${event.type}`,
    attrs: {
      type: event.type,
      name: event.name,
      version: event.version,
      ...(event.sandbox !== undefined ? { sandbox: event.sandbox } : {}),
    },
    body: gzipSync(JSON.stringify(event)),
  };
}

export function fromLogRecord(record: LogRecord): WatchEvent {
  return JSON.parse(gunzipSync(record.body).toString('utf8')) as WatchEvent;
}
