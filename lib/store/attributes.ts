import { randomUUID } from 'node:crypto';
import type { ItemKey, NewObject, StoredObject } from './types.ts';

/** Set on an object whose owner's delete froze it (see the `freeze` transaction op). */
export const FROZEN = 'frozen';

/** Attribute names of object items. */
export const A = {
  pk: 'pk',
  sk: 'sk',
  kind: 'kind',
  name: 'name',
  id: 'id',
  version: 'resource_version',
  createdAt: 'created_at',
  updatedAt: 'updated_at',
  labels: 'labels',
  data: 'data',
  receipt: 'last_request_id',
  tombstone: 'tombstone',
  expiresAt: 'expires_at',
  gsi1pk: 'gsi1pk',
  gsi1sk: 'gsi1sk',
} as const;

export type Item = Record<string, unknown>;

/** Tombstones stand where a deleted object was, so a retried delete can find its receipt. */
export const TOMBSTONE_TTL_SECONDS = 24 * 60 * 60;

export function isLive(item: Item | undefined): item is Item {
  return item !== undefined && item[A.tombstone] !== true;
}

/** The version stored on the item; items written before versions existed read as 1. */
export function versionOf(item: Item): number {
  const v = item[A.version];
  return typeof v === 'number' ? v : 1;
}

export function keyOf(item: Item): ItemKey {
  return { pk: item[A.pk] as string, sk: item[A.sk] as string };
}

export function toObject<D>(item: Item): StoredObject<D> {
  const createdAt = (item[A.createdAt] as string | undefined) ?? '1970-01-01T00:00:00.000Z';
  return {
    key: keyOf(item),
    kind: item[A.kind] as string,
    name: item[A.name] as string,
    id: item[A.id] as string,
    resourceVersion: versionOf(item),
    createdAt,
    updatedAt: (item[A.updatedAt] as string | undefined) ?? createdAt,
    labels: (item[A.labels] as Record<string, string> | undefined) ?? {},
    data: (item[A.data] as D | undefined) ?? ({} as D),
    ...(item[FROZEN] === true ? { frozen: true as const } : {}),
  };
}

/** The attributes of an object as read (its receipt unknown): the inverse of {@link toObject}. */
export function itemOf(obj: StoredObject<unknown>): Item {
  return {
    ...obj.key,
    [A.kind]: obj.kind,
    [A.name]: obj.name,
    [A.id]: obj.id,
    [A.version]: obj.resourceVersion,
    [A.createdAt]: obj.createdAt,
    [A.updatedAt]: obj.updatedAt,
    [A.labels]: obj.labels,
    [A.data]: obj.data,
    ...(obj.frozen ? { [FROZEN]: true } : {}),
  };
}

/** The full item of a new object at version 1, carrying its write's receipt. */
export function newItem<D>(obj: NewObject<D>, requestId: string): Item {
  const at = new Date().toISOString();
  return {
    ...obj.key,
    [A.kind]: obj.kind,
    [A.name]: obj.name,
    [A.id]: obj.id ?? randomUUID(),
    [A.version]: 1,
    [A.createdAt]: at,
    [A.updatedAt]: at,
    [A.labels]: obj.labels ?? {},
    [A.data]: obj.data,
    [A.receipt]: requestId,
    ...(obj.index ? { [A.gsi1pk]: obj.index.gsi1pk, [A.gsi1sk]: obj.index.gsi1sk } : {}),
    ...(obj.expiresAt ? { [A.expiresAt]: obj.expiresAt } : {}),
  };
}
