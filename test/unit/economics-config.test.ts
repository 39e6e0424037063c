// Issue 16: the markets:, economics: and power: sections, read at load into typed settings, every error by
// its path; and the figures a configured site gets from them.

import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../server/config/load.js';
import type { DeviceLive, LiveInput } from '../../server/core/types.js';
import { computeFigures } from '../../server/figures/compute.js';
import { SMALL_SITE_YAML, smallSite } from '../helpers/site.js';

const errorsOf = (extra: string): string[] => {
  const r = parseConfig(`${SMALL_SITE_YAML}${extra}`, { env: {} });
  return r.ok ? [] : r.errors;
};

describe('economics config', () => {
  it('reads markets, fallbacks, AI rates and caps into the model', () => {
    const m = smallSite(`${SMALL_SITE_YAML}
markets:
  - { id: GRID }
  - { id: HP, scope: "hall:M", stale_after_s: 3600 }
economics:
  timezone: America/Chicago
  energy_price_usd_per_mwh: 42
  time_of_use:
    - { days: [mon, fri], from: "17:00", to: "21:00", usd_per_mwh: 140 }
    - { from: "22:00", to: "06:00", usd_per_mwh: 25 }
  pool_fee_pct: 2
  assumed_pue: 1.15
  ai:
    - { hall: G, usd_per_gpu_hour: 2.1, billing: busy }
    - { rack: M-01, usd_per_kw_month: 150, contracted_kw: 10 }
power:
  site_cap_kw: 25
  halls: { M: 15, G: 8 }
`);
    expect(m.devices.get('GRID')).toEqual({ id: 'GRID', kind: 'market', stale_after_s: 900 });
    expect(m.devices.get('HP')).toEqual({ id: 'HP', kind: 'market', stale_after_s: 3600, hall: 'M' });
    expect(m.economics).toEqual({
      timezone: 'America/Chicago', flat_usd_per_mwh: 42, pool_fee_ratio: 0.02, assumed_pue: 1.15,
      time_of_use: [
        { days: [1, 5], from_min: 1020, to_min: 1260, usd_per_mwh: 140 },
        { days: [0, 1, 2, 3, 4, 5, 6], from_min: 1320, to_min: 360, usd_per_mwh: 25 },
      ],
      ai: [
        { scope: { hall: 'G' }, billing: { kind: 'gpu_hour', usd_per_gpu_hour: 2.1, on: 'busy' } },
        { scope: { rack: 'M-01' }, billing: { kind: 'lease', usd_per_kw_month: 150, contracted_kw: 10 } },
      ],
    });
    expect(m.power).toEqual({ site_w: 25_000, halls: { M: 15_000, G: 8_000 } });
  });

  it('names every bad value by its path', () => {
    const errors = errorsOf(`
markets:
  - { id: GRID, scope: "hall:X" }
  - { id: FAC }
  - { id: P2, scope: rack }
economics:
  timezone: Mars/Olympus
  pool_fee_pct: 120
  assumed_pue: 0.9
  colour: blue
  time_of_use:
    - { days: [funday], from: "25:00", to: "06:00", usd_per_mwh: cheap }
    - { from: "06:00", to: "06:00", usd_per_mwh: 10 }
  ai:
    - { hall: G, rack: G-01, usd_per_gpu_hour: 2, billing: busy }
    - { hall: Z, usd_per_gpu_hour: 2 }
    - { rack: G-01, usd_per_gpu_hour: 2, usd_per_kw_month: 100 }
    - { hall: G, usd_per_kw_month: 100 }
    - { hall: G, usd_per_gpu_hour: 2, billing: allocated }
    - { hall: G, usd_per_gpu_hour: 3, billing: busy }
power:
  site_cap_kw: -5
  halls: { Q: 10, G: big }
`);
    expect(errors).toEqual(expect.arrayContaining([
      'markets[0].scope: unknown hall "X"',
      'markets[1].id: duplicate device id "FAC", first at meters[0].id',
      'markets[2].scope: expected "site" or "hall:<id>"',
      'economics.timezone: unknown time zone "Mars/Olympus" (an IANA name, e.g. America/Chicago)',
      'economics.pool_fee_pct: expected a percentage from 0 to under 100',
      'economics.assumed_pue: expected a PUE of at least 1',
      'economics.colour: unknown key',
      'economics.time_of_use[0].days[0]: expected one of sun, mon, tue, wed, thu, fri, sat',
      'economics.time_of_use[0].from: expected a local time "HH:MM" (00:00 to 24:00)',
      'economics.time_of_use[0].usd_per_mwh: expected a number',
      'economics.time_of_use[1].to: must differ from from (a window of no time)',
      'economics.ai[0]: expected exactly one of hall and rack',
      'economics.ai[1].hall: unknown hall "Z"',
      'economics.ai[1].billing: expected busy or allocated (which GPUs are billed)',
      'economics.ai[2]: expected exactly one of usd_per_gpu_hour and usd_per_kw_month',
      'economics.ai[3].contracted_kw: required with usd_per_kw_month (the leased capacity, kW)',
      'economics.ai[5]: hall G already has an AI rate, at economics.ai[4]',
      'power.site_cap_kw: must be greater than 0',
      'power.halls.Q: unknown hall "Q"',
      'power.halls.G: expected a number',
    ]));
  });
});

