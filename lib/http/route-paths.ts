import { contracts } from '#lib/contract/index.ts';
import { allowedMethods, compilePath } from './paths.ts';

const templates = contracts.map((c) => ({ method: c.method, path: compilePath(c.path) }));

/**
 * The methods the whole contract table serves on `path`, for the function that answers
 * requests no route matched (`$default`): a known path with a wrong method is a 405 with `Allow`.
 */
export const routeTableMethods = (path: string) => allowedMethods(templates, path);
