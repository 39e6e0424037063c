// Issue 16: the economics and power-budget figures on hand-worked numbers. The worked example of the
// issue: difficulty 150 T, 0.03 BTC fees per block, BTC at $100,000 → $0.0423 per TH/s per day; at 16 J/TH
// that is $110/MWh.

import { describe, expect, it } from 'vitest';
import type { DeviceLive, LiveInput, ScopePrices } from '../../server/core/types.js';
import {
  breakevenUsdPerMwh, energyCostUsdPerH, facilityEstimate, hashpriceUsdPerMwh, leaseRevenueUsdPerH, marginUsdPerMwh,
  miningRevenueUsdPerH, revenueUsdPerMwh, scopeEconomics,
} from '../../server/figures/economics.js';
import { powerBudget } from '../../server/figures/power-budget.js';
import {
  currentPrices, fallbackEnergyPrice, hashpriceBtcPerThDay, hashpriceUsdPerThDay, localDayStart, nextLocalDayStart, touWindowHolds,
} from '../../server/figures/prices.js';
import { computeFigures } from '../../server/figures/compute.js';
import { smallSite, SMALL_SITE_YAML } from '../helpers/site.js';

const D = 150e12;
const FEES = 0.03;
const BTC = 100_000;
// 86400 × 10¹² ÷ (150 × 10¹² × 2³²) = 576 ÷ 4,294,967,296 = 1.341104507e-7 blocks per TH/s per day;
// × (3.125 + 0.03) BTC = 4.231184720e-7 BTC; × $100,000 = $0.04231184720.
const HASHPRICE = 0.0423118472;

const noPrices: ScopePrices = {
  energy_price_usd_per_mwh: null, energy_source: null, energy_market: null, energy_age_s: null, energy_stale: false,
  hashprice_usd_per_th_day: null, hashprice_source: null, hashprice_market: null, hashprice_age_s: null, hashprice_stale: false,
};
const today = { day_start: 0, mining_revenue_usd: 0, ai_revenue_usd: 0, energy_cost_usd: 0, margin_usd: 0, facility_mwh: 0 };

describe('hashprice', () => {
  it('is 86400·10¹²/(D·2³²) × (3.125 + fees) BTC per TH/s per day: the worked example is $0.0423', () => {
    expect(hashpriceBtcPerThDay(D, FEES)).toBeCloseTo(4.23118472e-7, 14);
    expect(hashpriceUsdPerThDay(BTC, D, FEES)).toBeCloseTo(HASHPRICE, 9);
    expect(Math.round((hashpriceUsdPerThDay(BTC, D, FEES) ?? 0) * 1e4) / 1e4).toBe(0.0423);
  });

  it('at 16 J/TH is $110/MWh: 1 TH/s draws 16 × 24 ÷ 10⁶ = 0.000384 MWh a day', () => {
    // 0.0423118472 ÷ 0.000384 = 110.187
    expect(hashpriceUsdPerMwh(HASHPRICE, 16)).toBeCloseTo(110.187, 3);
    expect(Math.round(hashpriceUsdPerMwh(HASHPRICE, 16) ?? 0)).toBe(110);
  });

  it('is unknown without a difficulty, and never from negative fees', () => {
    expect(hashpriceBtcPerThDay(0, FEES)).toBeNull();
    expect(hashpriceBtcPerThDay(D, -1)).toBeNull();
    expect(hashpriceUsdPerMwh(HASHPRICE, null)).toBeNull();
  });
});

