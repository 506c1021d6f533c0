import { isDeepStrictEqual } from 'node:util';
import type { PolicyRecord } from './policy-history.ts';

/** A deterministic PRNG (mulberry32) so a seed reproduces a workload. */
export function rng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    int: (n: number) => Math.floor(next() * n),
    pick: <T>(xs: readonly T[]): T => xs[Math.floor(next() * xs.length)]!,
    chance: (p: number) => next() < p,
  };
}

/** One object view as the API returns it. */
export interface View {
  metadata: { id: string; name: string; resourceVersion: number };
  [k: string]: unknown;
}

/** What a request did to one object, as recorded from its request and response. */
export interface Event {
  /** The order in which requests answered. */
  seq: number;
  /**
   * How many requests had answered when this one was sent: A answered before B was sent iff
   * A.seq < B.invokedAt.
   */
  invokedAt?: number;
  client: number;
  op: string;
  kind: 'Provider' | 'Sandbox' | 'GlobalSettings' | 'Policy';
  name: string;
  status: number;
  /** A write: 'change' (must bump), 'maybe' (may be a no-op, reported by the response). */
  write?: 'change' | 'create' | 'delete';
  /** The expected version a client-driven write was based on. */
  basedOn?: number;
  /** The object after the write, or as read. */
  view?: View;
  /** For settings, which have no metadata: version and map. */
  settings?: { resourceVersion: number; settings: Record<string, unknown> };
  /** A value this write put in (must be in the final state if nothing replaced it). */
  marker?: { field: 'config' | 'settings'; key: string };
  /** Attach/detach: the provider and whether the response says the call changed anything. */
  attachment?: { provider: string; attach: boolean; changed: boolean };
  /** A request of the policy lifecycle (kind Policy, name the sandbox): `checkPolicyHistory`'s. */
  policy?: PolicyRecord;
}

export interface Violation {
  rule: string;
  object: string;
  detail: string;
  excerpt: Event[];
}

const strip = (v: View) => v;

/**
 * Checks a recorded history per object generation (per id):
 * - successful writes produced versions 2, 3, … with no gaps and no two the same;
 * - no two client-driven successes were based on the same version;
 * - every successful write's marker is in the final state unless the object was deleted;
 *   no failed write's marker is anywhere;
 * - attachments in the final state follow the last successful attach/detach;
 * - every version a get or list reported is a version some write produced, with that content.
 */
