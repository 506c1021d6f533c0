import { isDeepStrictEqual } from 'node:util';
import fc from 'fast-check';
import { beforeAll, expect, it } from 'vitest';
import { contracts } from '#lib/contract/index.ts';
import type { Store } from '#lib/store/store.ts';
import { type ApiResponse, type Call, createTestApi } from '#test/support/api.ts';
import { keyString, type RawItem, scanAll } from '#test/support/legacy-items.ts';
import { hasFieldError, internalLeaks, problemShapeErrors } from '#test/support/problems.ts';
import { requestKey } from '#test/support/request-key.ts';
import { registerSecrets } from '#test/support/secrets.ts';
import { type FuzzCase, fuzzCases } from './cases.ts';
import { Stage } from './request.ts';
import { seedWorld, type World } from './world.ts';

/**
 * Property-based fuzzing of every route through the real handlers: each case is a request that
 * breaks at least one rule of SPEC §1–3 or docs/api.md. Every answer must be the 4xx problem the
 * first broken rule calls for, and nothing may be written. `SEED=<n>` replays a run.
 */

const SEED = process.env.SEED ? Number(process.env.SEED) : 20_261_129;
/** `FUZZ_RUNS=<n>` runs longer; never fewer than 10,000 cases. */
const RUNS = Math.max(10_000, Number(process.env.FUZZ_RUNS ?? 0));

let call: Call;
let store: Store;
let world: World;
let before: RawItem[];

/** Keys of the items that successful writes touched since the last look. */
const written: string[] = [];

const keyOf = (k: Record<string, unknown> | undefined) => {
  const key = requestKey(k);
  return key ? `${key.pk}|${key.sk}` : '?';
};

/** The item keys a write command's input names (document or raw form). */
function writtenKeys(input: Record<string, unknown>): string[] {
  const one = (i: Record<string, unknown>) =>
    keyOf((i.Item ?? i.Key) as Record<string, unknown> | undefined);
  if (Array.isArray(input.TransactItems)) {
    return input.TransactItems.flatMap((t: Record<string, Record<string, unknown>>) =>
      t.ConditionCheck ? [] : Object.values(t).map(one),
    );
  }
  if (input.RequestItems) {
    return Object.values(input.RequestItems as Record<string, Array<Record<string, unknown>>>)
      .flat()
      .map((r) => one((r.PutRequest ?? r.DeleteRequest) as Record<string, unknown>));
  }
  return [one(input)];
}

const WRITE_COMMANDS = /^(Put|Update|Delete|TransactWrite|BatchWrite)(Item|Items)?Command$/;

beforeAll(async () => {
  ({ call, store } = await createTestApi());
  world = await seedWorld(call);
  before = await scanAll(store);
  store.client.middlewareStack.add(
    (next, context) => async (args) => {
      const result = await next(args);
      const command = (context as { commandName?: string }).commandName ?? '';
      if (WRITE_COMMANDS.test(command)) {
        written.push(...writtenKeys(args.input as Record<string, unknown>));
      }
      return result;
    },
    { step: 'initialize', name: 'fuzz-write-watch' },
  );
}, 120_000);

/** Echoes of the request (field names, selector parts) are the caller's own text, not internals. */
const ownWords = (message: string) =>
  message.replace(/^unknown field\(s\): .*/s, 'unknown field(s)').replace(/"[^"]*"/g, '""');

function verify(c: FuzzCase, res: ApiResponse): string[] {
  const out = problemShapeErrors(res);
  const b = res.body ?? {};
  if (res.status !== c.expect.status) out.push(`status ${res.status}, expected ${c.expect.status}`);
  if (b.code !== c.expect.code) out.push(`code ${b.code}, expected ${c.expect.code}`);
  for (const f of c.expect.fields) {
    if (!hasFieldError(b, f)) out.push(`no violation of ${f}`);
  }
  if (
    c.expect.currentResourceVersion !== undefined &&
    b.currentResourceVersion !== c.expect.currentResourceVersion
  ) {
    out.push(`currentResourceVersion ${b.currentResourceVersion}`);
  }
  for (const v of Object.values(b.current?.credentials ?? {})) {
    if (v !== 'REDACTED') out.push('a credential of the current object is not redacted');
  }
  const own = [
    b.title,
    b.type,
    ...(Array.isArray(b.errors)
      ? b.errors.map((e: { message: string }) => ownWords(e.message))
      : []),
    ...(c.expect.stage > Stage.fields ? [b.detail, JSON.stringify(b.current ?? {})] : []),
  ].join('\n');
  out.push(...internalLeaks(own, [store.tableName]).map((l) => `names ${l}`));
  return out;
}

/**
 * What the request left written: nothing but an Idempotency-Key claim (a write must claim its key
 * before it runs, so that duplicates run once) — and that claim released again.
 */
async function leftWritten(): Promise<string[]> {
  const keys = [...new Set(written.splice(0))];
  const out = keys.filter((k) => !k.startsWith('idem#')).map((k) => `wrote ${k}`);
  for (const k of keys.filter((k) => k.startsWith('idem#'))) {
    const [pk, sk] = k.split('|');
    const item = await store.records.get({ pk: pk!, sk: sk! });
    if (item) out.push(`left the idempotency record ${JSON.stringify(item).slice(0, 300)}`);
  }
  return out;
}

it(`answers ≥ ${RUNS} invalid requests over every route with the right 4xx problem and writes nothing`, async () => {
  // arrange
  const arbitrary = fuzzCases(world);
  let cases = 0;
  const byRoute = new Map<string, number>();
  const byRule = new Map<string, number>();
  const byStatus = new Map<number, number>();

  // act
  await fc.assert(
    fc.asyncProperty(arbitrary, async (c) => {
      cases++;
      byRoute.set(c.operationId, (byRoute.get(c.operationId) ?? 0) + 1);
      for (const r of c.rules) {
        const k = `${c.operationId} ${r}`;
        byRule.set(k, (byRule.get(k) ?? 0) + 1);
      }
      try {
        registerSecrets(JSON.parse(c.body));
      } catch {
        // Not a JSON object: no credentials in it.
      }
      const res = await call(c.method, c.url, { rawBody: c.body, headers: c.headers });
      byStatus.set(res.status, (byStatus.get(res.status) ?? 0) + 1);
      const problems = [...verify(c, res), ...(await leftWritten())];
      if (problems.length) {
        throw new Error(
          `${problems.join('; ')}\nanswer: ${res.status} ${JSON.stringify(res.body).slice(0, 1500)}`,
        );
      }
    }),
    { seed: SEED, numRuns: RUNS },
  );

  // assert
  expect(cases).toBeGreaterThanOrEqual(10_000);
  expect(byRoute.size).toBe(contracts.length);
  for (const [route, n] of byRoute) expect(n, route).toBeGreaterThanOrEqual(150);
  expect(byRule.size).toBeGreaterThan(450);
  expect([...byStatus.keys()].sort((a, b) => a - b)).toEqual([400, 404, 409, 412, 413, 415, 422]);
  const after = await scanAll(store);
  const index = (items: RawItem[]) => new Map(items.map((i) => [keyString(i), i]));
  const [was, is] = [index(before), index(after)];
  const changed = [...new Set([...was.keys(), ...is.keys()])].filter(
    (k) => !isDeepStrictEqual(was.get(k), is.get(k)),
  );
  expect(changed).toEqual([]);
  expect(after.length).toBe(before.length);
}, 600_000);
