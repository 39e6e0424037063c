import { describe, expect, it } from 'vitest';
import { createEnergyWindow, energyFigures, integrateEnergyWh, recordEnergy } from '../../server/figures/energy.js';

const H = 3_600_000;

describe('integrateEnergyWh', () => {
  it('trapezoid: 1000 W → 2000 W over 1 h = 1500 Wh; then 2000 W flat for 1 h = 2000 Wh', () => {
    const wh = integrateEnergyWh([
      { ts: 0, power_w: 1000 },
      { ts: H, power_w: 2000 },
      { ts: 2 * H, power_w: 2000 },
    ], H);
    expect(wh).toBeCloseTo(3500, 9);
  });
  it('does not integrate across a gap over 3× the interval', () => {
    // 60 s interval: 0→60 s at 600 W = 10 Wh; the 600 s gap (> 180 s) adds nothing; 660→720 s at 600 W = 10 Wh.
    const wh = integrateEnergyWh([
      { ts: 0, power_w: 600 },
      { ts: 60_000, power_w: 600 },
      { ts: 660_000, power_w: 600 },
      { ts: 720_000, power_w: 600 },
    ], 60_000);
    expect(wh).toBeCloseTo(20, 9);
  });
  it('a gap of exactly 3× is still integrated: 180 s at 600 W = 30 Wh', () => {
    expect(integrateEnergyWh([{ ts: 0, power_w: 600 }, { ts: 180_000, power_w: 600 }], 60_000)).toBeCloseTo(30, 9);
  });
  it('skips segments with an unknown end', () => {
    // only 60→120 s counts: (600 + 1200)/2 × 60 s = 54 000 J = 15 Wh
    expect(integrateEnergyWh([
      { ts: 0, power_w: null }, { ts: 60_000, power_w: 600 }, { ts: 120_000, power_w: 1200 }, { ts: 180_000, power_w: null },
    ], 60_000)).toBeCloseTo(15, 9);
  });
});

