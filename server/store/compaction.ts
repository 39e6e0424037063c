// Compaction (issue 15): moves each closed window of raw rows (samples_<kind>, the head: keyed time first
// for fast inserts) into one chunks_<kind> row per device, in bounded steps on the writer's connection
// (store-thread.ts op 'compaction', stepped from the main side like retention).
//
// The head is keyed (ts, device), so one device's rows of a window are not a range: reading them device by
// device would scan the whole window for each batch of devices (36 M rows an hour at 100,000 devices). So a
// window goes in two phases, each a series of short transactions:
//   stage: the keys (device, ts) of the window's rows are copied, in (ts, device) pages of `maxRows`, into a
//     temporary table keyed device first (temp.compact_stage; scratch, lost on a crash and rebuilt). A row
//     committed into the window meanwhile is mirrored into it by the writer's guard (chunks.ts).
//   emit: devices in key order, each in the step's transaction: its rows read by key from the head, encoded,
//     the chunk inserted and the raw rows deleted, so a crash leaves every device's window either all raw or
//     all chunk, never both and never neither. Deleting raw rows leaves the rollups alone (no DELETE
//     triggers). A late reading into a device's window after it was emitted reopens it (chunks.ts) and the
//     next pass compacts it again.
// A window is taken once it ended `grace_ms` ago; later readings into it are still accepted (up to raw
// retention: core/validate.ts) and go through the guard.

import type Database from 'better-sqlite3';
import type { Db } from './db.js';
import { DEVICE_KINDS, type DeviceKind, type RetentionSettings } from '../core/types.js';
import { encodeChunk } from './chunk-codec.js';
import { chunkColumnNames, decodeChunkRows, MAX_WINDOW_MS, type ChunkGuard } from './chunks.js';
import { cutoffs } from './retention.js';
import { createMinuteWindows, movesMinutes, type MinuteWindows } from './minute-windows.js';

/**
 * The default window. Measured (`node dist/test/bench/run.js --only compaction`: 1,000 miners, all 13 asic
 * metrics every 10 s with device-like drift, 4 h, 4 KiB pages, after VACUUM): bytes per sample at rest in
 * chunks_asic 0.600 at 30 min, 0.447 at 60, 0.445 at 120, against 6.76 in the head; 46-55 k rows a second
 * compacted on this 2-core box. Past 60 min a window hardly shrinks the store, and a late reading reopens
 * the whole window of its device (360 rows at 60 min and 10 s), so 60.
 */
export const COMPACT_WINDOW_MIN_DEFAULT = 60;
/**
 * A window is compacted once it ended this long ago: readings that arrive a little late (a collector's
 * back-off, an agent's retry queue) land in the head; anything later reopens the chunk, which is correct
 * but costs a decode and a re-encode.
 */
export const COMPACT_GRACE_MIN_DEFAULT = 15;

export interface CompactionOptions {
  /** keys staged, or rows moved into chunks, per step at most */
  maxRows?: number;
  /** a step starts no new device after this long (ms; 25) */
  budgetMs?: number;
  now?: () => number;
}

export interface CompactionStep {
  /** chunks written */
  chunks: number;
  /** raw rows moved into them */
  rows: number;
  /** keys copied into the stage */
  staged: number;
  ms: number;
  /** nothing left to compact now */
  idle: boolean;
}

export interface Compaction {
  step(): CompactionStep;
}

export function compactionWindowMs(r: RetentionSettings): number {
  return (r.compact_window_min ?? COMPACT_WINDOW_MIN_DEFAULT) * 60_000;
}

interface Target {
  kind: DeviceKind;
  start: number;
  end: number;
  phase: 'stage' | 'emit';
  afterTs: number;
  afterDevice: number;
}

