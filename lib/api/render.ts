import type { StoredObject } from '#lib/store/types.ts';

/**
 * What every object's view is made of, and the views by kind. Pure, so that a kind's schemas
 * module can declare its view here and the typed client can load that module.
 */

/** The value every secret is replaced with in every response. */
export const REDACTED = 'REDACTED';

export interface Metadata {
  id: string;
  name: string;
  resourceVersion: number;
  createdAt: string;
  updatedAt: string;
  labels: Record<string, string>;
}

export function metadataOf(obj: StoredObject<unknown>): Metadata {
  return {
    id: obj.id,
    name: obj.name,
    resourceVersion: obj.resourceVersion,
    createdAt: obj.createdAt,
    updatedAt: obj.updatedAt,
    labels: obj.labels,
  };
}

/**
 * How each kind's objects are rendered, by kind: what `renderObject` answers for the `current`
 * object of a conflict. A view declared with `objectView` is registered when its module loads,
 * which the routes of its kind do.
 */
const renderers = new Map<string, (obj: StoredObject<never>) => unknown>();

/** Declares `render` as the view of `kind`'s objects (`renderObject`) and returns it. */
export function objectView<T, V>(
  kind: string,
  render: (obj: StoredObject<T>) => V,
): (obj: StoredObject<T>) => V {
  renderers.set(kind, render as (obj: StoredObject<never>) => unknown);
  return render;
}

/**
 * Renders any stored object the way its routes do — secrets redacted. Used for the `current`
 * object of a conflict, whatever kind it is; a kind without a view shows its metadata.
 */
export function renderObject(obj: StoredObject<unknown>): unknown {
  const render = renderers.get(obj.kind);
  return render ? render(obj as StoredObject<never>) : { metadata: metadataOf(obj) };
}
