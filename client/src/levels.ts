// How a rack (or a tile) reads on the wall: ok / warn / crit / unknown, per colour metric. The level
// decides colour AND symbol so trouble is visible without colour vision (docs/ARCHITECTURE.md §1: 3–5 m away).

import type { AshraeState, RackFigures } from '../../server/core/types.js';
import {
  ASHRAE_A1_ALLOWABLE_MAX_C, ASHRAE_A1_ALLOWABLE_MIN_C, ASHRAE_RECOMMENDED_MAX_C, ASHRAE_RECOMMENDED_MIN_C,
  RACK_CONTINUOUS_LOAD_FRACTION, WALL_GPU_CRIT_PCT, WALL_GPU_WARN_PCT, WALL_HASHRATE_CRIT_RATIO, WALL_HASHRATE_WARN_RATIO,
  WALL_POWER_CRIT_RATIO, ashraeState,
} from '../../server/figures/bands.js';
import { formatHashrate, formatPower, formatPct, formatRatio, formatTemp } from './format.js';

export type Level = 'ok' | 'warn' | 'crit' | 'unknown';
export const COLOR_METRICS = ['inlet', 'power', 'hashrate', 'gpu'] as const;
export type ColorMetric = (typeof COLOR_METRICS)[number];

export function isColorMetric(s: string | null | undefined): s is ColorMetric {
  return s != null && (COLOR_METRICS as readonly string[]).includes(s);
}

// The cut-offs are the shared bands (server/figures/bands.ts), which say where and why the wall's colours
// differ from the alert thresholds.

/** A share of 1 as the whole percent the legends print (0.8 → 80). */
const pct = (ratio: number): number => Math.round(ratio * 100);

export function inletLevel(ashrae: AshraeState | null, inlet_temp_c: number | null): Level {
  const state = ashrae ?? ashraeState(inlet_temp_c);
  switch (state) {
    case 'recommended': return 'ok';
    case 'allowable': return 'warn';
    // Too cold is a condensation risk but not an outage in minutes; too hot is.
    case 'below': return 'warn';
    case 'above': return 'crit';
    default: return 'unknown';
  }
}

/** Power against rated: the budget is 80 % of rated kW (docs/ARCHITECTURE.md §4 headroom). */
export function powerLevel(load_ratio: number | null): Level {
  if (load_ratio == null) return 'unknown';
  if (load_ratio >= WALL_POWER_CRIT_RATIO) return 'crit';
  if (load_ratio > RACK_CONTINUOUS_LOAD_FRACTION) return 'warn';
  return 'ok';
}

export function hashrateLevel(hashrate_ratio: number | null): Level {
  if (hashrate_ratio == null) return 'unknown';
  if (hashrate_ratio < WALL_HASHRATE_CRIT_RATIO) return 'crit';
  if (hashrate_ratio < WALL_HASHRATE_WARN_RATIO) return 'warn';
  return 'ok';
}

/** Idle GPUs are money burning rather than hardware at risk: low utilisation warns, near-zero is critical. */
export function gpuLevel(gpu_util_pct: number | null): Level {
  if (gpu_util_pct == null) return 'unknown';
  if (gpu_util_pct < WALL_GPU_CRIT_PCT) return 'crit';
  if (gpu_util_pct < WALL_GPU_WARN_PCT) return 'warn';
  return 'ok';
}

export function rackLevel(metric: ColorMetric, r: RackFigures): Level {
  switch (metric) {
    case 'inlet': return inletLevel(r.ashrae, r.inlet_temp_c);
    case 'power': return powerLevel(r.load_ratio);
    case 'hashrate': return hashrateLevel(r.hashrate_ratio);
    case 'gpu': return gpuLevel(r.gpu_util_pct);
  }
}

/** The short value printed inside a rack on the map. */
export function rackValueText(metric: ColorMetric, r: RackFigures): string {
  switch (metric) {
    case 'inlet': return formatTemp(r.inlet_temp_c);
    case 'power': return r.load_ratio == null ? formatPower(r.power_w) : formatRatio(r.load_ratio);
    case 'hashrate': return r.hashrate_ratio == null ? formatHashrate(r.hashrate_ths) : formatRatio(r.hashrate_ratio);
    case 'gpu': return formatPct(r.gpu_util_pct);
  }
}

export const LEVEL_SYMBOL: Record<Level, string> = { ok: '', warn: '▲', crit: '✖', unknown: '?' };

