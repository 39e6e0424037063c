// The state machine: pending drop, hysteresis, flapping suppression, ack/shelve, ordering, targets that go away,
// snapshot/restore, and the cost of evaluating a 100,000-device site.
import { describe, expect, it } from 'vitest';
import { createAlertEngine, type AlertEngine } from '../../server/alerts/engine.js';
import { defaultRules } from '../../server/alerts/builtin.js';
import { parseAlertRules, type AlertRule } from '../../server/alerts/rules.js';
import type { DeviceStatus, Figures } from '../../server/core/types.js';
import { asic, figures, MIN, rack, siteModel } from './alerts-fixture.js';

const T0 = 1_764_000_000_000;
const model = siteModel();

const xidOnly = (): AlertRule[] => defaultRules().filter((r) => r.name === 'GpuXidError');

function rules(raw: unknown[]): AlertRule[] {
  const { rules: r, errors } = parseAlertRules(raw);
  expect(errors).toEqual([]);
  return r;
}

const inletRule = { name: 'Inlet', severity: 'warning', scope: 'rack', metric: 'inlet_temp_c', op: '>', threshold: 27, clear: 26 };

function racks(temps: Record<string, number | null>): Figures {
  return figures({ racks: Object.entries(temps).map(([id, t]) => rack({ id, inlet_temp_c: t })) });
}

function step(engine: AlertEngine, minutes: number, f: Figures, devices: DeviceStatus[] = []): string[] {
  return engine.evaluate({ now: T0 + minutes * MIN, model, figures: f, devices, lastReadingAt: T0 + minutes * MIN })
    .map((c) => `${c.state} ${c.key}`);
}

