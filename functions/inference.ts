import { createHttpHandler } from '#lib/http/handler.ts';
import { inference } from '#lib/http/routes/inference.ts';

/** Lambda entry point for the `inference` routes (`lib/http/routes/inference.ts`). */
export const handler = createHttpHandler(inference);
