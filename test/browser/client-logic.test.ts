// The wall's pure logic, run in node: the live fold (seq gaps), staleness, alert order, rack levels,
// unit formatting and the bounded trend buffer. The browser test covers the DOM end to end.
import { describe, expect, it } from 'vitest';
import type { AlertView, LiveSnapshot, LiveUpdate, SiteFigures } from '../../server/core/types.js';
import {
  formatDuration, formatHashrate, formatJth, formatMetric, formatPower, formatPue, formatTemp,
} from '../../client/src/format.js';
import { inletLevel, rackLevel, powerLevel, hashrateLevel, gpuLevel } from '../../client/src/levels.js';
import {
  applyAlert, applySnapshot, applyUpdate, emptyState, firingAlertsWorstFirst, staleness,
} from '../../client/src/live.js';
import { TrendBuffer } from '../../client/src/charts.js';
import { rack } from './figures-fixture.js';

const NB = '\u202f';

function site(over: Partial<SiteFigures> = {}): SiteFigures {
  return {
    name: 'S', ts: 1000, energy_it_kwh: 0, energy_facility_kwh: 0, it_power_w: 1_000_000, it_power_complete: true, facility_power_w: 1_200_000,
    pue: 1.2, pue_unknown_reason: null, pue_24h: null, hashrate_ths: 5000, nominal_ths: 5000, hashrate_ratio: 1, j_per_th: 17.5, miners_hashing: 25,
    miners_total: 25, gpu_util_pct: 80, gpus_busy: 8, gpus_idle: 0, gpus_total: 8, w_per_gpu: 700, worst_inlet_c: 24,
    health: { up: 40, degraded: 0, down: 0 }, ...over,
  };
}

function snapshot(seq: number): LiveSnapshot {
  return {
    seq, ts: 1000,
    layout: { site: 'S', halls: [], loops: [] },
    figures: { site: site(), halls: [], racks: [rack('M-01'), rack('M-02')], loops: [] },
    alerts: [],
  };
}

function alert(key: string, severity: AlertView['severity'], fired_at: number | null, state: AlertView['state'] = 'firing'): AlertView {
  return {
    key, alertname: key, severity, scope: 'site', state, summary: key, value: null, threshold: null, since: 0,
    fired_at, resolved_at: null,
  };
}

describe('live fold', () => {
  it('applies the next update, ignores replays and reports a gap without applying it', () => {
    const st = emptyState();
    applySnapshot(st, snapshot(7), 50);
    expect(st.seq).toBe(7);
    expect(st.racks.size).toBe(2);

    const next: LiveUpdate = { seq: 8, ts: 2000, racks: [rack('M-02', { inlet_temp_c: 38, ashrae: 'above' })] };
    expect(applyUpdate(st, next, 60)).toBe('applied');
    expect(st.racks.get('M-02')!.inlet_temp_c).toBe(38);
    expect(st.racks.get('M-01')!.inlet_temp_c).toBe(24);
    expect(st.lastMessageAt).toBe(60);

    expect(applyUpdate(st, { seq: 8, ts: 2000, site: site({ it_power_w: 1 }) }, 70)).toBe('old');
    expect(st.site!.it_power_w).toBe(1_000_000);

    // 9 was lost: 10 must not be folded over the missing parts
    expect(applyUpdate(st, { seq: 10, ts: 3000, site: site({ it_power_w: 2 }) }, 80)).toBe('gap');
    expect(st.site!.it_power_w).toBe(1_000_000);
    expect(st.seq).toBe(8);

    // once a resync is asked, even the "next" seq waits for the snapshot
    st.awaitingSnapshot = true;
    expect(applyUpdate(st, { seq: 9, ts: 3000 }, 90)).toBe('gap');
    applySnapshot(st, snapshot(12), 100);
    expect(st.awaitingSnapshot).toBe(false);
    expect(applyUpdate(st, { seq: 13, ts: 4000 }, 110)).toBe('applied');
  });

  it('keeps pending and firing alerts and drops resolved ones', () => {
    const st = emptyState();
    applySnapshot(st, snapshot(1), 0);
    applyAlert(st, alert('hot', 'critical', 10), 1);
    applyAlert(st, alert('pue', 'warning', null, 'pending'), 2);
    expect(st.alerts.size).toBe(2);
    applyAlert(st, alert('hot', 'critical', 10, 'resolved'), 3);
    expect([...st.alerts.keys()]).toEqual(['pue']);
    expect(applyUpdate(st, { seq: 2, ts: 5, alerts: [alert('a', 'info', 1), alert('b', 'info', 2, 'resolved')] }, 4)).toBe('applied');
    expect([...st.alerts.keys()]).toEqual(['a']);
  });

  it('is stale when disconnected or after 10 s without a message', () => {
    const st = emptyState();
    expect(staleness(st, 0).stale).toBe(true);
    st.connected = true;
    st.lastMessageAt = 100_000;
    expect(staleness(st, 110_000).stale).toBe(false);
    const s = staleness(st, 110_001);
    expect(s.stale).toBe(true);
    expect(s.reason).toBe('no update for 10 s');
    st.connected = false;
    expect(staleness(st, 100_001).reason).toBe('connection to the server lost');
  });

  it('orders firing alerts critical first, then longest firing', () => {
    const out = firingAlertsWorstFirst([
      alert('w-old', 'warning', 100), alert('c-new', 'critical', 900), alert('c-old', 'critical', 200),
      alert('p', 'critical', null, 'pending'), alert('i', 'info', 50),
    ]);
    expect(out.map((a) => a.key)).toEqual(['c-old', 'c-new', 'w-old', 'i']);
  });
});

