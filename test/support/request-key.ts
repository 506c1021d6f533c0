import type { ItemKey } from '#lib/store/types.ts';

type KeyAttribute = { S?: string } | string | undefined;

/**
 * The key a request names, as a test's middleware sees it: a document command's key is plain
 * strings, a low-level command's (the store's GetItem and UpdateItem) is marshalled.
 */
export function requestKey(key: Record<string, unknown> | undefined): ItemKey | undefined {
  if (!key) return undefined;
  const text = (v: KeyAttribute) => (typeof v === 'string' ? v : v?.S);
  return { pk: text(key.pk as KeyAttribute) ?? '', sk: text(key.sk as KeyAttribute) ?? '' };
}

/** Whether a request's key (either form) is `key`. */
export const isKey = (raw: Record<string, unknown> | undefined, key: ItemKey) => {
  const k = requestKey(raw);
  return k?.pk === key.pk && k.sk === key.sk;
};
