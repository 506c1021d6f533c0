import { createHttpHandler } from '#lib/http/handler.ts';
import { config } from '#lib/http/routes/config.ts';

/** Lambda entry point for the `config` routes (`lib/http/routes/config.ts`). */
export const handler = createHttpHandler(config);
