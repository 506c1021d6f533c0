import { describe, expect, it } from 'vitest';
import { checkHistory, type Event, type View } from '#test/support/history.ts';

const view = (v: number, config: Record<string, string> = {}, id = 'id-1'): View => ({
  metadata: { id, name: 'p', resourceVersion: v },
  config,
});
const base = { client: 0, kind: 'Provider' as const, name: 'p' };
let seq = 0;
const ev = (e: Partial<Event>): Event => ({ seq: seq++, op: 'x', status: 200, ...base, ...e });
const rules = (events: Event[], final?: View) =>
  checkHistory(events, new Map([['Provider/p', final]]), undefined).map((v) => v.rule);

describe('the history checker catches what it must', () => {
  const created = ev({ write: 'create', view: view(1) });

  it('accepts a correct history', () => {
    const w2 = ev({
      write: 'change',
      marker: { field: 'config', key: 'a' },
      view: view(2, { a: 'x' }),
    });
    const w3 = ev({
      write: 'change',
      basedOn: 2,
      marker: { field: 'config', key: 'b' },
      view: view(3, { a: 'x', b: 'y' }),
    });
    const read = ev({ view: view(2, { a: 'x' }) });
    expect(rules([created, w2, w3, read], view(3, { a: 'x', b: 'y' }))).toEqual([]);
  });

  it('two successes claiming one version', () => {
    const a = ev({ write: 'change', view: view(2) });
    const b = ev({ write: 'change', view: view(2) });
    expect(rules([created, a, b], view(2))).toContain('two successes claim one version');
  });

  it('a gap in versions', () => {
    expect(rules([created, ev({ write: 'change', view: view(3) })], view(3))).toContain(
      'versions are not consecutive',
    );
  });

  it('two client-driven successes based on one version', () => {
    const a = ev({ write: 'change', basedOn: 1, view: view(2) });
    const b = ev({ write: 'change', basedOn: 1, view: view(3) });
    expect(rules([created, a, b], view(3))).toContain(
      'two client-driven successes based on one version',
    );
  });

  it('a lost update and a failed write that changed something', () => {
    const lost = ev({
      write: 'change',
      marker: { field: 'config', key: 'a' },
      view: view(2, { a: 'x' }),
    });
    const failed = ev({ write: 'change', status: 409, marker: { field: 'config', key: 'b' } });
    const found = rules([created, lost, failed], view(2, { b: 'y' }));
    expect(found).toContain('a successful change is missing from the final state');
    expect(found).toContain('a failed write changed the object');
  });

  it('a read of a version no write produced, or with other content', () => {
    const w2 = ev({ write: 'change', view: view(2, { a: 'x' }) });
    expect(rules([created, w2, ev({ view: view(5) })], view(2, { a: 'x' }))).toContain(
      'a read reported a version no write produced',
    );
    expect(
      rules([created, w2, ev({ view: view(2, { a: 'other' }) })], view(2, { a: 'x' })),
    ).toContain('a read reported other content for a version');
  });
});
