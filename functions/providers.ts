import { createHttpHandler } from '#lib/http/handler.ts';
import { providers } from '#lib/http/routes/providers.ts';

/** Lambda entry point for the `providers` routes (`lib/http/routes/providers.ts`). */
export const handler = createHttpHandler(providers);
