// The site's trend buffers live for the page's lifetime (not the view's), so switching views or rotating
// halls never loses the hour already drawn.

import type { LiveState } from './live.js';
import { TrendBuffer, TREND_BUCKET_MS, TREND_WINDOW_MS, fetchHistory } from './charts.js';

export interface SiteTrends {
  it_power_w: TrendBuffer;
  facility_power_w: TrendBuffer;
  pue: TrendBuffer;
  hashrate_ths: TrendBuffer;
  gpu_util_pct: TrendBuffer;
  worst_inlet_c: TrendBuffer;
  /** issue 16: the economics page's chart (history names them the same) */
  energy_price_usd_per_mwh: TrendBuffer;
  mining_breakeven_usd_per_mwh: TrendBuffer;
}

export function createSiteTrends(): SiteTrends {
  return {
    it_power_w: new TrendBuffer(), facility_power_w: new TrendBuffer(), pue: new TrendBuffer(),
    hashrate_ths: new TrendBuffer(), gpu_util_pct: new TrendBuffer(), worst_inlet_c: new TrendBuffer(),
    energy_price_usd_per_mwh: new TrendBuffer(), mining_breakeven_usd_per_mwh: new TrendBuffer(),
  };
}

export function recordSite(trends: SiteTrends, state: LiveState): void {
  const s = state.site;
  if (!s) return;
  const ts = s.ts || state.serverTs || Date.now();
  trends.it_power_w.push(ts, s.it_power_w);
  trends.facility_power_w.push(ts, s.facility_power_w);
  trends.pue.push(ts, s.pue);
  trends.hashrate_ths.push(ts, s.hashrate_ths);
  trends.gpu_util_pct.push(ts, s.gpu_util_pct);
  trends.worst_inlet_c.push(ts, s.worst_inlet_c);
  trends.energy_price_usd_per_mwh.push(ts, s.economics?.energy_price_usd_per_mwh ?? null);
  trends.mining_breakeven_usd_per_mwh.push(ts, s.economics?.mining_breakeven_usd_per_mwh ?? null);
}

/** Fills the hour before the page opened from the history API, where it exists. */
export async function prefillSiteTrends(trends: SiteTrends, now = Date.now()): Promise<void> {
  const from = now - TREND_WINDOW_MS;
  const names = Object.keys(trends) as (keyof SiteTrends)[];
  await Promise.all(names.map(async (metric) => {
    const points = await fetchHistory('site', metric, from, now, TREND_BUCKET_MS * 2);
    if (points) trends[metric].prefill(points);
  }));
}
