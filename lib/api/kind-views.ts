import type * as z from 'zod/mini';
import type * as Views from './view-schemas.ts';

/**
 * The response schemas a kind keeps in its own schemas module (`schemas/inference.ts`). They
 * describe answers for the OpenAPI document and the typed client's types; no function validates
 * with them, so they are built on first use — from the shared parts of `view-schemas.ts`, which
 * a function never loads — and never when a function starts.
 */

type Schemas = Record<string, z.ZodMiniType>;
type Build<R extends Schemas> = (v: typeof Views) => R;

const kinds: Build<Schemas>[] = [];

/**
 * Declares a kind's response schemas, named as their members (`InferenceRouteView`), and returns
 * what a contract's `response` picks them from: `response: (v) => inferenceViews(v).X`.
 */
export function kindViews<R extends Schemas>(build: Build<R>): Build<R> {
  let built: R | undefined;
  const get: Build<R> = (v) => {
    built ??= build(v);
    return built;
  };
  kinds.push(get);
  return get;
}

/** Every kind's own response schemas by name, for the OpenAPI document's components. */
export const allKindViews = (v: typeof Views): Schemas =>
  Object.assign({}, ...kinds.map((get) => get(v)));