export function checkHistory(
  events: Event[],
  finals: Map<string, View | undefined>,
  finalSettings: { resourceVersion: number; settings: Record<string, unknown> } | undefined,
): Violation[] {
  const out: Violation[] = [];
  const byId = new Map<string, Event[]>();
  for (const e of events) {
    if (!e.view) continue;
    const list = byId.get(e.view.metadata.id) ?? [];
    list.push(e);
    byId.set(e.view.metadata.id, list);
  }

  for (const [id, evs] of byId) {
    const object = `${evs[0]!.kind}/${evs[0]!.name} (${id})`;
    const writes = evs.filter((e) => e.status < 300 && e.write && isChange(e));
    const produced = new Map<number, Event>();
    for (const w of writes) {
      const v = w.view!.metadata.resourceVersion;
      if (w.write === 'delete') continue;
      const other = produced.get(v);
      if (other) {
        out.push({
          rule: 'two successes claim one version',
          object,
          detail: `version ${v}`,
          excerpt: [other, w],
        });
      }
      produced.set(v, w);
    }
    const versions = [...produced.keys()].sort((a, b) => a - b);
    versions.forEach((v, i) => {
      const expected = versions[0]! + i;
      if (v !== expected) {
        out.push({
          rule: 'versions are not consecutive',
          object,
          detail: `got ${v}, expected ${expected}`,
          excerpt: [produced.get(versions[i - 1]!)!, produced.get(v)!].filter(Boolean),
        });
      }
    });
    for (const w of writes) {
      if (
        w.basedOn !== undefined &&
        w.view!.metadata.resourceVersion !== w.basedOn + 1 &&
        w.write === 'change'
      ) {
        out.push({
          rule: 'a client-driven write did not produce based-on + 1',
          object,
          detail: `based on ${w.basedOn}`,
          excerpt: [w],
        });
      }
    }
    const based = new Map<number, Event>();
    for (const w of writes.filter((w) => w.basedOn !== undefined && w.write === 'change')) {
      const other = based.get(w.basedOn!);
      if (other) {
        out.push({
          rule: 'two client-driven successes based on one version',
          object,
          detail: `version ${w.basedOn}`,
          excerpt: [other, w],
        });
      }
      based.set(w.basedOn!, w);
    }
    // Reads see only versions that writes produced, with the content those writes returned.
    for (const r of evs.filter((e) => e.status === 200 && !e.write)) {
      const v = r.view!.metadata.resourceVersion;
      const w = produced.get(v);
      if (!w) {
        // Versions of objects created before the recorded history cannot be checked.
        if (versions.length && v >= versions[0]!) {
          out.push({
            rule: 'a read reported a version no write produced',
            object,
            detail: `version ${v}`,
            excerpt: [r],
          });
        }
        continue;
      }
      if (!isDeepStrictEqual(strip(r.view!), strip(w.view!))) {
        out.push({
          rule: 'a read reported other content for a version',
          object,
          detail: `version ${v}`,
          excerpt: [w, r],
        });
      }
    }
    // The final state keeps every successful marker and no failed one.
    const final = finals.get(`${evs[0]!.kind}/${evs[0]!.name}`);
    if (final && final.metadata.id === id) {
      const last = versions[versions.length - 1];
      if (last !== undefined && final.metadata.resourceVersion !== last) {
        out.push({
          rule: 'final version is not the last successful write',
          object,
          detail: `final ${final.metadata.resourceVersion}, last write ${last}`,
          excerpt: [produced.get(last)!],
        });
      }
      for (const e of evs) {
        if (e.marker?.field !== 'config' || e.status >= 300) continue;
        const present =
          (final.config as Record<string, string> | undefined)?.[e.marker.key] !== undefined;
        if (!present) {
          out.push({
            rule: 'a successful change is missing from the final state',
            object,
            detail: e.marker.key,
            excerpt: [e],
          });
        }
      }
      const lastTouch = new Map<string, Event>();
      for (const w of writes.filter((w) => w.attachment)) {
        const prev = lastTouch.get(w.attachment!.provider);
        if (!prev || prev.view!.metadata.resourceVersion < w.view!.metadata.resourceVersion) {
          lastTouch.set(w.attachment!.provider, w);
        }
      }
      const providers = (final.spec as { providers?: string[] } | undefined)?.providers ?? [];
      for (const [p, w] of lastTouch) {
        if (providers.includes(p) !== w.attachment!.attach) {
          out.push({
            rule: 'attachments disagree with the last successful attach/detach',
            object,
            detail: p,
            excerpt: [w],
          });
        }
      }
    }
  }

  // A failed write's marker is in no final object of that name (failures carry no id).
  for (const e of events) {
    if (e.marker?.field !== 'config' || e.status < 300) continue;
    const final = finals.get(`${e.kind}/${e.name}`);
    if ((final?.config as Record<string, string> | undefined)?.[e.marker.key] !== undefined) {
      out.push({
        rule: 'a failed write changed the object',
        object: `${e.kind}/${e.name}`,
        detail: e.marker.key,
        excerpt: [e],
      });
    }
  }

  // Global settings: unique keys per write, versions consecutive, every success kept.
  const settingWrites = events.filter(
    (e) => e.kind === 'GlobalSettings' && e.write && e.status === 200,
  );
  const seen = new Map<number, Event>();
  for (const w of settingWrites) {
    const v = w.settings!.resourceVersion;
    const other = seen.get(v);
    if (other)
      out.push({
        rule: 'two successes claim one version',
        object: 'GlobalSettings',
        detail: `version ${v}`,
        excerpt: [other, w],
      });
    seen.set(v, w);
  }
  const settingsBased = new Map<number, Event>();
  for (const w of settingWrites.filter((w) => w.basedOn !== undefined)) {
    const other = settingsBased.get(w.basedOn!);
    if (other)
      out.push({
        rule: 'two client-driven successes based on one version',
        object: 'GlobalSettings',
        detail: `version ${w.basedOn}`,
        excerpt: [other, w],
      });
    settingsBased.set(w.basedOn!, w);
  }
  const settingVersions = [...seen.keys()].sort((a, b) => a - b);
  settingVersions.forEach((v, i) => {
    if (v !== settingVersions[0]! + i) {
      out.push({
        rule: 'versions are not consecutive',
        object: 'GlobalSettings',
        detail: `got ${v}`,
        excerpt: [seen.get(v)!],
      });
    }
  });
  if (finalSettings) {
    for (const e of events.filter((e) => e.kind === 'GlobalSettings' && e.marker)) {
      const present = e.marker!.key in finalSettings.settings;
      if (e.status === 200 && !present) {
        out.push({
          rule: 'a successful change is missing from the final state',
          object: 'GlobalSettings',
          detail: e.marker!.key,
          excerpt: [e],
        });
      }
      if (e.status !== 200 && present) {
        out.push({
          rule: 'a failed write changed the object',
          object: 'GlobalSettings',
          detail: e.marker!.key,
          excerpt: [e],
        });
      }
    }
    const max = Math.max(0, ...seen.keys());
    if (max && finalSettings.resourceVersion !== max) {
      out.push({
        rule: 'final version is not the last successful write',
        object: 'GlobalSettings',
        detail: `${finalSettings.resourceVersion} vs ${max}`,
        excerpt: [],
      });
    }
  }
  return out;
}

function isChange(e: Event): boolean {
  if (e.attachment) return e.attachment.changed;
  return true;
}

export function formatViolations(violations: Violation[], seed: number): string {
  const shown = violations.slice(0, 5).map((v) => {
    const lines = v.excerpt.map(
      (e) =>
        `    #${e.seq} client ${e.client} ${e.op} → ${e.status}` +
        (e.policy?.code ? ` ${e.policy.code} (${e.policy.detail})` : '') +
        (e.view ? ` v${e.view.metadata.resourceVersion}` : '') +
        (e.basedOn !== undefined ? ` (based on v${e.basedOn})` : ''),
    );
    return `  ${v.rule}: ${v.object} ${v.detail}\n${lines.join('\n')}`;
  });
  return `history check failed (SEED=${seed}); ${violations.length} violation(s):\n${shown.join('\n')}`;
}
