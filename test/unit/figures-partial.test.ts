// Issue 11 case 12: a ratio of a meter to a sum of racks is a number only when both halves cover the same
// load now. PUE = facility power ÷ IT power (The Green Grid, WP #49 "PUE: A Comprehensive Examination of the
// Metric", 2012; ISO/IEC 30134-2:2016 §6, which defines it on energy over a period, E_DC ÷ E_IT; the
// instantaneous figure is the same ratio of powers). A hall's figure is the partial PUE of that hall (its
// meter ÷ its IT). When any rack's power is not from current, complete inputs, or the meter is not current,
// the figure is null with a reason, never a number from mismatched halves.
import { describe, expect, it } from 'vitest';
import type { DeviceLive, LiveInput, SiteModel } from '../../server/core/types.js';
import { computeFigures } from '../../server/figures/compute.js';
import { createEnergyWindow, energyFigures, recordEnergy } from '../../server/figures/energy.js';
import { scopeSamples } from '../../server/store/rollups.js';
import { smallSite } from '../helpers/site.js';

const NOW = 1_764_010_800_000;
const STALE_MS = 60_000;

const YAML = `
site: { name: Partial }
halls:
  - id: M
    racks:
      - id: M-01
        row: 1
        col: 1
        rated_kw: 15
        devices:
          - { id: "M-01-{n:02}", count: 3, kind: asic, model: antminer-s21 }
          - { id: M-01-pdu, kind: pdu }
      - id: M-02
        row: 1
        col: 2
        rated_kw: 10
        devices:
          - { id: "M-02-{n:02}", count: 2, kind: asic, model: antminer-s21 }
  - id: G
    racks:
      - id: G-01
        row: 1
        col: 1
        rated_kw: 5
        cooling: liquid
        loop: G-LOOP
        devices:
          - { id: G-01-n1, kind: gpu_node, model: h100-sxm, gpus: 2 }
          - { id: G-01-env, kind: env }
cooling_loops:
  - { id: G-LOOP, hall: G, fluid: water, racks: [G-01] }
meters:
  - { id: FAC, scope: site }
  - { id: M-MTR, scope: "hall:M" }
  - { id: G-MTR, scope: "hall:G" }
`;

type Readings = Record<string, { metrics: DeviceLive['metrics']; age_ms?: number }>;

// Hand-worked site: M-01 is metered at its PDU (9,900 W, its miners' own 3 × 3,300 W agree);
// M-02 has no PDU, so its power is its miners' sum 3,500 + 3,400 = 6,900 W; G-01 is its GPUs' 700 + 400 W.
// IT: hall M 9,900 + 6,900 = 16,800 W, hall G 1,100 W, site 17,900 W.
// Meters: M 20,160 W → partial PUE 20,160 ÷ 16,800 = 1.2; G 1,650 W → 1,650 ÷ 1,100 = 1.5;
// site 21,480 W → PUE 21,480 ÷ 17,900 = 1.2.
const FRESH: Readings = {
  'M-01-01': { metrics: { hashrate_ths: 200, power_w: 3300 } },
  'M-01-02': { metrics: { hashrate_ths: 200, power_w: 3300 } },
  'M-01-03': { metrics: { hashrate_ths: 200, power_w: 3300 } },
  'M-01-pdu': { metrics: { power_w: 9900 } },
  'M-02-01': { metrics: { hashrate_ths: 200, power_w: 3500 } },
  'M-02-02': { metrics: { hashrate_ths: 190, power_w: 3400 } },
  'G-01-n1/gpu0': { metrics: { util_pct: 90, power_w: 700 } },
  'G-01-n1/gpu1': { metrics: { util_pct: 40, power_w: 400 } },
  'G-01-env': { metrics: { inlet_temp_c: 22 } },
  'G-LOOP': { metrics: { supply_temp_c: 30, return_temp_c: 40, flow_lpm: 1.2 } },
  FAC: { metrics: { power_w: 21_480 } },
  'M-MTR': { metrics: { power_w: 20_160 } },
  'G-MTR': { metrics: { power_w: 1650 } },
};

