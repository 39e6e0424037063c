// The economics and power-budget vocabulary (issue 16): the settings config `economics:` and `power:` become,
// a scope's prices, and the figures every hall and the site carry. Plain data; re-exported by types.ts.
// Prices are readings of `market` devices (config `markets:`); these are the fallbacks and rates the figures
// need besides them.

/** One window of a time-of-use tariff, in the site's local time; `to` ≤ `from` crosses midnight. */
export interface TouWindow {
  /** local days it applies on, 0 = Sunday … 6 = Saturday (Date.getDay's numbering) */
  days: number[];
  /** minutes after local midnight, [from, to) */
  from_min: number;
  to_min: number;
  usd_per_mwh: number;
}

/** How a hall's or a rack's AI capacity is paid for. */
export type AiBilling =
  /** per GPU-hour, on the GPUs busy now or on every GPU allocated to a tenant (every GPU up) */
  | { kind: 'gpu_hour'; usd_per_gpu_hour: number; on: 'busy' | 'allocated' }
  /** a lease per kW of contracted capacity per month, whatever is drawn */
  | { kind: 'lease'; usd_per_kw_month: number; contracted_kw: number };

export interface AiRevenueRule {
  /** a rack's rule takes its GPUs out of its hall's rule */
  scope: { hall: string } | { rack: string };
  billing: AiBilling;
}

export interface EconomicsSettings {
  /** IANA zone of the site (Intl): the time-of-use windows and "today" are in it */
  timezone: string;
  /** the price when no market reports one and no time-of-use window applies; null = none */
  flat_usd_per_mwh: number | null;
  time_of_use: TouWindow[];
  /** the pool's fee as a ratio 0–1 (config pool_fee_pct ÷ 100) */
  pool_fee_ratio: number;
  /** the PUE to assume where no meter measures a scope's facility power; null = none (cost unknown there) */
  assumed_pue: number | null;
  ai: AiRevenueRule[];
}

/** Power caps (W): the site's interconnect or contract, and each hall's. */
export interface PowerCaps {
  site_w: number | null;
  halls: Record<string, number>;
}

export type PriceSource = 'market' | 'time_of_use' | 'flat';

/** A scope's current prices: what server/figures/prices.ts currentPrices() gives (the seam other figures take). */
export interface ScopePrices {
  /** null = no market reports one and no fallback is configured */
  energy_price_usd_per_mwh: number | null;
  energy_source: PriceSource | null;
  /** the market device it came from; null for a fallback */
  energy_market: string | null;
  /** seconds since the market reported it (Floorwatch's own downtime excluded); null for a fallback */
  energy_age_s: number | null;
  /** the market's reading is older than its stale_after_s: still shown, marked, never replaced by a fallback */
  energy_stale: boolean;
  /** $ per TH/s per day: the market's hashprice_usd_per_ph_day ÷ 1000, or computed from BTC price, difficulty and fees */
  hashprice_usd_per_th_day: number | null;
  hashprice_source: 'market' | 'computed' | null;
  hashprice_market: string | null;
  hashprice_age_s: number | null;
  hashprice_stale: boolean;
}

/** What the energy cost and the per-MWh figures take the scope's facility power from. */
export type FacilityBasis = 'meter' | 'it_x_pue';

export interface EconomicsFigures extends ScopePrices {
  /** IT power of the scope's mining and AI load (a mixed rack split by its devices' nominal power) */
  mining_it_w: number | null;
  ai_it_w: number | null;
  /** facility ÷ IT of the scope: the share of cooling and losses each IT watt carries; null when unknown */
  facility_factor: number | null;
  facility_w: number | null;
  facility_basis: FacilityBasis | null;
  /** hashrate × hashprice ÷ 24 × (1 − pool fee) */
  mining_revenue_usd_per_h: number | null;
  /** per GPU-hour on busy or allocated GPUs, or lease $/kW-month × kW ÷ 730 h */
  ai_revenue_usd_per_h: number | null;
  revenue_usd_per_h: number | null;
  /** facility power (MW) × energy price */
  energy_cost_usd_per_h: number | null;
  margin_usd_per_h: number | null;
  /** revenue per MWh of the load's own IT energy, and that less the facility energy one IT MWh costs */
  mining_revenue_usd_per_mwh: number | null;
  ai_revenue_usd_per_mwh: number | null;
  mining_margin_usd_per_mwh: number | null;
  ai_margin_usd_per_mwh: number | null;
  /** the energy price at which mining's margin is 0 */
  mining_breakeven_usd_per_mwh: number | null;
  /** totals since local midnight, integrated over the ticks (as the scope rollups are) */
  today: DayTotals;
}

export interface DayTotals {
  /** epoch ms of the local midnight the day began */
  day_start: number;
  mining_revenue_usd: number;
  ai_revenue_usd: number;
  energy_cost_usd: number;
  margin_usd: number;
  facility_mwh: number;
}

export interface PowerBudgetFigures {
  cap_w: number | null;
  /** what the cap is judged against: the scope's facility power (meter, or IT × PUE), else its IT power */
  load_w: number | null;
  load_basis: FacilityBasis | 'it' | null;
  /** cap − load; negative = over the cap */
  headroom_w: number | null;
  /** load ÷ cap */
  cap_ratio: number | null;
  /** AI load with its cooling share: not shed for a price or a grid request */
  firm_w: number | null;
  /** mining load with its cooling share: the load that can be shed */
  flexible_w: number | null;
  /** the facility power shed if every miner drawing now stopped */
  curtailable_now_w: number | null;
}

