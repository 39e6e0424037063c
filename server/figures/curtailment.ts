// A curtailment event's figures (issue 16): how much load a scope (the site, a hall or a rack) shed against
// what was asked of it, from a series of that scope's power. Pure: no I/O, no clock (`now` comes in).
//
// The method is the "Meter Before / Meter After" performance evaluation of the NAESB WEQ-015 business
// practice standards (Measurement and Verification of Wholesale Electricity Demand Response): the baseline
// is the scope's mean power over a window just before the event (15 min by default, issue 16), the reduction
// at any moment is baseline − power, and the energy curtailed is the integral of that reduction over the
// event (trapezoidal rule between samples).

/** One sample of the scope's power; null = not known then (left out, never read as 0). */
export interface PowerSample {
  ts: number;
  power_w: number | null;
}

/** What was asked: shed this much, or stay at or below this much. */
export type CurtailmentTarget = { reduction_kw: number } | { ceiling_kw: number };

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

export type CurtailmentPhase = 'scheduled' | 'active' | 'ended';

export interface CurtailmentFigures {
  phase: CurtailmentPhase;
  /** mean scope power over the baseline window; null without a sample there */
  baseline_w: number | null;
  /** mean scope power over the last current_ms of the event so far */
  current_w: number | null;
  /** the reduction asked: target_reduction_kw, or baseline − target_ceiling_kw */
  target_w: number | null;
  /** baseline − current */
  achieved_w: number | null;
  /** achieved ÷ target; null while either is unknown or when nothing is asked (target ≤ 0) */
  ratio: number | null;
  /** seconds from start to the first sample whose reduction reached RESPONSE_SHARE of the target */
  response_s: number | null;
  /** ∫ (baseline − power) dt over the event so far, trapezoidal between known samples */
  curtailed_mwh: number | null;
  /** the mining revenue the curtailed energy would have earned: kWh ÷ 24 × TH/s per kW × $/TH/day */
  mining_revenue_cost_usd: number | null;
  /** what the energy not drawn was worth: MWh × $/MWh */
  avoided_energy_usd: number | null;
}

/** "Responded" = the reduction reached 95 % of the target (issue 16). */
export const RESPONSE_SHARE = 0.95;

const MS_PER_HOUR = 3_600_000;

export function phaseAt(start: number, end: number, now: number): CurtailmentPhase {
  return now < start ? 'scheduled' : now < end ? 'active' : 'ended';
}

/** Arithmetic mean of the known samples with from < ts ≤ to (or from ≤ ts < to when `halfOpenEnd`). */
function meanW(series: readonly PowerSample[], from: number, to: number, halfOpenEnd: boolean): number | null {
  let sum = 0;
  let n = 0;
  for (const s of series) {
    if (s.power_w === null) continue;
    const inside = halfOpenEnd ? s.ts >= from && s.ts < to : s.ts > from && s.ts <= to;
    if (!inside) continue;
    sum += s.power_w;
    n++;
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
