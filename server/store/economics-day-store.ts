// Today's economic totals read back from the minute rollups at start (issue 16): the hub's day ledger
// (server/figures/economics-day.ts) goes on from there, so a restart keeps the day's revenue and cost.

import type { Db } from './db.js';
import type { SiteModel } from '../core/types.js';
import { createDayLedger, type DayLedger, type DaySums } from '../figures/economics-day.js';
import { localDayStart } from '../figures/prices.js';
import { SCOPE_METRIC_CODE } from './rollups.js';

/**
 * Today's sums per scope from the minute rollups since `dayStart` (a local midnight): what the hub's day
 * ledger starts from after a restart. facility_mwh from energy_facility_wh, the same integral.
 */
export function readDaySums(db: Db, dayStart: number, codes: ReadonlyMap<string, number> = SCOPE_METRIC_CODE): Map<string, DaySums> {
  const want: [keyof DaySums, string, number][] = [
    ['mining_revenue_usd', 'mining_revenue_usd', 1], ['ai_revenue_usd', 'ai_revenue_usd', 1], ['energy_cost_usd', 'energy_cost_usd', 1],
    ['margin_usd', 'margin_usd', 1], ['facility_mwh', 'energy_facility_wh', 1e-6],
  ];
  const out = new Map<string, DaySums>();
  const stmt = db.prepare(
    `SELECT s.name AS scope, sum(r.sum) AS total FROM rollup_scope_minute r JOIN rollup_scopes s ON s.id = r.scope
     WHERE r.metric = ? AND r.bucket >= ? AND (s.name = 'site' OR s.name LIKE 'hall:%') GROUP BY s.name`,
  );
  for (const [key, metric, scale] of want) {
    const code = codes.get(metric);
    if (code === undefined) continue;
    for (const row of stmt.iterate(code, dayStart) as Iterable<{ scope: string; total: number }>) {
      let s = out.get(row.scope);
      if (s === undefined) out.set(row.scope, (s = { mining_revenue_usd: 0, ai_revenue_usd: 0, energy_cost_usd: 0, margin_usd: 0, facility_mwh: 0 }));
      s[key] += row.total * scale;
    }
  }
  return out;
}

/** The hub's ledger for today at start: the day's sums so far from the minute rollups, in the site's zone. */
export function seedDayLedger(db: Db, model: SiteModel, now: number): DayLedger {
  const tz = model.economics?.timezone ?? 'UTC';
  return createDayLedger(tz, now, readDaySums(db, localDayStart(now, tz), SCOPE_METRIC_CODE));
}
