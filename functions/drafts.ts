import { createHttpHandler } from '#lib/http/handler.ts';
import { drafts } from '#lib/http/routes/drafts.ts';

/** Lambda entry point for the `drafts` routes (`lib/http/routes/drafts.ts`). */
export const handler = createHttpHandler(drafts);