export interface LegendEntry { level: Level; label: string }

export const METRIC_TITLE: Record<ColorMetric, string> = {
  inlet: 'Inlet temperature',
  power: 'Power vs rated kW',
  hashrate: 'Hashrate vs nominal',
  gpu: 'GPU utilisation',
};

export function legendFor(metric: ColorMetric): LegendEntry[] {
  switch (metric) {
    case 'inlet': return [
      { level: 'ok', label: `${ASHRAE_RECOMMENDED_MIN_C}–${ASHRAE_RECOMMENDED_MAX_C} °C recommended` },
      { level: 'warn', label: `${ASHRAE_A1_ALLOWABLE_MIN_C}–${ASHRAE_RECOMMENDED_MIN_C} / ${ASHRAE_RECOMMENDED_MAX_C}–${ASHRAE_A1_ALLOWABLE_MAX_C} °C allowable` },
      { level: 'crit', label: `> ${ASHRAE_A1_ALLOWABLE_MAX_C} °C or < ${ASHRAE_A1_ALLOWABLE_MIN_C} °C` },
      { level: 'unknown', label: 'no reading' },
    ];
    case 'power': return [
      { level: 'ok', label: `≤ ${pct(RACK_CONTINUOUS_LOAD_FRACTION)} % of rated` },
      { level: 'warn', label: `${pct(RACK_CONTINUOUS_LOAD_FRACTION)}–${pct(WALL_POWER_CRIT_RATIO)} % of rated` },
      { level: 'crit', label: `≥ ${pct(WALL_POWER_CRIT_RATIO)} % of rated` },
      { level: 'unknown', label: 'no reading' },
    ];
    case 'hashrate': return [
      { level: 'ok', label: `≥ ${pct(WALL_HASHRATE_WARN_RATIO)} % of nominal` },
      { level: 'warn', label: `${pct(WALL_HASHRATE_CRIT_RATIO)}–${pct(WALL_HASHRATE_WARN_RATIO)} % of nominal` },
      { level: 'crit', label: `< ${pct(WALL_HASHRATE_CRIT_RATIO)} % of nominal` },
      { level: 'unknown', label: 'no miners / no reading' },
    ];
    case 'gpu': return [
      { level: 'ok', label: `≥ ${WALL_GPU_WARN_PCT} % busy` },
      { level: 'warn', label: `${WALL_GPU_CRIT_PCT}–${WALL_GPU_WARN_PCT} % busy` },
      { level: 'crit', label: `< ${WALL_GPU_CRIT_PCT} % (idle)` },
      { level: 'unknown', label: 'no GPUs / no reading' },
    ];
  }
}

/**
 * The rack's worst member, beside its mean: a rack at 99 % of nominal with one miner down, or at 65 % GPU
 * utilisation with one 8-GPU node idle, reads 'ok' on the mean alone. From the rack's own figures (a down
 * device; a member near its temperature limit; a degraded one: not hashing, throttling, chains down; idle
 * GPUs in a rack that has busy ones): null when every member is well.
 */
export interface MemberState { level: Level; text: string }

export function worstMember(r: RackFigures): MemberState | null {
  if (r.health.down > 0) return { level: 'crit', text: `${r.health.down} down` };
  // A member at or past its limit is about to shut itself down (crit); within TEMP_NEAR_LIMIT_C of it, hot
  // (warn, ChipTempNearLimit's margin). Named by its temperature: the map's cell already names the rack.
  const hot = r.hottest;
  if (hot !== null && r.hot_members > 0) {
    const text = `${r.hot_members > 1 ? `${r.hot_members} ` : ''}hot ${formatTemp(hot.temp_c, 0)}`;
    return { level: hot.temp_c >= hot.limit_c ? 'crit' : 'warn', text };
  }
  if (r.health.degraded > 0) return { level: 'warn', text: `${r.health.degraded} degraded` };
  if (r.gpus_idle > 0 && r.gpus_busy > 0) return { level: 'warn', text: `${r.gpus_idle} GPU${r.gpus_idle === 1 ? '' : 's'} idle` };
  return null;
}

const LEVEL_RANK: Record<Level, number> = { crit: 0, warn: 1, unknown: 2, ok: 3 };

export function worseLevel(a: Level, b: Level): Level {
  return LEVEL_RANK[a] <= LEVEL_RANK[b] ? a : b;
}

export function levelRank(l: Level): number {
  return LEVEL_RANK[l];
}
