// Retention: raw samples (the head and the compacted chunks), device minute rollups (device_minute_days,
// in their table and compacted), rack/hall/site minute rollups (minute_days) and hour rollups (hour_days)
// each expire after their configured age, deleted in
// small bounded steps (the server runs one a second under its background guard, on the writer thread where
// it takes turns with the ingest commits) so that a commit never waits more than a few milliseconds behind
// a delete; freed pages are handed back with PRAGMA incremental_vacuum in small steps. Each step then
// moves final device rollup rows into chunks (rollup-chunks.ts) for a few milliseconds: the same kind of
// bounded housekeeping, on the same thread, taking the same turns with the commits.

import type { Db } from './db.js';
import { DEVICE_KINDS, type RetentionSettings } from '../core/types.js';
import { SCOPE_METRICS } from './rollups.js';
import { minuteWindowsTable } from './minute-windows.js';
import { createRollupCompaction, ROLLUP_CHUNK_WINDOW_MS, rollupChunkTable, rollupWatermark, tableExists, type RollupCompactionStep } from './rollup-chunks.js';

export interface RetentionOptions {
  /** most rows one step deletes */
  maxRows?: number;
  /** a step stops taking new units after this long */
  budgetMs?: number;
  /** pages returned to the file system per step */
  vacuumPages?: number;
  /** how long a step may spend compacting final device rollups after its deletes (ms) */
  compactBudgetMs?: number;
  now?: () => number;
}

export interface RetentionStep {
  deleted: number;
  vacuumed_pages: number;
  ms: number;
  /** true when the step went over every table without running out of rows or time */
  pass_complete: boolean;
  /** device rollup rows moved into chunks by this step (server/store/rollup-chunks.ts) */
  compacted: RollupCompactionStep;
}

export interface Retention {
  step(): RetentionStep;
}

interface Unit {
  /** deletes up to `limit` expired rows of this unit; returns how many it deleted */
  run(limit: number, now: number): number;
}

/** Device minute rollups default to a week: one row per device-minute is most of the file. */
export const DEVICE_MINUTE_DAYS_DEFAULT = 7;

export function cutoffs(r: RetentionSettings, now: number): { raw: number; minute: number; hour: number; device_minute: number } {
  return {
    raw: now - r.raw_hours * 3_600_000,
    minute: now - r.minute_days * 86_400_000,
    hour: now - r.hour_days * 86_400_000,
    device_minute: now - (r.device_minute_days ?? DEVICE_MINUTE_DAYS_DEFAULT) * 86_400_000,
  };
}

/**
 * Deletes the oldest rows below `cutoff` of one key range: first finds the key of the limit-th oldest
 * row, then deletes up to it, so the delete touches at most `limit` rows. Tables keyed (time, device)
 * bound on both, because one timestamp may hold a row for every device of the site (100,000 rows).
 */
function chunkedDelete(db: Db, table: string, timeCol: string, keyCols: string[], tieCol?: string) {
  const where = keyCols.map((k) => `${k} = ?`).concat([`${timeCol} < ?`]).join(' AND ');
  const order = tieCol === undefined ? timeCol : `${timeCol}, ${tieCol}`;
  const bound = db.prepare(`SELECT ${order} FROM ${table} WHERE ${where} ORDER BY ${order} LIMIT 1 OFFSET ?`).raw(true);
  const upTo = tieCol === undefined ? `${timeCol} <= ?` : `(${timeCol}, ${tieCol}) <= (?, ?)`;
  const del = db.prepare(`DELETE FROM ${table} WHERE ${where} AND ${upTo}`);
  const delAll = db.prepare(`DELETE FROM ${table} WHERE ${where}`);
  return (keys: number[], cutoff: number, limit: number): number => {
    const b = bound.get(...keys, cutoff, Math.max(0, limit - 1)) as number[] | undefined;
    return b === undefined ? delAll.run(...keys, cutoff).changes : del.run(...keys, cutoff, ...b).changes;
  };
}

