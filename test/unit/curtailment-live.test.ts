// The live side of curtailment events (server/live/curtailments.ts) on a real SQLite in memory and hand-built
// figures: the scope's power sampled each tick, a baseline that lies partly before Floorwatch sampled it read
// from the store's minute averages, which ids are curtailed when, the wall's list, and a recurring window.
import { describe, expect, it } from 'vitest';
import Database from 'better-sqlite3';
import { migrate } from '../../server/store/migrate.js';
import { createCurtailments } from '../../server/live/curtailments.js';
import { readCurtailments } from '../../server/store/curtailments.js';
import type { Figures, SiteModel } from '../../server/core/types.js';
import type { PowerSample } from '../../server/figures/curtailment.js';
import { figures, rack } from './alerts-fixture.js';
import { SMALL_SITE_YAML, smallSite } from '../helpers/site.js';

const T0 = Date.UTC(2026, 11, 2, 10, 0, 0); // event start
const MIN = 60_000;

function db(): Database.Database {
  const d = new Database(':memory:');
  migrate(d);
  return d;
}
const at = (w: number | null): Figures => figures({ racks: [rack({ id: 'M-01', hall: 'M', power_w: w })] });

describe('curtailment events, live', () => {
  it('baseline from stored minute averages where Floorwatch was not sampling, then the ticks', async () => {
    const model = smallSite(`${SMALL_SITE_YAML}\ncurtailment: { baseline_min: 5 }\n`);
    const asked: [string, number, number][] = [];
    // The store holds 10 kW for each minute before the server started sampling at T0 − 1 min.
    const history = (scope: string, from: number, to: number): PowerSample[] => {
      asked.push([scope, from, to]);
      const out: PowerSample[] = [];
      for (let t = from; t < to; t += MIN) out.push({ ts: t, power_w: 10_000, span_ms: MIN });
      return out;
    };
    const d = db();
    const c = createCurtailments({ model, db: d, history, now: () => T0 - 2 * MIN });
    const ev = await c.create({ scope: 'rack:M-01', target: { reduction_kw: 4 }, start: T0, end: T0 + 10 * MIN, program: null, note: 'test' }, 'ops', T0 - 2 * MIN);
    expect(readCurtailments(d, 0).map((e) => e.id)).toEqual([ev.id]);
    // ticks every 10 s from T0 − 1 min at 7 kW (the stored 10 kW before), then 6 kW from the start
    for (let t = T0 - MIN; t <= T0 + MIN; t += 10_000) c.record(at(t < T0 ? 7000 : 6000), t);
    // one read of the store, for the 4 minutes before the first sample
    expect(asked).toEqual([['rack:M-01', T0 - 5 * MIN, T0 - MIN]]);
    const v = c.get(ev.id, T0 + MIN)!;
    // weighted by time: 4 minute averages × 60 s × 10 kW, the first tick 1 s and five more 10 s each at 7 kW
    //   (2,400,000 + 7,000 + 350,000) kW·s ÷ 291 s = 9474.2 kW·s/s
    expect(v.figures.baseline_w).toBeCloseTo((4 * 60 * 10_000 + 1 * 7000 + 5 * 10 * 7000) / (4 * 60 + 1 + 50), 6);
    expect(v.figures.current_w).toBe(6000);
    expect(v.figures.phase).toBe('active');
    expect(v.judged).toBe(false); // 1 min into a 2 min ramp allowance
    expect(c.get(ev.id, T0 + 3 * MIN)?.judged).toBe(true);
  });

  it('curtails the miners and the mining rack only while active; the wall lists it from the baseline window on', async () => {
    const model: SiteModel = smallSite();
    const c = createCurtailments({ model, db: db(), history: () => [] });
    const ev = await c.create({ scope: 'hall:M', target: { ceiling_kw: 5 }, start: T0, end: T0 + 5 * MIN, program: null, note: null }, 'ops', T0 - 30 * MIN);
    expect([...c.curtailed(T0 - 1)]).toEqual([]);
    expect([...c.curtailed(T0)].sort()).toEqual(['M-01', 'M-01-01', 'M-01-02', 'M-01-03']);
    expect([...c.curtailed(T0 + 5 * MIN)]).toEqual([]);
    c.record(at(null), T0 - 16 * MIN);
    expect(c.wall()).toEqual([]);
    c.record(at(null), T0 - 10 * MIN);
    expect(c.wall().map((v) => [v.id, v.figures.phase])).toEqual([[ev.id, 'scheduled']]);
    // unknown power: no baseline, so a ceiling asks an unknown reduction; nothing is judged
    c.record(at(null), T0 + 3 * MIN);
    expect(c.wall()[0].figures).toMatchObject({ phase: 'active', baseline_w: null, target_w: null, ratio: null });
    expect(c.alertTargets()).toEqual([{ id: ev.id, scope: 'hall:M', ratio: null, judged: false }]);
    c.record(at(null), T0 + 16 * MIN);
    expect(c.wall()).toEqual([]);
    expect(c.alertTargets()).toEqual([]);
  });

  it('a recurring window: its occurrence is tracked like a posted event and cannot be cancelled', async () => {
    const model = smallSite(`${SMALL_SITE_YAML}
curtailment:
  baseline_min: 1
  recurring:
    - { name: drill, scope: "rack:M-01", target_reduction_kw: 2, every: 30m, duration: 5m }
`);
    const c = createCurtailments({ model, db: db(), history: () => [] });
    for (let t = T0 - MIN; t <= T0 + 2 * MIN; t += 10_000) c.record(at(t < T0 ? 10_000 : 7000), t);
    const [v] = c.active();
    expect(v).toMatchObject({ id: `recurring:drill:${T0}`, source: 'recurring', scope: 'rack:M-01', target_reduction_kw: 2 });
    expect(v.figures).toMatchObject({ baseline_w: 10_000, current_w: 7000, achieved_w: 3000, target_w: 2000, ratio: 1.5, response_s: 0 });
    expect(await c.cancel(v.id, 'ops', '', T0 + 2 * MIN)).toBeNull();
    // the list carries the next 24 h of occurrences: 48 of them after this one
    expect(c.list(T0 + 2 * MIN).filter((e) => e.start > T0).length).toBe(48);
  });
});
