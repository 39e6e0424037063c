// Device minute rollups of compacted raw windows (issue 15; the tables and why:
// migrations/014_minute_windows.sql).
//
// When compaction (compaction.ts) moves a device's closed raw window into its chunk, the same transaction
// moves that device's minute rollup rows of the window into one rollup_<kind>_minute_windows row (the
// rollup table's columns after bucket and device, in the chunk codec, as rollup-chunks.ts writes them).
// A minute row only changes through the raw triggers, and a reading into a compacted window first has the
// writer's guard (chunks.ts) put the window's raw rows back into the head: the guard puts the minute rows
// of the window's hours back into the table with them (inflate), so the triggers find every row they
// update, and the next compaction pass moves them again. So a device-minute row is always in exactly one
// place: the table, or one window row. The day layer (rollup-chunks.ts) compacts only what is in the
// table; history reads all three (table, window rows, day chunks) and they never overlap.
//
// Only whole-hour windows move minutes: the hour trigger recomputes an hour's extremes from its minute
// rows, which must all be in the table when a row of that hour is replaced; with a window of whole hours
// every hour is inside one window, which the guard inflates before the insert.

import type Database from 'better-sqlite3';
import type { Db } from './db.js';
import type { DeviceKind } from '../core/types.js';
import { MAX_WINDOW_MS } from './chunks.js';
import { chunkRows, encodeRows, rollupChunkColumns, tableExists } from './rollup-chunks.js';
import { HOUR_MS, MINUTE_MS } from './rollups.js';

export function minuteWindowsTable(kind: DeviceKind): string {
  return `rollup_${kind}_minute_windows`;
}

/** The table of a kind (migration 014 for the first ten kinds, a vocabulary migration for later ones). */
export function minuteWindowsTableSql(kind: DeviceKind, ifNotExists = false): string[] {
  const ine = ifNotExists ? 'IF NOT EXISTS ' : '';
  const t = minuteWindowsTable(kind);
  return [
    `CREATE TABLE ${ine}${t} (\n  device INTEGER NOT NULL, window_start INTEGER NOT NULL, window_end INTEGER NOT NULL,\n` +
      `  n INTEGER NOT NULL, blob BLOB NOT NULL,\n  PRIMARY KEY (device, window_start)\n);`,
    `CREATE INDEX ${ine}${t}_end ON ${t} (window_end, device);`,
  ];
}

/** Whether compaction with windows of `windowMs` moves minute rows (whole hours only; see above). */
export function movesMinutes(windowMs: number): boolean {
  return windowMs % HOUR_MS === 0;
}

export interface MinuteWindows {
  /** Moves the device's minute rows of [start, end) into one window row; returns the rows moved. */
  move(device: number, start: number, end: number): number;
  /** Puts back every window row of the device overlapping the hours of [start, end); returns the rows. */
  inflate(device: number, start: number, end: number): number;
}

