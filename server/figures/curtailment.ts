// A curtailment event's figures (issue 16): how much load a scope (the site, a hall or a rack) shed against
// what was asked of it, from a series of that scope's power. Pure: no I/O, no clock (`now` comes in).
//
// The method is the "Meter Before / Meter After" performance evaluation of the NAESB WEQ-015 business
// practice standards (Measurement and Verification of Wholesale Electricity Demand Response): the baseline
// is the scope's mean power over a window just before the event (15 min by default, issue 16), the reduction
// at any moment is baseline − power, and the energy curtailed is the integral of that reduction over the
// event (trapezoidal rule between samples).

import type { CurtailmentFigures, CurtailmentPhase, CurtailmentTarget, Figures, SiteModel } from '../core/types.js';

/**
 * One sample of the scope's power; null = not known then (left out, never read as 0). `span_ms`: how long
 * it stands for in a mean (a minute rollup's average 60 s, a tick's sample the time since the previous one),
 * so minute averages read back from the store and per-tick samples weigh by time; absent = 1 (plain mean).
 */
export interface PowerSample {
  ts: number;
  power_w: number | null;
  span_ms?: number;
}

/**
 * Prices the money figures are computed from; null = unknown, and the figure it feeds is then null.
 * `ths_per_kw`: the scope's hashrate per kW of its miners' power (1000 ÷ J/TH), so a kW shed is TH/s not mined.
 */
export interface CurtailmentPrices {
  energy_usd_per_mwh: number | null;
  hashprice_usd_per_th_day: number | null;
  ths_per_kw: number | null;
}

export interface CurtailmentFigureInput {
  /** the scope's power, in ascending ts; samples outside the baseline window and the event are ignored */
  series: readonly PowerSample[];
  start: number;
  end: number;
  now: number;
  target: CurtailmentTarget;
  /** the baseline is the mean over [start − baseline_ms, start) */
  baseline_ms: number;
  /** "current" power is the mean over (t − current_ms, t], t = min(now, end): one sample is too noisy */
  current_ms: number;
  prices: CurtailmentPrices;
}

/** "Responded" = the reduction reached 95 % of the target (issue 16). */
export const RESPONSE_SHARE = 0.95;

const MS_PER_HOUR = 3_600_000;

export function phaseAt(start: number, end: number, now: number): CurtailmentPhase {
  return now < start ? 'scheduled' : now < end ? 'active' : 'ended';
}

/** Mean of the known samples with from < ts ≤ to (or from ≤ ts < to when `halfOpenEnd`), weighted by span_ms. */
function meanW(series: readonly PowerSample[], from: number, to: number, halfOpenEnd: boolean): number | null {
  let sum = 0;
  let n = 0;
  for (const s of series) {
    if (s.power_w === null) continue;
    const inside = halfOpenEnd ? s.ts >= from && s.ts < to : s.ts > from && s.ts <= to;
    if (!inside) continue;
    const w = s.span_ms ?? 1;
    sum += s.power_w * w;
    n += w;
  }
  return n === 0 ? null : sum / n;
}

export function targetW(target: CurtailmentTarget, baseline_w: number | null): number | null {
  if ('reduction_kw' in target) return target.reduction_kw * 1000;
  return baseline_w === null ? null : baseline_w - target.ceiling_kw * 1000;
}

