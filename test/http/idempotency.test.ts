import { describe, expect, it } from 'vitest';
import { principalOf } from '#lib/http/auth.ts';
import { idempotencyScope } from '#lib/http/idempotency.ts';
import { createOfflineApi } from '#test/support/api.ts';

/**
 * What `lib/http/idempotency.ts` decides before it claims a key: which keys it takes, whose
 * they are, and what makes two requests the same. Claims, replays and releases need the table:
 * `test/api/idempotency*.test.ts`.
 */

const { call, reached } = createOfflineApi();

const REQUEST = {
  routeKey: 'PUT /v1/settings/{key}',
  path: '/v1/settings/k',
  query: '',
  body: '{"value":1}',
};
const alice = principalOf({ iss: 'https://idp.example', sub: 'alice' });

/** The field violations `idempotencyScope` refuses a key with, or none. */
function refusalOf(key: string, principal: string | undefined) {
  try {
    idempotencyScope(key, principal, REQUEST);
    return [];
  } catch (err) {
    return (err as { errors: unknown[] }).errors;
  }
}

describe('an Idempotency-Key', () => {
  it.each([
    ['one character', '!'],
    ['255 characters', 'k'.repeat(255)],
    ['a UUID', '0f8fad5b-d9cb-469f-a165-70867728950e'],
    [
      'every visible ASCII character',
      Array.from({ length: 94 }, (_, i) => String.fromCharCode(0x21 + i)).join(''),
    ],
  ])('of %s is taken', (_, key) => {
    expect(refusalOf(key, alice)).toEqual([]);
  });

  it.each([
    ['an empty key', ''],
    ['256 characters', 'k'.repeat(256)],
    ['a space', 'a b'],
    ['a tab', 'a\tb'],
    ['a character past ASCII', 'clé'],
    ['DEL', 'a\x7f'],
  ])('with %s is 400 naming the header', (_, key) => {
    expect(refusalOf(key, alice)).toEqual([
      { field: 'header.idempotency-key', message: 'must be 1–255 visible ASCII characters' },
    ]);
  });

  it('from a token that names nobody is 400 naming the header', () => {
    expect(refusalOf('k', principalOf({ scope: 'shellgate:all' }))).toEqual([
      {
        field: 'header.idempotency-key',
        message: 'needs a token that names its caller (sub, client_id or azp)',
      },
    ]);
  });
});

describe('the record of a key', () => {
  it('is its principal’s: one key of two callers is two records, of one caller one', () => {
    // act
    const record = (claims: Record<string, string>) =>
      idempotencyScope('shared', principalOf(claims), REQUEST).recordKey;
    // assert
    const byAlice = record({ iss: 'https://idp.example', sub: 'alice' });
    expect(record({ iss: 'https://idp.example', sub: 'alice' })).toEqual(byAlice);
    expect(record({ iss: 'https://idp.example', sub: 'bob' })).not.toEqual(byAlice);
    expect(record({ iss: 'https://other.example', sub: 'alice' })).not.toEqual(byAlice);
    expect(record({ azp: 'alice' })).not.toEqual(record({ client_id: 'bob' }));
    expect(byAlice.pk).not.toContain('alice');
    expect(byAlice.pk).not.toContain('shared');
  });

  it('has a fingerprint of the route, the path, the query and the body; each claim an owner of its own', () => {
    // arrange
    const scopeOf = (changes: Partial<typeof REQUEST>) =>
      idempotencyScope('k', alice, { ...REQUEST, ...changes });
    const same = [scopeOf({}), scopeOf({})];
    // act
    const others = [
      scopeOf({ routeKey: 'DELETE /v1/settings/{key}' }),
      scopeOf({ path: '/v1/settings/other' }),
      scopeOf({ query: 'expectedResourceVersion=1' }),
      scopeOf({ body: '{"value":2}' }),
    ];
    // assert
    expect(same[1]!.fingerprint).toBe(same[0]!.fingerprint);
    expect(same[1]!.owner).not.toBe(same[0]!.owner);
    for (const other of others) {
      expect(other.recordKey).toEqual(same[0]!.recordKey);
      expect(other.fingerprint).not.toBe(same[0]!.fingerprint);
    }
  });
});

describe('a keyed request the handler refuses before it claims the key', () => {
  it('a malformed key is 400 naming the header', async () => {
    const invalid = await call('PUT', '/v1/settings/scoped', {
      body: { value: 'a' },
      headers: { 'Idempotency-Key': 'bad key with spaces' },
    });
    expect(invalid.status).toBe(400);
    expect(invalid.body.errors[0].field).toBe('header.idempotency-key');
  });

  it('from a token that names nobody: 400, and nothing is read or written', async () => {
    const res = await call('PUT', '/v1/settings/nobody', {
      body: { value: 'a' },
      headers: { 'Idempotency-Key': 'nobody-key' },
      claims: { scope: 'shellgate:all' },
    });
    expect(res.status).toBe(400);
    expect(res.body.errors[0].field).toBe('header.idempotency-key');
    expect(reached).toEqual([]);
  });

  it('that is invalid otherwise: 400 for what is wrong with it, and no claim is made', async () => {
    const res = await call('PUT', '/v1/settings/Bad Key', {
      body: { value: 'a', extra: 1 },
      headers: { 'Idempotency-Key': 'invalid-request' },
    });
    expect(res.status).toBe(400);
    expect(res.body.errors.map((e: { field: string }) => e.field)).not.toContain(
      'header.idempotency-key',
    );
    expect(reached).toEqual([]);
  });
});
