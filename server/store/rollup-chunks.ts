// Device rollups past the late-reading horizon, compacted into one row per device and window (issue 15;
// the tables and why: migrations/012_device_rollup_chunks.sql).
//
// Which rows may move: a device rollup row changes only through the raw tables' triggers, when a reading
// of its bucket is stored, and validation refuses readings older than raw retention (raw_hours). So every
// row whose bucket ends before now − raw_hours − HORIZON_MARGIN_MS is final, and nothing is ever inflated
// back.
//
// How, per rollup table and window (a day of minutes, a week of hours), in three steps none of which can
// leave a reading counted twice or lost: (1) each device's rows of the window are encoded into its chunk
// row, a couple of devices per transaction so the writer thread is held ~10 ms (these chunks are not read
// yet); (2) when every device is done, the table's watermark moves past the window in one statement, and
// from then on history reads the window from the chunks and ignores its rows in the table; (3) retention
// deletes those rows in bucket order like expired ones. Killed during (1), the chunks are rewritten from
// the table; killed after (2), the rows are left for (3). The rollup tables are keyed (bucket, device), so
// a batch reads its rows with one index seek per bucket (a recursive CTE of the window's buckets, as
// history.ts does), never a scan of every device.

import type Database from 'better-sqlite3';
import type { Db } from './db.js';
import { decodeChunk, encodeChunk } from './chunk-codec.js';
import { DEVICE_KINDS, type DeviceKind, type RetentionSettings } from '../core/types.js';
import { BUCKET_MS, HOUR_MS, type Granularity } from './rollups.js';
import { cutoffs } from './retention.js';

/**
 * The window of one chunk row. A day of minutes (1,440 rows) and a week of hours (168): measured with
 * test/bench/codec.ts-style device data (asic, 4 rolled metrics, 17 columns), a day of minutes took
 * about 9 bytes a row against ~100 in the table; shorter windows pay the row and blob headers more often.
 */
export const ROLLUP_CHUNK_WINDOW_MS: Readonly<Record<Granularity, number>> = { minute: 86_400_000, hour: 7 * 86_400_000 };

/** Beyond raw retention, how long a bucket waits before it moves (clock skew between validation and here). */
export const HORIZON_MARGIN_MS = HOUR_MS;

/**
 * Devices per transaction, so the writer thread is held ~10 ms: a day of minutes is 1,440 rows a device,
 * read at ~2 µs and encoded at ~2.4 µs a row on this 2-core box.
 */
const BATCH_DEVICES: Readonly<Record<Granularity, number>> = { minute: 2, hour: 16 };

export function rollupChunkTable(kind: DeviceKind, g: Granularity): string {
  return `rollup_${kind}_${g}_chunks`;
}

/** The rollup table's columns a chunk holds, in table order (after bucket and device). */
export function rollupChunkColumns(db: Db, kind: DeviceKind, g: Granularity): string[] {
  return (db.prepare(`PRAGMA table_info(rollup_${kind}_${g})`).all() as { name: string }[])
    .map((c) => c.name).filter((c) => c !== 'bucket' && c !== 'device');
}

/** A kind declared after schema v12 (a vocabulary migration) has no rollup chunk tables: it is not compacted. */
export function tableExists(db: Db, name: string): boolean {
  return db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?").get(name) !== undefined;
}

/** A decoded chunk's rows as the table would give them: [bucket, ...columns], null for NaN or absent. */
export function chunkRows(blob: Uint8Array, ncols: number): (number | null)[][] {
  const { ts, columns } = decodeChunk(blob);
  const out: (number | null)[][] = new Array(ts.length);
  for (let i = 0; i < ts.length; i++) {
    const row: (number | null)[] = [ts[i]];
    for (let j = 0; j < ncols; j++) {
      const v = j < columns.length ? columns[j][i] : Number.NaN;
      row.push(Number.isNaN(v) ? null : v);
    }
    out[i] = row;
  }
  return out;
}

