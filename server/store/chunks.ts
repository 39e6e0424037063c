// The chunk layer of the raw store (issue 15): chunks_<kind> holds one row per device and compacted window,
// every column of that window's raw rows in one blob (chunk-codec.ts). What this file gives the rest:
// decoding a chunk back into rows, a device's chunks over a range (history), and the writer's guard, which
// puts a compacted window back into samples_<kind> before a late reading lands in it, so that the rollup
// triggers' duplicate and extreme logic sees every row of the window exactly as if it had never left.
//
// Columns in a blob: power_source, then the kind's metrics in table column order. A blob written before a
// later migration added a column has fewer columns; those decode as null. NaN in a column is NULL.

import type Database from 'better-sqlite3';
import type { Db } from './db.js';
import { DEVICE_KINDS, METRICS_BY_KIND, type DeviceKind } from '../core/types.js';
import { decodeChunk, type ChunkColumns } from './chunk-codec.js';
import { createMinuteWindows, type MinuteWindows } from './minute-windows.js';

/** The longest window a chunk may span: bounds every "chunks overlapping [from, to)" seek on the key. */
export const MAX_WINDOW_MS = 4 * 3_600_000;

/** power_source and the kind's metrics: the columns of a kind's blob, in order. */
export function chunkColumnNames(kind: DeviceKind): readonly string[] {
  return ['power_source', ...METRICS_BY_KIND[kind]];
}

/** A chunk's rows with exactly the kind's columns today (a shorter, older blob padded with nulls). */
export function decodeChunkRows(kind: DeviceKind, blob: Uint8Array): ChunkColumns {
  const w = decodeChunk(blob);
  const want = 1 + METRICS_BY_KIND[kind].length;
  if (w.columns.length > want) throw new Error(`chunks_${kind}: a blob with ${w.columns.length} columns, the table has ${want}: written by a newer Floorwatch`);
  while (w.columns.length < want) w.columns.push(new Float64Array(w.ts.length).fill(Number.NaN));
  return w;
}

export interface ChunkRow {
  window_start: number;
  window_end: number;
  n: number;
  blob: Uint8Array;
}

/** A device's chunks whose window overlaps [from, to), oldest first. */
export function deviceChunkReader(db: Db, kind: DeviceKind): (device: number, from: number, to: number) => ChunkRow[] {
  const q = db.prepare(`SELECT window_start, window_end, n, blob FROM chunks_${kind}
    WHERE device = ? AND window_start > ? AND window_start < ? AND window_end > ? ORDER BY window_start`);
  return (device, from, to) => q.all(device, from - MAX_WINDOW_MS, to, from) as ChunkRow[];
}

/** Total samples (rows) held in chunks per kind: for tests and the benchmark, beside countSamples. */
export function countChunkRows(db: Db, kind: DeviceKind): number {
  return (db.prepare(`SELECT coalesce(sum(n), 0) AS n FROM chunks_${kind}`).get() as { n: number }).n;
}

/** The window compaction is copying keys of, so that the guard mirrors new rows of it into the stage. */
export interface StagedWindow {
  kind: DeviceKind;
  start: number;
  end: number;
  add(device: number, ts: number): void;
}

/**
 * The writer's side: called (through prepareSampleInserts) before each raw insert whose timestamp is below
 * `below[kind]`, the end of the newest compacted window of the kind (or of the window being staged), so a
 * current reading costs one comparison. Everything runs inside the caller's transaction.
 */
export interface ChunkGuard {
  readonly below: Record<DeviceKind, number>;
  beforeInsert(kind: DeviceKind, device: number, ts: number): void;
  /** At the start of each commit: reloads `below` when another connection changed the file. */
  refresh(): void;
  /** Compaction on this connection wrote a chunk ending at `end`. */
  compacted(kind: DeviceKind, end: number): void;
  stage(w: StagedWindow | null): void;
  /** Chunks put back into samples_ since the guard was made. */
  inflated(): number;
}

