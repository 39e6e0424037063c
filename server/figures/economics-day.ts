// Today's totals (issue 16): revenue, energy cost, margin and facility energy since the site's local
// midnight, per scope ('site', 'hall:ID'). Integrated tick by tick exactly as the scope rollups integrate
// energy (server/store/rollups.ts: the rate now × the time since the previous tick, nothing across a gap
// of over 10 s), so a restart seeds the day from the minute rollups since midnight and goes on adding.
// Plain data: the hub keeps one and records each tick's figures into it.

import type { DayTotals, Figures, EconomicsFigures } from '../core/types.js';
import { localDayStart, nextLocalDayStart } from './prices.js';

/** A tick further from its predecessor than this integrates nothing: the rollups' ENERGY_MAX_GAP_MS. */
export const DAY_MAX_GAP_MS = 10_000;
const MS_PER_H = 3_600_000;

export type DaySums = Omit<DayTotals, 'day_start'>;

export interface DayLedger {
  tz: string;
  day_start: number;
  next_day_start: number;
  prev_ts: number | null;
  scopes: Map<string, DaySums>;
}

export function emptySums(): DaySums {
  return { mining_revenue_usd: 0, ai_revenue_usd: 0, energy_cost_usd: 0, margin_usd: 0, facility_mwh: 0 };
}

/** A ledger for the local day `now` is in, seeded with what the rollups hold of it (absent = nothing yet). */
export function createDayLedger(tz: string, now: number, seed?: ReadonlyMap<string, DaySums>): DayLedger {
  const scopes = new Map<string, DaySums>();
  for (const [k, v] of seed ?? []) scopes.set(k, { ...v });
  return { tz, day_start: localDayStart(now, tz), next_day_start: nextLocalDayStart(now, tz), prev_ts: null, scopes };
}

/** What one tick of one scope adds: each rate known now × dt (h). */
export function addTick(sums: DaySums, e: EconomicsFigures, dt_h: number): void {
  if (e.mining_revenue_usd_per_h !== null) sums.mining_revenue_usd += e.mining_revenue_usd_per_h * dt_h;
  if (e.ai_revenue_usd_per_h !== null) sums.ai_revenue_usd += e.ai_revenue_usd_per_h * dt_h;
  if (e.energy_cost_usd_per_h !== null) sums.energy_cost_usd += e.energy_cost_usd_per_h * dt_h;
  if (e.margin_usd_per_h !== null) sums.margin_usd += e.margin_usd_per_h * dt_h;
  if (e.facility_w !== null) sums.facility_mwh += (e.facility_w / 1e6) * dt_h;
}

/** Folds one tick's figures in at `ts`; the day turns at local midnight (the tick after it starts from 0). */
export function recordDay(ledger: DayLedger, ts: number, f: Figures): void {
  const prev = ledger.prev_ts;
  if (prev !== null && ts <= prev) return; // a clock step back: never count a moment twice
  ledger.prev_ts = ts;
  if (ts >= ledger.next_day_start) {
    ledger.day_start = localDayStart(ts, ledger.tz);
    ledger.next_day_start = nextLocalDayStart(ts, ledger.tz);
    ledger.scopes.clear();
    // The first tick of the day brings its whole span since the previous one, as the rollups put it in
    // the minute bucket the tick falls in: the day's totals and a seed from the rollups stay equal.
  }
  if (prev === null || ts - prev > DAY_MAX_GAP_MS) return;
  const dt_h = (ts - prev) / MS_PER_H;
  const add = (scope: string, e: EconomicsFigures | undefined): void => {
    if (e === undefined) return;
    let s = ledger.scopes.get(scope);
    if (s === undefined) ledger.scopes.set(scope, (s = emptySums()));
    addTick(s, e, dt_h);
  };
  for (const h of f.halls) add(`hall:${h.id}`, h.economics);
  add('site', f.site.economics);
}

/** A scope's totals as of the last recorded tick, in the day of `now` (a day not yet recorded reads 0). */
export function dayTotals(ledger: DayLedger | undefined, scope: string, now: number, tz: string): DayTotals {
  if (ledger === undefined || now >= ledger.next_day_start) return { day_start: localDayStart(now, tz), ...emptySums() };
  return { day_start: ledger.day_start, ...(ledger.scopes.get(scope) ?? emptySums()) };
}
