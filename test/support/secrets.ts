/**
 * Every provider credential value a test sends is registered here, and every response body
 * the test helpers receive is checked against all of them: a secret must never come back.
 * Every `fetch` of a test file that imports this module is checked as well, whichever helper
 * (or none) made it.
 */
const secrets = new Set<string>();

export function registerSecrets(body: unknown): void {
  const creds = (body as { credentials?: Record<string, unknown> } | undefined)?.credentials;
  if (!creds || typeof creds !== 'object') return;
  for (const v of Object.values(creds)) {
    if (typeof v === 'string') registerSecret(v);
  }
}

/** Registers one secret value (e.g. an SSH session token); short values are too common to check. */
export function registerSecret(value: string): void {
  if (value.length >= 8) secrets.add(value);
}

export function assertNoSecrets(text: string): void {
  for (const s of secrets) {
    if (text.includes(s))
      throw new Error(`a response leaked a registered secret: ${s.slice(0, 4)}…`);
  }
}

export function secretCount(): number {
  return secrets.size;
}

type Fetch = typeof globalThis.fetch;
const GUARDED = Symbol.for('shellgate.test.secretsGuard');

/**
 * Wraps the global `fetch`: a JSON request body's credentials are registered, and the response
 * body and headers are checked before the caller sees them.
 */
function guardFetch(): void {
  const plain = globalThis.fetch as Fetch & { [GUARDED]?: true };
  if (plain[GUARDED]) return;
  const guarded: Fetch = async (input, init) => {
    if (typeof init?.body === 'string') {
      try {
        registerSecrets(JSON.parse(init.body));
      } catch {
        // Not JSON: nothing to register.
      }
    }
    const res = await plain(input, init);
    assertNoSecrets(JSON.stringify([...res.headers]));
    assertNoSecrets(await res.clone().text());
    return res;
  };
  globalThis.fetch = Object.assign(guarded, { [GUARDED]: true as const });
}

guardFetch();