const model: SiteModel = smallSite(YAML);

function input(readings: Readings, m: SiteModel = model): LiveInput {
  const devices = new Map<string, DeviceLive>();
  for (const [id, r] of Object.entries(readings)) {
    const dm = m.devices.get(id);
    if (dm === undefined) throw new Error(`no device ${id}`);
    devices.set(id, { model: dm, ts: NOW - (r.age_ms ?? 1000), metrics: r.metrics });
  }
  return { model: m, devices, now: NOW, stale_after_ms: STALE_MS };
}

const stale = (r: Readings, ...ids: string[]): Readings => {
  const out = { ...r };
  for (const id of ids) out[id] = { ...r[id], age_ms: 2 * STALE_MS };
  return out;
};
const hall = (f: ReturnType<typeof computeFigures>, id: string) => f.halls.find((h) => h.id === id)!;

describe('PUE from complete, current inputs', () => {
  it('all fresh: site 21,480 ÷ 17,900 = 1.2, hall M 20,160 ÷ 16,800 = 1.2, hall G 1,650 ÷ 1,100 = 1.5', () => {
    const f = computeFigures(input(FRESH));
    expect(f.site).toMatchObject({ it_power_w: 17_900, facility_power_w: 21_480, it_power_complete: true, pue_unknown_reason: null });
    expect(f.site.pue).toBeCloseTo(1.2, 12);
    expect(hall(f, 'M')).toMatchObject({ it_power_w: 16_800, it_power_complete: true, pue_unknown_reason: null });
    expect(hall(f, 'M').pue).toBeCloseTo(1.2, 12);
    expect(hall(f, 'G').pue).toBeCloseTo(1.5, 12);
    // Q = 1.2 L/min ÷ 60,000 × 998 kg/m³ × 4,186 J/(kg·K) × 10 K = 835.53 W, over 1,100 W of IT = 0.7596
    expect(f.loops[0].heat_removed_w).toBeCloseTo(835.5256, 3);
    expect(f.loops[0].capture_ratio).toBeCloseTo(835.5256 / 1100, 6);
    expect(f.loops[0].capture_unknown_reason).toBeNull();
  });

  it('a stale miner in a rack metered at its PDU changes nothing: the PDU measures what the rack draws', () => {
    const f = computeFigures(input(stale(FRESH, 'M-01-02')));
    expect(f.racks[0]).toMatchObject({ id: 'M-01', power_w: 9900, power_source: 'pdu' });
    expect(f.site).toMatchObject({ it_power_w: 17_900, it_power_complete: true, pue_unknown_reason: null });
    expect(f.site.pue).toBeCloseTo(1.2, 12);
  });

  it('a stale PDU whose rack devices are all current falls back to their sum, still complete', () => {
    const f = computeFigures(input(stale(FRESH, 'M-01-pdu')));
    expect(f.racks[0]).toMatchObject({ power_w: 9900, power_source: 'estimated' });
    expect(f.site.it_power_complete).toBe(true);
    expect(f.site.pue).toBeCloseTo(1.2, 12);
  });
});

