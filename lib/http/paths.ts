import type { Method } from '#lib/contract/contract.ts';

/** A route path such as `/v1/sandboxes/{name}`, compiled for matching request paths. */
export interface PathTemplate {
  path: string;
  pattern: RegExp;
  /** The `{param}` names, in order. */
  names: string[];
}

export function compilePath(path: string): PathTemplate {
  const names: string[] = [];
  const source = path
    .split('/')
    .map((seg) => {
      const m = /^\{(\w+)\}$/.exec(seg);
      if (!m) return seg.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      names.push(m[1]!);
      return '([^/]+)';
    })
    .join('/');
  return { path, pattern: new RegExp(`^${source}$`), names };
}

/**
 * The path parameters of `path` under `template`, URL-decoded, as API Gateway matches: literal
 * segments, `{param}` for one segment. Undefined when it does not match (or cannot be decoded).
 */
export function matchPath(
  template: PathTemplate,
  path: string,
): Record<string, string> | undefined {
  const m = template.pattern.exec(path);
  if (!m) return undefined;
  const params: Record<string, string> = {};
  try {
    template.names.forEach((n, i) => {
      params[n] = decodeURIComponent(m[i + 1]!);
    });
  } catch {
    return undefined;
  }
  return params;
}

/** HEAD is served by every GET route, as HTTP asks (RFC 9110 §9.3.2). */
export const servingMethod = (method: string) => (method === 'HEAD' ? 'GET' : method);

/**
 * The methods that `path` answers, in a fixed order, for the `Allow` header of a 405; empty
 * when no route has the path. HEAD is listed with GET.
 */
export function allowedMethods(
  routes: readonly { method: Method; path: PathTemplate }[],
  path: string,
): string[] {
  const methods = new Set<string>();
  for (const r of routes) if (matchPath(r.path, path)) methods.add(r.method);
  if (methods.has('GET')) methods.add('HEAD');
  return ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'].filter((m) => methods.has(m));
}
