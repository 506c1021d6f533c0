import { allowedScopes, type ContractSpec, SUPER_SCOPE } from '#lib/contract/contract.ts';
import { PermissionDenied, Unauthenticated } from '#lib/errors.ts';

export type Claims = Record<string, unknown>;

/** The scopes a token grants: its `scope` claim, space-separated (or a list, as some IdPs send). */
export function scopesOf(claims: Claims): Set<string> {
  const raw = claims.scope ?? claims.scp;
  if (Array.isArray(raw)) return new Set(raw.map(String));
  if (typeof raw === 'string') {
    // API Gateway renders list claims as "[a b]".
    return new Set(
      raw
        .replace(/^\[|\]$/g, '')
        .split(/[\s,]+/)
        .filter(Boolean),
    );
  }
  return new Set();
}

/**
 * Checks the route's scope against the claims the JWT authorizer verified. API Gateway already
 * did so when deployed; the handler checks again so that no route depends on configuration.
 */
export function authorize(
  route: Pick<ContractSpec, 'scope' | 'alsoScopes'>,
  claims: Claims | undefined,
): void {
  if (route.scope === null) return;
  if (!claims || Object.keys(claims).length === 0) throw new Unauthenticated();
  const scopes = scopesOf(claims);
  if (!scopes.has(SUPER_SCOPE) && !allowedScopes(route).some((s) => scopes.has(s))) {
    throw new PermissionDenied(allowedScopes(route).join(' or '));
  }
}

/**
 * Who made the request, for scoping idempotency keys: the issuer with the subject (or, for a
 * client-credentials token, the client), so tokens of different callers never share keys.
 * Undefined when the token names nobody.
 */
export function principalOf(claims: Claims | undefined): string | undefined {
  const who = claims?.sub ?? claims?.client_id ?? claims?.azp;
  if (typeof who !== 'string' || who === '') return undefined;
  return JSON.stringify([String(claims?.iss ?? ''), who]);
}
