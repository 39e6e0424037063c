import { describe, expect, it } from 'vitest';
import {
  feedCheck, fleetJPerTh, headroomW, jPerTh, loadRatio, pduPowerW, pue, pueDataFault, rackPower, sumKnown, wPerGpu,
} from '../../server/figures/power.js';

describe('rackPower', () => {
  it('prefers the PDU reading', () => {
    expect(rackPower(10_500, 9_800)).toEqual({ power_w: 10_500, power_source: 'pdu' });
  });
  it('falls back to the device sum, marked estimated', () => {
    expect(rackPower(null, 9_800)).toEqual({ power_w: 9_800, power_source: 'estimated' });
  });
  it('is null when nothing is known', () => {
    expect(rackPower(null, null)).toEqual({ power_w: null, power_source: null });
  });
  it('PDU power from its feeds when power_w is missing: 4200 + 3900 = 8100', () => {
    expect(pduPowerW(null, 4200, 3900)).toBe(8100);
    expect(pduPowerW(undefined, 4200, null)).toBeNull();
    expect(pduPowerW(7000, 4200, 3900)).toBe(7000);
  });
  it('sumKnown skips nulls and is null for none', () => {
    expect(sumKnown([3510, null, 3490, undefined])).toBe(7000);
    expect(sumKnown([null, undefined])).toBeNull();
    expect(sumKnown([])).toBeNull();
    expect(sumKnown([0])).toBe(0);
  });
});

describe('headroom and load', () => {
  it('headroom against 80 % of rated: 0.8 × 20 kW = 16 000 W; 16 000 − 14 500 = 1 500', () => {
    expect(headroomW(14_500, 20)).toBe(1_500);
  });
  it('negative when over budget: 16 000 − 17 200 = −1 200', () => {
    expect(headroomW(17_200, 20)).toBe(-1_200);
  });
  it('load ratio against the full rating: 14 500 / 20 000 = 0.725', () => {
    expect(loadRatio(14_500, 20)).toBeCloseTo(0.725, 12);
  });
  it('null when power unknown or no rating', () => {
    expect(headroomW(null, 20)).toBeNull();
    expect(loadRatio(1000, 0)).toBeNull();
  });
});

describe('feedCheck', () => {
  it('A 6 kW + B 5 kW = 11 kW fits a 12 kW feed; imbalance |6−5|/11 = 0.0909', () => {
    const c = feedCheck(6000, 5000, 12, 2);
    expect(c.failover_ok).toBe(true);
    expect(c.imbalance).toBeCloseTo(1 / 11, 12);
  });
  it('A 7 kW + B 6 kW = 13 kW exceeds a 12 kW feed: a feed loss would trip the other', () => {
    expect(feedCheck(7000, 6000, 12, 2).failover_ok).toBe(false);
  });
  it('exactly at the feed rating is ok: 6 + 6 = 12 kW', () => {
    expect(feedCheck(6000, 6000, 12, 2)).toEqual({ failover_ok: true, imbalance: 0 });
  });
  it('null when a feed is not metered or the rack has one feed', () => {
    expect(feedCheck(6000, null, 12, 2)).toEqual({ failover_ok: null, imbalance: null });
    expect(feedCheck(6000, 0, 12, 1)).toEqual({ failover_ok: null, imbalance: null });
  });
});

describe('PUE', () => {
  it('1 300 kW facility / 1 000 kW IT = 1.3', () => {
    expect(pue(1_300_000, 1_000_000)).toBeCloseTo(1.3, 12);
  });
  it('null for IT 0 or unknown, facility unknown', () => {
    expect(pue(1000, 0)).toBeNull();
    expect(pue(1000, null)).toBeNull();
    expect(pue(null, 1000)).toBeNull();
  });
  it('facility below IT is a data fault: null, flagged by pueDataFault', () => {
    expect(pue(900, 1000)).toBeNull();
    expect(pueDataFault(900, 1000)).toBe(true);
    expect(pueDataFault(1100, 1000)).toBe(false);
    expect(pueDataFault(null, 1000)).toBe(false);
  });
});

describe('J/TH', () => {
  it('is ΣW ÷ ΣTH/s, not the mean of per-miner ratios', () => {
    // S21: 3500 W / 200 TH/s = 17.5 J/TH; old S9: 1400 W / 14 TH/s = 100 J/TH.
    // fleet: (3500 + 1400) / (200 + 14) = 4900 / 214 = 22.897 J/TH; mean of ratios would be 58.75.
    const miners = [{ power_w: 3500, hashrate_ths: 200 }, { power_w: 1400, hashrate_ths: 14 }];
    const fleet = fleetJPerTh(miners);
    expect(fleet).toBeCloseTo(4900 / 214, 9);
    expect(fleet).toBeCloseTo(22.897, 3);
    const meanOfRatios = (17.5 + 100) / 2;
    expect(meanOfRatios).toBe(58.75);
    expect(Math.abs((fleet ?? 0) - meanOfRatios)).toBeGreaterThan(30);
  });
  it('leaves out miners not hashing or with unknown power', () => {
    // only the first counts: 3500 / 200 = 17.5
    expect(fleetJPerTh([
      { power_w: 3500, hashrate_ths: 200 },
      { power_w: 150, hashrate_ths: 0 },
      { power_w: null, hashrate_ths: 190 },
      { power_w: 3400, hashrate_ths: null },
    ])).toBeCloseTo(17.5, 12);
  });
  it('null when nothing hashes', () => {
    expect(jPerTh(300, 0)).toBeNull();
    expect(fleetJPerTh([])).toBeNull();
  });
});

describe('W per GPU', () => {
  it('(700 + 650 + 300) / 3 = 550', () => {
    expect(wPerGpu(1650, 3)).toBe(550);
    expect(wPerGpu(0, 0)).toBeNull();
  });
});
