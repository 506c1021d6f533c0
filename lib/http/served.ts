import { gunzipSync } from 'node:zlib';
import { PLACEHOLDER_ISSUER } from './issuer.ts';
import { allowedMethods, compilePath } from './paths.ts';
import { PACKED_DOCUMENT } from './served-document.ts';

type Json = Record<string, unknown>;

/**
 * What the `meta` function serves, read from the document `npm run openapi` generated
 * (`served-document.ts`) instead of from the contract table, so that the function loads no
 * schema and no use-case: its cold start is the handler's alone. `test/api/openapi.test.ts`
 * checks that it is the document the contract table generates, for any issuer.
 */

let text: string | undefined;
const documents = new Map<string, Json>();

/** The OpenAPI document with the deployment's issuer (the placeholder's when none is set). */
export function servedDocument(issuer = process.env.SHELLGATE_JWT_ISSUER): Json {
  const key = (issuer ?? PLACEHOLDER_ISSUER).replace(/\/+$/, '');
  const hit = documents.get(key);
  if (hit) return hit;
  text ??= gunzipSync(Buffer.from(PACKED_DOCUMENT, 'base64')).toString('utf8');
  const placeholder = JSON.stringify(PLACEHOLDER_ISSUER.replace(/\/+$/, '')).slice(1, -1);
  const wanted = JSON.stringify(key).slice(1, -1);
  const document = JSON.parse(text.replaceAll(placeholder, wanted)) as Json;
  documents.set(key, document);
  return document;
}

let templates:
  | Array<{
      method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
      path: ReturnType<typeof compilePath>;
    }>
  | undefined;

/**
 * The methods the API serves on `path`, from the document's paths: for the function that
 * answers requests no route matched (`$default`), a known path with a wrong method is a 405.
 */
export function documentMethods(path: string): string[] {
  templates ??= Object.entries(servedDocument().paths as Record<string, Json>).flatMap(
    ([template, item]) =>
      Object.keys(item).map((method) => ({
        method: method.toUpperCase() as 'GET',
        path: compilePath(template),
      })),
  );
  return allowedMethods(templates, path);
}
