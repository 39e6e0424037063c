// What each megawatt earns (issue 16): the revenue of the mining and the AI load, the energy they cost, the
// margin, per hour and per MWh side by side, and mining's break-even energy price. Pure functions over plain
// numbers; null means not known and propagates (a revenue whose rate is unknown is never 0).
//
// Units: power in W, rates in $/h, prices in $/MWh, hashprice in $ per TH/s per day.

import type { EconomicsFigures, FacilityBasis, ScopePrices, DayTotals } from '../core/types.js';

const W_PER_MW = 1e6;
/** Hours in an average month: 8760 h ÷ 12, how a $/kW-month colocation rate is turned into $/h. */
export const HOURS_PER_MONTH = 730;

/**
 * Mining revenue ($/h) = hashrate (TH/s) × hashprice ($/TH/s/day) ÷ 24 × (1 − pool fee). A pool pays out
 * the hashprice of the hashrate it sees less its fee (FPPS pays subsidy and fees; the Luxor Hashprice Index
 * is the same $/TH/day figure before fees).
 */
export function miningRevenueUsdPerH(hashrate_ths: number | null, hashprice_usd_per_th_day: number | null, pool_fee_ratio: number): number | null {
  if (hashrate_ths === null || hashprice_usd_per_th_day === null) return null;
  return (hashrate_ths * hashprice_usd_per_th_day * (1 - pool_fee_ratio)) / 24;
}

/** AI revenue billed per GPU-hour ($/h) = GPUs billed × $/GPU-hour. */
export function gpuHourRevenueUsdPerH(gpus: number, usd_per_gpu_hour: number): number {
  return gpus * usd_per_gpu_hour;
}

/** AI revenue of a lease ($/h) = $/kW-month × contracted kW ÷ 730 h (a month's mean length). */
export function leaseRevenueUsdPerH(usd_per_kw_month: number, contracted_kw: number): number {
  return (usd_per_kw_month * contracted_kw) / HOURS_PER_MONTH;
}

/** Energy cost ($/h) = facility power (MW) × energy price ($/MWh). */
export function energyCostUsdPerH(facility_w: number | null, usd_per_mwh: number | null): number | null {
  if (facility_w === null || usd_per_mwh === null) return null;
  return (facility_w / W_PER_MW) * usd_per_mwh;
}

/** Revenue per MWh of the load's own IT energy = revenue ($/h) ÷ IT power (MW); null without load. */
export function revenueUsdPerMwh(revenue_usd_per_h: number | null, it_w: number | null): number | null {
  if (revenue_usd_per_h === null || it_w === null || !(it_w > 0)) return null;
  return revenue_usd_per_h / (it_w / W_PER_MW);
}

/**
 * Mining revenue per MWh from the fleet's efficiency alone: hashprice ÷ (J/TH × 24 h ÷ 10⁶), since 1 TH/s at
 * J/TH watts draws J/TH × 24 ÷ 10⁶ MWh a day. $0.0423/TH/day at 16 J/TH is $110/MWh.
 */
export function hashpriceUsdPerMwh(hashprice_usd_per_th_day: number | null, j_per_th: number | null): number | null {
  if (hashprice_usd_per_th_day === null || j_per_th === null || !(j_per_th > 0)) return null;
  return hashprice_usd_per_th_day / ((j_per_th * 24) / W_PER_MW);
}

/**
 * Margin per MWh of IT energy = revenue per IT-MWh − energy price × facility factor: each IT MWh draws
 * facility ÷ IT MWh at the meter (its share of cooling and losses), and that is what is bought.
 */
export function marginUsdPerMwh(revenue_usd_per_mwh: number | null, usd_per_mwh: number | null, facility_factor: number | null): number | null {
  if (revenue_usd_per_mwh === null || usd_per_mwh === null || facility_factor === null) return null;
  return revenue_usd_per_mwh - usd_per_mwh * facility_factor;
}

