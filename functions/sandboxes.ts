import { createHttpHandler } from '#lib/http/handler.ts';
import { sandboxes } from '#lib/http/routes/sandboxes.ts';

/** Lambda entry point for the `sandboxes` routes (`lib/http/routes/sandboxes.ts`). */
export const handler = createHttpHandler(sandboxes);
