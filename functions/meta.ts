import { createHttpHandler } from '#lib/http/handler.ts';

/** Lambda entry point for the `meta` routes of the route table. */
export const handler = createHttpHandler('meta');
