import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import {
  exportJWK,
  generateKeyPair,
  importJWK,
  type JWK,
  type JWTPayload,
  jwtVerify,
  SignJWT,
} from 'jose';

export const DEV_ISSUER = 'https://shellgate.local/dev';
export const DEV_AUDIENCE = 'shellgate';
const ALG = 'ES256';

export interface DevAuthority {
  issuer: string;
  audience: string;
  /** Signs a token with the dev key. @default scopes ['shellgate:all'], 12 h */
  mint(options?: { scopes?: string[]; subject?: string; ttlSeconds?: number }): Promise<string>;
  /** Verifies signature, issuer, audience and expiry, as API Gateway's JWT authorizer does. */
  verify(token: string): Promise<JWTPayload>;
}

/**
 * The dev server's signing key: created on first start and kept in `keyFile` (git-ignored), so
 * tokens outlive restarts. Without a file, an in-memory key.
 */
export async function createDevAuthority(keyFile?: string): Promise<DevAuthority> {
  let privateJwk: JWK;
  if (keyFile && existsSync(keyFile)) {
    privateJwk = JSON.parse(readFileSync(keyFile, 'utf8')) as JWK;
  } else {
    const { privateKey } = await generateKeyPair(ALG, { extractable: true });
    privateJwk = await exportJWK(privateKey);
    if (keyFile) {
      mkdirSync(dirname(keyFile), { recursive: true });
      writeFileSync(keyFile, JSON.stringify(privateJwk), { mode: 0o600 });
    }
  }
  const { d: _private, ...publicJwk } = privateJwk;
  const privateKey = await importJWK(privateJwk, ALG);
  const publicKey = await importJWK(publicJwk, ALG);
  return {
    issuer: DEV_ISSUER,
    audience: DEV_AUDIENCE,
    mint: async ({
      scopes = ['shellgate:all'],
      subject = 'dev-user',
      ttlSeconds = 12 * 3600,
    } = {}) =>
      new SignJWT({ scope: scopes.join(' ') })
        .setProtectedHeader({ alg: ALG })
        .setIssuer(DEV_ISSUER)
        .setAudience(DEV_AUDIENCE)
        .setSubject(subject)
        .setIssuedAt()
        .setExpirationTime(Math.floor(Date.now() / 1000) + ttlSeconds)
        .sign(privateKey),
    verify: async (token) =>
      (await jwtVerify(token, publicKey, { issuer: DEV_ISSUER, audience: DEV_AUDIENCE })).payload,
  };
}
