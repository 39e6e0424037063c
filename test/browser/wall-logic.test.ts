// The pure parts of issue 17's wall, in node: data age and the two stages of staleness, chart tick labels,
// a rack's worst member, the racks called out by id, which alerts a hall view shows, map tiers.
import { describe, expect, it } from 'vitest';
import type { AlertView, RackLayout } from '../../server/core/types.js';
import { WALL_DATA_AGE_WARN_MS, WALL_DATA_STALE_MS } from '../../server/figures/bands.js';
import { axisTickLabels, decimalsFor } from '../../client/src/charts.js';
import { metricLabel } from '../../client/src/format.js';
import { worstMember } from '../../client/src/levels.js';
import {
  applySnapshot, applyUpdate, dataAge, dataAgeLimits, emptyState, freshness, staleness,
} from '../../client/src/live.js';
import { racksNeedingAttention } from '../../client/src/views/attention.js';
import { mapTier, metricsFor } from '../../client/src/views/floormap.js';
import { alertConcernsHall } from '../../client/src/views/hall.js';
import { rack } from './figures-fixture.js';

const NB = '\u202f';

function alert(key: string, scope: string, hall?: string): AlertView {
  return {
    key, alertname: 'X', severity: 'critical', scope, state: 'firing', summary: key, value: null, threshold: null,
    since: 0, fired_at: 0, resolved_at: null, ...(hall ? { hall } : {}),
  };
}

describe('data age: readings, not the socket', () => {
  const snap = (ts: number, newest: number | null) => ({
    seq: 1, ts, layout: { site: 'S', halls: [], loops: [] },
    figures: { site: null as never, halls: [], racks: [], loops: [] }, alerts: [], newest_reading_ts: newest,
  });

  it('ages from the server-side gap plus the time since the message, and stays live while it is small', () => {
    const st = emptyState();
    st.connected = true;
    // Server clock 10 s ahead of the client's: only differences on one clock are used.
    applySnapshot(st, snap(110_000, 108_000), 100_000);
    expect(dataAge(st, 100_000)).toBe(2000);
    expect(dataAge(st, 101_500)).toBe(3500);
    expect(freshness(st, 101_500)).toBe('ok');
  });

  it('turns amber past the warn age and stale past the stale age while updates keep coming', () => {
    const st = emptyState();
    st.connected = true;
    applySnapshot(st, snap(0, 0), 0);
    // Updates every second, the newest reading stuck at 0.
    let now = 0;
    for (let seq = 2; now <= WALL_DATA_STALE_MS + 1000; seq++) {
      now += 1000;
      applyUpdate(st, { seq, ts: now, newest_reading_ts: 0 }, now);
      const expected = now > WALL_DATA_STALE_MS ? 'stale' : now > WALL_DATA_AGE_WARN_MS ? 'warn' : 'ok';
      expect(freshness(st, now), `at ${now} ms`).toBe(expected);
    }
    expect(staleness(st, now).reason).toBe(`no new reading from any device for ${Math.floor(now / 1000)} s`);
    // A reading arrives: live again at once.
    applyUpdate(st, { seq: 999, ts: now + 1000, newest_reading_ts: now + 900 }, now + 1000);
    expect(freshness(st, now + 1000)).not.toBe('ok'); // seq 999 is a gap: not applied
    st.seq = 998;
    applyUpdate(st, { seq: 999, ts: now + 1000, newest_reading_ts: now + 900 }, now + 1000);
    expect(freshness(st, now + 1000)).toBe('ok');
  });

  it('is stale when the server has no reading at all, and falls back to the socket when it does not say', () => {
    const st = emptyState();
    st.connected = true;
    applySnapshot(st, snap(0, null), 0);
    expect(staleness(st, 0)).toEqual({ stale: true, reason: 'no reading received from any device yet' });
    const old = emptyState();
    old.connected = true;
    applyUpdate(old, { seq: 5, ts: 0 }, 0);
    old.lastMessageAt = 0;
    expect(dataAge(old, 5000)).toBeNull();
    expect(staleness(old, 5000).stale).toBe(false);
  });

  it('takes shorter limits from the URL, positive seconds only, warn never past stale', () => {
    expect(dataAgeLimits(new URLSearchParams('data_warn_s=3&data_stale_s=8'))).toEqual({ warnMs: 3000, staleMs: 8000 });
    expect(dataAgeLimits(new URLSearchParams('data_stale_s=5'))).toEqual({ warnMs: 5000, staleMs: 5000 });
    expect(dataAgeLimits(new URLSearchParams('data_warn_s=-1&data_stale_s=x'))).toEqual({ warnMs: WALL_DATA_AGE_WARN_MS, staleMs: WALL_DATA_STALE_MS });
  });
});

