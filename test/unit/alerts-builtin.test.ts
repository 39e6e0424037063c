// Each built-in rule fires and resolves on a crafted series, with its `for` and clear level respected.
import { describe, expect, it } from 'vitest';
import { createAlertEngine, type AlertInput } from '../../server/alerts/engine.js';
import type { EngineAlertView } from '../../server/alerts/step.js';
import { defaultRules } from '../../server/alerts/builtin.js';
import type { DeviceStatus, Figures } from '../../server/core/types.js';
import { asic, figures, gpu, loop, MIN, rack, site, siteModel } from './alerts-fixture.js';

const T0 = 1_764_000_000_000;

interface Step {
  devices?: DeviceStatus[];
  figures?: Figures;
  collectorsLastOk?: Map<string, number>;
  curtailed?: Set<string>;
  lastReadingAt?: number | null;
}

/** Drives the default rules; only changes of the rule under test are returned, as "state@minute" strings. */
function harness(alertname: string) {
  const model = siteModel();
  const engine = createAlertEngine(defaultRules());
  const at = (minutes: number, s: Step = {}): string[] => {
    const now = T0 + minutes * MIN;
    const input: AlertInput = {
      now, model, devices: s.devices ?? [], figures: s.figures ?? figures(),
      collectorsLastOk: s.collectorsLastOk, curtailed: s.curtailed,
      // keeps DataStale quiet unless that rule is the one under test
      lastReadingAt: 'lastReadingAt' in s ? s.lastReadingAt : now,
    };
    return engine.evaluate(input).filter((c) => c.alertname === alertname).map((c) => `${c.state} ${c.scope}`);
  };
  const view = (key: string): EngineAlertView | null => engine.get(key);
  return { engine, at, view };
}

