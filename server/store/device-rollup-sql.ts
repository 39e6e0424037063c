// Device rollups: their tables and the triggers on the raw tables that keep them (why triggers:
// server/store/rollups.ts), generated from a stored vocabulary (the columns of each kind) so that
// migrations stay static SQL: migrations/002_rollups.sql is this output for VOCABULARY_V2, and each
// later vocabulary change is a migration written by server/store/vocabulary-migration.ts from the same
// functions (a unit test checks that 002 and the schema the migrations build still match them).

import { DEVICE_KINDS, type DeviceKind } from '../core/vocabulary.js';
import { BUCKET_MS, HOUR_MS, MINUTE_MS, type Granularity } from './rollups.js';

/** One kind's columns in the store, in column order: every raw metric, and the rolled-up ones of those. */
export interface KindColumns {
  readonly raw: readonly string[];
  readonly rolled: readonly string[];
}

/**
 * The device columns of a schema version: what a migration's generated SQL is built from. A kind the
 * version has no tables for is absent (a kind declared after it: its migration creates the tables).
 */
export type StoredVocabulary = { readonly [K in DeviceKind]?: KindColumns };

// Keyed bucket first, like the raw tables: a tick of every device lands in the current minute's rows,
// at the end of the table, instead of in one leaf page per device (docs/ARCHITECTURE.md §6: several times faster,
// and the pages being written stay few and cached). A device's series is read by one point lookup per
// bucket (server/store/history.ts).
function deviceTableSql(kind: DeviceKind, g: Granularity, rolled: readonly string[]): string {
  const cols = rolled.map((m) => `  ${m}_sum REAL, ${m}_cnt INTEGER NOT NULL DEFAULT 0, ${m}_min REAL, ${m}_max REAL`);
  return `CREATE TABLE rollup_${kind}_${g} (\n  bucket INTEGER NOT NULL, device INTEGER NOT NULL, n INTEGER NOT NULL,\n${cols.join(',\n')},\n  PRIMARY KEY (bucket, device)\n) WITHOUT ROWID;`;
}

/** A new kind's raw table: the key columns every kind shares, then one REAL per metric (NULL = not known). */
export function samplesTableSql(kind: DeviceKind, raw: readonly string[]): string {
  return `CREATE TABLE samples_${kind} (\n  ts INTEGER NOT NULL, device INTEGER NOT NULL, power_source INTEGER,\n` +
    `  ${raw.map((m) => `${m} REAL`).join(', ')},\n  PRIMARY KEY (ts, device)\n) WITHOUT ROWID;`;
}

/** A new kind's minute and hour rollup tables (empty: its raw table is new too, nothing to backfill). */
export function kindRollupTablesSql(kind: DeviceKind, rolled: readonly string[]): string[] {
  return [deviceTableSql(kind, 'minute', rolled), deviceTableSql(kind, 'hour', rolled)];
}

/** The columns one rolled metric adds to a rollup table, one ALTER each (SQLite adds one per statement). */
export function rollupColumnsSql(kind: DeviceKind, g: Granularity, m: string): string[] {
  const t = `rollup_${kind}_${g}`;
  return [`${m}_sum REAL`, `${m}_cnt INTEGER NOT NULL DEFAULT 0`, `${m}_min REAL`, `${m}_max REAL`]
    .map((col) => `ALTER TABLE ${t} ADD COLUMN ${col};`);
}

