export { ensureTable } from './admin.ts';
export { createDocumentClient } from './client.ts';
export type { Change, Condition, Path } from './expression.ts';
export { change, field, record, where } from './expression.ts';
export { Store } from './store.ts';
export type { TransactOp } from './transact.ts';
export type * from './types.ts';
