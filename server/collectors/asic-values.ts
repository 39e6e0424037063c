// Small value helpers shared by the ASIC firmware readers (cgminer-parse.ts and asic-*.ts). Pure.

import type { MetricOf } from '../core/types.js';
import type { JsonObject } from './types.js';

export type AsicMetrics = Record<MetricOf<'asic'>, number | null>;

/** A record with every asic metric null: each reader fills what its firmware says. */
export function emptyAsic(): AsicMetrics {
  return {
    hashrate_ths: null, power_w: null, chip_temp_c: null, board_temp_c: null, inlet_temp_c: null,
    outlet_temp_c: null, fan_rpm: null, accepted_shares: null, rejected_shares: null, hw_errors: null,
    chains_ok: null, chains_total: null, uptime_s: null, fan_min_rpm: null, nameplate_ths: null,
    pool_rejected_pct: null, pool_stale_pct: null, last_share_age_s: null,
  };
}

/** A number from a firmware value: numbers, numeric strings ("140258.58", "13,500.00"); else null. */
export function num(v: unknown): number | null {
  if (typeof v === 'number') return Number.isFinite(v) ? v : null;
  if (typeof v === 'string') {
    const t = v.trim().replace(/,/gu, '');
    if (t === '' || !/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/u.test(t)) return null;
    const n = Number(t);
    return Number.isFinite(n) ? n : null;
  }
  return null;
}

/** Positive number or null: firmware writes 0 for absent sensors, fans and empty chain slots. */
export function pos(v: unknown): number | null {
  const n = num(v);
  return n !== null && n > 0 ? n : null;
}

export function known(xs: (number | null)[]): number[] {
  return xs.filter((x): x is number => x !== null);
}
export function maxOf(xs: (number | null)[]): number | null {
  const v = known(xs);
  return v.length ? Math.max(...v) : null;
}
export function minOf(xs: (number | null)[]): number | null {
  const v = known(xs);
  return v.length ? Math.min(...v) : null;
}
export function meanOf(xs: (number | null)[]): number | null {
  const v = known(xs);
  return v.length ? v.reduce((a, b) => a + b, 0) / v.length : null;
}
export function sumOf(xs: (number | null)[]): number | null {
  const v = known(xs);
  return v.length ? v.reduce((a, b) => a + b, 0) : null;
}

export function round(n: number | null, digits = 6): number | null {
  if (n === null) return null;
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}

export function isObject(v: unknown): v is JsonObject {
  return !!v && typeof v === 'object' && !Array.isArray(v);
}

/** The object entries of an array-valued key (cgminer's STATS, SUMMARY, DEVS …). */
export function entries(reply: JsonObject | undefined, key: string): JsonObject[] {
  const v = reply?.[key];
  if (!Array.isArray(v)) return [];
  return v.filter(isObject);
}

/** Hashrate in TH/s from a value and its unit ("GH", "GH/s", "MH/s", "ths"). */
export function toThs(value: number | null, unit: string): number | null {
  if (value === null) return null;
  const u = unit.trim().toUpperCase().replace(/\/S$/u, '').replace(/S$/u, '');
  const factor: Record<string, number> = { H: 1e-12, KH: 1e-9, MH: 1e-6, GH: 1e-3, TH: 1, PH: 1e3 };
  const f = factor[u];
  return f === undefined ? null : value * f;
}

/** Fan readings → mean and slowest, over the fitted fans only. */
export function fanFigures(fans: (number | null)[], m: AsicMetrics): void {
  m.fan_rpm = meanOf(fans);
  m.fan_min_rpm = minOf(fans);
}