describe('revenue, cost and margin rates', () => {
  it('mining revenue is TH/s × hashprice ÷ 24 × (1 − pool fee)', () => {
    // 20,000 TH/s × 0.0423118472 ÷ 24 = 35.2598727 $/h; less 2 % = 34.5546752
    expect(miningRevenueUsdPerH(20_000, HASHPRICE, 0.02)).toBeCloseTo(34.5546752, 6);
    expect(miningRevenueUsdPerH(null, HASHPRICE, 0.02)).toBeNull();
    expect(miningRevenueUsdPerH(20_000, null, 0.02)).toBeNull();
  });

  it('a lease is $/kW-month × kW ÷ 730 h; energy cost is MW × $/MWh', () => {
    expect(leaseRevenueUsdPerH(150, 500)).toBeCloseTo(102.739726, 5); // 75,000 ÷ 730
    expect(energyCostUsdPerH(352_000, 45)).toBeCloseTo(15.84, 9);
    expect(energyCostUsdPerH(352_000, -20)).toBeCloseTo(-7.04, 9); // a negative price pays the load
    expect(energyCostUsdPerH(null, 45)).toBeNull();
  });

  it('per MWh: revenue over the load’s IT energy, margin less the facility energy it takes, break-even', () => {
    const perMwh = revenueUsdPerMwh(34.5546752, 320_000); // 34.5546752 ÷ 0.32 = 107.98336
    expect(perMwh).toBeCloseTo(107.98336, 4);
    expect(marginUsdPerMwh(perMwh, 45, 1.1)).toBeCloseTo(107.98336 - 49.5, 4);
    expect(breakevenUsdPerMwh(perMwh, 1.1)).toBeCloseTo(98.16669, 4);
    expect(revenueUsdPerMwh(10, 0)).toBeNull();
  });

  it('a worked mining and AI hall side by side', () => {
    // Mining: 20,000 TH/s at 16 J/TH = 320 kW IT. AI: 64 GPUs busy at $2.00/GPU-h on 60 kW IT. Meter 418 kW
    // for 380 kW IT: factor 1.1. Energy $45/MWh.
    const facility = facilityEstimate(418_000, 380_000, true, null);
    expect(facility).toEqual({ facility_w: 418_000, basis: 'meter', factor: 1.1 });
    const e = scopeEconomics({
      hashrate_ths: 20_000, has_miners: true, has_gpus: true, mining_it_w: 320_000, ai_it_w: 60_000, ai_revenue_usd_per_h: 128, facility,
    }, { ...noPrices, energy_price_usd_per_mwh: 45, energy_source: 'flat', hashprice_usd_per_th_day: HASHPRICE, hashprice_source: 'computed' }, 0.02, today);
    expect(e.mining_revenue_usd_per_h).toBeCloseTo(34.5546752, 6);
    expect(e.ai_revenue_usd_per_h).toBe(128);
    expect(e.revenue_usd_per_h).toBeCloseTo(162.5546752, 6);
    expect(e.energy_cost_usd_per_h).toBeCloseTo(18.81, 9); // 0.418 MW × 45
    expect(e.margin_usd_per_h).toBeCloseTo(143.7446752, 6);
    expect(e.mining_revenue_usd_per_mwh).toBeCloseTo(107.98336, 4);
    expect(e.ai_revenue_usd_per_mwh).toBeCloseTo(2133.3333, 3); // 128 ÷ 0.06
    expect(e.mining_margin_usd_per_mwh).toBeCloseTo(58.48336, 4); // 107.98 − 45 × 1.1
    expect(e.ai_margin_usd_per_mwh).toBeCloseTo(2083.8333, 3);
    expect(e.mining_breakeven_usd_per_mwh).toBeCloseTo(98.16669, 4);
  });

  it('the total is unknown when a load the scope has has no rate (never a smaller number)', () => {
    const facility = facilityEstimate(418_000, 380_000, true, null);
    const e = scopeEconomics({
      hashrate_ths: 20_000, has_miners: true, has_gpus: true, mining_it_w: 320_000, ai_it_w: 60_000, ai_revenue_usd_per_h: 128, facility,
    }, { ...noPrices, energy_price_usd_per_mwh: 45, energy_source: 'flat' }, 0.02, today);
    expect(e.mining_revenue_usd_per_h).toBeNull();
    expect(e.revenue_usd_per_h).toBeNull();
    expect(e.margin_usd_per_h).toBeNull();
    expect(e.energy_cost_usd_per_h).toBeCloseTo(18.81, 9);
  });

  it('facility power: the meter, else IT × assumed PUE, else unknown; the factor only on complete IT', () => {
    expect(facilityEstimate(418_000, 200_000, false, null)).toEqual({ facility_w: 418_000, basis: 'meter', factor: null });
    expect(facilityEstimate(418_000, 200_000, false, 1.2)).toEqual({ facility_w: 418_000, basis: 'meter', factor: 1.2 });
    expect(facilityEstimate(null, 100_000, true, 1.2)).toEqual({ facility_w: 120_000, basis: 'it_x_pue', factor: 1.2 });
    expect(facilityEstimate(null, 100_000, true, null)).toEqual({ facility_w: null, basis: null, factor: null });
  });
});