describe('built-in alert rules', () => {
  it('DeviceDown: pending at once, firing after 1 min, resolves when the device answers', () => {
    const h = harness('DeviceDown');
    const down = [asic('A-01-01', {}, { health: 'down', reason: 'refused' })];
    expect(h.at(0, { devices: down })).toEqual(['pending device:A-01-01']);
    expect(h.at(0.5, { devices: down })).toEqual([]);
    expect(h.at(1, { devices: down })).toEqual(['firing device:A-01-01']);
    expect(h.view('DeviceDown:device:A-01-01')?.summary).toBe('A-01-01 is down (refused)');
    expect(h.at(2, { devices: [asic('A-01-01', { hashrate_ths: 200 })] })).toEqual(['resolved device:A-01-01']);
  });

  it('DeviceDown: a pending alert\'s text follows the device\'s reason until it fires (the device API and the alert agree)', () => {
    const h = harness('DeviceDown');
    expect(h.at(0, { devices: [asic('A-01-01', {}, { health: 'down', reason: 'timeout' })] })).toEqual(['pending device:A-01-01']);
    expect(h.view('DeviceDown:device:A-01-01')?.summary).toBe('A-01-01 is down (timeout)');
    expect(h.at(0.5, { devices: [asic('A-01-01', {}, { health: 'down', reason: 'refused' })] })).toEqual([]);
    expect(h.view('DeviceDown:device:A-01-01')?.summary).toBe('A-01-01 is down (refused)');
  });

  it('RackDevicesDown: a rack with half or more of its devices down raises one rack alert, not one per device', () => {
    const dd = harness('DeviceDown');
    const rd = harness('RackDevicesDown');
    // Rack A-01 holds 4 miners; 1 down is that device's problem.
    const one = [asic('A-01-01', {}, { health: 'down', reason: 'timeout' }), asic('A-01-02', {}), asic('A-01-03', {}), asic('A-01-04', {})];
    const oneFig = figures({ racks: [rack({ id: 'A-01', health: { up: 3, degraded: 0, down: 1 } })] });
    expect(dd.at(0, { devices: one, figures: oneFig })).toEqual(['pending device:A-01-01']);
    expect(rd.at(0, { devices: one, figures: oneFig })).toEqual([]);
    expect(dd.at(1, { devices: one, figures: oneFig })).toEqual(['firing device:A-01-01']);
    // Then the rack's switch dies: 3 of 4 down (75 % >= 50 %). The per-device alert gives way to the rack's.
    const three = one.map((d, i) => (i < 3 ? { ...d, health: 'down' as const, reason: 'timeout' } : d));
    const threeFig = figures({ racks: [rack({ id: 'A-01', health: { up: 1, degraded: 0, down: 3 } })] });
    expect(dd.at(2, { devices: three, figures: threeFig })).toEqual(['resolved device:A-01-01']);
    expect(rd.at(2, { devices: three, figures: threeFig })).toEqual(['pending rack:A-01']);
    expect(rd.at(3, { devices: three, figures: threeFig })).toEqual(['firing rack:A-01']);
    expect(rd.view('RackDevicesDown:rack:A-01')?.summary).toBe('rack A-01: 75 % of its devices down');
    expect(dd.at(3, { devices: three, figures: threeFig })).toEqual([]);
    // Back up: the rack alert resolves.
    const upFig = figures({ racks: [rack({ id: 'A-01', health: { up: 4, degraded: 0, down: 0 } })] });
    expect(rd.at(4, { devices: one.map((d) => ({ ...d, health: 'up' as const })), figures: upFig })).toEqual(['resolved rack:A-01']);
  });

  it('MinerHashrateLow: below 80 % of nominal 200 TH/s for 10 min; clears only above 85 %', () => {
    const h = harness('MinerHashrateLow');
    const m = (ths: number, uptime_s = 3600) => [asic('A-01-01', { hashrate_ths: ths, uptime_s })];
    expect(h.at(0, { devices: m(150) })).toEqual(['pending device:A-01-01']); // 150/200 = 0.75
    expect(h.at(9.9, { devices: m(150) })).toEqual([]);
    expect(h.at(10, { devices: m(150) })).toEqual(['firing device:A-01-01']);
    expect(h.view('MinerHashrateLow:device:A-01-01')?.summary).toBe('A-01-01 hashing at 75 % of nominal (below 80 %)');
    expect(h.at(11, { devices: m(165) })).toEqual([]); // 0.825: past the threshold, not past the clear level
    expect(h.at(12, { devices: m(171) })).toEqual(['resolved device:A-01-01']); // 0.855 > 0.85
  });

  it('MinerNotHashing: the device\'s own reason, in the alert text from pending on; MinerHashrateLow leaves 0 to it', () => {
    const h = harness('MinerNotHashing');
    const low = harness('MinerHashrateLow');
    const idle = [asic('A-01-01', { hashrate_ths: 0, uptime_s: 3600 }, { health: 'degraded', reason: 'not hashing' })];
    expect(h.at(0, { devices: idle })).toEqual(['pending device:A-01-01']);
    expect(h.view('MinerNotHashing:device:A-01-01')?.summary).toBe('A-01-01 answers but is not hashing (not hashing)');
    expect(low.at(0, { devices: idle })).toEqual([]);
    expect(h.at(2, { devices: idle })).toEqual(['firing device:A-01-01']);
    expect(h.at(3, { devices: [asic('A-01-01', { hashrate_ths: 190, uptime_s: 3700 })] })).toEqual(['resolved device:A-01-01']);
    // a down miner is DeviceDown's, a curtailed one is not paged
    expect(h.at(4, { devices: [asic('A-01-01', {}, { health: 'down', reason: 'refused' })] })).toEqual([]);
    expect(h.at(5, { devices: idle, curtailed: new Set(['A-01']) })).toEqual([]);
  });

  it('MinerHashrateLow: silent in the first 30 min of uptime and while the rack is curtailed', () => {
    const h = harness('MinerHashrateLow');
    expect(h.at(0, { devices: [asic('A-01-01', { hashrate_ths: 100, uptime_s: 1799 })] })).toEqual([]);
    const low = [asic('A-01-01', { hashrate_ths: 100, uptime_s: 1800 })];
    expect(h.at(1, { devices: low })).toEqual(['pending device:A-01-01']);
    expect(h.at(11, { devices: low })).toEqual(['firing device:A-01-01']);
    // Curtailing the rack resolves it at once: low hashrate is now intended.
    expect(h.at(12, { devices: low, curtailed: new Set(['A-01']) })).toEqual(['resolved device:A-01-01']);
    expect(h.at(30, { devices: low, curtailed: new Set(['A-01']) })).toEqual([]);
  });

  it('MinerChainsDown: a chain down for 2 min', () => {
    const h = harness('MinerChainsDown');
    const c = (ok: number) => [asic('A-01-01', { chains_ok: ok, chains_total: 3 })];
    expect(h.at(0, { devices: c(2) })).toEqual(['pending device:A-01-01']);
    expect(h.at(1, { devices: c(2) })).toEqual([]);
    expect(h.at(2, { devices: c(2) })).toEqual(['firing device:A-01-01']);
    expect(h.view('MinerChainsDown:device:A-01-01')?.summary).toBe('A-01-01 has 1 hash chain(s) down');
    expect(h.at(3, { devices: c(3) })).toEqual(['resolved device:A-01-01']);
  });

  it('ChipTempNearLimit: within 5 °C of the catalogue limit (95 → 90) or of a device override (85 → 80)', () => {
    const h = harness('ChipTempNearLimit');
    const d = (a: number, b: number) => [asic('A-01-01', { chip_temp_c: a }), asic('A-01-02', { chip_temp_c: b })];
    expect(h.at(0, { devices: d(89.9, 80) })).toEqual(['pending device:A-01-02']);
    expect(h.at(1, { devices: d(90, 81) })).toEqual(['pending device:A-01-01']);
    expect(h.at(2, { devices: d(90, 81) })).toEqual(['firing device:A-01-02']);
    expect(h.at(3, { devices: d(91, 78) })).toEqual(['firing device:A-01-01']); // 78 ≥ 85 − 8: still firing
    expect(h.view('ChipTempNearLimit:device:A-01-01')?.threshold).toBe(90);
    expect(h.view('ChipTempNearLimit:device:A-01-01')?.summary).toBe('A-01-01 chip at 91 °C, limit 95 °C');
    expect(h.at(4, { devices: d(87, 76.9) })).toEqual(['resolved device:A-01-02']); // 87 = 95 − 8 still holds
    expect(h.at(5, { devices: d(86.9, 70) })).toEqual(['resolved device:A-01-01']);
  });

  it('GpuTempNearLimit: H100 limit 87 °C fires at 82 °C for 2 min, clears below 79 °C', () => {
    const h = harness('GpuTempNearLimit');
    const g = (t: number) => [gpu('n1/gpu0', { temp_c: t })];
    expect(h.at(0, { devices: g(81) })).toEqual([]);
    expect(h.at(1, { devices: g(82) })).toEqual(['pending device:n1/gpu0']);
    expect(h.at(3, { devices: g(84) })).toEqual(['firing device:n1/gpu0']);
    expect(h.at(4, { devices: g(79) })).toEqual([]);
    expect(h.at(5, { devices: g(78) })).toEqual(['resolved device:n1/gpu0']);
  });

  it('GpuThermalThrottle after 1 min and GpuPowerThrottle after 10 min', () => {
    const th = harness('GpuThermalThrottle');
    const pw = harness('GpuPowerThrottle');
    const g = (t: number, p: number) => [gpu('n1/gpu0', { throttle_thermal: t, throttle_power: p })];
    for (const [min, t, p, thermal, power] of [
      [0, 1, 1, ['pending device:n1/gpu0'], ['pending device:n1/gpu0']],
      [1, 1, 1, ['firing device:n1/gpu0'], []],
      [9, 0, 1, ['resolved device:n1/gpu0'], []],
      [10, 0, 1, [], ['firing device:n1/gpu0']],
      [11, 0, 0, [], ['resolved device:n1/gpu0']],
    ] as const) {
      expect(th.at(min, { devices: g(t, p) })).toEqual(thermal);
      expect(pw.at(min, { devices: g(t, p) })).toEqual(power);
    }
  });

  it('GpuXidError: an XID present at start is history; a new one fires at once and resolves 30 min later', () => {
    const h = harness('GpuXidError');
    const g = (xid: number | null) => [gpu('n1/gpu0', { xid_last: xid })];
    expect(h.at(0, { devices: g(13) })).toEqual([]);
    expect(h.at(1, { devices: g(13) })).toEqual([]);
    expect(h.at(2, { devices: g(79) })).toEqual(['firing device:n1/gpu0']);
    expect(h.view('GpuXidError:device:n1/gpu0')?.summary).toBe('n1/gpu0 reported XID 79');
    expect(h.at(20, { devices: g(null) })).toEqual([]); // unknown holds
    expect(h.at(31.9, { devices: g(79) })).toEqual([]);
    expect(h.at(32, { devices: g(79) })).toEqual(['resolved device:n1/gpu0']);
    expect(h.at(40, { devices: g(0) })).toEqual([]);
    expect(h.at(41, { devices: g(79) })).toEqual(['firing device:n1/gpu0']); // same XID again after a reset is new
  });

  it('RackInletWarm above 27 °C for 5 min (clear 26) and RackInletHot above 32 °C for 2 min (clear 31)', () => {
    const warm = harness('RackInletWarm');
    const hot = harness('RackInletHot');
    const f = (t: number) => ({ figures: figures({ racks: [rack({ id: 'A-01', inlet_temp_c: t })] }) });
    for (const [min, t, w, c] of [
      [0, 27, [], []],
      [1, 27.5, ['pending rack:A-01'], []],
      [5, 33, [], ['pending rack:A-01']],
      [6, 31.5, ['firing rack:A-01'], ['resolved rack:A-01']], // pending dropped: below 32 °C before its 2 min
      [7, 33, [], ['pending rack:A-01']],
      [9, 33, [], ['firing rack:A-01']],
      [10, 31.5, [], []], // between clear 31 and threshold 32: still firing
      [11, 31, [], ['resolved rack:A-01']],
      [12, 26.5, [], []],
      [13, 26, ['resolved rack:A-01'], []],
    ] as const) {
      expect(warm.at(min, f(t)), `warm at ${min}`).toEqual(w);
      expect(hot.at(min, f(t)), `hot at ${min}`).toEqual(c);
    }
  });
});

