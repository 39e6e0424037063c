// The compact raw store at rest (issue 15): a site's miners write every asic metric every 10 s for some
// hours through the real insert path (triggers included), the real compaction (server/store/compaction.ts)
// moves the closed windows into chunks, and the file is measured page by page (dbstat) after VACUUM:
// bytes per sample in the head before, in chunks after, for each window length; and compaction's speed.
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { openDatabase } from '../../server/store/db.js';
import { prepareSampleInserts, registerDevices, rowValues } from '../../server/store/samples.js';
import { createChunkGuard } from '../../server/store/chunks.js';
import { createCompaction } from '../../server/store/compaction.js';
import { createRollupCompaction } from '../../server/store/rollup-chunks.js';
import { minuteWindowsTable } from '../../server/store/minute-windows.js';
import { mulberry32 } from '../../server/sim/prng.js';
import type { Reading } from '../../server/core/types.js';

export const COMPACTION_FULL = { devices: 1000, hours: 4, windows_min: [30, 60, 120], rollup_devices: 30, rollup_days: 15 };
export const COMPACTION_QUICK = { devices: 50, hours: 2, windows_min: [30, 60], rollup_devices: 5, rollup_days: 8 };

const H = 3_600_000;
const INTERVAL_MS = 10_000;

export interface CompactionWindowFigure {
  window_min: number;
  /** raw rows moved into chunks (whole closed windows only) */
  rows_moved: number;
  samples_moved: number;
  /** samples_asic's pages over the samples it held, before compaction */
  head_bytes_per_sample: number;
  /** chunks_asic's pages (table and both indexes) over the samples moved into it */
  chunk_bytes_per_sample: number;
  head_to_chunk: number;
  rows_per_s: number;
  samples_per_s: number;
  /** device minute rollup rows that moved with the windows, and their table's pages per row (null: none moved) */
  minute_rows_moved: number;
  minute_bytes_per_row: number | null;
}

export interface CompactionBench {
  devices: number;
  hours: number;
  interval_s: number;
  metrics_per_row: number;
  page_size: number;
  windows: CompactionWindowFigure[];
  rollups: RollupChunkFigure;
}

/** Device rollups (store/rollup-chunks.ts): bytes a row in their tables and, once final, in chunks. */
export interface RollupChunkFigure {
  devices: number;
  days: number;
  minute_rows: number;
  hour_rows: number;
  minute_table_bytes_per_row: number;
  minute_chunk_bytes_per_row: number;
  hour_table_bytes_per_row: number;
  hour_chunk_bytes_per_row: number;
}

/** One miner's next reading: slow drifts, quantised as firmware reports them, counters that count. */
function miners(n: number, seed: number): () => Reading['metrics'][] {
  const rnd = mulberry32(seed);
  const st = Array.from({ length: n }, () => ({ h: 190 + rnd() * 20, c: 60 + rnd() * 10, i: 21 + rnd() * 3, up: Math.round(rnd() * 1e6), acc: 0 }));
  return () => st.map((x) => {
    x.h = Math.max(150, Math.min(230, x.h + (rnd() - 0.5) * 2));
    x.c += (rnd() - 0.5) * 0.2;
    x.i += (rnd() - 0.5) * 0.05;
    x.up += INTERVAL_MS / 1000;
    x.acc += rnd() < 0.3 ? 1 : 0;
    return {
      hashrate_ths: Math.round(x.h * 100) / 100, power_w: Math.round(3500 + (rnd() - 0.5) * 40),
      chip_temp_c: Math.round(x.c * 10) / 10, board_temp_c: Math.round((x.c - 8) * 10) / 10, inlet_temp_c: Math.round(x.i * 10) / 10,
      fan_rpm: 5000 + Math.round(rnd() * 60) * 10, fan_min_rpm: 4900 + Math.round(rnd() * 10) * 10, chains_ok: 3, chains_total: 3,
      uptime_s: x.up, accepted_shares: x.acc, rejected_shares: 2, hw_errors: 5,
    };
  });
}

