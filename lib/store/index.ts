export { ensureTable } from './admin.ts';
export { createDocumentClient } from './client.ts';
export { Store } from './store.ts';
export type { Condition, TransactOp } from './transact.ts';
export type * from './types.ts';