export function curtailmentFigures(input: CurtailmentFigureInput): CurtailmentFigures {
  const { series, start, end, now, prices } = input;
  const phase = phaseAt(start, end, now);
  const baseline_w = meanW(series, start - input.baseline_ms, start, true);
  const target_w = targetW(input.target, baseline_w);
  const out: CurtailmentFigures = {
    phase, baseline_w, current_w: null, target_w, achieved_w: null, ratio: null, response_s: null,
    curtailed_mwh: null, mining_revenue_cost_usd: null, avoided_energy_usd: null,
  };
  if (phase === 'scheduled') return out;
  const until = Math.min(now, end);
  out.current_w = meanW(series, until - input.current_ms, until, false);
  if (baseline_w === null) return out;
  if (out.current_w !== null) out.achieved_w = baseline_w - out.current_w;
  if (out.achieved_w !== null && target_w !== null && target_w > 0) out.ratio = out.achieved_w / target_w;

  // Response time and the energy integral walk the event's samples once.
  let wms = 0; // W·ms of reduction
  let prev: { ts: number; r: number } | null = null;
  for (const s of series) {
    if (s.power_w === null || s.ts < start || s.ts > until) continue;
    const r = baseline_w - s.power_w;
    if (out.response_s === null && target_w !== null && target_w > 0 && r >= RESPONSE_SHARE * target_w) {
      out.response_s = (s.ts - start) / 1000;
    }
    if (prev !== null) wms += ((prev.r + r) / 2) * (s.ts - prev.ts);
    prev = { ts: s.ts, r };
  }
  const mwh = wms / MS_PER_HOUR / 1e6;
  out.curtailed_mwh = mwh;
  if (prices.energy_usd_per_mwh !== null) out.avoided_energy_usd = mwh * prices.energy_usd_per_mwh;
  if (prices.hashprice_usd_per_th_day !== null && prices.ths_per_kw !== null) {
    // kWh ÷ 24 h/day = kW·days; × TH/s per kW = TH·days not mined; × $/TH/day = the revenue it cost.
    out.mining_revenue_cost_usd = ((mwh * 1000) / 24) * prices.ths_per_kw * prices.hashprice_usd_per_th_day;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------
// Scopes: 'site', 'hall:ID', 'rack:ID' (the history API's spelling).

export type CurtailmentScope = { kind: 'site' } | { kind: 'hall'; id: string } | { kind: 'rack'; id: string };

/** The scope a string names in this site, or null (unknown hall or rack, another kind, bad spelling). */
export function parseCurtailmentScope(model: SiteModel, s: string): CurtailmentScope | null {
  if (s === 'site') return { kind: 'site' };
  const i = s.indexOf(':');
  const kind = s.slice(0, i);
  const id = s.slice(i + 1);
  if (kind === 'hall' && model.halls.some((h) => h.id === id)) return { kind: 'hall', id };
  if (kind === 'rack' && model.racks.has(id)) return { kind: 'rack', id };
  return null;
}

/** The scope's IT power now: the rack's power, or the hall's or site's sum of racks; null when unknown. */
export function scopePowerW(f: Figures, scope: CurtailmentScope): number | null {
  if (scope.kind === 'site') return f.site.it_power_w;
  if (scope.kind === 'hall') return f.halls.find((h) => h.id === scope.id)?.it_power_w ?? null;
  return f.racks.find((r) => r.id === scope.id)?.power_w ?? null;
}

/**
 * TH/s per kW of the scope's miners now: 1000 ÷ J/TH for a hall or the site (J/TH counts hashing miners
 * only); a rack's hashrate ÷ its power (its PDU also carries fans and switches: a little low). Null = unknown.
 */
export function scopeThsPerKw(f: Figures, scope: CurtailmentScope): number | null {
  if (scope.kind === 'rack') {
    const r = f.racks.find((x) => x.id === scope.id);
    return r && r.hashrate_ths !== null && r.power_w !== null && r.power_w > 0 ? r.hashrate_ths / (r.power_w / 1000) : null;
  }
  const a = scope.kind === 'site' ? f.site : f.halls.find((h) => h.id === scope.id);
  return a && a.j_per_th !== null && a.j_per_th > 0 ? 1000 / a.j_per_th : null;
}

/**
 * The ids an active event over these scopes curtails: every miner in them, and every rack in them that
 * holds miners and no GPUs (a mixed rack's GPUs are still judged). GPUs are firm load, never curtailed here.
 */
export function curtailedIds(model: SiteModel, scopes: Iterable<CurtailmentScope>): Set<string> {
  const out = new Set<string>();
  const addRack = (rackId: string): void => {
    const r = model.racks.get(rackId);
    if (!r) return;
    let gpus = false;
    let asics = false;
    for (const d of r.devices) {
      if (d.kind === 'asic') {
        asics = true;
        out.add(d.id);
      } else if (d.kind === 'gpu') gpus = true;
    }
    if (asics && !gpus) out.add(r.id);
  };
  for (const s of scopes) {
    if (s.kind === 'rack') addRack(s.id);
    else for (const h of model.halls) if (s.kind === 'site' || h.id === s.id) for (const r of h.racks) addRack(r.id);
  }
  return out;
}

/**
 * The starts of a recurring window's occurrences that overlap [from, to): at_ms + k × every_ms counted
 * from 1970-01-01 00:00 UTC (so `every: 24h, at: 17h` is 17:00 UTC each day, `every: 30m` each :00 and :30).
 */
export function occurrenceStarts(w: { every_ms: number; at_ms: number; duration_ms: number }, from: number, to: number): number[] {
  const out: number[] = [];
  const first = Math.ceil((from - w.duration_ms - w.at_ms + 1) / w.every_ms);
  for (let k = first; ; k++) {
    const s = w.at_ms + k * w.every_ms;
    if (s >= to) break;
    if (s + w.duration_ms > from) out.push(s);
  }
  return out;
}