describe('a configured site’s economics', () => {
  const NOW = Date.UTC(2026, 0, 14, 12, 0);
  const model = smallSite(`${SMALL_SITE_YAML}
markets:
  - { id: GRID }
economics:
  pool_fee_pct: 2
  ai:
    - { hall: G, usd_per_gpu_hour: 2.5, billing: allocated }
power:
  site_cap_kw: 16
  halls: { M: 11 }
`);
  const input = (): LiveInput => {
    const devices = new Map<string, DeviceLive>();
    for (const d of model.devices.values()) devices.set(d.id, { model: d, ts: null, metrics: {} });
    const set = (id: string, metrics: DeviceLive['metrics']) => devices.set(id, { model: model.devices.get(id)!, ts: NOW, metrics });
    // 3 miners at 200 TH/s and 3,500 W (17.5 J/TH); the PDU reads 10,600 W
    for (const id of ['M-01-01', 'M-01-02', 'M-01-03']) set(id, { hashrate_ths: 200, power_w: 3500 });
    set('M-01-pdu', { power_w: 10_600 });
    // 2 GPUs, one busy, one idle: allocated bills both
    set('G-01-n1/gpu0', { util_pct: 95, power_w: 680 });
    set('G-01-n1/gpu1', { util_pct: 0, power_w: 90 });
    // site meter 13,380 W over 10,600 + 770 = 11,370 W IT
    set('FAC', { power_w: 13_380 });
    set('GRID', { energy_price_usd_per_mwh: 60, btc_usd: 100_000, network_difficulty: 150e12, fees_btc_per_block: 0.03 });
    return { model, devices, now: NOW, stale_after_ms: 60_000 };
  };

  it('sums the site and its halls from the racks, the meter and the market', () => {
    const f = computeFigures(input());
    const s = f.site.economics!;
    const hp = 0.0423118472;
    expect(s.energy_source).toBe('market');
    expect(s.hashprice_source).toBe('computed');
    expect(s.mining_it_w).toBe(10_600);
    expect(s.ai_it_w).toBe(770);
    expect(s.facility_basis).toBe('meter');
    expect(s.facility_factor).toBeCloseTo(13_380 / 11_370, 12);
    expect(s.mining_revenue_usd_per_h).toBeCloseTo((600 * hp * 0.98) / 24, 9);
    expect(s.ai_revenue_usd_per_h).toBe(5); // 2 allocated × $2.50
    expect(s.energy_cost_usd_per_h).toBeCloseTo(0.01338 * 60, 12);
    expect(s.margin_usd_per_h).toBeCloseTo((600 * hp * 0.98) / 24 + 5 - 0.8028, 9);
    expect(s.mining_breakeven_usd_per_mwh).toBeCloseTo(((600 * hp * 0.98) / 24 / 0.0106) / (13_380 / 11_370), 6);
    const b = f.site.power_budget!;
    expect(b.cap_w).toBe(16_000);
    expect(b.headroom_w).toBe(16_000 - 13_380);
    expect(b.curtailable_now_w).toBeCloseTo(10_500 * (13_380 / 11_370), 6);
    // The mining hall has no meter and no assumed PUE: its cap is judged on IT, and its cost is unknown.
    const m = f.halls.find((h) => h.id === 'M')!;
    expect(m.power_budget).toMatchObject({ cap_w: 11_000, load_w: 10_600, load_basis: 'it', headroom_w: 400 });
    expect(m.economics?.energy_cost_usd_per_h).toBeNull();
    expect(m.economics?.ai_revenue_usd_per_h).toBeNull();
    expect(m.economics?.revenue_usd_per_h).toBeCloseTo((600 * hp * 0.98) / 24, 9);
    const g = f.halls.find((h) => h.id === 'G')!;
    expect(g.economics?.ai_revenue_usd_per_mwh).toBeCloseTo(5 / 0.00077, 6);
    expect(g.economics?.mining_revenue_usd_per_h).toBeNull();
    expect(g.economics?.revenue_usd_per_h).toBe(5);
  });
});
