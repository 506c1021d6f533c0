import type { PolicyBody, RevisionStatusBody } from '#lib/api/schemas/config.ts';
import { Aborted, NotFound } from '#lib/errors.ts';
import type { TransactOp } from '#lib/store/transact.ts';
import type { Page, StoredObject } from '#lib/store/types.ts';
import { assertObjectSize, type OperationContext, observe, preconditionOf } from './context.ts';
import { childPrefix, Kind, keys } from './keys.ts';
import { assertNotDeleting, newRevision, sandboxSubject } from './sandboxes.ts';
import type { PolicyRevisionData, SandboxData, SettingsData } from './types.ts';

export interface SandboxConfig {
  sandbox: StoredObject<SandboxData>;
  settings: StoredObject<SettingsData> | undefined;
}

export async function getConfig(ctx: OperationContext, name: string): Promise<SandboxConfig> {
  const [sandbox, settings] = await Promise.all([
    ctx.store.mustGet<SandboxData>(keys.sandbox(name), sandboxSubject(name)),
    ctx.store.get<SettingsData>(keys.sandboxSettings(name)),
  ]);
  return { sandbox, settings };
}

export interface PolicyResult {
  sandbox: StoredObject<SandboxData>;
  revision: StoredObject<PolicyRevisionData>;
}

/**
 * Sets the sandbox's policy: a CAS write of the sandbox (client-driven when a version is sent)
 * in one transaction with the creation of revision N+1. The revision's key must be free, and
 * the sandbox's version condition serializes writers, so no two revisions share a number.
 */
export async function putPolicy(
  ctx: OperationContext,
  name: string,
  body: PolicyBody,
): Promise<PolicyResult> {
  const res = await ctx.store.updateInTransaction<SandboxData>(
    keys.sandbox(name),
    sandboxSubject(name),
    {
      apply: (cur) => {
        assertNotDeleting(cur);
        const next: SandboxData = {
          ...cur.data,
          spec: { ...cur.data.spec, policy: body.policy },
          latestPolicyVersion: (cur.data.latestPolicyVersion ?? 0) + 1,
        };
        assertObjectSize({ data: next, labels: cur.labels }, 'body.policy');
        return next;
      },
    },
    preconditionOf(ctx),
    (_before, next) => [newRevision(name, next.latestPolicyVersion, body.policy)],
  );
  observe(ctx, res);
  return {
    sandbox: res.object,
    revision: res.related[0] as StoredObject<PolicyRevisionData>,
  };
}

export async function listRevisions(
  ctx: OperationContext,
  name: string,
  opts: { pageSize?: number; pageToken?: string },
): Promise<Page<StoredObject<PolicyRevisionData>>> {
  await ctx.store.mustGet<SandboxData>(keys.sandbox(name), sandboxSubject(name));
  return ctx.store.query<PolicyRevisionData>(keys.sandboxPartition(name), {
    prefix: childPrefix.policyRevision,
    ascending: false,
    pageSize: opts.pageSize ?? 100,
    pageToken: opts.pageToken,
  });
}

const MAX_TRANSACTION_ITEMS = 100;

const revisionSubject = (name: string, version: number) => ({
  kind: Kind.PolicyRevision,
  name: `${name}-${version}`,
});

/**
 * The supervisor reports a revision LOADED or FAILED. LOADED moves the sandbox's
 * `currentPolicyVersion` forward and supersedes the older revisions that were pending or
 * loaded — all in one transaction, each write conditioned on the version it read.
 */
export async function reportRevisionStatus(
  ctx: OperationContext,
  name: string,
  version: number,
  body: RevisionStatusBody,
): Promise<StoredObject<PolicyRevisionData>> {
  const { store } = ctx;
  const key = keys.policyRevision(name, version);
  const subject = revisionSubject(name, version);
  if (body.status === 'FAILED') {
    const res = await store.update<PolicyRevisionData>(
      key,
      subject,
      {
        apply: (cur) =>
          cur.data.status === 'FAILED' && cur.data.loadError === body.loadError
            ? undefined
            : {
                ...cur.data,
                status: 'FAILED',
                ...(body.loadError !== undefined ? { loadError: body.loadError } : {}),
              },
      },
      preconditionOf(ctx),
    );
    return observe(ctx, res).object;
  }

  for (let attempt = 1; ; attempt++) {
    // One consistent query of the partition holds the revision itself and the older ones.
    const [sandbox, revisions] = await Promise.all([
      store.mustGet<SandboxData>(keys.sandbox(name), sandboxSubject(name)),
      store.queryAll<PolicyRevisionData>(keys.sandboxPartition(name), childPrefix.policyRevision),
    ]);
    const revision = revisions.find((r) => r.key.sk === key.sk);
    if (!revision) throw new NotFound(subject.kind, subject.name);
    const expected = ctx.expectedResourceVersion ?? 0;
    if (
      (expected > 0 && revision.resourceVersion !== expected) ||
      (ctx.expectedId && ctx.expectedId !== revision.id)
    ) {
      throw new Aborted(subject.kind, subject.name, revision.resourceVersion, revision);
    }
    assertNotDeleting(sandbox);
    const current = sandbox.data.currentPolicyVersion ?? 0;
    const status = current > version ? 'SUPERSEDED' : 'LOADED';
    const ops: TransactOp[] = [];
    if (revision.data.status !== status) {
      ops.push({
        type: 'update',
        subject,
        base: revision,
        data: { ...revision.data, status, loadError: undefined },
      });
    }
    if (status === 'LOADED') {
      if (current !== version) {
        ops.push({
          type: 'update',
          subject: sandboxSubject(name),
          base: sandbox,
          data: { ...sandbox.data, currentPolicyVersion: version },
        });
      }
      for (const older of revisions) {
        if (older.data.version >= version) continue;
        if (older.data.status !== 'PENDING' && older.data.status !== 'LOADED') continue;
        ops.push({
          type: 'update',
          subject: revisionSubject(name, older.data.version),
          base: older,
          data: { ...older.data, status: 'SUPERSEDED' },
        });
      }
    }
    if (ops.length === 0) return revision;
    // One transaction holds at most 100 items; older revisions past that are superseded after.
    const now = ops.slice(0, MAX_TRANSACTION_ITEMS);
    const later = ops.slice(MAX_TRANSACTION_ITEMS);
    try {
      const res = await store.transact(now, { requestId: `${ctx.requestId}:${attempt}` });
      ctx.stats.attempts += res.attempts;
      for (const op of later) {
        if (op.type !== 'update') continue;
        await store.update<PolicyRevisionData>(
          op.base.key,
          op.subject,
          {
            apply: (cur) =>
              cur.data.status === 'PENDING' || cur.data.status === 'LOADED'
                ? { ...cur.data, status: 'SUPERSEDED' }
                : undefined,
          },
          { requestId: `${ctx.requestId}:supersede` },
        );
      }
      const updated = res.objects[0] as StoredObject<PolicyRevisionData>;
      return updated.key.sk === key.sk ? updated : revision;
    } catch (err) {
      if ((err as { code?: string }).code !== 'ABORTED' || expected > 0 || attempt >= 5) throw err;
    }
  }
}