export function benchCompaction(opts: { devices: number; hours: number; windows_min: number[]; rollup_devices: number; rollup_days: number; dir: string; log?: (l: string) => void }): CompactionBench {
  mkdirSync(opts.dir, { recursive: true });
  const now = 1000 * 86_400_000;
  const out: CompactionBench = { devices: opts.devices, hours: opts.hours, interval_s: INTERVAL_MS / 1000, metrics_per_row: 0, page_size: 0, windows: [], rollups: benchRollupChunks(opts) };
  for (const win of opts.windows_min) {
    const path = join(opts.dir, `compaction-${win}.db`);
    const db = openDatabase(path);
    try {
      const keys = [...registerDevices(db, Array.from({ length: opts.devices }, (_, i) => ({ id: `A${i}`, kind: 'asic' as const }))).values()];
      const guard = createChunkGuard(db);
      const s = prepareSampleInserts(db, guard);
      const next = miners(opts.devices, 7);
      // Readings end an hour before `now`: every window that ends by then is closed past its grace.
      const from = now - H - opts.hours * H;
      let samples = 0;
      db.transaction(() => {
        for (let t = from; t < now - H; t += INTERVAL_MS) {
          const ms = next();
          for (let i = 0; i < keys.length; i++) {
            const m = ms[i];
            samples += Object.keys(m).length;
            s.insert.asic(t, keys[i], 0, rowValues('asic', m));
          }
        }
      })();
      const rows = db.prepare('SELECT count(*) FROM samples_asic').pluck().get() as number;
      out.metrics_per_row = samples / rows;
      out.page_size = db.pragma('page_size', { simple: true }) as number;
      const bytes = (...names: string[]) => names.reduce((a, n) => a + (db.prepare('SELECT coalesce(sum(pgsize), 0) FROM dbstat WHERE name = ?').pluck().get(n) as number), 0);
      const head = bytes('samples_asic');
      const c = createCompaction(db, guard, { raw_hours: 48, minute_days: 90, hour_days: 1825, device_minute_days: 7, compact_window_min: win }, { now: () => now });
      const t0 = performance.now();
      let moved = 0;
      for (;;) {
        const r = c.step();
        moved += r.rows;
        if (r.idle) break;
      }
      const sec = (performance.now() - t0) / 1000;
      db.exec('VACUUM');
      const chunkIndexes = db.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'chunks_asic'").pluck().all() as string[];
      const chunk = bytes('chunks_asic', ...chunkIndexes);
      const samplesMoved = moved * out.metrics_per_row;
      // the miners' minute rollups that moved with their windows (whole-hour windows: store/minute-windows.ts)
      const minuteRows = db.prepare(`SELECT coalesce(sum(n), 0) FROM ${minuteWindowsTable('asic')}`).pluck().get() as number;
      const minuteIndexes = db.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = ?").pluck().all(minuteWindowsTable('asic')) as string[];
      const minuteBytes = bytes(minuteWindowsTable('asic'), ...minuteIndexes);
      const fig: CompactionWindowFigure = {
        window_min: win, rows_moved: moved, samples_moved: samplesMoved,
        head_bytes_per_sample: head / samples, chunk_bytes_per_sample: chunk / samplesMoved,
        head_to_chunk: (head / samples) / (chunk / samplesMoved),
        rows_per_s: moved / sec, samples_per_s: samplesMoved / sec,
        minute_rows_moved: minuteRows, minute_bytes_per_row: minuteRows > 0 ? minuteBytes / minuteRows : null,
      };
      out.windows.push(fig);
      opts.log?.(`compaction ${win} min: ${fig.chunk_bytes_per_sample.toFixed(3)} B/sample in chunks, ${fig.head_bytes_per_sample.toFixed(2)} in the head, ${Math.round(fig.rows_per_s)} rows/s`);
    } finally {
      db.close();
      for (const sfx of ['', '-wal', '-shm']) rmSync(path + sfx, { force: true });
    }
  }
  return out;
}

/**
 * Minute and hour rollups of `rollup_days` days of miners reporting every 10 s (the rollup rows are what
 * is measured; the raw rows are dropped), then compacted as the server would once they are final.
 */
