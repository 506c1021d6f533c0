import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { LIMITS } from '#lib/domain/limits.ts';
import { FailedPrecondition, NotFound } from '#lib/errors.ts';
import { field, where } from '#lib/store/expression.ts';
import type { Page, StoredObject } from '#lib/store/types.ts';
import { type OperationContext, observe, preconditionOf } from './context.ts';
import type { SSHSessionInput } from './inputs.ts';
import { childPrefix, index, Kind, keys } from './keys.ts';
import { sandboxAcceptsChildren, sandboxSubject } from './sandbox-state.ts';
import type { SandboxData, SSHSessionData } from './types.ts';

export interface CreatedSession {
  session: StoredObject<SSHSessionData>;
  /** Returned by create only; the table keeps its hash. */
  token: string;
}

export function tokenHash(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

/**
 * Creates a session for a READY sandbox: one transaction that checks the sandbox's phase and
 * writes the session and its id pointer, so a sandbox being deleted never gains a session.
 */
export async function createSession(
  ctx: OperationContext,
  sandbox: string,
  body: SSHSessionInput,
): Promise<CreatedSession> {
  const id = randomUUID();
  const token = `sgs_${randomBytes(32).toString('base64url')}`;
  const ttl = body.ttlSeconds ?? LIMITS.ttlSecondsDefault;
  const data: SSHSessionData = {
    sandboxName: sandbox,
    tokenHash: tokenHash(token),
    expiresAt: ttl === 0 ? null : new Date(Date.now() + ttl * 1000).toISOString(),
    revoked: false,
  };
  const res = await ctx.store.transact(
    [
      {
        type: 'check',
        key: keys.sandbox(sandbox),
        condition: where.and(where.live(), where.equals(field('phase'), 'READY')),
        failure: (old) => {
          if (!old) return new NotFound(Kind.Sandbox, sandbox);
          const phase = (old.data as SandboxData | undefined)?.phase ?? 'UNKNOWN';
          return new FailedPrecondition(
            `sandbox ${sandbox} is ${phase}; SSH sessions need a READY sandbox`,
            { sandbox, phase },
          );
        },
      },
      {
        type: 'create',
        object: {
          key: keys.sshSession(sandbox, id),
          kind: Kind.SSHSession,
          name: id,
          id,
          data,
          index: index.sshSession(sandbox, id),
        },
      },
      {
        type: 'putRecord',
        key: keys.sshSessionPointer(id),
        record: { sandbox },
        condition: where.absent(),
      },
    ],
    { requestId: ctx.requestId },
  );
  ctx.stats.attempts += res.attempts;
  return { session: res.objects[1] as StoredObject<SSHSessionData>, token };
}

export async function listSessions(
  ctx: OperationContext,
  sandbox: string,
  opts: { pageSize?: number; pageToken?: string },
): Promise<Page<StoredObject<SSHSessionData>>> {
  await ctx.store.mustGet(keys.sandbox(sandbox), sandboxSubject(sandbox));
  return ctx.store.query<SSHSessionData>(keys.sandboxPartition(sandbox), {
    prefix: childPrefix.sshSession,
    pageSize: opts.pageSize ?? 100,
    pageToken: opts.pageToken,
  });
}

/** Revokes a session; revoking a revoked session is a no-op that keeps its version. */
export async function revokeSession(
  ctx: OperationContext,
  id: string,
): Promise<StoredObject<SSHSessionData>> {
  const pointer = await ctx.store.records.get(keys.sshSessionPointer(id));
  if (!pointer) throw new NotFound(Kind.SSHSession, id);
  const sandbox = String(pointer.sandbox);
  // One transaction with the check that the sandbox is not being deleted: its delete removes
  // the session, and a revoke it would discard is refused instead of acknowledged.
  const res = await ctx.store.updateInTransaction<SSHSessionData>(
    keys.sshSession(sandbox, id),
    { kind: Kind.SSHSession, name: id },
    { apply: (cur) => (cur.data.revoked ? undefined : { ...cur.data, revoked: true }) },
    preconditionOf(ctx),
    () => [sandboxAcceptsChildren(sandbox)],
  );
  return observe(ctx, res).object;
}