describe('chart ticks', () => {
  it('prints each step exactly, so no two ticks read the same', () => {
    expect(decimalsFor(5)).toBe(0);
    expect(decimalsFor(0.5)).toBe(1);
    expect(decimalsFor(0.25)).toBe(2);
    expect(decimalsFor(0.05)).toBe(2);
    // "1.21" five times: ticks 1.205…1.215 in steps of 0.0025 were printed with 2 decimals.
    const labels = axisTickLabels('pue', [1.205, 1.2075, 1.21, 1.2125, 1.215]);
    expect(new Set(labels).size).toBe(5);
    expect(labels[0]).toBe('1.2050');
  });

  it('chooses the unit once per axis from its largest tick: 0 on an MW axis reads 0 MW, not 0 W', () => {
    expect(axisTickLabels('power', [0, 2e6, 4e6, 6e6])).toEqual([`0${NB}MW`, `2${NB}MW`, `4${NB}MW`, `6${NB}MW`]);
    expect(axisTickLabels('power', [0, 500_000, 1_000_000])).toEqual([`0.0${NB}MW`, `0.5${NB}MW`, `1.0${NB}MW`]);
    expect(axisTickLabels('hashrate', [0, 100_000, 200_000])).toEqual([`0${NB}PH/s`, `100${NB}PH/s`, `200${NB}PH/s`]);
    expect(axisTickLabels('temp', [24, 26, 28])).toEqual([`24${NB}°C`, `26${NB}°C`, `28${NB}°C`]);
    expect(axisTickLabels('pct', [0, 50, 100])).toEqual([`0${NB}%`, `50${NB}%`, `100${NB}%`]);
  });
});

describe('a rack beside its mean', () => {
  it('names its worst member: down before degraded before idle GPUs', () => {
    expect(worstMember(rack('a'))).toBeNull();
    expect(worstMember(rack('a', { health: { up: 39, degraded: 1, down: 1 } }))).toEqual({ level: 'crit', text: '1 down' });
    expect(worstMember(rack('a', { health: { up: 39, degraded: 2, down: 0 } }))).toEqual({ level: 'warn', text: '2 degraded' });
    // The 65 % "ok" rack with one 8-GPU node idle.
    expect(worstMember(rack('g', { gpu_util_pct: 65, gpus_busy: 24, gpus_idle: 8 }))).toEqual({ level: 'warn', text: '8 GPUs idle' });
    // All idle is the mean's business (crit on the gpu metric), not a member's.
    expect(worstMember(rack('g', { gpu_util_pct: 0, gpus_busy: 0, gpus_idle: 8 }))).toBeNull();
  });

  it('names a hot miner that still hashes at full rate, and a member past its limit as critical', () => {
    // The rack reads 100 % of nominal and 5 up: only its hottest member shows the fault.
    const hot = { id: 'M-01-07', temp_c: 91, limit_c: 95 };
    expect(worstMember(rack('a', { hot_members: 1, hottest: hot }))).toEqual({ level: 'warn', text: `hot 91${NB}°C` });
    expect(worstMember(rack('a', { hot_members: 3, hottest: { ...hot, temp_c: 96 } }))).toEqual({ level: 'crit', text: `3 hot 96${NB}°C` });
    // The hottest member well inside its limit is no fault: hottest is reported for every rack with temperatures.
    expect(worstMember(rack('a', { hot_members: 0, hottest: { ...hot, temp_c: 70 } }))).toBeNull();
    // A down member still outranks a hot one; a hot one outranks an anonymous "degraded".
    expect(worstMember(rack('a', { hot_members: 1, hottest: hot, health: { up: 3, degraded: 1, down: 1 } }))).toEqual({ level: 'crit', text: '1 down' });
    expect(worstMember(rack('a', { hot_members: 1, hottest: hot, health: { up: 4, degraded: 1, down: 0 } }))).toEqual({ level: 'warn', text: `hot 91${NB}°C` });
  });

  it('calls out the faulty racks of a hall, worst first, with why', () => {
    const racks = [
      rack('M-03', { health: { up: 39, degraded: 1, down: 0 } }),
      rack('M-01', { hashrate_ratio: 0.99, health: { up: 39, degraded: 0, down: 1 } }),
      rack('M-02', { hashrate_ratio: 0.6 }),
      rack('M-04'),
      rack('G-01', { hall: 'G', health: { up: 0, degraded: 0, down: 5 } }),
    ];
    const out = racksNeedingAttention(racks, 'hashrate', (r) => r.hall === 'M');
    expect(out).toEqual([
      { id: 'M-01', level: 'crit', text: '1 down' },
      { id: 'M-02', level: 'crit', text: `60${NB}%` },
      { id: 'M-03', level: 'warn', text: '1 degraded' },
    ]);
  });
});