function benchRollupChunks(opts: { rollup_devices: number; rollup_days: number; dir: string; log?: (l: string) => void }): RollupChunkFigure {
  mkdirSync(opts.dir, { recursive: true });
  const path = join(opts.dir, 'rollups.db');
  const db = openDatabase(path);
  try {
    const day = 86_400_000;
    const end = 1000 * day;
    const keys = [...registerDevices(db, Array.from({ length: opts.rollup_devices }, (_, i) => ({ id: `R${i}`, kind: 'asic' as const }))).values()];
    const s = prepareSampleInserts(db);
    const next = miners(opts.rollup_devices, 11);
    db.transaction(() => {
      for (let t = end - opts.rollup_days * day; t < end; t += INTERVAL_MS) {
        const ms = next();
        for (let i = 0; i < keys.length; i++) s.insert.asic(t, keys[i], 0, rowValues('asic', ms[i]));
      }
    })();
    db.exec('DELETE FROM samples_asic');
    db.exec('VACUUM');
    const bytes = (t: string) => {
      const names = [t, ...(db.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = ?").pluck().all(t) as string[])];
      return names.reduce((a, n) => a + (db.prepare('SELECT coalesce(sum(pgsize), 0) FROM dbstat WHERE name = ?').pluck().get(n) as number), 0);
    };
    const count = (t: string) => db.prepare(`SELECT count(*) FROM ${t}`).pluck().get() as number;
    const minuteRows = count('rollup_asic_minute');
    const hourRows = count('rollup_asic_hour');
    const minuteTable = bytes('rollup_asic_minute') / minuteRows;
    const hourTable = bytes('rollup_asic_hour') / hourRows;
    // long retention, `now` well past the horizon: every whole day (minutes) and week (hours) moves
    const c = createRollupCompaction(db, { raw_hours: 48, minute_days: 90, hour_days: 1825, device_minute_days: opts.rollup_days + 7 });
    let minuteMoved = 0;
    let hourMoved = 0;
    for (;;) {
      const r = c.step(end + 3 * day, 1000);
      if (r.rows === 0 && r.chunks === 0 && r.windows === 0) break;
    }
    minuteMoved = db.prepare('SELECT coalesce(sum(n), 0) FROM rollup_asic_minute_chunks').pluck().get() as number;
    hourMoved = db.prepare('SELECT coalesce(sum(n), 0) FROM rollup_asic_hour_chunks').pluck().get() as number;
    db.exec('VACUUM');
    const fig: RollupChunkFigure = {
      devices: opts.rollup_devices, days: opts.rollup_days, minute_rows: minuteRows, hour_rows: hourRows,
      minute_table_bytes_per_row: minuteTable, minute_chunk_bytes_per_row: bytes('rollup_asic_minute_chunks') / minuteMoved,
      hour_table_bytes_per_row: hourTable, hour_chunk_bytes_per_row: bytes('rollup_asic_hour_chunks') / hourMoved,
    };
    opts.log?.(`rollup chunks: minute ${fig.minute_table_bytes_per_row.toFixed(1)} -> ${fig.minute_chunk_bytes_per_row.toFixed(1)} B/row, hour ${fig.hour_table_bytes_per_row.toFixed(1)} -> ${fig.hour_chunk_bytes_per_row.toFixed(1)} B/row`);
    return fig;
  } finally {
    db.close();
    for (const sfx of ['', '-wal', '-shm']) rmSync(path + sfx, { force: true });
  }
}

export function compactionRows(r: CompactionBench | { error: string }): [string, string][] {
  if ('error' in r) return [['compaction', `error: ${r.error}`]];
  return [
    ['compaction', `${r.devices.toLocaleString('en-US')} miners, ${r.metrics_per_row} metrics every ${r.interval_s} s for ${r.hours} h, ${r.page_size} B pages, after VACUUM`],
    ...r.windows.map((w): [string, string] => [`  window ${w.window_min} min`,
      `${w.chunk_bytes_per_sample.toFixed(3)} B/sample in chunks vs ${w.head_bytes_per_sample.toFixed(2)} in the head (${w.head_to_chunk.toFixed(1)}×); ` +
      `${Math.round(w.rows_per_s).toLocaleString('en-US')} rows/s = ${Math.round(w.samples_per_s).toLocaleString('en-US')} samples/s compacted; ` +
      (w.minute_bytes_per_row === null ? 'minute rollups stay in their table' : `its ${w.minute_rows_moved.toLocaleString('en-US')} minute rollup rows moved with it, ${w.minute_bytes_per_row.toFixed(1)} B a row`)]),
    ['  device rollups', `${r.rollups.devices} miners, ${r.rollups.days} days: minute row ${r.rollups.minute_table_bytes_per_row.toFixed(1)} B in the table, ` +
      `${r.rollups.minute_chunk_bytes_per_row.toFixed(1)} B in day chunks; hour row ${r.rollups.hour_table_bytes_per_row.toFixed(1)} B, ${r.rollups.hour_chunk_bytes_per_row.toFixed(1)} B in week chunks`],
  ];
}