export function createRetention(db: Db, settings: RetentionSettings, opts: RetentionOptions = {}): Retention {
  const maxRows = opts.maxRows ?? 5000;
  const budgetMs = opts.budgetMs ?? 4;
  const vacuumPages = opts.vacuumPages ?? 256;
  // 8 ms a second, and at least one batch a step: a batch of minutes is 2 devices' day (2,880 rows, ~24 ms
  // at the measured 118 k rows/s), so one batch a second, and 100,000 devices' day takes ~14 h of steps,
  // inside the day that brings the next; hours go 16 devices a batch.
  const compactBudgetMs = opts.compactBudgetMs ?? 8;
  const compaction = createRollupCompaction(db, settings);
  const now = opts.now ?? Date.now;
  const scopeIds = db.prepare('SELECT id FROM rollup_scopes ORDER BY id').pluck();

  // One pass = every unit once; rebuilt at the start of each pass so new devices and scopes are seen.
  function buildUnits(): Unit[] {
    const units: Unit[] = [];
    for (const kind of DEVICE_KINDS) {
      const raw = chunkedDelete(db, `samples_${kind}`, 'ts', [], 'device');
      units.push({ run: (limit, t) => raw([], cutoffs(settings, t).raw, limit) });
      // A chunk goes once its whole window is older than the raw cutoff (so raw history is kept at least
      // raw_hours, up to one window more).
      const chunks = chunkedDelete(db, `chunks_${kind}`, 'window_end', [], 'device');
      units.push({ run: (limit, t) => chunks([], cutoffs(settings, t).raw, limit) });
    }
    for (const g of ['minute', 'hour'] as const) {
      // Device rollups are keyed bucket first: the expired rows of every device are one range at the start.
      for (const kind of DEVICE_KINDS) {
        // Rows under the compaction watermark are in chunks already (rollup-chunks.ts): deleted like expired ones.
        const del = chunkedDelete(db, `rollup_${kind}_${g}`, 'bucket', [], 'device');
        units.push({ run: (limit, t) => del([], Math.max(rollupWatermark(db, kind, g), cutoffs(settings, t)[g === 'minute' ? 'device_minute' : 'hour']), limit) });
      }
      // Their compacted windows: a chunk goes when its whole window is past the cutoff.
      for (const kind of DEVICE_KINDS) {
        const t = rollupChunkTable(kind, g);
        if (!tableExists(db, t)) continue;
        const del = chunkedDelete(db, t, 'window_start', [], 'device');
        units.push({ run: (limit, t) => del([], cutoffs(settings, t)[g === 'minute' ? 'device_minute' : 'hour'] - ROLLUP_CHUNK_WINDOW_MS[g] + 1, limit) });
      }
      // Minute rows moved with their compacted raw window (minute-windows.ts): a row goes when its whole window is past the cutoff.
      if (g === 'minute') {
        for (const kind of DEVICE_KINDS) {
          const t = minuteWindowsTable(kind);
          if (!tableExists(db, t)) continue;
          const del = chunkedDelete(db, t, 'window_end', [], 'device');
          units.push({ run: (limit, t) => del([], cutoffs(settings, t).device_minute + 1, limit) });
        }
      }
      const del = chunkedDelete(db, `rollup_scope_${g}`, 'bucket', ['scope', 'metric']);
      for (const id of scopeIds.all() as number[]) {
        for (let m = 0; m < SCOPE_METRICS.length; m++) {
          units.push({ run: (limit, t) => del([id, m], cutoffs(settings, t)[g], limit) });
        }
      }
    }
    return units;
  }

  let units: Unit[] = [];
  let cursor = 0;

  function step(): RetentionStep {
    const t0 = performance.now();
    const t = now();
    if (cursor >= units.length) {
      units = buildUnits();
      cursor = 0;
    }
    let deleted = 0;
    let complete = false;
    db.transaction(() => {
      while (deleted < maxRows && performance.now() - t0 < budgetMs) {
        const limit = maxRows - deleted;
        const n = units[cursor].run(limit, t);
        deleted += n;
        // A unit that filled the limit may have more: it stays current for the next step.
        if (n >= limit) break;
        cursor++;
        if (cursor >= units.length) {
          complete = true;
          break;
        }
      }
    })();
    const compacted = compaction.step(t, compactBudgetMs);
    let vacuumed = 0;
    const free = db.pragma('freelist_count', { simple: true }) as number;
    if (free > 0) {
      db.pragma(`incremental_vacuum(${Math.min(free, vacuumPages)})`);
      vacuumed = free - (db.pragma('freelist_count', { simple: true }) as number);
    }
    return { deleted, vacuumed_pages: vacuumed, ms: performance.now() - t0, pass_complete: complete, compacted };
  }

  return {
    step,
  };
}
