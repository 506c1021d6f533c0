import type { Contract } from '#lib/contract/contract.ts';
import { contractsById } from '#lib/contract/index.ts';
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

/**
 * The routes whose examples make the example world, in order: provider `github`, sandbox `dev`
 * using it, READY. Every other example names only these.
 */
const WORLD = ['createProvider', 'createSandbox', 'reportSandboxStatus'] as const;

type Send = (method: string, path: string, body?: unknown) => Promise<{ status: number }>;

/**
 * Makes the example world with the examples of the routes that create it. Where it is already
 * made (one table serving many scenarios), it is left as it is.
 */
export async function seedExampleWorld(send: Send): Promise<void> {
  const sandbox = exampleRequest(contractsById.getSandbox);
  if ((await send('GET', sandbox.path)).status === 200) return;
  for (const id of WORLD) {
    const route = contractsById[id];
    const { path, body } = exampleRequest(route);
    const res = await send(route.method, path, body);
    if (res.status >= 300) throw new Error(`${id}: ${res.status} making the example world`);
  }
}
