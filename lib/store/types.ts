/** The primary key of one item. */
export interface ItemKey {
  pk: string;
  sk: string;
}

/** Where an object appears in the `byKind` index (absent: not listed by kind). */
export interface IndexEntry {
  gsi1pk: string;
  gsi1sk: string;
}

export type Labels = Record<string, string>;

/** An object as the store returns it: metadata from the item's own attributes, plus kind data. */
export interface StoredObject<D = Record<string, unknown>> {
  key: ItemKey;
  kind: string;
  name: string;
  id: string;
  /** From the item's `resource_version`; legacy items without it read as 1. */
  resourceVersion: number;
  createdAt: string;
  updatedAt: string;
  labels: Labels;
  data: D;
  /** Present (true) when its owner's delete froze it: no write accepts it any more. */
  frozen?: true;
}

export interface NewObject<D = Record<string, unknown>> {
  key: ItemKey;
  kind: string;
  name: string;
  /** @default a fresh UUID */
  id?: string;
  labels?: Labels;
  data: D;
  index?: IndexEntry;
  /** Epoch seconds after which DynamoDB may expire the item. */
  expiresAt?: number;
}

export interface WriteOptions {
  /** Stored on the item as the write's receipt; a retry with the same id is recognised. */
  requestId: string;
  /** Client-driven CAS when > 0; server-driven when absent or 0. */
  expectedResourceVersion?: number;
  expectedId?: string;
}

/** A change to one object. */
export interface Mutation<D> {
  /**
   * The change as a pure function of the current object: the new data, or `undefined` when
   * nothing changes. May throw a ShellgateError (e.g. a limit or a precondition).
   */
  apply(current: StoredObject<D>): D | undefined;
  /**
   * The same change as structured changes whose outcome does not depend on the rest of the
   * object, with the condition it requires beyond the object being live and not frozen: then
   * the store writes it in one UpdateItem without reading, and `apply` only explains a failed
   * condition. It must describe exactly what `apply` does.
   */
  blind?: { changes: readonly Change[]; requires?: Condition };
}

export interface WriteResult<D> {
  object: StoredObject<D>;
  /** False for a no-op: nothing was written and the version is unchanged. */
  changed: boolean;
  /** Write attempts made (server-driven CAS retries show up as attempts > 1). */
  attempts: number;
  /** The write had already taken effect: its receipt was found on the item. */
  resolvedByReceipt: boolean;
}

export interface Page<T> {
  items: T[];
  nextPageToken?: string;
}

/** Where a path points: inside an object's data, or at a record's own attribute. */
export interface Path {
  readonly in: 'data' | 'record';
  readonly keys: readonly string[];
}

export type Condition =
  | { readonly is: 'live' }
  | { readonly is: 'absent' }
  | { readonly is: 'version'; readonly version: number }
  | { readonly is: 'id'; readonly id: string }
  | { readonly is: 'notFrozen' }
  | { readonly is: 'notReceipt'; readonly receipt: string }
  | { readonly is: 'equals'; readonly path: Path; readonly value: unknown }
  | { readonly is: 'differs'; readonly path: Path; readonly value: unknown }
  | { readonly is: 'oneOf'; readonly path: Path; readonly values: readonly unknown[] }
  | { readonly is: 'present'; readonly path: Path }
  | { readonly is: 'missing'; readonly path: Path }
  | { readonly is: 'contains'; readonly path: Path; readonly value: unknown }
  | { readonly is: 'excludes'; readonly path: Path; readonly value: unknown }
  | { readonly is: 'sizeBelow'; readonly path: Path; readonly size: number }
  | { readonly is: 'below'; readonly path: Path; readonly value: number }
  | { readonly is: 'counterAtMost'; readonly value: number }
  | { readonly is: 'and'; readonly all: readonly Condition[] }
  | { readonly is: 'or'; readonly any: readonly Condition[] };

/**
 * A structured change to an object's data: what a write does, in domain terms. The store
 * applies it in memory (for validation and the response) and renders it to an update
 * expression, so a change that commutes with others can be written without reading first.
 */
export type Change =
  | { readonly op: 'set'; readonly path: readonly string[]; readonly value: unknown }
  | { readonly op: 'remove'; readonly path: readonly string[] }
  | { readonly op: 'append'; readonly path: readonly string[]; readonly values: readonly unknown[] }
  | { readonly op: 'increment'; readonly path: readonly string[]; readonly by: number };
