// How a rack (or a tile) reads on the wall: ok / warn / crit / unknown, per colour metric. The level
// decides colour AND symbol so trouble is visible without colour vision (DESIGN.md §1: 3–5 m away).

import type { AshraeState, RackFigures } from '../../server/core/types.js';
import { formatHashrate, formatPower, formatPct, formatRatio, formatTemp } from './format.js';

export type Level = 'ok' | 'warn' | 'crit' | 'unknown';
export const COLOR_METRICS = ['inlet', 'power', 'hashrate', 'gpu'] as const;
export type ColorMetric = (typeof COLOR_METRICS)[number];

export function isColorMetric(s: string | null | undefined): s is ColorMetric {
  return s != null && (COLOR_METRICS as readonly string[]).includes(s);
}

/** ASHRAE TC 9.9: 18–27 °C recommended; class A1 allowable 15–32 °C. */
export const ASHRAE_RECOMMENDED_C = [18, 27] as const;
export const ASHRAE_ALLOWABLE_C = [15, 32] as const;

export function ashraeOf(inlet_temp_c: number | null): AshraeState | null {
  if (inlet_temp_c == null) return null;
  if (inlet_temp_c >= ASHRAE_RECOMMENDED_C[0] && inlet_temp_c <= ASHRAE_RECOMMENDED_C[1]) return 'recommended';
  if (inlet_temp_c >= ASHRAE_ALLOWABLE_C[0] && inlet_temp_c <= ASHRAE_ALLOWABLE_C[1]) return 'allowable';
  return inlet_temp_c < ASHRAE_ALLOWABLE_C[0] ? 'below' : 'above';
}

export function inletLevel(ashrae: AshraeState | null, inlet_temp_c: number | null): Level {
  const state = ashrae ?? ashraeOf(inlet_temp_c);
  switch (state) {
    case 'recommended': return 'ok';
    case 'allowable': return 'warn';
    // Too cold is a condensation risk but not an outage in minutes; too hot is.
    case 'below': return 'warn';
    case 'above': return 'crit';
    default: return 'unknown';
  }
}

/** Power against rated: the budget is 80 % of rated kW (DESIGN.md §4 headroom). */
export function powerLevel(load_ratio: number | null): Level {
  if (load_ratio == null) return 'unknown';
  if (load_ratio >= 1) return 'crit';
  if (load_ratio > 0.8) return 'warn';
  return 'ok';
}

export function hashrateLevel(hashrate_ratio: number | null): Level {
  if (hashrate_ratio == null) return 'unknown';
  if (hashrate_ratio < 0.7) return 'crit';
  if (hashrate_ratio < 0.9) return 'warn';
  return 'ok';
}

/** Idle GPUs are money burning rather than hardware at risk: low utilisation warns, near-zero is critical. */
export function gpuLevel(gpu_util_pct: number | null): Level {
  if (gpu_util_pct == null) return 'unknown';
  if (gpu_util_pct < 10) return 'crit';
  if (gpu_util_pct < 50) return 'warn';
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
      { level: 'ok', label: '18–27 °C recommended' },
      { level: 'warn', label: '15–18 / 27–32 °C allowable' },
      { level: 'crit', label: '> 32 °C or < 15 °C' },
      { level: 'unknown', label: 'no reading' },
    ];
    case 'power': return [
      { level: 'ok', label: '≤ 80 % of rated' },
      { level: 'warn', label: '80–100 % of rated' },
      { level: 'crit', label: '≥ 100 % of rated' },
      { level: 'unknown', label: 'no reading' },
    ];
    case 'hashrate': return [
      { level: 'ok', label: '≥ 90 % of nominal' },
      { level: 'warn', label: '70–90 % of nominal' },
      { level: 'crit', label: '< 70 % of nominal' },
      { level: 'unknown', label: 'no miners / no reading' },
    ];
    case 'gpu': return [
      { level: 'ok', label: '≥ 50 % busy' },
      { level: 'warn', label: '10–50 % busy' },
      { level: 'crit', label: '< 10 % (idle)' },
      { level: 'unknown', label: 'no GPUs / no reading' },
    ];
  }
}
