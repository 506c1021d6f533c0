import { allowedMethods, compilePath } from './paths.ts';
import { routes } from './routes.ts';

const templates = routes.map((r) => ({ method: r.method, path: compilePath(r.path) }));

/**
 * The methods the whole route table serves on `path`, for the function that answers requests no
 * route matched (`$default`): a known path with a wrong method is a 405 with `Allow`.
 */
export const routeTableMethods = (path: string) => allowedMethods(templates, path);