export function createCompaction(db: Db, guard: ChunkGuard, settings: RetentionSettings, opts: CompactionOptions = {}): Compaction {
  const windowMs = compactionWindowMs(settings);
  const graceMs = (settings.compact_grace_min ?? COMPACT_GRACE_MIN_DEFAULT) * 60_000;
  if (!(windowMs > 0 && windowMs <= MAX_WINDOW_MS && MAX_WINDOW_MS % windowMs === 0 && 3_600_000 % Math.min(windowMs, 3_600_000) === 0)) {
    throw new Error(`compaction: a window of ${windowMs / 60_000} min; it must divide an hour or be whole hours dividing ${MAX_WINDOW_MS / 3_600_000} h`);
  }
  const maxRows = opts.maxRows ?? 20_000;
  // 25 ms: a commit waits at most that behind a step (server.ts runs one every 100 ms).
  const budgetMs = opts.budgetMs ?? 25;
  const now = opts.now ?? Date.now;

  db.exec('CREATE TEMP TABLE IF NOT EXISTS compact_stage (device INTEGER NOT NULL, ts INTEGER NOT NULL, PRIMARY KEY (device, ts)) WITHOUT ROWID');
  const stageAdd = db.prepare('INSERT OR IGNORE INTO temp.compact_stage (device, ts) VALUES (?, ?)');
  const stageClear = db.prepare('DELETE FROM temp.compact_stage');
  const stageNext = db.prepare('SELECT device FROM temp.compact_stage WHERE device > ? ORDER BY device LIMIT 1').pluck();
  const stageOf = db.prepare('SELECT ts FROM temp.compact_stage WHERE device = ? ORDER BY ts').pluck();
  const stageDrop = db.prepare('DELETE FROM temp.compact_stage WHERE device = ?');

  const q = {} as Record<DeviceKind, Record<'oldest' | 'bound' | 'copyTo' | 'copyAll' | 'row' | 'del' | 'existing' | 'dropChunk' | 'put', Database.Statement>>;
  for (const kind of DEVICE_KINDS) {
    const t = `samples_${kind}`;
    const keys = `FROM ${t} WHERE (ts, device) > (?, ?) AND ts < ?`;
    q[kind] = {
      oldest: db.prepare(`SELECT ts FROM ${t} WHERE ts >= ? ORDER BY ts LIMIT 1`).pluck(),
      bound: db.prepare(`SELECT ts, device ${keys} ORDER BY ts, device LIMIT 1 OFFSET ?`).raw(true),
      copyTo: db.prepare(`INSERT OR IGNORE INTO temp.compact_stage (device, ts) SELECT device, ts ${keys} AND (ts, device) <= (?, ?)`),
      copyAll: db.prepare(`INSERT OR IGNORE INTO temp.compact_stage (device, ts) SELECT device, ts ${keys}`),
      row: db.prepare(`SELECT ${chunkColumnNames(kind).join(', ')} FROM ${t} WHERE ts = ? AND device = ?`).raw(true),
      del: db.prepare(`DELETE FROM ${t} WHERE ts = ? AND device = ?`),
      existing: db.prepare(`SELECT rowid, blob FROM chunks_${kind} WHERE device = ? AND window_start = ?`),
      dropChunk: db.prepare(`DELETE FROM chunks_${kind} WHERE rowid = ?`),
      put: db.prepare(`INSERT INTO chunks_${kind} (device, window_start, window_end, n, blob) VALUES (?, ?, ?, ?, ?)`),
    };
  }

  // The device's minute rollups of the window go with its raw rows (minute-windows.ts), whole hours only.
  const minutes = {} as Record<DeviceKind, MinuteWindows | null>;
  for (const kind of DEVICE_KINDS) minutes[kind] = movesMinutes(windowMs) ? createMinuteWindows(db, kind) : null;

  let target: Target | null = null;

  /** The oldest window of any kind that closed `grace` ago and still has raw rows (and outlives retention). */
  function pick(t: number): Target | null {
    const closedBy = t - graceMs;
    const keepFrom = cutoffs(settings, t).raw;
    let best: Target | null = null;
    for (const kind of DEVICE_KINDS) {
      const ts = q[kind].oldest.get(keepFrom - (keepFrom % windowMs)) as number | undefined;
      if (ts === undefined) continue;
      const start = ts - (((ts % windowMs) + windowMs) % windowMs);
      const end = start + windowMs;
      if (end > closedBy || end <= keepFrom) continue;
      if (best === null || start < best.start) best = { kind, start, end, phase: 'stage', afterTs: start - 1, afterDevice: Number.MAX_SAFE_INTEGER };
    }
    return best;
  }

  function begin(tg: Target): void {
    stageClear.run();
    guard.stage({ kind: tg.kind, start: tg.start, end: tg.end, add: (device, ts) => void stageAdd.run(device, ts) });
  }

  function finish(): void {
    stageClear.run();
    guard.stage(null);
    target = null;
  }

  /** One page of keys into the stage; true when the window's keys are all there. */
  function stagePage(tg: Target): { n: number; done: boolean; after: [number, number] } {
    const k = q[tg.kind];
    const b = k.bound.get(tg.afterTs, tg.afterDevice, tg.end, maxRows - 1) as [number, number] | undefined;
    if (b === undefined) return { n: k.copyAll.run(tg.afterTs, tg.afterDevice, tg.end).changes, done: true, after: [tg.afterTs, tg.afterDevice] };
    return { n: k.copyTo.run(tg.afterTs, tg.afterDevice, tg.end, b[0], b[1]).changes, done: false, after: b };
  }

  /** One device's window from the head into a chunk; returns the rows moved. */
  function emitDevice(tg: Target, device: number): number {
    const k = q[tg.kind];
    const ncols = chunkColumnNames(tg.kind).length;
    const rows: [number, (number | null)[]][] = [];
    for (const ts of stageOf.all(device) as number[]) {
      const r = k.row.get(ts, device) as (number | null)[] | undefined;
      if (r !== undefined) rows.push([ts, r]); // undefined: removed by retention since it was staged
    }
    stageDrop.run(device);
    // A chunk already at this start (a window length changed between runs): its rows join these.
    const old = k.existing.get(device, tg.start) as { rowid: number; blob: Uint8Array } | undefined;
    if (old !== undefined) {
      const w = decodeChunkRows(tg.kind, old.blob);
      const have = new Set(rows.map((r) => r[0]));
      for (let i = 0; i < w.ts.length; i++) {
        if (have.has(w.ts[i])) continue;
        rows.push([w.ts[i], w.columns.map((c) => (Number.isNaN(c[i]) ? null : c[i]))]);
      }
      rows.sort((a, b) => a[0] - b[0]);
      k.dropChunk.run(old.rowid);
    }
    if (rows.length === 0) return 0;
    const ts = new Float64Array(rows.length);
    const columns = Array.from({ length: ncols }, () => new Float64Array(rows.length));
    let end = tg.end;
    for (let i = 0; i < rows.length; i++) {
      ts[i] = rows[i][0];
      if (ts[i] >= end) end = ts[i] + 1;
      const vals = rows[i][1];
      for (let j = 0; j < ncols; j++) columns[j][i] = vals[j] ?? Number.NaN;
    }
    k.put.run(device, tg.start, end, rows.length, encodeChunk({ ts, columns }));
    for (const [t] of rows) k.del.run(t, device);
    minutes[tg.kind]?.move(device, tg.start, end);
    guard.compacted(tg.kind, end);
    return rows.length;
  }

  function step(): CompactionStep {
    const t0 = performance.now();
    const out: CompactionStep = { chunks: 0, rows: 0, staged: 0, ms: 0, idle: false };
    if (target === null) {
      target = pick(now());
      if (target === null) {
        out.idle = true;
        out.ms = performance.now() - t0;
        return out;
      }
      begin(target);
    }
    const tg = target;
    if (tg.phase === 'stage') {
      // A failed transaction leaves the cursor where it was: the same page is staged again next step.
      const r = db.transaction(() => stagePage(tg))();
      out.staged = r.n;
      [tg.afterTs, tg.afterDevice] = r.after;
      if (r.done) {
        tg.phase = 'emit';
        tg.afterDevice = -1;
      }
    } else {
      let after = tg.afterDevice;
      let done = false;
      db.transaction(() => {
        while (out.rows < maxRows && performance.now() - t0 < budgetMs) {
          const device = stageNext.get(after) as number | undefined;
          if (device === undefined) {
            done = true;
            break;
          }
          const n = emitDevice(tg, device);
          after = device;
          if (n > 0) out.chunks++;
          out.rows += n;
        }
      })();
      tg.afterDevice = after;
      if (done) finish();
    }
    out.ms = performance.now() - t0;
    return out;
  }

  return { step };
}
