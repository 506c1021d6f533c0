import type { FunctionName, Route, RouteGroup } from './route.ts';
import { config } from './routes/config.ts';
import { inference } from './routes/inference.ts';
import { meta } from './routes/meta.ts';
import { providers } from './routes/providers.ts';
import { sandboxes } from './routes/sandboxes.ts';
import { sessions } from './routes/sessions.ts';

/**
 * The route table: every function's routes (`lib/http/routes/<fn>.ts`), in the order the API
 * lists them. The dev server, the OpenAPI document, CDK and the tests read it; a function
 * loads only its own group.
 */
export const routeGroups: Readonly<Record<FunctionName, RouteGroup>> = {
  providers,
  sandboxes,
  config,
  sessions,
  inference,
  meta,
};

/** Every route of the API. */
export const routes: readonly Route[] = Object.values(routeGroups).flatMap((g) => g.routes);
