import { Aborted, AlreadyExists } from '#lib/errors.ts';
import type { Page, StoredObject } from '#lib/store/types.ts';
import { type OperationContext, observe, preconditionOf } from './context.ts';
import type { ServiceInput } from './inputs.ts';
import { childPrefix, index, Kind, keys } from './keys.ts';
import { sandboxAcceptsChildren } from './sandbox-state.ts';
import type { ServiceData } from './types.ts';

const subject = (sandbox: string, service: string) => ({
  kind: Kind.Service,
  name: `${sandbox}/${service}`,
});

/** Where an exposed service is reached (`SHELLGATE_SERVICE_DOMAIN` sets the domain). */
export function serviceUrl(sandbox: string, service: string, port: number, domain: boolean) {
  const base = process.env.SHELLGATE_SERVICE_DOMAIN ?? 'sandboxes.shellgate.local';
  return domain ? `https://${service}--${sandbox}.${base}` : `http://${sandbox}.${base}:${port}`;
}

export interface ExposeResult {
  service: StoredObject<ServiceData>;
  created: boolean;
}

/**
 * Creates or updates an endpoint. The create is a transaction that checks the sandbox is live
 * and not being deleted; when two first exposes race, the loser's create fails on
 * its free-key condition and it updates the winner's endpoint through CAS instead.
 */
export async function exposeService(
  ctx: OperationContext,
  sandbox: string,
  service: string,
  body: ServiceInput,
): Promise<ExposeResult> {
  const data: ServiceData = {
    sandboxName: sandbox,
    service,
    targetPort: body.targetPort,
    domain: body.domain ?? false,
    url: serviceUrl(sandbox, service, body.targetPort, body.domain ?? false),
  };
  const update = async (current?: StoredObject<ServiceData>) => {
    // One transaction with the check that the sandbox is not being deleted.
    const res = await ctx.store.updateInTransaction<ServiceData>(
      keys.service(sandbox, service),
      subject(sandbox, service),
      // PUT replaces the endpoint: an omitted `domain` is false again.
      { apply: () => data },
      { ...preconditionOf(ctx), current },
      () => [sandboxAcceptsChildren(sandbox)],
    );
    return { service: observe(ctx, res).object, created: false };
  };
  if ((ctx.expectedResourceVersion ?? 0) > 0) return update();
  const existing = await ctx.store.get<ServiceData>(keys.service(sandbox, service));
  if (existing) return update(existing);
  try {
    const res = await ctx.store.transact(
      [
        sandboxAcceptsChildren(sandbox),
        {
          type: 'create',
          object: {
            key: keys.service(sandbox, service),
            kind: Kind.Service,
            name: service,
            data,
            index: index.service(sandbox, service),
          },
        },
      ],
      { requestId: ctx.requestId },
    );
    ctx.stats.attempts += res.attempts;
    return { service: res.objects[1] as StoredObject<ServiceData>, created: true };
  } catch (err) {
    if (!(err instanceof AlreadyExists)) throw err;
    return update(err.existing as StoredObject<ServiceData> | undefined);
  }
}

export function getService(ctx: OperationContext, sandbox: string, service: string) {
  return ctx.store.mustGet<ServiceData>(keys.service(sandbox, service), subject(sandbox, service));
}

/** Deletes an endpoint, in one transaction with the check that its sandbox is not being deleted. */
export async function deleteService(ctx: OperationContext, sandbox: string, service: string) {
  const key = keys.service(sandbox, service);
  const subj = subject(sandbox, service);
  const expected = ctx.expectedResourceVersion ?? 0;
  const res = await ctx.store.transactWithRetry({
    requestId: ctx.requestId,
    read: () => ctx.store.mustGet<ServiceData>(key, subj),
    plan: (current) => {
      if (
        (expected > 0 && current.resourceVersion !== expected) ||
        (ctx.expectedId && ctx.expectedId !== current.id)
      ) {
        throw new Aborted(subj.kind, subj.name, current.resourceVersion, current);
      }
      return {
        ops: [{ type: 'delete', subject: subj, base: current }, sandboxAcceptsChildren(sandbox)],
        result: () => current,
      };
    },
    retry: (err) => err instanceof Aborted && expected === 0,
  });
  ctx.stats.attempts += res.attempts;
  return res.value;
}

export function listServices(
  ctx: OperationContext,
  opts: { sandbox?: string; pageSize?: number; pageToken?: string },
): Promise<Page<StoredObject<ServiceData>>> {
  if (opts.sandbox) {
    return ctx.store.query<ServiceData>(keys.sandboxPartition(opts.sandbox), {
      prefix: childPrefix.service,
      pageSize: opts.pageSize ?? 100,
      pageToken: opts.pageToken,
    });
  }
  return ctx.store.list<ServiceData>(Kind.Service, opts);
}
