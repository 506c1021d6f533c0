import { createHttpHandler } from '#lib/http/handler.ts';

/** Lambda entry point for the `config` routes of the route table. */
export const handler = createHttpHandler('config');
