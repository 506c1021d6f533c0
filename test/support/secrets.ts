/**
 * Every provider credential value a test sends is registered here, and every response body
 * the test helpers receive is checked against all of them: a secret must never come back.
 */
const secrets = new Set<string>();

export function registerSecrets(body: unknown): void {
  const creds = (body as { credentials?: Record<string, unknown> } | undefined)?.credentials;
  if (!creds || typeof creds !== 'object') return;
  for (const v of Object.values(creds)) {
    if (typeof v === 'string' && v.length >= 8) secrets.add(v);
  }
}

export function assertNoSecrets(text: string): void {
  for (const s of secrets) {
    if (text.includes(s)) throw new Error(`a response leaked a provider secret: ${s.slice(0, 4)}…`);
  }
}

export function secretCount(): number {
  return secrets.size;
}
