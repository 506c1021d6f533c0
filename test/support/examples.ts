import { type Contract, isCreate } from '#lib/contract/contract.ts';
import { contracts, contractsById, type OperationId, operationIds } from '#lib/contract/index.ts';
import { pathTo } from '#lib/http/route.ts';

/** A route's example as a request: its path with the example's params and query filled in. */
export function exampleRequest(route: Contract): { path: string; body: unknown } {
  const { params = {}, query = {}, body } = route.example;
  for (const [, p] of route.path.matchAll(/\{(\w+)\}/g)) {
    if (!Object.hasOwn(params, p!))
      throw new Error(`the example of ${route.operationId} has no ${p}`);
  }
  const path = pathTo(route.path, params as Record<string, string>);
  const search = new URLSearchParams(query as Record<string, string>).toString();
  return { path: search ? `${path}?${search}` : path, body };
}

/** The routes whose examples make the example world's head: provider `github`, sandbox `dev` using it, READY. */
const HEAD: readonly OperationId[] = ['createProvider', 'createSandbox', 'reportSandboxStatus'];

/**
 * Then every other route that creates an object (a create or an upsert), in the API's order, so
 * that the example of a route that reads an object finds it. Every example names only objects
 * of this world.
 */
const CREATES = contracts
  .filter((c) => (isCreate(c) || c.upsert) && !HEAD.includes(c.operationId as OperationId))
  .map((c) => c.operationId as OperationId);

type Send = (method: string, path: string, body?: unknown) => Promise<{ status: number }>;

async function make(send: Send, id: OperationId, madeAlready: boolean): Promise<void> {
  const route = contractsById[id];
  const { path, body } = exampleRequest(route);
  const res = await send(route.method, path, body);
  if (res.status < 300 || (madeAlready && res.status === 409)) return;
  throw new Error(`${id}: ${res.status} making the example world`);
}

/**
 * Makes the example world with the examples of the routes that create it: the head, unless it
 * is already made (one table serving many scenarios), then the objects of the creating routes
 * that come before `before` in the API's order (all of them without it), each left as it is
 * where it exists. A route's own example is then sent to the world as it stands before it.
 */
export async function seedExampleWorld(send: Send, before?: OperationId): Promise<void> {
  const sandbox = exampleRequest(contractsById.getSandbox);
  if ((await send('GET', sandbox.path)).status !== 200) {
    for (const id of HEAD) await make(send, id, false);
  }
  const end = before === undefined ? operationIds.length : operationIds.indexOf(before);
  for (const id of CREATES) {
    if (operationIds.indexOf(id) < end) await make(send, id, true);
  }
}