describe('rack levels', () => {
  it('reads inlet against the ASHRAE band, computing it when the server sent none', () => {
    expect(inletLevel('recommended', 24)).toBe('ok');
    expect(inletLevel(null, 27)).toBe('ok');
    expect(inletLevel(null, 27.5)).toBe('warn');
    expect(inletLevel(null, 32)).toBe('warn');
    expect(inletLevel(null, 38)).toBe('crit');
    expect(inletLevel(null, 14)).toBe('warn');
    expect(inletLevel(null, null)).toBe('unknown');
    expect(rackLevel('inlet', rack('x', { inlet_temp_c: 38, ashrae: 'above' }))).toBe('crit');
  });
  it('reads power, hashrate and GPU utilisation by their thresholds', () => {
    expect(powerLevel(0.8)).toBe('ok');
    expect(powerLevel(0.81)).toBe('warn');
    expect(powerLevel(1.0)).toBe('crit');
    expect(hashrateLevel(0.9)).toBe('ok');
    expect(hashrateLevel(0.69)).toBe('crit');
    expect(hashrateLevel(null)).toBe('unknown');
    expect(gpuLevel(50)).toBe('ok');
    expect(gpuLevel(9.9)).toBe('crit');
  });
});

describe('format', () => {
  it('prints units and a dash for unknown, never 0', () => {
    expect(formatPower(null)).toBe('—');
    expect(formatPower(950)).toBe(`950${NB}W`);
    expect(formatPower(12_345)).toBe(`12.3${NB}kW`);
    expect(formatPower(1_234_567)).toBe(`1.23${NB}MW`);
    expect(formatHashrate(5_210)).toBe(`5.21${NB}PH/s`);
    expect(formatHashrate(200)).toBe(`200${NB}TH/s`);
    expect(formatTemp(38)).toBe(`38.0${NB}°C`);
    expect(formatPue(1.2345)).toBe('1.23');
    expect(formatJth(3510 / 200)).toBe(`17.6${NB}J/TH`);
    expect(formatDuration(59_999)).toBe(`59${NB}s`);
    expect(formatDuration(3_725_000)).toBe(`1${NB}h 2${NB}min`);
    expect(formatMetric('inlet_temp_c', 21.04)).toBe(`21.0${NB}°C`);
    expect(formatMetric('util_pct', 73.6)).toBe(`74${NB}%`);
  });
});

describe('TrendBuffer', () => {
  it('keeps one point per 5 s bucket and at most an hour', () => {
    const b = new TrendBuffer(3_600_000, 5_000);
    for (let t = 0; t <= 2 * 3_600_000; t += 1000) b.push(t, t / 1000);
    // an hour at one point per 5 s is 720 buckets, plus the bucket the cutoff falls in
    expect(b.points.length).toBeLessThanOrEqual(721);
    expect(b.points.length).toBeGreaterThanOrEqual(720);
    expect(b.points[b.points.length - 1]).toEqual({ x: 7_200_000, y: 7200 });
    expect(b.points[0].x).toBeGreaterThanOrEqual(3_600_000);
  });
  it('puts history before live points and keeps nulls as gaps', () => {
    const b = new TrendBuffer(3_600_000, 5_000);
    b.push(100_000, 5);
    b.prefill([[80_000, 1], [90_000, null], [100_000, 9]]);
    expect(b.points).toEqual([{ x: 80_000, y: 1 }, { x: 90_000, y: null }, { x: 100_000, y: 5 }]);
  });
});
