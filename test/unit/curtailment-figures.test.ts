// A curtailment event's figures on hand-built power series, every number worked by hand in the comments.
import { describe, expect, it } from 'vitest';
import { curtailmentFigures, type PowerSample } from '../../server/figures/curtailment.js';

const T0 = 1_764_000_000_000; // event start
const MIN = 60_000;
const NO_PRICES = { energy_usd_per_mwh: null, hashprice_usd_per_th_day: null, ths_per_kw: null };

/** 15 one-minute samples at 1000 kW before the start, then the event at one sample a minute. */
function series(eventKw: (number | null)[]): PowerSample[] {
  const out: PowerSample[] = [];
  for (let m = -15; m <= -1; m++) out.push({ ts: T0 + m * MIN, power_w: 1_000_000 });
  eventKw.forEach((kw, i) => out.push({ ts: T0 + i * MIN, power_w: kw === null ? null : kw * 1000 }));
  return out;
}

// Event: 1000, 800, 650, 600, 600, 600 kW at 0..5 min; end at 5 min.
const SHED = series([1000, 800, 650, 600, 600, 600]);
const base = { start: T0, end: T0 + 5 * MIN, now: T0 + 5 * MIN, baseline_ms: 15 * MIN, current_ms: MIN, prices: NO_PRICES };

describe('curtailmentFigures', () => {
  it('a reduction target: baseline, achieved, ratio, response time and curtailed MWh', () => {
    const f = curtailmentFigures({ ...base, series: SHED, target: { reduction_kw: 400 } });
    expect(f.phase).toBe('ended');
    // baseline: mean of the 15 samples in [start − 15 min, start) = 1000 kW (the start's own sample is not in it)
    expect(f.baseline_w).toBe(1_000_000);
    // current: samples in (5 min − 1 min, 5 min] = the 600 kW at 5 min
    expect(f.current_w).toBe(600_000);
    expect(f.achieved_w).toBe(400_000);
    expect(f.target_w).toBe(400_000);
    expect(f.ratio).toBe(1);
    // reductions 0, 200, 350, 400 kW: 350 < 0.95 × 400 = 380 at 2 min, 400 ≥ 380 at 3 min
    expect(f.response_s).toBe(180);
    // trapezoids (kW·s): (0+200)/2·60 + (200+350)/2·60 + (350+400)/2·60 + 400·60 + 400·60
    //   = 6000 + 16500 + 22500 + 24000 + 24000 = 93000 kW·s = 25.8333 kWh = 0.0258333 MWh
    expect(f.curtailed_mwh).toBeCloseTo(93_000 / 3600 / 1000, 12);
    expect(f.mining_revenue_cost_usd).toBeNull();
    expect(f.avoided_energy_usd).toBeNull();
  });

  it('a ceiling target: the reduction asked is baseline − ceiling', () => {
    const f = curtailmentFigures({ ...base, series: SHED, target: { ceiling_kw: 650 } });
    // 1000 − 650 = 350 kW asked; 400 achieved → 400/350
    expect(f.target_w).toBe(350_000);
    expect(f.ratio).toBeCloseTo(400 / 350, 12);
    // 0.95 × 350 = 332.5 kW: first reached by the 350 kW reduction at 2 min
    expect(f.response_s).toBe(120);
  });

  it('prices: the mining revenue the curtailed energy cost and what the avoided energy was worth', () => {
    const prices = { energy_usd_per_mwh: 120, hashprice_usd_per_th_day: 0.05, ths_per_kw: 1000 / 17.5 };
    const f = curtailmentFigures({ ...base, series: SHED, target: { reduction_kw: 400 }, prices });
    // 0.0258333 MWh × $120/MWh = $3.10
    expect(f.avoided_energy_usd).toBeCloseTo(3.1, 9);
    // 25.8333 kWh ÷ 24 = 1.076389 kW·days × 57.142857 TH/s per kW (17.5 J/TH) = 61.50794 TH·days × $0.05 = $3.0754
    expect(f.mining_revenue_cost_usd).toBeCloseTo(3.0754, 4);
  });

  it('mid-event: figures up to now only, and a shortfall shows as a ratio below 1', () => {
    const f = curtailmentFigures({ ...base, now: T0 + 2 * MIN + 30_000, series: SHED, target: { reduction_kw: 400 } });
    expect(f.phase).toBe('active');
    // current: samples in (1:30, 2:30] = 650 kW at 2 min → achieved 350, ratio 0.875; not yet responded
    expect(f.current_w).toBe(650_000);
    expect(f.ratio).toBeCloseTo(0.875, 12);
    expect(f.response_s).toBeNull();
    // (0+200)/2·60 + (200+350)/2·60 = 22500 kW·s
    expect(f.curtailed_mwh).toBeCloseTo(22_500 / 3600 / 1000, 12);
  });

  it('a missing sample is left out, never read as 0 kW (which would look like a full shed)', () => {
    const f = curtailmentFigures({ ...base, series: series([1000, 800, null, 600, 600, 600]), target: { reduction_kw: 400 } });
    // the 2-min gap joins 200 and 400 kW directly: (200+400)/2·120 = 36000, against 6000 + 24000 + 24000 around it
    expect(f.curtailed_mwh).toBeCloseTo((6000 + 36_000 + 24_000 + 24_000) / 3600 / 1000, 12);
    expect(f.response_s).toBe(180);
  });

  it('before the start only the baseline is known; without baseline samples nothing is', () => {
    const early = curtailmentFigures({ ...base, now: T0 - MIN, series: SHED.slice(0, 14), target: { reduction_kw: 400 } });
    expect(early.phase).toBe('scheduled');
    expect(early.baseline_w).toBe(1_000_000);
    expect(early.achieved_w).toBeNull();
    expect(early.curtailed_mwh).toBeNull();
    const blind = curtailmentFigures({ ...base, series: SHED.slice(15), target: { ceiling_kw: 650 } });
    expect(blind.baseline_w).toBeNull();
    expect(blind.target_w).toBeNull();
    expect(blind.current_w).toBe(600_000);
    expect(blind.achieved_w).toBeNull();
    expect(blind.ratio).toBeNull();
    expect(blind.curtailed_mwh).toBeNull();
  });

  it('a ceiling already met asks for nothing: no ratio to judge', () => {
    const f = curtailmentFigures({ ...base, series: SHED, target: { ceiling_kw: 1200 } });
    expect(f.target_w).toBe(-200_000);
    expect(f.ratio).toBeNull();
    expect(f.response_s).toBeNull();
  });
});

describe('curtailmentFigures weighs samples by the time they stand for', () => {
  it('a minute average read back from the store counts 60 times a 1 s tick sample', () => {
    // baseline window [−15 min, 0): 14 minute averages of 1000 kW (−15..−2 min), then 60 one-second ticks at 700 kW
    const s: PowerSample[] = [];
    for (let m = -15; m <= -2; m++) s.push({ ts: T0 + m * MIN, power_w: 1_000_000, span_ms: MIN });
    for (let i = 60; i >= 1; i--) s.push({ ts: T0 - i * 1000, power_w: 700_000, span_ms: 1000 });
    s.push({ ts: T0 + 1000, power_w: 500_000, span_ms: 1000 });
    const f = curtailmentFigures({ ...base, now: T0 + 2000, series: s, target: { reduction_kw: 400 } });
    // (14 × 60 s × 1000 + 60 × 1 s × 700) ÷ 900 s = (840000 + 42000) ÷ 900 = 980 kW, not the plain mean 776.5
    expect(f.baseline_w).toBeCloseTo(980_000, 6);
  });
});
