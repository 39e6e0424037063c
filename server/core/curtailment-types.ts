// Curtailment events (issue 16): the config's windows, an event's figures and its view on the wire. Plain
// data, re-exported by types.ts (the one vocabulary module); the figures are server/figures/curtailment.ts,
// the events server/live/curtailments.ts.

/** What an event asks of its scope: shed this much, or stay at or below this much. */
export type CurtailmentTarget = { reduction_kw: number } | { ceiling_kw: number };

/** A recurring window from config `curtailment.recurring[]`: occurrences at 00:00 UTC + at + k × every. */
export interface CurtailmentWindow {
  name: string;
  /** 'site', 'hall:ID' or 'rack:ID' */
  scope: string;
  target: CurtailmentTarget;
  every_ms: number;
  at_ms: number;
  duration_ms: number;
  program: string | null;
}

/** Config `curtailment:`; absent = the defaults and no recurring windows. */
export interface CurtailmentSettings {
  /** the baseline is the scope's mean power over this long before the start */
  baseline_ms: number;
  /** CurtailmentShortfall judges an event only this long after its start */
  ramp_allowance_ms: number;
  /** how long below 90 % of the target before CurtailmentShortfall fires */
  shortfall_for_ms: number;
  recurring: CurtailmentWindow[];
}

export type CurtailmentPhase = 'scheduled' | 'active' | 'ended';

/** One event's figures; null = not known (no baseline sample, no price), never 0. */
export interface CurtailmentFigures {
  phase: CurtailmentPhase;
  /** mean scope power over the baseline window */
  baseline_w: number | null;
  /** mean scope power over the last minute of the event so far */
  current_w: number | null;
  /** the reduction asked: target_reduction_kw, or baseline − target_ceiling_kw */
  target_w: number | null;
  /** baseline − current */
  achieved_w: number | null;
  /** achieved ÷ target; null while either is unknown or when nothing is asked (target ≤ 0) */
  ratio: number | null;
  /** seconds from the start to the first sample whose reduction reached 95 % of the target */
  response_s: number | null;
  /** ∫ (baseline − power) dt over the event so far */
  curtailed_mwh: number | null;
  /** mining revenue the curtailed energy would have earned */
  mining_revenue_cost_usd: number | null;
  /** what the energy not drawn was worth */
  avoided_energy_usd: number | null;
}

/** An event as the API, the socket and the wall see it. */
export interface CurtailmentView {
  /** a posted event's id ('c-…'), or 'recurring:<name>:<start>' for a config window's occurrence */
  id: string;
  scope: string;
  target_reduction_kw: number | null;
  target_ceiling_kw: number | null;
  start: number;
  end: number;
  program: string | null;
  note: string | null;
  source: 'api' | 'recurring';
  created_by: string | null;
  cancelled_at: number | null;
  figures: CurtailmentFigures;
  /** CurtailmentShortfall judges it now: active, past the ramp allowance, with a target to meet */
  judged: boolean;
}
