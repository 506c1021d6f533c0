import { createHttpHandler } from '#lib/http/handler.ts';
import { meta } from '#lib/http/routes/meta.ts';

/** Lambda entry point for the `meta` routes (`lib/http/routes/meta.ts`). */
export const handler = createHttpHandler(meta);