function upsertSql(kind: DeviceKind, g: Granularity, rolled: readonly string[]): string {
  const ms = BUCKET_MS[g];
  const t = `rollup_${kind}_${g}`;
  const insCols = rolled.map((m) => `${m}_sum, ${m}_cnt, ${m}_min, ${m}_max`).join(', ');
  const insVals = rolled.map((m) => `NEW.${m}, NEW.${m} IS NOT NULL, NEW.${m}, NEW.${m}`).join(', ');
  const sets = rolled.map((m) =>
    `    ${m}_sum = coalesce(${m}_sum + excluded.${m}_sum, ${m}_sum, excluded.${m}_sum), ${m}_cnt = ${m}_cnt + excluded.${m}_cnt,\n` +
    `    ${m}_min = coalesce(min(${m}_min, excluded.${m}_min), ${m}_min, excluded.${m}_min), ${m}_max = coalesce(max(${m}_max, excluded.${m}_max), ${m}_max, excluded.${m}_max)`,
  ).join(',\n');
  return `  INSERT INTO ${t} (bucket, device, n, ${insCols})\n  VALUES (NEW.ts - NEW.ts % ${ms}, NEW.device, 1, ${insVals})\n  ON CONFLICT (bucket, device) DO UPDATE SET n = n + 1,\n${sets};`;
}

/**
 * Takes the row about to be replaced out of a bucket: its values leave the sums and counts, and the
 * extremes are recomputed without it (minute from the other raw rows of that minute, hour from the
 * minute rows just corrected); the AFTER trigger then folds the new row in like any other. Doing the
 * extremes here, where the old row is still visible, keeps the AFTER trigger (every insert) to two
 * upserts and the table free of a dirty flag.
 */
function subtractSql(kind: DeviceKind, g: Granularity, rolled: readonly string[]): string {
  const ms = BUCKET_MS[g];
  const t = `rollup_${kind}_${g}`;
  const sets = rolled.map((m) => `${m}_sum = r.${m}_sum - coalesce(o.${m}, 0), ${m}_cnt = r.${m}_cnt - (o.${m} IS NOT NULL)`).join(',\n    ');
  const lhs = rolled.map((m) => `${m}_min, ${m}_max`).join(', ');
  // The hour's minutes as point lookups (triggers allow no CTE; a range on bucket alone would scan
  // every device's rows of the hour).
  const minutes = Array.from({ length: HOUR_MS / MINUTE_MS }, (_, i) => `r.bucket + ${i * MINUTE_MS}`).join(', ');
  const rhs = g === 'minute'
    ? `SELECT ${rolled.map((m) => `min(${m}), max(${m})`).join(', ')} FROM samples_${kind} AS s WHERE s.ts >= r.bucket AND s.ts < r.bucket + ${ms} AND s.device = NEW.device AND s.ts <> NEW.ts`
    : `SELECT ${rolled.map((m) => `min(${m}_min), max(${m}_max)`).join(', ')} FROM rollup_${kind}_minute AS m WHERE m.bucket IN (${minutes}) AND m.device = NEW.device`;
  return `  UPDATE ${t} AS r SET n = r.n - 1,\n    ${sets},\n    (${lhs}) =\n    (${rhs})\n  FROM samples_${kind} AS o\n  WHERE o.ts = NEW.ts AND o.device = NEW.device AND r.bucket = NEW.ts - NEW.ts % ${ms} AND r.device = NEW.device;`;
}

function backfillSql(kind: DeviceKind, g: Granularity, rolled: readonly string[]): string {
  const ms = BUCKET_MS[g];
  const cols = rolled.map((m) => `${m}_sum, ${m}_cnt, ${m}_min, ${m}_max`).join(', ');
  const aggs = rolled.map((m) => `sum(${m}), count(${m}), min(${m}), max(${m})`).join(', ');
  return `INSERT INTO rollup_${kind}_${g} (bucket, device, n, ${cols})\n  SELECT ts - ts % ${ms}, device, count(*), ${aggs} FROM samples_${kind} GROUP BY ts - ts % ${ms}, device;`;
}

export interface TriggerOptions {
  /**
   * false: the triggers as 002 wrote them, before the chunk layer (schema v13). Otherwise both skip rows
   * while a marker for their (kind, device) is in chunk_inflating: the rows a compacted window's chunk
   * puts back into samples_<kind> before a late reading into it (server/store/chunks.ts) were counted
   * in the rollups when they first arrived, and must not be counted again.
   */
  chunks?: boolean;
}

