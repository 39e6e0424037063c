// `nvidia-smi dmon` → gpu metrics. dmon prints a names line (`# gpu pwr gtemp …`), a units line
// (`# Idx W C …`), then one whitespace-separated row per GPU per sample; long runs repeat the header.
// Columns are read by name, so any `-s` selection (and `-o DT`'s leading date/time columns) parses.
// `-` is dmon's "no value" (no HBM temperature sensor on GDDR cards) and becomes null.

import type { MetricOf } from '../core/types.js';
import type { SmiGpu } from './smi-csv.js';

export interface DmonSample {
  gpu: number;
  /** column name → number, null for `-` or anything not a number */
  values: Record<string, number | null>;
}

function num(v: string | undefined): number | null {
  if (v === undefined || v === '-') return null;
  const n = Number(v);
  return v !== '' && Number.isFinite(n) ? n : null;
}

/** Every row in the order printed. Rows before any header, or with a different column count, are skipped. */
export function parseDmonSamples(text: string): DmonSample[] {
  let names: string[] | null = null;
  const out: DmonSample[] = [];
  for (const line of text.split(/\r?\n/u)) {
    const t = line.trim();
    if (t === '') continue;
    if (t.startsWith('#')) {
      const tokens = t.replace(/^#+/u, '').trim().split(/\s+/u);
      // the units line (`# Idx W C %`) has no `gpu` column and must not replace the names
      if (tokens.includes('gpu')) names = tokens;
      continue;
    }
    if (!names) continue;
    const cells = t.split(/\s+/u);
    if (cells.length !== names.length) continue;
    const values: Record<string, number | null> = {};
    names.forEach((n, i) => {
      values[n] = num(cells[i]);
    });
    const gpu = values.gpu;
    if (gpu === null || gpu === undefined || !Number.isInteger(gpu)) continue;
    out.push({ gpu, values });
  }
  return out;
}

function col(values: Record<string, number | null>, name: string): number | null {
  return values[name] ?? null;
}

/** One sample's columns in the gpu vocabulary; what dmon does not report is null. */
export function dmonToMetrics(values: Record<string, number | null>): Partial<Record<MetricOf<'gpu'>, number | null>> {
  return {
    util_pct: col(values, 'sm'),
    mem_util_pct: col(values, 'mem'),
    // `-s m` adds fb (framebuffer used, in MB as nvidia-smi writes MiB); dmon never reports the total
    mem_used_mib: col(values, 'fb'),
    mem_total_mib: null,
    power_w: col(values, 'pwr'),
    power_limit_w: null,
    temp_c: col(values, 'gtemp'),
    mem_temp_c: col(values, 'mtemp'),
    // pclk is the graphics ("processor") clock, the domain the SM runs in: the H100 capture's dmon
    // pclk 1980 and its --query-gpu clocks.sm 1980 agree
    sm_clock_mhz: col(values, 'pclk'),
    throttle_thermal: null,
    throttle_power: null,
    ecc_dbe_total: null,
  };
}

/**
 * The latest sample of each GPU, in GPU order. dmon rows carry no time (unless `-o T`, and then only to
 * the second), so earlier samples would need invented timestamps; the last one is the nearest to the
 * moment the caller stamps it with.
 */
export function parseNvidiaSmiDmon(text: string): SmiGpu[] {
  const last = new Map<number, DmonSample>();
  for (const s of parseDmonSamples(text)) last.set(s.gpu, s);
  return [...last.values()]
    .sort((a, b) => a.gpu - b.gpu)
    .map((s) => ({ index: s.gpu, uuid: null, name: null, metrics: dmonToMetrics(s.values) }));
}
