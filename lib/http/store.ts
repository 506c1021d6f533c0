import { createDocumentClient } from '#lib/store/client.ts';
import { Store } from '#lib/store/store.ts';

let store: Store | undefined;

/**
 * The store of this Lambda instance, created on first use from the environment
 * (`SHELLGATE_TABLE`, and `DYNAMODB_ENDPOINT` locally) and reused by every invocation.
 */
export function defaultStore(): Store {
  if (!store) {
    const table = process.env.SHELLGATE_TABLE;
    if (!table) throw new Error('SHELLGATE_TABLE is not set');
    store = new Store(createDocumentClient(), table);
  }
  return store;
}