describe('which alerts a hall view shows', () => {
  const state = { racks: new Map([['M-01', rack('M-01')], ['G-01', rack('G-01', { hall: 'G' })]]) };
  it('its devices\', racks\' and loops\' alerts and the site\'s; not another hall\'s', () => {
    expect(alertConcernsHall(alert('d', 'device:M-01-07', 'M'), 'M', state)).toBe(true);
    expect(alertConcernsHall(alert('d', 'device:G-01-n1/gpu0', 'G'), 'M', state)).toBe(false);
    expect(alertConcernsHall(alert('s', 'site'), 'M', state)).toBe(true);
    expect(alertConcernsHall(alert('c', 'collector:cgminer'), 'G', state)).toBe(true);
    // From an older server without the hall: racks and halls by their scope.
    expect(alertConcernsHall(alert('r', 'rack:G-01'), 'M', state)).toBe(false);
    expect(alertConcernsHall(alert('h', 'hall:G'), 'G', state)).toBe(true);
  });
});

describe('map tiers and labels', () => {
  it('shows text only where the cell holds it at 24 px', () => {
    expect(mapTier(140, 110)).toBe('full');
    expect(mapTier(112, 96)).toBe('id');
    expect(mapTier(100, 40)).toBe('value');
    expect(mapTier(23, 20)).toBe('none');
  });

  it('offers a hall only the colour metrics its racks hold', () => {
    const hall = (...loads: RackLayout['load'][]) => ({
      id: 'H', name: 'H', rows: 1, cols: loads.length,
      racks: loads.map((load, i): RackLayout => ({ id: `H-${i}`, row: 1, col: i + 1, rated_kw: 20, cooling: 'air', load, devices: 4 })),
    });
    expect(metricsFor(hall('gpu', 'gpu', 'none'))).toEqual(['inlet', 'power', 'gpu']);
    expect(metricsFor(hall('asic', 'none'))).toEqual(['inlet', 'power', 'hashrate']);
    expect(metricsFor(hall('asic', 'mixed'))).toEqual(['inlet', 'power', 'hashrate', 'gpu']);
    expect(metricsFor(hall('none'))).toEqual(['inlet', 'power']);
  });

  it('labels metrics for people', () => {
    expect(metricLabel('chip_temp_c')).toBe('Chip temp');
    expect(metricLabel('hashrate_ths')).toBe('Hashrate');
    expect(metricLabel('util_pct')).toBe('Util');
    expect(metricLabel('xid_last')).toBe('Xid last');
  });
});