describe('power budget', () => {
  it('headroom against the cap at the meter; firm, flexible and curtailable with their cooling share', () => {
    const facility = facilityEstimate(418_000, 380_000, true, null);
    const b = powerBudget({ it_w: 380_000, mining_it_w: 320_000, ai_it_w: 60_000, hashing_miner_w: 300_000, facility }, 400_000);
    expect(b.cap_w).toBe(400_000);
    expect(b.load_w).toBe(418_000);
    expect(b.load_basis).toBe('meter');
    expect(b.headroom_w).toBe(-18_000);
    expect(b.cap_ratio).toBeCloseTo(1.045, 9);
    expect(b.firm_w).toBeCloseTo(66_000, 6);
    expect(b.flexible_w).toBeCloseTo(352_000, 6);
    expect(b.curtailable_now_w).toBeCloseTo(330_000, 6);
  });

  it('without a meter or a PUE the IT power stands, and says so; no cap, no headroom', () => {
    const b = powerBudget({ it_w: 380_000, mining_it_w: 320_000, ai_it_w: 60_000, hashing_miner_w: null, facility: facilityEstimate(null, 380_000, true, null) }, null);
    expect(b).toMatchObject({ cap_w: null, load_w: 380_000, load_basis: 'it', headroom_w: null, cap_ratio: null, firm_w: 60_000, flexible_w: 320_000, curtailable_now_w: null });
  });
});

describe('time of use in the site zone', () => {
  const settings = {
    timezone: 'America/Chicago', flat_usd_per_mwh: 40, pool_fee_ratio: 0, assumed_pue: null, ai: [],
    time_of_use: [
      { days: [1, 2, 3, 4, 5], from_min: 17 * 60, to_min: 21 * 60, usd_per_mwh: 180 },
      { days: [5], from_min: 22 * 60, to_min: 6 * 60, usd_per_mwh: 20 },
    ],
  };

  it('applies a window at local time, first match, else the flat price', () => {
    // Wednesday 14 Jan 2026, 23:30 UTC = 17:30 CST (UTC−6)
    expect(fallbackEnergyPrice(settings, Date.UTC(2026, 0, 14, 23, 30))).toEqual({ usd_per_mwh: 180, source: 'time_of_use' });
    // 22:59 UTC = 16:59 CST: not yet
    expect(fallbackEnergyPrice(settings, Date.UTC(2026, 0, 14, 22, 59))).toEqual({ usd_per_mwh: 40, source: 'flat' });
    // Saturday 17 Jan 02:00 CST (08:00 UTC) is in Friday's overnight window; Sunday 02:00 is not
    expect(fallbackEnergyPrice(settings, Date.UTC(2026, 0, 17, 8, 0))).toEqual({ usd_per_mwh: 20, source: 'time_of_use' });
    expect(fallbackEnergyPrice(settings, Date.UTC(2026, 0, 18, 8, 0))).toEqual({ usd_per_mwh: 40, source: 'flat' });
    expect(fallbackEnergyPrice({ ...settings, flat_usd_per_mwh: null }, Date.UTC(2026, 0, 18, 8, 0))).toBeNull();
    expect(touWindowHolds(settings.time_of_use[0], 3, 21 * 60)).toBe(false); // [from, to)
  });

  it('finds local midnight across a DST change (Chicago springs forward 8 Mar 2026)', () => {
    const noonCdt = Date.UTC(2026, 2, 8, 17, 0); // 12:00 CDT (UTC−5)
    expect(localDayStart(noonCdt, 'America/Chicago')).toBe(Date.UTC(2026, 2, 8, 6, 0)); // midnight was CST
    expect(nextLocalDayStart(noonCdt, 'America/Chicago')).toBe(Date.UTC(2026, 2, 9, 5, 0)); // a 23 h day
    expect(localDayStart(Date.UTC(2026, 2, 8, 5, 59), 'America/Chicago')).toBe(Date.UTC(2026, 2, 7, 6, 0));
    expect(localDayStart(Date.UTC(2026, 0, 1, 0, 0), 'UTC')).toBe(Date.UTC(2026, 0, 1));
  });
});

