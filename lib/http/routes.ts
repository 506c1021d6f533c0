import type { FunctionName } from '#lib/contract/index.ts';
import type { Route, RouteGroup } from './route.ts';
import { config } from './routes/config.ts';
import { drafts } from './routes/drafts.ts';
import { inference } from './routes/inference.ts';
import { meta } from './routes/meta.ts';
import { providers } from './routes/providers.ts';
import { sandboxes } from './routes/sandboxes.ts';
import { sessions } from './routes/sessions.ts';

/**
 * The binding table: every function's routes (`lib/http/routes/<fn>.ts`, each contract of
 * `lib/contract/` with its use-case), in the order the API lists them. What needs the use-cases
 * or the DynamoDB actions reads it: CDK's permissions, the dev server's handlers, the tests; a
 * function loads only its own group. What needs only the API reads `lib/contract/`.
 */
export const routeGroups: Readonly<Record<FunctionName, RouteGroup>> = {
  providers,
  sandboxes,
  config,
  drafts,
  sessions,
  inference,
  meta,
};

/** Every route of the API. */
export const routes: readonly Route[] = Object.values(routeGroups).flatMap((g) => g.routes);
