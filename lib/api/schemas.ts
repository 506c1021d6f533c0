/**
 * Every request schema of the API, for what needs them all (the typed client). A function
 * imports the modules of its own routes only: a schema is built when its module loads.
 */
export * from './schemas/common.ts';
export * from './schemas/config.ts';
export * from './schemas/drafts.ts';
export * from './schemas/inference.ts';
export * from './schemas/providers.ts';
export * from './schemas/sandboxes.ts';
export * from './schemas/sessions.ts';
