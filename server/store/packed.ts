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

const COL_INDEX = COLS.map((cols) => new Map<string, number>(cols.map((c, i) => [c, i])));

/** The most doubles one row takes packed (its kind with the most metrics). */
export const MAX_PACKED_ROW = HEAD + Math.max(...COLS.map((c) => c.length));

/**
 * Packs rows [from, to) of `rows` into `out` at offset `o`; returns the offset after them. Goes over
 * the metrics a reading has (for…in) rather than looking up every column of its kind: most readings
 * carry a few of 13, and a lookup of an absent key is the slow one (50,000 readings: 25-60 ms by
 * column on the loaded 2-core box).
 */
export function packInto(out: Float64Array, o: number, rows: readonly StoredReading[], from: number, to: number): number {
  for (let j = from; j < to; j++) {
    const r = rows[j];
    const k = KIND_INDEX.get(r.kind) as number;
    const n = COLS[k].length;
    const index = COL_INDEX[k];
    const m = r.reading.metrics as Record<string, number | null | undefined>;
    out[o] = k;
    out[o + 1] = r.reading.ts;
    out[o + 2] = r.key;
    out[o + 3] = powerSourceCode(r.reading.power_source) ?? -1;
    o += HEAD;
    out.fill(NaN, o, o + n);
    for (const name in m) {
      const i = index.get(name);
      const v = m[name];
      if (i !== undefined && v !== null && v !== undefined) out[o + i] = v;
    }
    o += n;
  }
  return o;
}

/**
 * Calls `row` once per packed row with reused arguments (the values array is overwritten by the next
 * row: the insert copies it into SQLite at once).
 */
export function unpackRows(buf: Float64Array, length: number, row: (kind: DeviceKind, ts: number, key: number, source: number | null, values: (number | null)[]) => void): number {
  const scratch = COLS.map((c) => new Array<number | null>(c.length).fill(null));
  let n = 0;
  for (let o = 0; o < length; n++) {
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