export function createChunkGuard(db: Db): ChunkGuard {
  const below = {} as Record<DeviceKind, number>;
  const newest = {} as Record<DeviceKind, number>;
  const find = {} as Record<DeviceKind, Database.Statement>;
  const insert = {} as Record<DeviceKind, Database.Statement>;
  const drop = {} as Record<DeviceKind, Database.Statement>;
  const maxEnd = {} as Record<DeviceKind, () => number>;
  const minutes = {} as Record<DeviceKind, MinuteWindows | null>;
  for (const kind of DEVICE_KINDS) {
    minutes[kind] = createMinuteWindows(db, kind);
    const cols = chunkColumnNames(kind);
    find[kind] = db.prepare(`SELECT rowid, window_start, window_end, blob FROM chunks_${kind} WHERE device = ? AND window_start <= ? AND window_start > ? ORDER BY window_start DESC LIMIT 1`);
    // OR IGNORE: a raw row already there is newer than the chunk's (never the case while the guard is
    // the only way rows reach a compacted window, but the chunk must not overwrite what was acknowledged).
    insert[kind] = db.prepare(`INSERT OR IGNORE INTO samples_${kind} (ts, device, ${cols.join(', ')}) VALUES (?, ?${', ?'.repeat(cols.length)})`);
    drop[kind] = db.prepare(`DELETE FROM chunks_${kind} WHERE rowid = ?`);
    const q = db.prepare(`SELECT max(window_end) FROM chunks_${kind}`).pluck();
    maxEnd[kind] = () => (q.get() as number | null) ?? Number.NEGATIVE_INFINITY;
  }
  const mark = db.prepare('INSERT INTO chunk_inflating (kind, device) VALUES (?, ?)');
  const unmark = db.prepare('DELETE FROM chunk_inflating WHERE kind = ? AND device = ?');
  let staged: StagedWindow | null = null;
  let version = -1;
  let inflatedCount = 0;

  const setBelow = (kind: DeviceKind): void => {
    below[kind] = Math.max(newest[kind], staged?.kind === kind ? staged.end : Number.NEGATIVE_INFINITY);
  };
  const reload = (): void => {
    for (const kind of DEVICE_KINDS) {
      newest[kind] = maxEnd[kind]();
      setBelow(kind);
    }
  };
  reload();

  return {
    below,
    beforeInsert(kind, device, ts) {
      if (staged !== null && staged.kind === kind && ts >= staged.start && ts < staged.end) staged.add(device, ts);
      if (ts >= newest[kind]) return;
      const c = find[kind].get(device, ts, ts - MAX_WINDOW_MS) as { rowid: number; window_start: number; window_end: number; blob: Uint8Array } | undefined;
      if (c === undefined || ts >= c.window_end) return;
      const w = decodeChunkRows(kind, c.blob);
      const params = new Array<number | null>(2 + w.columns.length);
      mark.run(kind, device);
      for (let i = 0; i < w.ts.length; i++) {
        params[0] = w.ts[i];
        params[1] = device;
        for (let j = 0; j < w.columns.length; j++) {
          const v = w.columns[j][i];
          params[2 + j] = Number.isNaN(v) ? null : v;
        }
        insert[kind].run(...params);
      }
      unmark.run(kind, device);
      drop[kind].run(c.rowid);
      // The minute rows of the window's hours, which compaction moved with it: the reading's triggers
      // update them (and the hour trigger recomputes extremes from them), so they must be in the table.
      minutes[kind]?.inflate(device, c.window_start, c.window_end);
      inflatedCount++;
    },
    refresh() {
      const v = db.pragma('data_version', { simple: true }) as number;
      if (v !== version) {
        version = v;
        reload();
      }
    },
    compacted(kind, end) {
      if (end > newest[kind]) newest[kind] = end;
      setBelow(kind);
    },
    stage(w) {
      const was = staged?.kind;
      staged = w;
      if (was !== undefined) setBelow(was);
      if (w !== null) setBelow(w.kind);
    },
    inflated: () => inflatedCount,
  };
}