describe('built-in alert rules (power, cooling, plant)', () => {
  it('RackPowerHigh above 80 % of rated for 5 min; clears below 75 %', () => {
    const h = harness('RackPowerHigh');
    const f = (ratio: number) => ({ figures: figures({ racks: [rack({ id: 'A-01', load_ratio: ratio })] }) });
    expect(h.at(0, f(0.8))).toEqual([]);
    expect(h.at(1, f(0.85))).toEqual(['pending rack:A-01']);
    expect(h.at(6, f(0.85))).toEqual(['firing rack:A-01']);
    expect(h.view('RackPowerHigh:rack:A-01')?.summary).toBe('rack A-01 drawing 85 % of rated power (above 80 %)');
    expect(h.at(7, f(0.76))).toEqual([]);
    expect(h.at(8, f(0.75))).toEqual(['resolved rack:A-01']);
  });

  it('RackFeedNoFailover when one feed could not carry the rack, for 5 min; unmetered feeds say nothing', () => {
    const h = harness('RackFeedNoFailover');
    const f = (ok: boolean | null) => ({ figures: figures({ racks: [rack({ id: 'A-01', feed_failover_ok: ok })] }) });
    expect(h.at(0, f(null))).toEqual([]);
    expect(h.at(1, f(false))).toEqual(['pending rack:A-01']);
    expect(h.at(6, f(false))).toEqual(['firing rack:A-01']);
    expect(h.at(7, f(null))).toEqual([]); // meter dropout holds the alert
    expect(h.at(8, f(true))).toEqual(['resolved rack:A-01']);
  });

  it('LoopDeltaTHigh above 15 °C for 5 min, clears at 12 °C', () => {
    const h = harness('LoopDeltaTHigh');
    const f = (dt: number) => ({ figures: figures({ loops: [loop({ id: 'L1', delta_t_c: dt, flow_lpm: 300 })] }) });
    expect(h.at(0, f(16))).toEqual(['pending loop:L1']);
    expect(h.at(5, f(16))).toEqual(['firing loop:L1']);
    expect(h.at(6, f(12.5))).toEqual([]);
    expect(h.at(7, f(12))).toEqual(['resolved loop:L1']);
  });

  it('LoopDeltaTLow below 1 °C for 10 min only while the loop carries IT load', () => {
    const h = harness('LoopDeltaTLow');
    const f = (dt: number, it: number | null) =>
      ({ figures: figures({ loops: [loop({ id: 'L1', delta_t_c: dt, flow_lpm: 300, it_power_w: it })] }) });
    expect(h.at(0, f(0.5, 0))).toEqual([]);
    expect(h.at(1, f(0.5, 50_000))).toEqual(['pending loop:L1']);
    expect(h.at(11, f(0.5, 50_000))).toEqual(['firing loop:L1']);
    expect(h.at(12, f(1.5, 50_000))).toEqual([]); // clear level 2 °C
    expect(h.at(13, f(2, 50_000))).toEqual(['resolved loop:L1']);
  });

  it('LoopFlowLow below 1 L/min for 1 min, clears at 5 L/min', () => {
    const h = harness('LoopFlowLow');
    const f = (flow: number) => ({ figures: figures({ loops: [loop({ id: 'L1', flow_lpm: flow })] }) });
    expect(h.at(0, f(0))).toEqual(['pending loop:L1']);
    expect(h.at(1, f(0))).toEqual(['firing loop:L1']);
    expect(h.at(2, f(4))).toEqual([]);
    expect(h.at(3, f(5))).toEqual(['resolved loop:L1']);
  });

  it('PueAboveTarget above the model target 1.3 for 30 min, clears below 1.28', () => {
    const h = harness('PueAboveTarget');
    const f = (pue: number) => ({ figures: figures({ site: site({ pue }) }) });
    expect(h.at(0, f(1.3))).toEqual([]);
    expect(h.at(1, f(1.45))).toEqual(['pending site']);
    expect(h.at(30, f(1.45))).toEqual([]);
    expect(h.at(31, f(1.45))).toEqual(['firing site']);
    expect(h.view('PueAboveTarget:site')?.summary).toBe('site PUE 1.45, above target 1.3');
    expect(h.at(32, f(1.29))).toEqual([]);
    expect(h.at(33, f(1.28))).toEqual(['resolved site']);
  });

  it('CollectorStalled after 3 missed intervals (cgminer 10 s → 30 s); a good poll resolves it', () => {
    const h = harness('CollectorStalled');
    const last = T0; // every step below is in minutes from T0
    const c = (ms: number) => ({ collectorsLastOk: new Map([['cgminer', ms], ['dcgm', T0 + 10 * MIN]]) });
    expect(h.at(29 / 60, c(last))).toEqual([]);
    expect(h.at(30 / 60, c(last))).toEqual(['firing collector:cgminer']);
    expect(h.view('CollectorStalled:collector:cgminer')?.summary)
      .toBe('collector cgminer has delivered nothing for 3 poll intervals');
    expect(h.at(1, c(T0 + 50_000))).toEqual([]); // 10 s ago = 1 interval: not yet past the clear level
    expect(h.at(1, c(T0 + 51_000))).toEqual(['resolved collector:cgminer']); // 0.9 intervals
  });

  it('DataStale after 60 s with no reading site-wide; counted from engine start when there was never one', () => {
    const h = harness('DataStale');
    expect(h.at(0, { lastReadingAt: null })).toEqual([]);
    expect(h.at(59 / 60, { lastReadingAt: null })).toEqual([]);
    expect(h.at(1, { lastReadingAt: null })).toEqual(['firing site']);
    expect(h.view('DataStale:site')?.severity).toBe('critical');
    // Without lastReadingAt, the newest device last_seen is the clock.
    const seen = T0 + 2 * MIN;
    expect(h.at(2.5, { devices: [asic('A-01-01', {}, { last_seen: seen })] })).toEqual(['resolved site']);
    const h2 = harness('DataStale');
    const ok = [asic('A-01-01', {}, { last_seen: T0 })];
    const step = (min: number, devices: DeviceStatus[]) => h2.engine.evaluate({
      now: T0 + min * MIN, model: siteModel(), devices, figures: figures(),
    }).filter((c) => c.alertname === 'DataStale').map((c) => c.state);
    expect(step(0.5, ok)).toEqual([]);
    expect(step(1, ok)).toEqual(['firing']);
    expect(step(1.5, [asic('A-01-01', {}, { last_seen: T0 + 1.5 * MIN })])).toEqual(['resolved']);
  });
});