describe('alert engine', () => {
  it('drops a pending alert whose value recovers before `for`, and keeps it out of recent()', () => {
    const e = createAlertEngine(rules([{ ...inletRule, for: '5m' }]));
    expect(step(e, 0, racks({ R1: 28 }))).toEqual(['pending Inlet:rack:R1']);
    const dropped = e.evaluate({ now: T0 + 4 * MIN, model, figures: racks({ R1: 27 }), devices: [] });
    expect(dropped).toHaveLength(1);
    expect(dropped[0]).toMatchObject({ state: 'resolved', fired_at: null, since: T0 });
    expect(e.active()).toEqual([]);
    expect(e.recent()).toEqual([]);
    // A new breach starts `for` over again.
    expect(step(e, 5, racks({ R1: 28 }))).toEqual(['pending Inlet:rack:R1']);
    expect(step(e, 9.9, racks({ R1: 28 }))).toEqual([]);
    expect(step(e, 10, racks({ R1: 28 }))).toEqual(['firing Inlet:rack:R1']);
    expect(e.get('Inlet:rack:R1')).toMatchObject({ since: T0 + 5 * MIN, fired_at: T0 + 10 * MIN, value: 28, threshold: 27 });
  });

  it('holds state on an unknown value, and resolves when the target disappears', () => {
    const e = createAlertEngine(rules([inletRule]));
    expect(step(e, 0, racks({ R1: 30 }))).toEqual(['firing Inlet:rack:R1']);
    expect(step(e, 1, racks({ R1: null }))).toEqual([]);
    expect(e.get('Inlet:rack:R1')?.state).toBe('firing');
    expect(step(e, 2, racks({ R2: 20 }))).toEqual(['resolved Inlet:rack:R1']);
    expect(e.recent().map((v) => [v.key, v.resolved_at])).toEqual([['Inlet:rack:R1', T0 + 2 * MIN]]);
  });

  it('suppresses flapping: the third firing in 30 min holds until clear for 10 min straight', () => {
    const e = createAlertEngine(rules([inletRule]));
    const series: [number, number, string[]][] = [
      [0, 28, ['firing Inlet:rack:R1']],
      [1, 25, ['resolved Inlet:rack:R1']],
      [2, 28, ['firing Inlet:rack:R1']],
      [3, 25, ['resolved Inlet:rack:R1']],
      [4, 28, ['firing Inlet:rack:R1']], // third firing within the window: now flapping
      [5, 25, []], // would resolve; held
      [6, 28, []], // breach again while held: no new notification
      [7, 25, []], // clear from 7 …
      [16.9, 25, []],
      [17, 25, ['resolved Inlet:rack:R1']], // … for 10 min
    ];
    for (const [min, t, want] of series) {
      expect(step(e, min, racks({ R1: t })), `minute ${min}`).toEqual(want);
      if (min === 5) expect(e.get('Inlet:rack:R1')).toMatchObject({ state: 'firing', flapping: true });
    }
    // 30 min after the first firings they no longer count: a single blip resolves normally again.
    expect(step(e, 40, racks({ R1: 28 }))).toEqual(['firing Inlet:rack:R1']);
    expect(step(e, 41, racks({ R1: 25 }))).toEqual(['resolved Inlet:rack:R1']);
  });

  it('keeps a firing alert between clear and threshold (hysteresis), for `<` rules too', () => {
    const e = createAlertEngine(rules([
      { name: 'LowFlow', severity: 'critical', scope: 'loop', metric: 'flow_lpm', op: '<', threshold: 100, clear: 120 },
    ]));
    const f = (flow: number) => figures({ loops: [{ id: 'L1', supply_temp_c: null, return_temp_c: null, flow_lpm: flow,
      delta_t_c: null, heat_removed_w: null, it_power_w: null, capture_ratio: null, capture_unknown_reason: null }] });
    expect(step(e, 0, f(99))).toEqual(['firing LowFlow:loop:L1']);
    expect(step(e, 1, f(110))).toEqual([]);
    expect(step(e, 2, f(119.9))).toEqual([]);
    expect(step(e, 3, f(120))).toEqual(['resolved LowFlow:loop:L1']);
  });

  it('lists active alerts worst first, then oldest first', () => {
    const e = createAlertEngine(rules([
      { ...inletRule, name: 'Warm' },
      { ...inletRule, name: 'Hot', severity: 'critical', threshold: 32, clear: 31 },
      { ...inletRule, name: 'Note', severity: 'info', threshold: 20, clear: 20 },
    ]));
    step(e, 0, racks({ R1: 28, R2: 21 }));
    step(e, 1, racks({ R1: 28, R2: 21, R3: 33 }));
    expect(e.active().map((v) => v.key)).toEqual([
      'Hot:rack:R3', 'Warm:rack:R1', 'Warm:rack:R3', 'Note:rack:R1', 'Note:rack:R2', 'Note:rack:R3',
    ]);
  });

  it('acknowledges an active alert until it resolves; unknown keys are refused', () => {
    const e = createAlertEngine(rules([inletRule]));
    step(e, 0, racks({ R1: 30 }));
    expect(e.acknowledge('Inlet:rack:R9', 'ana', 'x', T0)).toBeNull();
    const v = e.acknowledge('Inlet:rack:R1', 'ana', 'CRAC 3 filter swap', T0 + 30_000);
    expect(v?.acknowledged).toEqual({ by: 'ana', note: 'CRAC 3 filter swap', at: T0 + 30_000 });
    expect(e.active()[0].acknowledged?.by).toBe('ana');
    step(e, 1, racks({ R1: 20 }));
    step(e, 2, racks({ R1: 30 }));
    expect(e.get('Inlet:rack:R1')?.acknowledged).toBeUndefined();
  });

  it('shelves: still listed and flagged, not counted as firing, until the shelve ends', () => {
    const e = createAlertEngine(rules([inletRule, { ...inletRule, name: 'Other', severity: 'critical' }]));
    step(e, 0, racks({ R1: 30, R2: 31 }));
    expect(e.firingCounts()).toEqual([
      { alertname: 'Inlet', severity: 'warning', count: 2 },
      { alertname: 'Other', severity: 'critical', count: 2 },
    ]);
    expect(e.shelve('Inlet:rack:R1', T0, 'bo', 'past', T0 + MIN)).toBeNull(); // until in the past
    const v = e.shelve('Inlet:rack:R1', T0 + 60 * MIN, 'bo', 'maintenance window', T0 + MIN);
    expect(v).toMatchObject({ shelved_until: T0 + 60 * MIN, shelved: { by: 'bo', note: 'maintenance window', at: T0 + MIN } });
    expect(e.firingCounts()[0].count).toBe(1);
    expect(e.active().find((a) => a.key === 'Inlet:rack:R1')?.shelved_until).toBe(T0 + 60 * MIN);
    // The shelve outlives a re-firing of the same key…
    step(e, 2, racks({ R1: 20, R2: 31 }));
    step(e, 3, racks({ R1: 30, R2: 31 }));
    expect(e.get('Inlet:rack:R1')?.shelved_until).toBe(T0 + 60 * MIN);
    expect(e.firingCounts(T0 + 3 * MIN)[0].count).toBe(1);
    // …and ends on its own.
    step(e, 60, racks({ R1: 30, R2: 31 }));
    expect(e.get('Inlet:rack:R1')?.shelved_until).toBeUndefined();
    expect(e.firingCounts()[0].count).toBe(2);
    expect(e.unshelve('Inlet:rack:R1')).toBe(false);
  });

  it('snapshot → JSON → restore carries pending, firing, acks, shelves, flap history and XID memory', () => {
    const all = [...rules([{ ...inletRule, for: '5m' }])];
    const a = createAlertEngine(all);
    step(a, 0, racks({ R1: 30, R2: 30 }));
    step(a, 5, racks({ R1: 30, R2: 30 }));
    a.acknowledge('Inlet:rack:R1', 'ana', 'on it', T0 + 5 * MIN);
    a.shelve('Inlet:rack:R2', T0 + 90 * MIN, 'bo', 'known', T0 + 5 * MIN);
    step(a, 6, racks({ R1: 30, R2: 25 })); // R2 resolves: recent has it
    step(a, 7, racks({ R1: 30, R2: 30, R3: 29 })); // R2 pending again, R3 pending
    const json = JSON.parse(JSON.stringify(a.snapshot())) as unknown;

    const b = createAlertEngine(all);
    b.restore(json);
    expect(b.active()).toEqual(a.active());
    expect(b.recent()).toEqual(a.recent());
    expect(b.get('Inlet:rack:R1')?.acknowledged?.note).toBe('on it');
    // R3 went pending at minute 7: it fires at 12, not earlier, in the restored engine.
    expect(step(b, 11, racks({ R1: 30, R2: 30, R3: 29 }))).toEqual([]);
    expect(step(b, 12, racks({ R1: 30, R2: 30, R3: 29 }))).toEqual(['firing Inlet:rack:R2', 'firing Inlet:rack:R3']);
    expect(b.get('Inlet:rack:R2')?.shelved?.note).toBe('known');
    expect(() => b.restore({ version: 2 })).toThrow(/version/);
  });

  it('restores the XID baseline, so a restart does not re-alert old XIDs', () => {
    const a = createAlertEngine(xidOnly());
    const g = (xid: number): DeviceStatus[] =>
      [{ id: 'n1/gpu0', kind: 'gpu', health: 'up', last_seen: T0, metrics: { xid_last: xid } }];
    step(a, 0, figures(), g(13));
    const b = createAlertEngine(xidOnly());
    b.restore(JSON.parse(JSON.stringify(a.snapshot())));
    expect(step(b, 1, figures(), g(13))).toEqual([]);
    expect(step(b, 2, figures(), g(31))).toEqual(['firing GpuXidError:device:n1/gpu0']);
  });

  it('evaluates 100,000 devices cheaply, keeping state only for the ones in trouble', () => {
    const { rules: r } = parseAlertRules([
      { name: 'ChipHot', scope: 'device', kind: 'asic', metric: 'chip_temp_c', op: '>', threshold: 90, for: '1m' },
      { name: 'HashLow', scope: 'device', kind: 'asic', metric: 'hashrate_ths', op: '<', threshold: 100, for: '1m' },
    ]);
    const e = createAlertEngine([...r, ...xidOnly()]);
    const devices: DeviceStatus[] = [];
    for (let i = 0; i < 100_000; i++) {
      devices.push(i % 4 === 0
        ? { id: `n${i}/gpu0`, kind: 'gpu', health: 'up', last_seen: T0, metrics: { xid_last: 0 } }
        : { id: `m${i}`, kind: 'asic', health: 'up', last_seen: T0, metrics: { chip_temp_c: i % 1000 === 1 ? 95 : 70, hashrate_ths: 200 } });
    }
    const source = (visit: (d: DeviceStatus) => void): void => { for (const d of devices) visit(d); };
    e.evaluate({ now: T0, model, figures: figures(), devices: source });
    const t = performance.now();
    for (let k = 1; k <= 5; k++) e.evaluate({ now: T0 + k * 15_000, model, figures: figures(), devices: source });
    const perEvalMs = (performance.now() - t) / 5;
    // 100 devices at 95 °C (i % 1000 === 1, all asic): state for those only, firing after 1 min.
    expect(e.active()).toHaveLength(100);
    expect(e.active().every((v) => v.state === 'firing' && v.alertname === 'ChipHot')).toBe(true);
    expect(e.snapshot().states).toHaveLength(100);
    console.log(`alerts: ${perEvalMs.toFixed(1)} ms per evaluate of 100,000 devices`);
    expect(perEvalMs).toBeLessThan(150);
  });

  it('runs every built-in rule over 100,000 healthy devices within a tick budget, creating no state', () => {
    const e = createAlertEngine(defaultRules());
    const devices: DeviceStatus[] = [];
    for (let i = 0; i < 100_000; i++) {
      devices.push(i % 2 === 0
        ? asic(`m${i}`, { hashrate_ths: 200, chip_temp_c: 70, chains_ok: 3, chains_total: 3, uptime_s: 9000 }, { last_seen: T0 })
        : { id: `n${i}/gpu0`, kind: 'gpu', model: 'h100-sxm', health: 'up', last_seen: T0,
          metrics: { temp_c: 60, throttle_thermal: 0, throttle_power: 0, xid_last: 0 } });
    }
    e.evaluate({ now: T0, model, figures: figures(), devices });
    const t = performance.now();
    for (let k = 1; k <= 3; k++) e.evaluate({ now: T0 + k * 1000, model, figures: figures(), devices });
    const perEvalMs = (performance.now() - t) / 3;
    console.log(`alerts: ${perEvalMs.toFixed(1)} ms per evaluate of 100,000 devices, all built-in rules`);
    expect(e.snapshot().states).toHaveLength(0);
    expect(perEvalMs).toBeLessThan(250);
  });

  it('rejects two rules with the same name', () => {
    const [r] = rules([inletRule]);
    expect(() => createAlertEngine([r, r])).toThrow(/Inlet defined twice/);
  });
});
