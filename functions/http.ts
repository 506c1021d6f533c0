import type { FunctionName } from '#lib/contract/index.ts';
import { handler as config } from './config.ts';
import { handler as drafts } from './drafts.ts';
import { handler as inference } from './inference.ts';
import { handler as meta } from './meta.ts';
import { handler as providers } from './providers.ts';
import { handler as sandboxes } from './sandboxes.ts';
import { handler as sessions } from './sessions.ts';

/** Every HTTP function's handler by name, for the dev server. */
export const httpHandlers: Record<FunctionName, typeof providers> = {
  providers,
  sandboxes,
  config,
  drafts,
  sessions,
  inference,
  meta,
};
