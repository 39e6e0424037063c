// The scope rollups of the economics and power-budget figures (issue 16): what each tick adds for a hall
// or the site. The rates are averaged per bucket like every figure; the *_usd totals are the rates
// integrated over the tick (rate × dt), as energy_wh is, so a bucket's sum is what was earned or spent in it.
// No imports from rollups.ts, which spreads these names into SCOPE_METRICS (economics-day-store.ts reads back).

import type { EconomicsFigures, PowerBudgetFigures } from '../core/types.js';

/** Averaged per bucket: the history of each rate, price and power-budget figure. */
export const ECONOMICS_RATE_METRICS = [
  'energy_price_usd_per_mwh', 'hashprice_usd_per_th_day', 'mining_revenue_usd_per_h', 'ai_revenue_usd_per_h',
  'energy_cost_usd_per_h', 'margin_usd_per_h', 'mining_revenue_usd_per_mwh', 'ai_revenue_usd_per_mwh',
  'mining_margin_usd_per_mwh', 'ai_margin_usd_per_mwh', 'mining_breakeven_usd_per_mwh',
] as const satisfies readonly (keyof EconomicsFigures)[];
export const POWER_BUDGET_METRICS = ['cap_w', 'headroom_w', 'firm_w', 'flexible_w', 'curtailable_now_w'] as const satisfies readonly (keyof PowerBudgetFigures)[];
/** Integrated per tick: a bucket's sum is the dollars of that bucket (history serves them as sums per step). */
export const ECONOMICS_TOTAL_METRICS = ['mining_revenue_usd', 'ai_revenue_usd', 'energy_cost_usd', 'margin_usd'] as const;

type RateMetric = (typeof ECONOMICS_RATE_METRICS)[number];
type TotalMetric = (typeof ECONOMICS_TOTAL_METRICS)[number];
type BudgetMetric = (typeof POWER_BUDGET_METRICS)[number];
export type EconomicsScopeMetric = RateMetric | TotalMetric | `power_${BudgetMetric}`;

const HOUR_MS = 3_600_000;
const TOTAL_OF: Record<TotalMetric, keyof EconomicsFigures> = {
  mining_revenue_usd: 'mining_revenue_usd_per_h', ai_revenue_usd: 'ai_revenue_usd_per_h',
  energy_cost_usd: 'energy_cost_usd_per_h', margin_usd: 'margin_usd_per_h',
};

/** One tick's economics samples of a scope (nulls left out, as every scope sample). */
export function economicsSamples(
  e: EconomicsFigures | undefined, p: PowerBudgetFigures | undefined, dtMs: number | null,
  add: (metric: EconomicsScopeMetric, value: number | null) => void,
): void {
  if (e !== undefined) {
    for (const m of ECONOMICS_RATE_METRICS) add(m, e[m]);
    if (dtMs !== null) {
      for (const m of ECONOMICS_TOTAL_METRICS) {
        const rate = e[TOTAL_OF[m]] as number | null;
        add(m, rate === null ? null : (rate * dtMs) / HOUR_MS);
      }
    }
  }
  if (p !== undefined) for (const m of POWER_BUDGET_METRICS) add(`power_${m}`, p[m]);
}
