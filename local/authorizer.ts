import type { JWTPayload } from 'jose';
import { allowedScopes, type ContractSpec, SUPER_SCOPE } from '#lib/contract/contract.ts';
import { PermissionDenied, Unauthenticated } from '#lib/errors.ts';
import type { DevAuthority } from './dev-auth.ts';

/** Verified tokens kept at most; the cache starts over past it. */
const MAX_CACHED_TOKENS = 1000;

/** The claims API Gateway hands to the function, every value a string. */
export type GatewayClaims = Record<string, string>;

/**
 * The dev server's stand-in for API Gateway's JWT authorizer, which runs before any function:
 * on a route with a scope, and on `$default` (requests no route matches), it needs a valid
 * token; on a route with a scope, that token must also grant the scope or `shellgate:all`.
 * It answers with the errors the handlers map to 401 and 403.
 */
export interface GatewayAuthorizer {
  /**
   * The claims to pass to the function of `route` (undefined: `$default`), or undefined for a
   * public route, which gets no claims.
   */
  authorize(
    route: Pick<ContractSpec, 'scope'> | undefined,
    authorization: string | undefined,
  ): Promise<GatewayClaims | undefined>;
}

/**
 * The scopes API Gateway reads from a token: the `scope` claim (else `scp`), either one
 * space-delimited string or a JSON array whose strings are each one scope. Nothing else splits:
 * `"a,b"`, a tab, or `"[a]"` is one scope of that name.
 */
export function gatewayScopes(payload: JWTPayload): string[] {
  const raw = payload.scope ?? payload.scp;
  if (typeof raw === 'string') return raw.split(' ').filter(Boolean);
  if (Array.isArray(raw)) return raw.filter((s): s is string => typeof s === 'string');
  return [];
}

/** API Gateway hands claims to the function as strings, a list as `[a b]`. */
function asGatewayClaims(payload: JWTPayload): GatewayClaims {
  return Object.fromEntries(
    Object.entries(payload).map(([k, v]) => [
      k,
      typeof v === 'string' ? v : Array.isArray(v) ? `[${v.join(' ')}]` : String(v),
    ]),
  );
}

/**
 * API Gateway's JWT authorizer also requires `exp` and refuses an `iat` in the future; the
 * signature, issuer, audience, `exp` and `nbf` checks are the authority's.
 */
function checkTimes(payload: JWTPayload): JWTPayload {
  const now = Math.floor(Date.now() / 1000);
  if (typeof payload.exp !== 'number') throw new Error('the token has no exp claim');
  if (payload.iat !== undefined && payload.iat > now) throw new Error('the token is issued later');
  return payload;
}

interface Verified {
  claims: GatewayClaims;
  scopes: ReadonlySet<string>;
  exp: number;
}

export function createGatewayAuthorizer(authority: DevAuthority): GatewayAuthorizer {
  // A token's signature is checked once; its claims are reused until it expires.
  const verified = new Map<string, Verified>();
  const verify = async (token: string): Promise<Verified> => {
    const hit = verified.get(token);
    if (hit && hit.exp > Date.now() / 1000) return hit;
    let payload: JWTPayload;
    try {
      payload = checkTimes(await authority.verify(token));
    } catch {
      verified.delete(token);
      throw new Unauthenticated('The bearer token is invalid or expired.');
    }
    const entry = {
      claims: asGatewayClaims(payload),
      scopes: new Set(gatewayScopes(payload)),
      exp: payload.exp as number,
    };
    if (verified.size >= MAX_CACHED_TOKENS) verified.clear();
    verified.set(token, entry);
    return entry;
  };

  return {
    authorize: async (route, authorization) => {
      if (route?.scope === null) return undefined;
      const m = /^Bearer\s+(\S+)$/i.exec(authorization ?? '');
      if (!m) throw new Unauthenticated();
      const { claims, scopes } = await verify(m[1]!);
      // `$default` has the authorizer but no scopes: any valid token reaches the function.
      if (route && !scopes.has(SUPER_SCOPE) && !allowedScopes(route).some((s) => scopes.has(s))) {
        throw new PermissionDenied(allowedScopes(route).join(' or '));
      }
      return claims;
    },
  };
}