/** Rows as chunkRows gives them back: [bucket, ...columns], null as NaN. */
export function encodeRows(rows: (number | null)[][], ncols: number): Uint8Array {
  const ts = new Float64Array(rows.length);
  const columns = Array.from({ length: ncols }, () => new Float64Array(rows.length));
  rows.forEach((r, i) => {
    ts[i] = r[0] as number;
    for (let j = 0; j < ncols; j++) columns[j][i] = r[j + 1] ?? Number.NaN;
  });
  return encodeChunk({ ts, columns });
}

/**
 * Buckets before this (epoch ms, a window boundary) of `rollup_<kind>_<grain>` are read from its chunks
 * only; -Infinity = nothing compacted yet (0 would hide a test site's rows from before 1970).
 */
export function rollupWatermark(db: Db, kind: DeviceKind, g: Granularity): number {
  if (!tableExists(db, 'rollup_chunk_watermark')) return Number.NEGATIVE_INFINITY;
  return (db.prepare('SELECT through FROM rollup_chunk_watermark WHERE tbl = ?').pluck().get(`rollup_${kind}_${g}`) as number | undefined) ?? Number.NEGATIVE_INFINITY;
}

/** Rows of one device in [lo, hi) from its chunks (all columns), ascending by bucket. */
export function readRollupChunks(db: Db, kind: DeviceKind, g: Granularity, device: number, lo: number, hi: number): (number | null)[][] {
  const t = rollupChunkTable(kind, g);
  if (!tableExists(db, t)) return [];
  const w = ROLLUP_CHUNK_WINDOW_MS[g];
  const ncols = rollupChunkColumns(db, kind, g).length;
  const through = rollupWatermark(db, kind, g);
  const blobs = db.prepare(`SELECT blob FROM ${t} WHERE device = ? AND window_start > ? AND window_start < ? ORDER BY window_start`)
    .pluck().all(device, lo - w, Math.min(hi, through)) as Buffer[];
  const out: (number | null)[][] = [];
  for (const b of blobs) for (const r of chunkRows(b, ncols)) if ((r[0] as number) >= lo && (r[0] as number) < hi) out.push(r);
  return out;
}

export interface RollupCompactionStep {
  /** chunk rows written (new or merged) */
  chunks: number;
  /** rollup rows moved into them */
  rows: number;
  /** windows finished (the watermark moved past them) */
  windows: number;
}

interface Unit {
  kind: DeviceKind;
  g: Granularity;
  /** the window being worked through and the next device id in it; null = look for the oldest */
  window: number | null;
  nextDevice: number;
  run(now: number): RollupCompactionStep | null;
}

/**
 * The compaction of final device rollup rows, one bounded transaction per call of run(); step() goes
 * round the kinds and granularities until `budgetMs` is spent or nothing is left to move.
 */
export function createRollupCompaction(db: Db, settings: RetentionSettings) {
  const maxDevice = db.prepare('SELECT max(id) FROM devices').pluck();
  const units: Unit[] = [];
  for (const kind of DEVICE_KINDS) {
    for (const g of ['minute', 'hour'] as const) {
      if (!tableExists(db, rollupChunkTable(kind, g)) || !tableExists(db, `rollup_${kind}_${g}`)) continue;
      units.push(makeUnit(db, kind, g, settings, maxDevice));
    }
  }
  let cursor = 0;
  return {
    /** Moves what it can in about `budgetMs` (0: nothing); returns what it moved. */
    step(now: number, budgetMs: number): RollupCompactionStep {
      const t0 = performance.now();
      const total: RollupCompactionStep = { chunks: 0, rows: 0, windows: 0 };
      let idle = 0;
      if (budgetMs <= 0) return total; // compaction off for this step
      // At least one batch a call (a batch is ~10 ms, more than a small budget), then while time is left.
      let first = true;
      while (units.length > 0 && idle < units.length && (first || performance.now() - t0 < budgetMs)) {
        first = false;
        const r = units[cursor].run(now);
        if (r === null) {
          idle++;
          cursor = (cursor + 1) % units.length;
          continue;
        }
        idle = 0;
        total.chunks += r.chunks;
        total.rows += r.rows;
        total.windows += r.windows;
      }
      return total;
    },
  };
}

