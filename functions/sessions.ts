import { createHttpHandler } from '#lib/http/handler.ts';
import { sessions } from '#lib/http/routes/sessions.ts';

/** Lambda entry point for the `sessions` routes (`lib/http/routes/sessions.ts`). */
export const handler = createHttpHandler(sessions);
