import { describe, expect, it } from 'vitest';
import {
  FLUIDS, airDeltaTC, captureRatio, liquidHeatW, lpmToM3s, rackCoolingIndex, tempHeadroomC,
} from '../../server/figures/cooling.js';
import { ashraeState } from '../../server/figures/bands.js';

describe('ASHRAE state', () => {
  it('bands at their edges', () => {
    expect(ashraeState(17.9)).toBe('below');
    expect(ashraeState(12)).toBe('below');
    expect(ashraeState(18)).toBe('recommended');
    expect(ashraeState(27)).toBe('recommended');
    expect(ashraeState(27.1)).toBe('allowable');
    expect(ashraeState(32)).toBe('allowable');
    expect(ashraeState(32.1)).toBe('above');
    expect(ashraeState(null)).toBeNull();
  });
});

describe('air ΔT', () => {
  it('outlet 38 − inlet 24 = 14', () => {
    expect(airDeltaTC(24, 38)).toBe(14);
    expect(airDeltaTC(null, 38)).toBeNull();
  });
});

describe('liquid heat', () => {
  it('L/min to m³/s: 60 L/min = 0.001 m³/s', () => {
    expect(lpmToM3s(60)).toBeCloseTo(0.001, 15);
  });
  it('water 120 L/min, 30 → 40 °C: 0.002 × 998 × 4186 × 10 = 83 552.56 W', () => {
    expect(liquidHeatW(120, 30, 40, 'water')).toBeCloseTo(83_552.56, 6);
  });
  it('pg25 60 L/min, ΔT 5: 0.001 × 1020 × 3900 × 5 = 19 890 W', () => {
    expect(liquidHeatW(60, 25, 30, 'pg25')).toBeCloseTo(19_890, 6);
  });
  it('immersion oil 600 L/min, ΔT 8: 0.01 × 800 × 2100 × 8 = 134 400 W', () => {
    expect(liquidHeatW(600, 35, 43, 'immersion_oil')).toBeCloseTo(134_400, 6);
  });
  it('every fluid has plausible properties', () => {
    for (const f of Object.values(FLUIDS)) {
      expect(f.density_kg_m3).toBeGreaterThan(700);
      expect(f.density_kg_m3).toBeLessThan(1200);
      expect(f.cp_j_kg_k).toBeGreaterThan(1500);
      expect(f.cp_j_kg_k).toBeLessThan(4300);
    }
  });
  it('null for any unknown input', () => {
    expect(liquidHeatW(null, 30, 40, 'water')).toBeNull();
    expect(liquidHeatW(120, null, 40, 'water')).toBeNull();
  });
  it('capture ratio 134 400 / 140 000 = 0.96', () => {
    expect(captureRatio(134_400, 140_000)).toBeCloseTo(0.96, 12);
    expect(captureRatio(134_400, 0)).toBeNull();
    expect(captureRatio(null, 1000)).toBeNull();
  });
});

describe('temperature headroom', () => {
  it('H100 at 71 °C against an 87 °C limit: 16 °C; over is negative', () => {
    expect(tempHeadroomC(71, 87)).toBe(16);
    expect(tempHeadroomC(90, 87)).toBe(-3);
    expect(tempHeadroomC(null, 87)).toBeNull();
    expect(tempHeadroomC(71, undefined)).toBeNull();
  });
});

describe('Rack Cooling Index (Herrlin)', () => {
  it('all inlets in the recommended band: 100 % / 100 %', () => {
    expect(rackCoolingIndex([20, 22, 27, 18])).toEqual({ rci_hi_pct: 100, rci_lo_pct: 100 });
  });
  it('worked example over 4 inlets', () => {
    // inlets 25, 29, 31, 16 (n = 4), A1 bounds 18/27 recommended, 15/32 allowable.
    // HI: over = (29−27) + (31−27) = 6; 1 − 6 / ((32 − 27) × 4) = 1 − 0.3 = 70 %
    // LO: under = 18 − 16 = 2; 1 − 2 / ((18 − 15) × 4) = 1 − 1/6 = 83.33 %
    const r = rackCoolingIndex([25, 29, 31, 16, null]);
    expect(r?.rci_hi_pct).toBeCloseTo(70, 9);
    expect(r?.rci_lo_pct).toBeCloseTo(500 / 6, 9);
  });
  it('null with no known inlet', () => {
    expect(rackCoolingIndex([null, undefined])).toBeNull();
  });
});
