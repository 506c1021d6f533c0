import { resourceVersionBackfill } from './005-resource-version.ts';
import { providerRefsBackfill } from './006-provider-refs.ts';
import type { Migration } from './types.ts';

/**
 * Every data migration, in the order they run. Numbers that were never shipped (001–004) are
 * simply absent; a new migration takes the next number and is appended here.
 */
export const migrations: readonly Migration[] = [resourceVersionBackfill, providerRefsBackfill];