describe('currentPrices, the seam', () => {
  const NOW = Date.UTC(2026, 0, 14, 12, 0);
  const yaml = `${SMALL_SITE_YAML}
markets:
  - { id: GRID, stale_after_s: 900 }
  - { id: GRID-G, scope: "hall:G", stale_after_s: 900 }
economics:
  timezone: UTC
  energy_price_usd_per_mwh: 40
`;
  const model = smallSite(yaml);
  const input = (markets: Record<string, { ts: number; metrics: DeviceLive['metrics'] }>): LiveInput => {
    const devices = new Map<string, DeviceLive>();
    for (const d of model.devices.values()) devices.set(d.id, { model: d, ts: null, metrics: {} });
    for (const [id, m] of Object.entries(markets)) devices.set(id, { model: model.devices.get(id)!, ts: m.ts, metrics: m.metrics });
    return { model, devices, now: NOW, stale_after_ms: 60_000 };
  };

  it('takes a market price with its age; a stale one is shown stale, never replaced by the fallback', () => {
    const fresh = currentPrices(input({ GRID: { ts: NOW - 120_000, metrics: { energy_price_usd_per_mwh: 62.5 } } }), 'site');
    expect(fresh).toMatchObject({ energy_price_usd_per_mwh: 62.5, energy_source: 'market', energy_market: 'GRID', energy_age_s: 120, energy_stale: false });
    const stale = currentPrices(input({ GRID: { ts: NOW - 1_000_000, metrics: { energy_price_usd_per_mwh: 62.5 } } }), 'site');
    expect(stale).toMatchObject({ energy_price_usd_per_mwh: 62.5, energy_source: 'market', energy_age_s: 1000, energy_stale: true });
  });

  it('falls back to the configured price only when no market has reported one', () => {
    expect(currentPrices(input({}), 'site')).toMatchObject({ energy_price_usd_per_mwh: 40, energy_source: 'flat', energy_age_s: null, energy_stale: false });
  });

  it('a hall takes its own market, else the site’s', () => {
    const i = input({ GRID: { ts: NOW - 1000, metrics: { energy_price_usd_per_mwh: 50 } }, 'GRID-G': { ts: NOW - 2000, metrics: { energy_price_usd_per_mwh: 75 } } });
    expect(currentPrices(i, { hall: 'G' }).energy_price_usd_per_mwh).toBe(75);
    expect(currentPrices(i, { hall: 'M' }).energy_price_usd_per_mwh).toBe(50);
  });

  it('hashprice: stated by the market ($/PH/day ÷ 1000) wins; else computed from BTC, difficulty and fees', () => {
    const computed = currentPrices(input({ GRID: { ts: NOW, metrics: { btc_usd: BTC, network_difficulty: D, fees_btc_per_block: FEES } } }), 'site');
    expect(computed.hashprice_source).toBe('computed');
    expect(computed.hashprice_usd_per_th_day).toBeCloseTo(HASHPRICE, 9);
    const stated = currentPrices(input({ GRID: { ts: NOW, metrics: { hashprice_usd_per_ph_day: 48.2, btc_usd: BTC, network_difficulty: D, fees_btc_per_block: FEES } } }), 'site');
    expect(stated).toMatchObject({ hashprice_source: 'market', hashprice_market: 'GRID' });
    expect(stated.hashprice_usd_per_th_day).toBeCloseTo(0.0482, 9);
    expect(currentPrices(input({ GRID: { ts: NOW, metrics: { btc_usd: BTC, network_difficulty: D } } }), 'site').hashprice_usd_per_th_day).toBeNull();
  });

  it('a market feed is judged stale by its own stale_after_s, not the site’s 60 s', () => {
    const i = input({ GRID: { ts: NOW - 300_000, metrics: { energy_price_usd_per_mwh: 50 } } });
    const f = computeFigures(i);
    expect(f.site.economics?.energy_stale).toBe(false);
    expect(f.site.health.down).toBeGreaterThan(0); // the site's other devices never reported
    const market = [...i.devices.values()].find((d) => d.model.id === 'GRID');
    expect(market?.model.stale_after_s).toBe(900);
  });
});
