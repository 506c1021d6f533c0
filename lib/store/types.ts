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

/**
 * A fragment of an update expression that performs a change without reading first.
 * Attribute names and values use the caller's own `#n`/`:v` placeholders; `#data` is the
 * item's data map and is always defined.
 */
export interface UpdateFragment {
  set?: string[];
  remove?: string[];
  /** Extra condition that must hold for the fast path; when it fails, `apply` decides. */
  condition?: string;
  names?: Record<string, string>;
  values?: Record<string, unknown>;
}

/** A change to one object. */
export interface Mutation<D> {
  /**
   * The change as a pure function of the current object: the new data, or `undefined` when
   * nothing changes. May throw a ShellgateError (e.g. a limit or a precondition).
   */
  apply(current: StoredObject<D>): D | undefined;
  /** The same change as an update expression, used by client-driven writes (no read). */
  expression?: UpdateFragment;
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
