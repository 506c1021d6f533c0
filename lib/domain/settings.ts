import { LIMITS } from '#lib/api/limits.ts';
import { AlreadyExists, InvalidArgument, NotFound } from '#lib/errors.ts';
import type { ItemKey, Mutation, StoredObject } from '#lib/store/types.ts';
import { type OperationContext, observe, preconditionOf } from './context.ts';
import { Kind, keys } from './keys.ts';
import { sandboxAcceptsChildren } from './sandboxes.ts';
import type { SettingsData, SettingValue } from './types.ts';

type Scope = { sandbox: string } | 'global';

function target(scope: Scope): { key: ItemKey; kind: Kind; name: string } {
  return scope === 'global'
    ? { key: keys.globalSettings(), kind: Kind.GlobalSettings, name: 'global' }
    : { key: keys.sandboxSettings(scope.sandbox), kind: Kind.SandboxSettings, name: scope.sandbox };
}

/**
 * The settings object of a scope. A sandbox's is created with the sandbox; the global one is
 * created on first use with `attribute_not_exists`, so concurrent first uses make one object.
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
 * Sets (value) or deletes (undefined) one key. Server-driven writes re-apply on the latest
 * settings, so concurrent writers of different keys all keep theirs.
 */
export async function writeSetting(
  ctx: OperationContext,
  scope: Scope,
  key: string,
  value: SettingValue | undefined,
): Promise<StoredObject<SettingsData>> {
  const t = target(scope);
  const mutation: Mutation<SettingsData> = {
    apply: (cur) => {
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
    expression:
      value === undefined
        ? {
            remove: ['#data.#settings.#key'],
            condition: 'attribute_exists(#data.#settings.#key)',
            names: { '#settings': 'settings', '#key': key },
          }
        : {
            set: ['#data.#settings.#key = :value'],
            // A new key only while the map has room; otherwise `apply` explains.
            condition:
              '(attribute_exists(#data.#settings.#key) AND #data.#settings.#key <> :value) OR ' +
              '(attribute_not_exists(#data.#settings.#key) AND size(#data.#settings) < :maxKeys)',
            names: { '#settings': 'settings', '#key': key },
            values: { ':value': value, ':maxKeys': LIMITS.settingsKeys },
          },
  };
  const subject = { kind: t.kind, name: t.name };
  // A sandbox's settings change only while the sandbox is not being deleted: the write is one
  // transaction with that check, so a delete never discards an acknowledged setting.
  const write = () =>
    scope === 'global'
      ? ctx.store.update<SettingsData>(t.key, subject, mutation, preconditionOf(ctx))
      : ctx.store.updateInTransaction<SettingsData>(
          t.key,
          subject,
          mutation,
          preconditionOf(ctx),
          () => [sandboxAcceptsChildren(scope.sandbox)],
        );
  try {
    return observe(ctx, await write()).object;
  } catch (err) {
    if (!(err instanceof NotFound) || err.kind !== t.kind) throw err;
    // No settings object yet (global on first use, or a sandbox written before they existed).
    await getSettings(ctx, scope);
    return observe(ctx, await write()).object;
  }
}
