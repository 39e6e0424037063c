// The rows of one group commit as one Float64Array, so that handing them to the writer thread is a
// transfer of one buffer (no structured clone of 50,000 objects, nothing copied). Per row:
//   kind index (DEVICE_KINDS), ts, device key, power source code (-1 = not said),
//   then the kind's metric columns in METRICS_BY_KIND order (NaN = NULL: validation only lets finite
//   numbers through, so NaN never is a value).

import { DEVICE_KINDS, METRICS_BY_KIND, type DeviceKind, type MetricName } from '../core/types.js';
import type { StoredReading } from './writer.js';
import { powerSourceCode } from './samples.js';

const HEAD = 4;
const KIND_INDEX = new Map<DeviceKind, number>(DEVICE_KINDS.map((k, i) => [k, i]));
const COLS = DEVICE_KINDS.map((k) => METRICS_BY_KIND[k] as readonly MetricName[]);

/** Packs the rows of several writes, in order, into one buffer. */
export function packRows(groups: readonly (readonly StoredReading[])[]): Float64Array {
  let len = 0;
  for (const rows of groups) for (const r of rows) len += HEAD + COLS[KIND_INDEX.get(r.kind) as number].length;
  const out = new Float64Array(len);
  let o = 0;
  for (const rows of groups) {
    for (const r of rows) {
      const k = KIND_INDEX.get(r.kind) as number;
      const cols = COLS[k];
      const m = r.reading.metrics;
      out[o] = k;
      out[o + 1] = r.reading.ts;
      out[o + 2] = r.key;
      out[o + 3] = powerSourceCode(r.reading.power_source) ?? -1;
      o += HEAD;
      for (let i = 0; i < cols.length; i++) out[o + i] = m[cols[i]] ?? NaN;
      o += cols.length;
    }
  }
  return out;
}

/**
 * Calls `row` once per packed row with reused arguments (the values array is overwritten by the next
 * row: the insert copies it into SQLite at once).
 */
export function unpackRows(buf: Float64Array, row: (kind: DeviceKind, ts: number, key: number, source: number | null, values: (number | null)[]) => void): number {
  const scratch = COLS.map((c) => new Array<number | null>(c.length).fill(null));
  let n = 0;
  for (let o = 0; o < buf.length; n++) {
    const k = buf[o];
    const cols = COLS[k];
    if (cols === undefined) throw new Error(`packed rows: bad kind index ${k} at ${o}`);
    const values = scratch[k];
    for (let i = 0; i < cols.length; i++) {
      const v = buf[o + HEAD + i];
      values[i] = Number.isNaN(v) ? null : v;
    }
    const src = buf[o + 3];
    row(DEVICE_KINDS[k], buf[o + 1], buf[o + 2], src < 0 ? null : src, values);
    o += HEAD + cols.length;
  }
  return n;
}
