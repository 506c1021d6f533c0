import { createHttpHandler } from '#lib/http/handler.ts';

/** Lambda entry point for the `sessions` routes of the route table. */
export const handler = createHttpHandler('sessions');