/** null when the kind has no window table (a schema before v14 that is not migrated: nothing moves). */
export function createMinuteWindows(db: Db, kind: DeviceKind): MinuteWindows | null {
  const t = minuteWindowsTable(kind);
  const table = `rollup_${kind}_minute`;
  if (!tableExists(db, t) || !tableExists(db, table)) return null;
  const cols = rollupChunkColumns(db, kind, 'minute');
  // One index seek per minute of the window (the table is keyed bucket first), as rollup-chunks.ts reads.
  const read = db.prepare(`WITH RECURSIVE b(t) AS (VALUES (?) UNION ALL SELECT t + ${MINUTE_MS} FROM b WHERE t + ${MINUTE_MS} < ?)
    SELECT r.bucket, ${cols.map((c) => `r.${c}`).join(', ')} FROM b CROSS JOIN ${table} AS r WHERE r.bucket = b.t AND r.device = ?`).raw(true);
  const del = db.prepare(`DELETE FROM ${table} WHERE bucket = ? AND device = ?`);
  const existing = db.prepare(`SELECT rowid, blob FROM ${t} WHERE device = ? AND window_start = ?`);
  const drop = db.prepare(`DELETE FROM ${t} WHERE rowid = ?`);
  const put = db.prepare(`INSERT INTO ${t} (device, window_start, window_end, n, blob) VALUES (?, ?, ?, ?, ?)`);
  const overlapping = db.prepare(`SELECT rowid, blob FROM ${t} WHERE device = ? AND window_start > ? AND window_start < ? AND window_end > ?`);
  // OR IGNORE: a row in the table for the same minute is never there (one place per row, above); if it
  // were, it is the one the triggers kept up to date.
  const back = db.prepare(`INSERT OR IGNORE INTO ${table} (bucket, device, ${cols.join(', ')}) VALUES (?, ?${', ?'.repeat(cols.length)})`);

  return {
    move(device, start, end) {
      const rows = read.all(start, end, device) as (number | null)[][];
      for (const r of rows) del.run(r[0], device);
      // A window row already at this start (the window length changed between runs): its minutes join.
      const old = existing.get(device, start) as { rowid: number; blob: Uint8Array } | undefined;
      if (old !== undefined) {
        const have = new Set(rows.map((r) => r[0]));
        for (const r of chunkRows(old.blob, cols.length)) if (!have.has(r[0])) rows.push(r);
        rows.sort((a, b) => (a[0] as number) - (b[0] as number));
        drop.run(old.rowid);
      }
      if (rows.length === 0) return 0;
      const last = rows[rows.length - 1][0] as number;
      put.run(device, start, Math.max(end, last + MINUTE_MS), rows.length, encodeRows(rows, cols.length));
      return rows.length;
    },
    inflate(device, start, end) {
      const lo = Math.floor(start / HOUR_MS) * HOUR_MS;
      const hi = Math.ceil(end / HOUR_MS) * HOUR_MS;
      let n = 0;
      for (const w of overlapping.all(device, lo - MAX_WINDOW_MS, hi, lo) as { rowid: number; blob: Uint8Array }[]) {
        for (const r of chunkRows(w.blob, cols.length)) {
          back.run(r[0], device, ...r.slice(1));
          n++;
        }
        drop.run(w.rowid);
      }
      return n;
    },
  };
}

type WindowMinuteReader = (device: number, lo: number, hi: number) => (number | null)[][];
// Per connection and kind, as history.ts caches its statements: a chart of a device asks once per series,
// and the table lookup, the column list and the prepare were redone on every one.
const readers = new WeakMap<Db, Map<DeviceKind, WindowMinuteReader | null>>();

/** A device's minute rows in [lo, hi) from its window rows ([bucket, ...columns]), for history. */
export function windowMinuteReader(db: Db, kind: DeviceKind): WindowMinuteReader | null {
  let byKind = readers.get(db);
  if (byKind === undefined) readers.set(db, (byKind = new Map()));
  let r = byKind.get(kind);
  if (r === undefined) byKind.set(kind, (r = makeWindowMinuteReader(db, kind)));
  return r;
}

function makeWindowMinuteReader(db: Db, kind: DeviceKind): WindowMinuteReader | null {
  const t = minuteWindowsTable(kind);
  if (!tableExists(db, t)) return null;
  const ncols = rollupChunkColumns(db, kind, 'minute').length;
  const q: Database.Statement = db.prepare(`SELECT blob FROM ${t} WHERE device = ? AND window_start > ? AND window_start < ? AND window_end > ? ORDER BY window_start`).pluck();
  return (device, lo, hi) => {
    const out: (number | null)[][] = [];
    for (const b of q.all(device, lo - MAX_WINDOW_MS, hi, lo) as Uint8Array[]) {
      for (const r of chunkRows(b, ncols)) if ((r[0] as number) >= lo && (r[0] as number) < hi) out.push(r);
    }
    return out;
  };
}