function makeUnit(db: Db, kind: DeviceKind, g: Granularity, settings: RetentionSettings, maxDevice: Database.Statement): Unit {
  const table = `rollup_${kind}_${g}`;
  const chunks = rollupChunkTable(kind, g);
  const w = ROLLUP_CHUNK_WINDOW_MS[g];
  const ms = BUCKET_MS[g];
  const cols = rollupChunkColumns(db, kind, g);
  const oldest = db.prepare(`SELECT bucket FROM ${table} WHERE bucket >= ? ORDER BY bucket LIMIT 1`).pluck();
  // In bucket order (one seek per bucket, then the batch's devices side by side), grouped per device here:
  // ORDER BY device made SQLite sort the batch, 5 µs a row against ~2.
  const read = db.prepare(`WITH RECURSIVE b(t) AS (VALUES (?) UNION ALL SELECT t + ${ms} FROM b WHERE t + ${ms} < ?)
    SELECT r.device, r.bucket, ${cols.map((c) => `r.${c}`).join(', ')} FROM b CROSS JOIN ${table} AS r
    WHERE r.bucket = b.t AND r.device >= ? AND r.device < ?`).raw(true);
  const upsert = db.prepare(`INSERT INTO ${chunks} (device, window_start, n, blob) VALUES (?, ?, ?, ?)
    ON CONFLICT (device, window_start) DO UPDATE SET n = excluded.n, blob = excluded.blob`);
  const advance = db.prepare(`INSERT INTO rollup_chunk_watermark (tbl, through) VALUES ('${table}', ?)
    ON CONFLICT (tbl) DO UPDATE SET through = excluded.through`);

  // Chunks of a window not yet under the watermark are invisible: a batch that is cut short (kill -9) or
  // redone overwrites them from the table, which stays the truth until the watermark moves.
  const writeBatch = db.transaction((ws: number, from: number, d0: number, d1: number): RollupCompactionStep => {
    const byDevice = new Map<number, (number | null)[][]>();
    for (const row of read.iterate(from, ws + w, d0, d1) as IterableIterator<(number | null)[]>) {
      const d = row[0] as number;
      let list = byDevice.get(d);
      if (list === undefined) byDevice.set(d, (list = []));
      list.push(row.slice(1));
    }
    let rows = 0;
    for (const [device, list] of byDevice) {
      upsert.run(device, ws, list.length, encodeRows(list, cols.length));
      rows += list.length;
    }
    return { chunks: byDevice.size, rows, windows: 0 };
  });

  const unit: Unit = {
    kind, g, window: null, nextDevice: 0,
    run(now) {
      const cut = cutoffs(settings, now);
      const horizon = now - settings.raw_hours * HOUR_MS - HORIZON_MARGIN_MS;
      if (unit.window === null) {
        // Expired rows are retention's to delete, and rows under the watermark are compacted already.
        const keepFrom = g === 'minute' ? cut.device_minute : cut.hour;
        const b = oldest.get(Math.max(rollupWatermark(db, kind, g), Math.floor(keepFrom / w) * w)) as number | undefined;
        if (b === undefined) return null;
        const ws = Math.floor(b / w) * w; // floor: a test site may sit before 1970
        if (ws + w > horizon) return null;
        unit.window = ws;
        unit.nextDevice = 0;
      }
      const top = (maxDevice.get() as number | null) ?? -1;
      if (unit.nextDevice > top) {
        // Every device's chunk of the window is written: from now on the window is read from them.
        advance.run(unit.window + w);
        unit.window = null;
        return { chunks: 0, rows: 0, windows: 1 };
      }
      const d0 = unit.nextDevice;
      const d1 = d0 + BATCH_DEVICES[g];
      unit.nextDevice = d1;
      // Rows of the window that retention has expired (or soon will) are left to it, not carried along.
      const keepFrom = g === 'minute' ? cutoffs(settings, now).device_minute : cutoffs(settings, now).hour;
      return writeBatch(unit.window, Math.max(unit.window, Math.ceil(keepFrom / ms) * ms), d0, d1);
    },
  };
  return unit;
}
