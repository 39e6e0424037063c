// Validated readings as one Float64Array, the form an ingest thread (parse-thread.ts) hands back to the
// main thread: a transfer of one buffer instead of a structured clone of every reading's object, which
// costs the main thread about what JSON.parse of the body does (500 miner readings, 136 KB, on this 2-core
// box: deserialize 590 µs against JSON.parse 651 µs; rebuilding the objects from this buffer: 15-40 µs).
// Per row:
//   kind index (DEVICE_KINDS), ts, device key, power source code (-1 = not said),
//   a bit mask of the columns the reading named as null ("[N/A]": no value, but said so),
//   then the kind's metric columns in METRICS_BY_KIND order (NaN = no value: validation lets only finite
//   numbers through, so NaN never is one).
// A pool list (rare: miners' pushes only) rides beside the buffer, by row.

import { DEVICE_KINDS, METRICS_BY_KIND, type DeviceKind, type MetricName, type Reading } from '../core/types.js';
import type { PoolEntry } from '../core/pools.js';
import { powerSourceCode, powerSourceOf } from '../store/samples.js';

const HEAD = 5;
const KIND_INDEX = new Map<DeviceKind, number>(DEVICE_KINDS.map((k, i) => [k, i]));
const COLS = DEVICE_KINDS.map((k) => METRICS_BY_KIND[k] as readonly MetricName[]);
const COL_INDEX = COLS.map((cols) => new Map<string, number>(cols.map((c, i) => [c, i])));

// The null mask is a double's integer part: exact up to 2^53, and no kind has more than 31 metrics (bit ops).
for (const cols of COLS) if (cols.length > 31) throw new Error('validated.ts: a kind with more than 31 metrics needs a wider null mask');

/** The most doubles one row takes (its kind with the most metrics). */
export const MAX_VALIDATED_ROW = HEAD + Math.max(...COLS.map((c) => c.length));

export interface ValidatedRows {
  buf: Float64Array;
  /** doubles used in buf */
  length: number;
  rows: number;
  /** [row, pool list] of the rows that carried one */
  pools: [number, PoolEntry[]][];
}

/** A growing ValidatedRows being filled (one per body). */
export interface ValidatedWriter {
  add(kind: DeviceKind, key: number, reading: Reading): void;
  done(): ValidatedRows;
}

export function validatedWriter(capacityRows: number): ValidatedWriter {
  let buf = new Float64Array(Math.max(1, capacityRows) * MAX_VALIDATED_ROW);
  let o = 0;
  let rows = 0;
  const pools: [number, PoolEntry[]][] = [];
  return {
    add(kind, key, reading) {
      const k = KIND_INDEX.get(kind) as number;
      const n = COLS[k].length;
      if (o + HEAD + n > buf.length) {
        const bigger = new Float64Array(buf.length * 2);
        bigger.set(buf);
        buf = bigger;
      }
      const index = COL_INDEX[k];
      buf[o] = k;
      buf[o + 1] = reading.ts;
      buf[o + 2] = key;
      buf[o + 3] = powerSourceCode(reading.power_source) ?? -1;
      let nulls = 0;
      const at = o + HEAD;
      buf.fill(NaN, at, at + n);
      const m = reading.metrics as Record<string, number | null | undefined>;
      for (const name in m) {
        const i = index.get(name);
        if (i === undefined) continue;
        const v = m[name];
        if (v === null) nulls |= 1 << i;
        else if (v !== undefined) buf[at + i] = v;
      }
      buf[o + 4] = nulls;
      if (reading.pools !== undefined) pools.push([rows, reading.pools]);
      o = at + n;
      rows++;
    },
    done: () => ({ buf, length: o, rows, pools }),
  };
}

/**
 * The rows as readings again, each with its kind and key: what the pipeline commits and applies. The
 * metrics come back in column order, named null where the device said so, absent where it said nothing.
 */
export function readValidated(v: ValidatedRows, deviceOfKey: readonly (string | undefined)[], row: (kind: DeviceKind, key: number, reading: Reading) => void): void {
  const { buf, length, pools } = v;
  let p = 0;
  let r = 0;
  for (let o = 0; o < length; r++) {
    const k = buf[o];
    const cols = COLS[k];
    if (cols === undefined) throw new Error(`validated rows: bad kind index ${k} at ${o}`);
    const key = buf[o + 2];
    const device = deviceOfKey[key];
    if (device === undefined) throw new Error(`validated rows: unknown device key ${key}`);
    const nulls = buf[o + 4];
    const at = o + HEAD;
    const metrics: Reading['metrics'] = {};
    for (let i = 0; i < cols.length; i++) {
      const x = buf[at + i];
      if (x === x) metrics[cols[i]] = x;
      else if ((nulls & (1 << i)) !== 0) metrics[cols[i]] = null;
    }
    const reading: Reading = { device, ts: buf[o + 1], metrics };
    const src = buf[o + 3];
    const source = src >= 0 ? powerSourceOf(src) : undefined;
    if (source !== undefined) reading.power_source = source;
    if (p < pools.length && pools[p][0] === r) reading.pools = pools[p++][1];
    row(DEVICE_KINDS[k], key, reading);
    o = at + cols.length;
  }
}
