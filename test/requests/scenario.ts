import type { Store } from '#lib/store/store.ts';
import type { Capacity, SdkMeter } from '#test/support/sdk-meter.ts';
import type { Cost } from './expected.ts';

export interface CallResult {
  status: number;
  // biome-ignore lint/suspicious/noExplicitAny: scenarios read whatever the route returned.
  body: any;
}

/** Sends one HTTP request to the API: in process (the tests) or over the dev server (the bench). */
export type Call = (
  method: string,
  path: string,
  body?: unknown,
  headers?: Record<string, string>,
) => Promise<CallResult>;

/** A name no other scenario of the run uses, from a prefix (`p` → `p-rc7`). */
export type NameOf = (prefix: string) => string;

/** The one request whose DynamoDB requests are counted, and the status it must answer. */
export interface Probe {
  method: string;
  path: string;
  body?: unknown;
  headers?: Record<string, string>;
  status: number;
}

export interface Scenario {
  /**
   * Sets up what the probe needs through the API and returns the probe. `store` is the
   * handlers' own, for state no route writes (a migration's record).
   */
  prepare(call: Call, name: NameOf, store: Store): Promise<Probe>;
  /**
   * Where one table and one store serve every scenario in turn (the bench): `first` needs a
   * table no other scenario has touched, `last` leaves the store in a state the others must not
   * see. A scenario on a table of its own (the tests) needs neither.
   */
  onSharedTable?: 'first' | 'last';
}

export interface Measured {
  status: number;
  /** The status the probe must answer. */
  expectedStatus: number;
  // biome-ignore lint/suspicious/noExplicitAny: the route's body, for a failure's message.
  body: any;
  /** DynamoDB requests the probe made, by operation. */
  cost: Cost;
  /** Units DynamoDB reported for them (when the meter asks for capacity). */
  capacity: Capacity;
}

/**
 * Runs a scenario: its setup uncounted, then its probe with `meter` (on the handlers' client)
 * counting every DynamoDB request the probe makes.
 */
export async function measure(
  scenario: Scenario,
  on: { call: Call; name: NameOf; store: Store; meter: SdkMeter },
): Promise<Measured> {
  const probe = await scenario.prepare(on.call, on.name, on.store);
  on.meter.reset();
  const res = await on.call(probe.method, probe.path, probe.body, probe.headers);
  return {
    status: res.status,
    expectedStatus: probe.status,
    body: res.body,
    cost: { ...on.meter.counts },
    capacity: { ...on.meter.capacity },
  };
}

/** A setup request that must succeed. */
export async function ok(call: Call, method: string, path: string, body?: unknown) {
  const res = await call(method, path, body);
  if (res.status >= 300) {
    throw new Error(`setup ${method} ${path} → ${res.status} ${JSON.stringify(res.body)}`);
  }
  return res.body;
}

export const provider = (call: Call, name: string) =>
  ok(call, 'POST', '/v1/providers', { name, type: 'openai', credentials: { API_KEY: 'k' } });

export const sandbox = (call: Call, name: string, providers: string[] = [], labels = {}) =>
  ok(call, 'POST', '/v1/sandboxes', { name, labels, spec: { image: 'img', providers } });

export async function readySandbox(call: Call, name: string) {
  await sandbox(call, name);
  return ok(call, 'PUT', `/v1/sandboxes/${name}/status`, { phase: 'READY' });
}

/** Version of a sandbox's settings object. */
export async function settingsVersion(call: Call, name: string): Promise<number> {
  return (await ok(call, 'GET', `/v1/sandboxes/${name}/config`)).settingsResourceVersion;
}

/** A write's request, and the version its client-driven variant sends. */
export type ModalProbe = Probe & { version: number };

/** The precondition in the body, or in the query string of a request without one. */
function withExpectedVersion(probe: Probe, version: number): Probe {
  if (probe.body !== undefined) {
    return { ...probe, body: { ...(probe.body as object), expectedResourceVersion: version } };
  }
  const separator = probe.path.includes('?') ? '&' : '?';
  return { ...probe, path: `${probe.path}${separator}expectedResourceVersion=${version}` };
}

type Modes<P extends string> = P extends ''
  ? 'client-driven' | 'server-driven'
  : `${P} client-driven` | `${P} server-driven`;

/**
 * One write in both CAS modes: the same setup and request, with and without the version. The
 * scenarios are named `client-driven` and `server-driven`, after `prefix` if one is given.
 */
export function bothModes<P extends string = ''>(
  prepare: (call: Call, name: NameOf) => Promise<ModalProbe>,
  prefix?: P,
): Record<Modes<P>, Scenario> {
  const named = (mode: string) => (prefix ? `${prefix} ${mode}` : mode);
  const modes: Record<string, Scenario> = {
    [named('client-driven')]: {
      prepare: async (call, name) => {
        const { version, ...probe } = await prepare(call, name);
        return withExpectedVersion(probe, version);
      },
    },
    [named('server-driven')]: {
      prepare: async (call, name) => {
        const { version: _version, ...probe } = await prepare(call, name);
        return probe;
      },
    },
  };
  return modes as Record<Modes<P>, Scenario>;
}
