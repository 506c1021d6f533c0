import { LIMITS } from '#lib/domain/limits.ts';
import { AlreadyExists, FailedPrecondition, InvalidArgument, NotFound } from '#lib/errors.ts';
import { change, field, where } from '#lib/store/expression.ts';
import type { ItemKey, Mutation, StoredObject } from '#lib/store/types.ts';
import { type OperationContext, observe, preconditionOf } from './context.ts';
import { Kind, keys } from './keys.ts';
import { sandboxAcceptsChildren, sandboxSubject } from './sandbox-state.ts';
import type { SettingsData, SettingValue } from './types.ts';

type Scope = { sandbox: string } | 'global';

function target(scope: Scope): { key: ItemKey; kind: Kind; name: string } {
  return scope === 'global'
    ? { key: keys.globalSettings(), kind: Kind.GlobalSettings, name: 'global' }
    : { key: keys.sandboxSettings(scope.sandbox), kind: Kind.SandboxSettings, name: scope.sandbox };
}

/**
 * The settings object of a scope. A sandbox's is created with the sandbox; the global one is
 * created on first use by a create, which only a free key accepts, so concurrent first uses make
 * one object.
 */
export async function getSettings(
  ctx: OperationContext,
  scope: Scope,
): Promise<StoredObject<SettingsData>> {
  const t = target(scope);
  const found = await ctx.store.get<SettingsData>(t.key);
  if (found) return found;
  const object = { key: t.key, kind: t.kind, name: t.name, data: { settings: {} } };
  try {
    if (scope === 'global') {
      return (await ctx.store.create<SettingsData>(object, { requestId: `${ctx.requestId}:init` }))
        .object;
    }
    // Written before settings objects existed: create them only for a live sandbox.
    const res = await ctx.store.transact(
      [sandboxAcceptsChildren(scope.sandbox), { type: 'create', object }],
      { requestId: `${ctx.requestId}:init` },
    );
    return res.objects[1] as StoredObject<SettingsData>;
  } catch (err) {
    if (!(err instanceof AlreadyExists)) throw err;
    const again = await ctx.store.get<SettingsData>(t.key);
    if (!again) throw new NotFound(t.kind, t.name);
    return again;
  }
}

/**
 * Sets (value) or deletes (undefined) one key: one UpdateItem. Server-driven writes carry no
 * version condition, so concurrent writers of different keys never conflict and all keep
 * theirs; each still bumps the version by exactly 1, and a write that changes nothing (the key
 * already holds the value) keeps it. A sandbox's key is first checked against the global
 * settings (one GetItem before the write, see {@link assertNotSetGlobally}); a global key is
 * written with no read.
 */
export async function writeSetting(
  ctx: OperationContext,
  scope: Scope,
  key: string,
  value: SettingValue | undefined,
): Promise<StoredObject<SettingsData>> {
  if (scope !== 'global') await assertNotSetGlobally(ctx, scope.sandbox, key);
  const t = target(scope);
  const path = ['settings', key];
  const mutation: Mutation<SettingsData> = {
    apply: (cur) => {
      // Frozen by the sandbox's delete: the delete would discard the write.
      if (cur.frozen) {
        const sandbox = scope === 'global' ? '' : scope.sandbox;
        throw new FailedPrecondition(`sandbox ${sandbox} is being deleted`, { sandbox });
      }
      const settings = { ...(cur.data.settings ?? {}) };
      if (value === undefined) {
        if (!(key in settings)) return undefined;
        delete settings[key];
      } else {
        if (settings[key] === value) return undefined;
        if (!(key in settings) && Object.keys(settings).length >= LIMITS.settingsKeys) {
          throw new InvalidArgument([
            {
              field: 'path.key',
              message: `a settings map holds at most ${LIMITS.settingsKeys} keys`,
            },
          ]);
        }
        settings[key] = value;
      }
      return { settings };
    },
    // One key's change commutes with every other key's: no read, no version condition, and
    // a new key only while the map has room (the bound that keeps the object in its limit).
    blind:
      value === undefined
        ? { changes: [change.remove(path)] }
        : {
            changes: [change.set(path, value)],
            requires: where.or(
              where.present(field(...path)),
              where.sizeBelow(field('settings'), LIMITS.settingsKeys),
            ),
          },
  };
  const subject = { kind: t.kind, name: t.name };
  // A sandbox's settings are frozen by its delete in the same transaction that marks it
  // DELETING, so this one write cannot land after the delete began.
  const write = () => ctx.store.update<SettingsData>(t.key, subject, mutation, preconditionOf(ctx));
  try {
    return observe(ctx, await write()).object;
  } catch (err) {
    if (!(err instanceof NotFound) || err.kind !== t.kind) throw err;
    // No settings object yet (global on first use, or a sandbox written before they existed).
    await getSettings(ctx, scope);
    return observe(ctx, await write()).object;
  }
}

/**
 * A key the global settings hold wins over the sandbox's (SPEC §7.4), so setting or deleting it
 * on a sandbox is 409 FAILED_PRECONDITION naming the key. One strongly consistent read of the
 * global settings before the blind write, not a condition inside it, is enough: the only race
 * is a global write of the same key that commits between this read and the sandbox write. A
 * global set then leaves the sandbox's key written and the global value in force — the state
 * of the legal order "sandbox write, then global set", which a global set never refuses (global
 * writes do not look at sandboxes) and in which the global value wins either way. A global
 * delete in between leaves a refused write that the order "refusal, then global delete" also
 * gives. So every outcome is one a serial order produces, and the sandbox write stays one
 * UpdateItem that never conflicts.
 */
async function assertNotSetGlobally(
  ctx: OperationContext,
  sandbox: string,
  key: string,
): Promise<void> {
  const global = await ctx.store.get<SettingsData>(keys.globalSettings());
  if (!global || !Object.hasOwn(global.data.settings ?? {}, key)) return;
  // A missing sandbox is 404 whatever the key, as on every route: only a refusal pays this read.
  await ctx.store.mustGet(keys.sandbox(sandbox), sandboxSubject(sandbox));
  throw new FailedPrecondition(
    `setting ${key} is set globally; the global value applies to sandbox ${sandbox}`,
    { field: 'path.key', key, scope: 'GLOBAL' },
  );
}