describe('PUE unknown when its halves do not cover the same load', () => {
  it('the issue: hall M goes stale before the site meter; PUE would read 21,480 ÷ 1,100 = 19.5; it is null with the reason', () => {
    const ids = ['M-01-01', 'M-01-02', 'M-01-03', 'M-01-pdu', 'M-02-01', 'M-02-02', 'M-MTR'];
    const f = computeFigures(input(stale(FRESH, ...ids)));
    expect(f.site.it_power_w).toBe(1100); // what is still known is still shown, marked incomplete
    expect(f.site.it_power_complete).toBe(false);
    expect(f.site.pue).toBeNull();
    expect(f.site.pue_unknown_reason).toBe('IT incomplete: 2 of 3 racks not current, first M-01 (PDU not current, 3 of 3 devices down)');
    expect(hall(f, 'M').pue).toBeNull();
    expect(hall(f, 'M').pue_unknown_reason).toBe('meter M-MTR: stale; IT incomplete: 2 of 2 racks not current, first M-01 (PDU not current, 3 of 3 devices down)');
    // Hall G's own halves are both current: its partial PUE stands.
    expect(hall(f, 'G').pue).toBeCloseTo(1.5, 12);
    expect(hall(f, 'G').pue_unknown_reason).toBeNull();
  });

  it('one stale miner in a rack without a PDU: 21,480 ÷ 14,400 = 1.49 would be a number from mismatched halves', () => {
    const f = computeFigures(input(stale(FRESH, 'M-02-01')));
    expect(f.racks[1]).toMatchObject({ id: 'M-02', power_w: 3400, power_source: 'estimated' });
    expect(f.site).toMatchObject({ it_power_w: 14_400, it_power_complete: false, pue: null });
    expect(f.site.pue_unknown_reason).toBe('IT incomplete: M-02 (1 of 2 devices down)');
    expect(hall(f, 'M').pue_unknown_reason).toBe('IT incomplete: M-02 (1 of 2 devices down)');
    expect(hall(f, 'G').pue).toBeCloseTo(1.5, 12);
  });

  it('a current miner that reports no power leaves its rack incomplete too', () => {
    const f = computeFigures(input({ ...FRESH, 'M-02-02': { metrics: { hashrate_ths: 190, power_w: null } } }));
    expect(f.site.pue).toBeNull();
    expect(f.site.pue_unknown_reason).toBe('IT incomplete: M-02 (1 of 2 devices without power_w)');
  });

  it('a never-heard-of GPU: its node rack is incomplete, hall G and the loop ratio unknown', () => {
    const { 'G-01-n1/gpu1': _gone, ...rest } = FRESH;
    const f = computeFigures(input(rest));
    expect(hall(f, 'G')).toMatchObject({ it_power_w: 700, it_power_complete: false, pue: null, pue_unknown_reason: 'IT incomplete: G-01 (1 of 2 devices down)' });
    // Loop heat ratio: Q over the IT power of the loop's racks, same rule.
    expect(f.loops[0]).toMatchObject({ it_power_w: 700, capture_ratio: null, capture_unknown_reason: 'IT incomplete: G-01 (1 of 2 devices down)' });
    expect(f.loops[0].heat_removed_w).toBeCloseTo(835.5256, 3);
  });

  it('a stale site meter: facility and PUE unknown, saying which meter', () => {
    const f = computeFigures(input(stale(FRESH, 'FAC')));
    expect(f.site).toMatchObject({ facility_power_w: null, pue: null, pue_unknown_reason: 'meter FAC: stale', it_power_complete: true });
    expect(computeFigures(input({ ...FRESH, FAC: { metrics: { power_w: null } } })).site.pue_unknown_reason).toBe('meter FAC: no power_w');
  });

  it('a meter below its IT load is a metering fault, not a PUE under 1', () => {
    const f = computeFigures(input({ ...FRESH, FAC: { metrics: { power_w: 17_000 } } }));
    expect(f.site).toMatchObject({ facility_power_w: 17_000, pue: null, pue_unknown_reason: 'facility below IT (metering fault)' });
  });

  it('no meter at all, or a hall without one when the site is summed from hall meters', () => {
    const noSite = smallSite(YAML.replace('  - { id: FAC, scope: site }\n', ''));
    const summed = computeFigures(input(Object.fromEntries(Object.entries(FRESH).filter(([id]) => id !== 'FAC')), noSite));
    // 20,160 + 1,650 = 21,810 over 17,900 = 1.2184
    expect(summed.site.facility_power_w).toBe(21_810);
    expect(summed.site.pue).toBeCloseTo(21_810 / 17_900, 12);
    const noG = smallSite(YAML.replace('  - { id: FAC, scope: site }\n', '').replace('  - { id: G-MTR, scope: "hall:G" }\n', ''));
    const r = Object.fromEntries(Object.entries(FRESH).filter(([id]) => id !== 'FAC' && id !== 'G-MTR'));
    const f = computeFigures(input(r, noG));
    expect(f.site).toMatchObject({ pue: null, pue_unknown_reason: 'no site meter, hall G has none' });
    expect(hall(f, 'G')).toMatchObject({ pue: null, pue_unknown_reason: 'no meter' });
  });
});

