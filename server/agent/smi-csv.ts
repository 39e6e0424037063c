// nvidia-smi --query-gpu CSV → gpu metrics. Works on `--format=csv` (header with `[unit]` suffixes, values
// with units), `csv,nounits`, and `csv,noheader,nounits` when the caller supplies the field list.
// Bracketed tokens ([N/A], [Not Supported], [Unknown Error], [Insufficient Permissions], …) become null.

import type { MetricOf } from '../core/types.js';

export type CsvRow = Record<string, string | null>;

/** The query the push agent runs: what the gpu vocabulary needs and nothing more. */
export const AGENT_QUERY_FIELDS = [
  'index', 'uuid', 'name', 'utilization.gpu', 'utilization.memory', 'memory.used', 'memory.total',
  'power.draw', 'power.limit', 'temperature.gpu', 'temperature.memory', 'clocks.sm',
  'clocks_event_reasons.sw_thermal_slowdown', 'clocks_event_reasons.hw_thermal_slowdown',
  'clocks_event_reasons.sw_power_cap', 'clocks_event_reasons.hw_power_brake_slowdown',
  'ecc.errors.uncorrected.volatile.total',
] as const;

function cell(v: string): string | null {
  const t = v.trim();
  if (t === '' || /^\[.*\]$/u.test(t) || t === 'N/A') return null;
  return t;
}

/** Header field without its unit suffix: "memory.used [MiB]" → "memory.used". */
function fieldName(h: string): string {
  return h.trim().replace(/\s*\[[^\]]*\]$/u, '');
}

export function parseNvidiaSmiCsv(text: string, fields?: readonly string[]): CsvRow[] {
  const lines = text.split(/\r?\n/u).filter((l) => l.trim() !== '');
  if (!lines.length) return [];
  let names: string[];
  let body = lines;
  if (fields) names = [...fields];
  else {
    names = lines[0].split(',').map(fieldName);
    body = lines.slice(1);
  }
  return body.map((line) => {
    const parts = line.split(', ');
    const row: CsvRow = {};
    names.forEach((n, i) => {
      row[n] = parts[i] === undefined ? null : cell(parts[i]);
    });
    return row;
  });
}

/** "85.31 W", "81559 MiB", "26 %", "1980 MHz", "42" → number; anything else → null. */
export function smiNumber(v: string | null | undefined): number | null {
  if (v === null || v === undefined) return null;
  const m = /^([-+]?\d+(?:\.\d+)?)(?:\s*[A-Za-z%]+)?$/u.exec(v.trim());
  return m ? Number(m[1]) : null;
}

function active(...vs: (string | null | undefined)[]): number | null {
  const known = vs.filter((v): v is string => v !== null && v !== undefined);
  if (!known.length) return null;
  return known.some((v) => v === 'Active') ? 1 : 0;
}

function pick(row: CsvRow, ...keys: string[]): string | null {
  for (const k of keys) if (row[k] !== undefined && row[k] !== null) return row[k];
  return null;
}

export interface SmiGpu {
  index: number | null;
  uuid: string | null;
  name: string | null;
  metrics: Partial<Record<MetricOf<'gpu'>, number | null>>;
}

export function smiRowToGpu(row: CsvRow): SmiGpu {
  const reason = (k: string): string | null => pick(row, `clocks_event_reasons.${k}`, `clocks_throttle_reasons.${k}`);
  return {
    index: smiNumber(row.index),
    uuid: row.uuid ?? null,
    name: row.name ?? null,
    metrics: {
      util_pct: smiNumber(row['utilization.gpu']),
      mem_util_pct: smiNumber(row['utilization.memory']),
      mem_used_mib: smiNumber(row['memory.used']),
      mem_total_mib: smiNumber(row['memory.total']),
      power_w: smiNumber(pick(row, 'power.draw', 'power.draw.instant', 'power.draw.average')),
      power_limit_w: smiNumber(pick(row, 'enforced.power.limit', 'power.limit')),
      temp_c: smiNumber(row['temperature.gpu']),
      mem_temp_c: smiNumber(row['temperature.memory']),
      sm_clock_mhz: smiNumber(pick(row, 'clocks.current.sm', 'clocks.sm')),
      throttle_thermal: active(reason('sw_thermal_slowdown'), reason('hw_thermal_slowdown')),
      throttle_power: active(reason('sw_power_cap'), reason('hw_power_brake_slowdown')),
      ecc_dbe_total: smiNumber(row['ecc.errors.uncorrected.volatile.total']),
    },
  };
}
