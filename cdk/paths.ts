import { fileURLToPath } from 'node:url';

/** The repository root: NodejsFunction entries, the lock file and esbuild's working directory. */
export const PROJECT_ROOT = fileURLToPath(new URL('..', import.meta.url));