/** The energy price where that margin is 0: revenue per IT-MWh ÷ facility factor. Above it the miners lose money. */
export function breakevenUsdPerMwh(revenue_usd_per_mwh: number | null, facility_factor: number | null): number | null {
  if (revenue_usd_per_mwh === null || facility_factor === null || !(facility_factor > 0)) return null;
  return revenue_usd_per_mwh / facility_factor;
}

/** A sum of parts that must all be known; an absent part (not applicable) is passed as undefined. */
function sumParts(parts: (number | null | undefined)[]): number | null {
  let sum = 0;
  let any = false;
  for (const p of parts) {
    if (p === undefined) continue;
    if (p === null) return null;
    sum += p;
    any = true;
  }
  return any ? sum : null;
}

export interface FacilityEstimate {
  facility_w: number | null;
  basis: FacilityBasis | null;
  /** facility ÷ IT */
  factor: number | null;
}

/**
 * The scope's facility power and its ratio to IT: its meter when it reads (the ratio only when the IT
 * power is complete, as for PUE), else IT × the configured assumed PUE, else unknown.
 */
export function facilityEstimate(meter_w: number | null, it_w: number | null, it_complete: boolean, assumed_pue: number | null): FacilityEstimate {
  if (meter_w !== null) {
    const measured = it_complete && it_w !== null && it_w > 0 && meter_w >= it_w ? meter_w / it_w : null;
    return { facility_w: meter_w, basis: 'meter', factor: measured ?? assumed_pue };
  }
  if (assumed_pue !== null && it_w !== null) return { facility_w: it_w * assumed_pue, basis: 'it_x_pue', factor: assumed_pue };
  return { facility_w: null, basis: null, factor: null };
}

/** A scope's load, as the economics take it. */
export interface ScopeLoad {
  /** Σ hashrate of the miners up now (TH/s) */
  hashrate_ths: number | null;
  /** whether the scope has miners at all, and GPUs: their revenue must then be known for the total */
  has_miners: boolean;
  has_gpus: boolean;
  mining_it_w: number | null;
  ai_it_w: number | null;
  /** the AI revenue rate of the rules that cover the scope; null = no rule covers it */
  ai_revenue_usd_per_h: number | null;
  facility: FacilityEstimate;
}

/** Every economic figure of one scope from its load, its prices and the pool fee. */
export function scopeEconomics(load: ScopeLoad, prices: ScopePrices, pool_fee_ratio: number, today: DayTotals): EconomicsFigures {
  const price = prices.energy_price_usd_per_mwh;
  const factor = load.facility.factor;
  const mining = miningRevenueUsdPerH(load.hashrate_ths, prices.hashprice_usd_per_th_day, pool_fee_ratio);
  const ai = load.ai_revenue_usd_per_h;
  // The total needs each load the scope has: miners without a hashprice make it unknown, not smaller.
  const revenue = sumParts([load.has_miners ? mining : mining ?? undefined, load.has_gpus ? ai : ai ?? undefined]);
  const cost = energyCostUsdPerH(load.facility.facility_w, price);
  const miningPerMwh = revenueUsdPerMwh(mining, load.mining_it_w);
  const aiPerMwh = revenueUsdPerMwh(ai, load.ai_it_w);
  return {
    ...prices,
    mining_it_w: load.mining_it_w,
    ai_it_w: load.ai_it_w,
    facility_factor: factor,
    facility_w: load.facility.facility_w,
    facility_basis: load.facility.basis,
    mining_revenue_usd_per_h: mining,
    ai_revenue_usd_per_h: ai,
    revenue_usd_per_h: revenue,
    energy_cost_usd_per_h: cost,
    margin_usd_per_h: revenue === null || cost === null ? null : revenue - cost,
    mining_revenue_usd_per_mwh: miningPerMwh,
    ai_revenue_usd_per_mwh: aiPerMwh,
    mining_margin_usd_per_mwh: marginUsdPerMwh(miningPerMwh, price, factor),
    ai_margin_usd_per_mwh: marginUsdPerMwh(aiPerMwh, price, factor),
    mining_breakeven_usd_per_mwh: breakevenUsdPerMwh(miningPerMwh, factor),
    today,
  };
}