describe('ratios that pair each device with itself stay as they were', () => {
  it('J/TH and W per GPU are sums over the same current devices on both sides: a stale miner leaves both', () => {
    const f = computeFigures(input(stale(FRESH, 'M-02-01')));
    // (3 × 3,300 + 3,400) ÷ (3 × 200 + 190) = 13,300 ÷ 790 = 16.835 J/TH
    expect(f.site.j_per_th).toBeCloseTo(13_300 / 790, 12);
    // (700 + 400) ÷ 2 = 550 W per GPU
    expect(f.site.w_per_gpu).toBe(550);
  });
});

describe('energy behind PUE 24 h and history', () => {
  it('the 24 h window integrates only ticks whose IT was complete', () => {
    const w = createEnergyWindow();
    // 5 min complete at 17,900 / 21,480 W (PUE 1.2), then 5 min with half the racks gone: 1,100 / 21,480 W.
    const t0 = NOW - 600_000;
    for (let s = 0; s <= 300; s++) recordEnergy(w, t0 + s * 1000, 17_900, 21_480, true);
    for (let s = 301; s <= 600; s++) recordEnergy(w, t0 + s * 1000, 1100, 21_480, false);
    const e = energyFigures(w, NOW);
    // Mixing them in would make (21,480 × 600) ÷ (17,900 × 300 + 1,100 × 300) = 2.26.
    expect(e.pue_24h).toBeCloseTo(1.2, 9);
  });

  it('history rollups record PUE energies only for complete ticks', () => {
    const half = computeFigures(input(stale(FRESH, 'M-02-01')));
    const names = scopeSamples(half, 1000).filter((s) => s.scope === 'site').map((s) => s.metric);
    expect(names).toContain('energy_wh');
    expect(names).not.toContain('pue_it_wh');
    expect(names).not.toContain('pue');
    const full = scopeSamples(computeFigures(input(FRESH)), 1000).filter((s) => s.scope === 'site').map((s) => s.metric);
    expect(full).toContain('pue_it_wh');
  });
});

describe('a miner that answers but hashes nothing (issue 13)', () => {
  it('is degraded "not hashing" and its rack says it is without power_w rather than dropping it', () => {
    // M-02-02 answers at 0 TH/s and, with no firmware power, no estimate (an idle miner is not 0 W).
    const f = computeFigures(input({ ...FRESH, 'M-02-02': { metrics: { hashrate_ths: 0, power_w: null } } }));
    expect(f.racks[1]).toMatchObject({ id: 'M-02', power_w: 3500, health: { up: 1, degraded: 1, down: 0 } });
    expect(f.site.it_power_complete).toBe(false);
    expect(f.site.pue_unknown_reason).toBe('IT incomplete: M-02 (1 of 2 devices without power_w)');
  });

  it('a miner whose model has no figures takes its nominal from the nameplate its firmware states', () => {
    // The config insists on figures for every asic, so this is a hand-built model (what discovery would
    // give): M-02-01's model is not in the catalogue and carries no overrides.
    const m = smallSite(YAML);
    m.devices.get('M-02-01')!.model = 'not-catalogued';
    const withPlate = { ...FRESH, 'M-02-01': { metrics: { hashrate_ths: 200, power_w: 3500, nameplate_ths: 250 } } };
    // nominal: 250 (M-02-01's nameplate) + 200 (M-02-02, antminer-s21) = 450; hashrate 200 + 190 = 390
    expect(computeFigures(input(withPlate, m)).racks[1]).toMatchObject({ nominal_ths: 450, hashrate_ths: 390 });
    // without a nameplate the rack's nominal is M-02-02's alone
    expect(computeFigures(input(FRESH, m)).racks[1]).toMatchObject({ nominal_ths: 200 });
  });
});