describe('energy window', () => {
  it('PUE 24 h = E_facility / E_IT over the window, and cumulative kWh', () => {
    const w = createEnergyWindow(10_000);
    const t0 = Date.UTC(2025, 0, 1);
    // 1 h at IT 1 000 kW, facility 1 200 kW, one sample per second: 1 000 kWh and 1 200 kWh.
    for (let s = 0; s <= 3600; s++) recordEnergy(w, t0 + s * 1000, 1_000_000, 1_200_000);
    let f = energyFigures(w, t0 + H);
    expect(f.energy_it_kwh).toBeCloseTo(1000, 6);
    expect(f.energy_facility_kwh).toBeCloseTo(1200, 6);
    expect(f.it_kwh_24h).toBeCloseTo(1000, 6);
    expect(f.pue_24h).toBeCloseTo(1.2, 9);
    // next hour at IT 1 000 kW, facility 1 500 kW: (1200 + 1500) / (1000 + 1000) = 1.35
    for (let s = 3601; s <= 7200; s++) recordEnergy(w, t0 + s * 1000, 1_000_000, 1_500_000);
    f = energyFigures(w, t0 + 2 * H);
    // exactly, in MW·s: facility = 1.2 × 3600 + (1.2 + 1.5)/2 × 1 (the step second) + 1.5 × 3599 = 9719.85;
    // IT = 1.0 × 7200 = 7200; 9719.85 / 7200 = 1.3499792
    expect(f.pue_24h).toBeCloseTo(9719.85 / 7200, 9);
    expect(f.pue_24h).toBeCloseTo(1.35, 4);
  });
  it('forgets energy older than 24 h', () => {
    const w = createEnergyWindow(10_000);
    const t0 = Date.UTC(2025, 0, 1);
    // 10 min at PUE 2.0, then, a day later, 10 min at PUE 1.25
    for (let s = 0; s <= 600; s += 5) recordEnergy(w, t0 + s * 1000, 100_000, 200_000);
    const t1 = t0 + 25 * H;
    for (let s = 0; s <= 600; s += 5) recordEnergy(w, t1 + s * 1000, 100_000, 125_000);
    const f = energyFigures(w, t1 + 600_000);
    expect(f.pue_24h).toBeCloseTo(1.25, 9);
    // cumulative keeps both: 100 kW × 10 min = 16.667 kWh, twice = 33.333 kWh IT
    expect(f.energy_it_kwh).toBeCloseTo(200 / 6, 6);
    // 25 h later the minutes land in other ring slots, so a read as of t0 + 10 min still sees only PUE 2
    expect(energyFigures(w, t0 + 600_000).pue_24h).toBeCloseTo(2, 9);
  });
  it('reuses a ring slot exactly 24 h later, dropping the old minute', () => {
    const w = createEnergyWindow(10_000);
    const t0 = Date.UTC(2025, 0, 1);
    for (let s = 0; s <= 60; s += 5) recordEnergy(w, t0 + s * 1000, 1000, 2000);
    const t1 = t0 + 24 * H; // same minute slot as t0
    for (let s = 0; s <= 60; s += 5) recordEnergy(w, t1 + s * 1000, 1000, 1500);
    expect(energyFigures(w, t1 + 60_000).pue_24h).toBeCloseTo(1.5, 12);
  });
  it('does not integrate across a gap longer than max_gap_ms', () => {
    const w = createEnergyWindow(10_000);
    recordEnergy(w, 0, 3600, 3600);
    recordEnergy(w, 10_000, 3600, 3600); // 10 s × 3600 W = 36 000 J = 0.01 kWh
    recordEnergy(w, 40_000, 3600, 3600); // 30 s gap: skipped
    recordEnergy(w, 41_000, 3600, 3600); // 1 s = 3600 J = 0.001 kWh
    expect(energyFigures(w, 41_000).energy_it_kwh).toBeCloseTo(0.011, 12);
  });
  it('PUE 24 h only pairs periods where both sides were known; totals count each side alone', () => {
    const w = createEnergyWindow(10_000);
    recordEnergy(w, 0, 1000, 1500);
    recordEnergy(w, 1000, 1000, 1500); // paired: IT 1000 J, facility 1500 J
    recordEnergy(w, 2000, 1000, null); // IT only: +1000 J IT, not in PUE
    recordEnergy(w, 3000, 1000, null);
    const f = energyFigures(w, 3000);
    expect(f.pue_24h).toBeCloseTo(1.5, 12);
    expect(f.energy_it_kwh).toBeCloseTo(3000 / 3_600_000, 15);
    expect(f.energy_facility_kwh).toBeCloseTo(1500 / 3_600_000, 15);
  });
  it('splits a segment across a minute boundary by linear interpolation', () => {
    const w = createEnergyWindow(10_000);
    // 55 s → 65 s, IT 1000 → 2000 W: at 60 s it is 1500 W.
    // minute 0: (1000 + 1500)/2 × 5 = 6250 J; minute 1: (1500 + 2000)/2 × 5 = 8750 J
    recordEnergy(w, 55_000, 1000, 1000);
    recordEnergy(w, 65_000, 2000, 2000);
    expect(w.buckets[0].it_j).toBeCloseTo(6250, 9);
    expect(w.buckets[1].it_j).toBeCloseTo(8750, 9);
  });
  it('ignores out-of-order samples; null PUE with no energy or facility below IT', () => {
    const w = createEnergyWindow();
    expect(energyFigures(w, 0).pue_24h).toBeNull();
    recordEnergy(w, 5000, 1000, 900);
    recordEnergy(w, 4000, 5000, 5000);
    recordEnergy(w, 6000, 1000, 900);
    const f = energyFigures(w, 6000);
    expect(f.energy_it_kwh).toBeCloseTo(1000 / 3_600_000, 15);
    expect(f.pue_24h).toBeNull();
  });
});