function notInflating(kind: DeviceKind): string {
  return `NOT EXISTS (SELECT 1 FROM chunk_inflating WHERE kind = '${kind}' AND device = NEW.device)`;
}

/**
 * A kind's chunk table (issue 15): one row per device and compacted window, every column of the window's
 * raw rows in one blob (server/store/chunk-codec.ts). A rowid table: WITHOUT ROWID stored each blob of a
 * few hundred bytes on its own overflow page (about 2.9 KB a row). Indexed by window_end for retention
 * and for the newest compacted window (the writer's cheap test whether a reading may fall in one).
 */
export function chunksTableSql(kind: DeviceKind, ifNotExists = false): string[] {
  const ine = ifNotExists ? 'IF NOT EXISTS ' : '';
  return [
    `CREATE TABLE ${ine}chunks_${kind} (\n  device INTEGER NOT NULL, window_start INTEGER NOT NULL, window_end INTEGER NOT NULL,\n` +
      `  n INTEGER NOT NULL, blob BLOB NOT NULL,\n  PRIMARY KEY (device, window_start)\n);`,
    `CREATE INDEX ${ine}chunks_${kind}_end ON chunks_${kind} (window_end, device);`,
  ];
}

/**
 * The BEFORE INSERT trigger that drops an identical duplicate and takes a changed one's old values out
 * of the rollups. It names every raw column: a migration that adds a column must re-create it, or a
 * reading that differs only in the new column is dropped as identical.
 */
export function replaceTriggerSql(kind: DeviceKind, cols: KindColumns, opts: TriggerOptions = {}): string {
  // Identity of a duplicate covers every raw column, rolled up or not: a reading that differs only in
  // fan_rpm still replaces the raw row (and leaves the rollups as they were).
  const same = cols.raw.map((m) => `o.${m} IS NEW.${m}`).join(' AND ');
  const skip = opts.chunks === false ? '' : ` AND ${notInflating(kind)}`;
  return `CREATE TRIGGER samples_${kind}_replace BEFORE INSERT ON samples_${kind}\n` +
    `WHEN EXISTS (SELECT 1 FROM samples_${kind} WHERE ts = NEW.ts AND device = NEW.device)${skip}\nBEGIN\n` +
    `  SELECT RAISE(IGNORE) FROM samples_${kind} AS o WHERE o.ts = NEW.ts AND o.device = NEW.device\n    AND o.power_source IS NEW.power_source AND ${same};\n` +
    `${subtractSql(kind, 'minute', cols.rolled)}\n${subtractSql(kind, 'hour', cols.rolled)}\nEND;`;
}

/** The AFTER INSERT trigger that folds each new row into its minute and hour. */
export function rollupTriggerSql(kind: DeviceKind, cols: KindColumns, opts: TriggerOptions = {}): string {
  const when = opts.chunks === false ? '' : `WHEN ${notInflating(kind)}\n`;
  return `CREATE TRIGGER samples_${kind}_rollup AFTER INSERT ON samples_${kind}\n${when}BEGIN\n` +
    `${upsertSql(kind, 'minute', cols.rolled)}\n${upsertSql(kind, 'hour', cols.rolled)}\nEND;`;
}

/** The device-rollup part of migrations/002_rollups.sql, for the vocabulary it was built from (VOCABULARY_V2). */
export function deviceRollupSql(v: StoredVocabulary): string {
  const out: string[] = [];
  for (const kind of DEVICE_KINDS) {
    const cols = v[kind];
    if (cols === undefined) continue;
    out.push(
      deviceTableSql(kind, 'minute', cols.rolled),
      deviceTableSql(kind, 'hour', cols.rolled),
      // Rows stored before this migration get their rollups once; from here on the triggers keep them.
      backfillSql(kind, 'minute', cols.rolled),
      backfillSql(kind, 'hour', cols.rolled),
      replaceTriggerSql(kind, cols, { chunks: false }),
      rollupTriggerSql(kind, cols, { chunks: false }),
    );
  }
  return out.join('\n\n') + '\n';
}
