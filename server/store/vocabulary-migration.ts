// How the device vocabulary grows while migrations stay static SQL. The schema versions are frozen:
// VOCABULARY_V2 is the list migrations/002_rollups.sql was generated from, and every later version's
// vocabulary is the one its migrations build (read back from a database migrated in memory, so a
// migration written by hand counts too). The next migration is generated from the difference between
// that and the declaration (server/core/vocabulary.ts): `npm run migration:new -- <name>`
// (server/store/migration-new.ts).

import type Database from 'better-sqlite3';
import { DEVICE_KINDS, METRICS_BY_KIND, type DeviceKind } from '../core/vocabulary.js';
import { ROLLED_METRICS } from './rollups.js';
import { minuteWindowsTableSql } from './minute-windows.js';
import {
  chunksTableSql, kindRollupTablesSql, replaceTriggerSql, rollupColumnsSql, rollupTriggerSql, samplesTableSql,
  type KindColumns, type StoredVocabulary,
} from './device-rollup-sql.js';

function freeze(v: { [K in DeviceKind]?: KindColumns }): StoredVocabulary {
  for (const cols of Object.values(v)) {
    Object.freeze(cols.raw);
    Object.freeze(cols.rolled);
    Object.freeze(cols);
  }
  return Object.freeze(v);
}

/** The device columns of schema version 2 (001's raw tables, 002's rollups): history, never edited. */
export const VOCABULARY_V2: StoredVocabulary = freeze({
  asic: {
    raw: [
      'hashrate_ths', 'power_w', 'chip_temp_c', 'board_temp_c', 'inlet_temp_c', 'outlet_temp_c', 'fan_rpm',
      'accepted_shares', 'rejected_shares', 'hw_errors', 'chains_ok', 'chains_total', 'uptime_s',
    ],
    rolled: ['hashrate_ths', 'power_w', 'chip_temp_c', 'inlet_temp_c'],
  },
  gpu: {
    raw: [
      'util_pct', 'mem_util_pct', 'mem_used_mib', 'mem_total_mib', 'power_w', 'power_limit_w', 'temp_c',
      'mem_temp_c', 'sm_clock_mhz', 'throttle_thermal', 'throttle_power', 'xid_last', 'ecc_dbe_total',
    ],
    rolled: ['util_pct', 'power_w', 'temp_c', 'mem_temp_c'],
  },
  env: { raw: ['inlet_temp_c', 'outlet_temp_c', 'humidity_pct'], rolled: ['inlet_temp_c', 'outlet_temp_c'] },
  pdu: { raw: ['power_w', 'feed_a_w', 'feed_b_w'], rolled: ['power_w'] },
  cooling_loop: { raw: ['supply_temp_c', 'return_temp_c', 'flow_lpm'], rolled: ['supply_temp_c', 'return_temp_c', 'flow_lpm'] },
  meter: { raw: ['power_w'], rolled: ['power_w'] },
});

/** The vocabulary the declaration asks for. */
export function declaredVocabulary(): StoredVocabulary {
  const out = {} as { [K in DeviceKind]: KindColumns };
  for (const kind of DEVICE_KINDS) out[kind] = { raw: METRICS_BY_KIND[kind], rolled: ROLLED_METRICS[kind] };
  return out;
}

const KEY_COLUMNS = ['ts', 'device', 'power_source'];

/** The vocabulary a database's schema holds: its raw columns and the metrics its minute rollups keep. */
export function storedVocabulary(db: Database.Database): StoredVocabulary {
  const columns = (table: string): string[] =>
    (db.prepare(`PRAGMA table_info(${table})`).all() as { name: string }[]).map((c) => c.name);
  const out: { [K in DeviceKind]?: KindColumns } = {};
  for (const kind of DEVICE_KINDS) {
    const raw = columns(`samples_${kind}`);
    if (raw.length === 0) continue; // no such table: a kind declared after this schema version
    if (KEY_COLUMNS.some((c, i) => raw[i] !== c)) throw new Error(`samples_${kind} does not start with ${KEY_COLUMNS.join(', ')}`);
    const rolled = columns(`rollup_${kind}_minute`).filter((c) => c.endsWith('_sum')).map((c) => c.slice(0, -'_sum'.length));
    out[kind] = { raw: raw.slice(KEY_COLUMNS.length), rolled };
  }
  return out;
}

const IDENTIFIER = /^[a-z][a-z0-9_]*$/;

/** The metrics `to` adds to one kind of `from`; throws on a change no generated migration can make. */
function addedMetrics(kind: DeviceKind, from: KindColumns, to: KindColumns): { raw: string[]; rolled: string[] } {
  for (const m of from.raw) {
    if (!to.raw.includes(m)) {
      throw new Error(`${kind} ${m} is stored but no longer declared: removing or renaming a metric needs a hand-written migration (SQLite's RENAME and DROP COLUMN first need the triggers dropped)`);
    }
  }
  if (from.raw.some((m, i) => to.raw[i] !== m)) {
    throw new Error(`${kind}: the declared metrics ${to.raw.join(', ')} do not start with the stored ones ${from.raw.join(', ')}: a new metric goes after the last of its kind (the store appends its column)`);
  }
  for (const m of from.raw) {
    if (from.rolled.includes(m) !== to.rolled.includes(m)) {
      throw new Error(`${kind} ${m} is stored ${from.rolled.includes(m) ? 'rolled up' : 'raw only'}: changing whether an existing metric is rolled up needs a hand-written migration (its past buckets have no values to backfill from beyond raw retention)`);
    }
  }
  const raw = to.raw.slice(from.raw.length);
  for (const m of raw) if (!IDENTIFIER.test(m)) throw new Error(`${kind} ${JSON.stringify(m)} is not a column name (a-z, 0-9, _)`);
  return { raw, rolled: raw.filter((m) => to.rolled.includes(m)) };
}

/**
 * A kind declared after the schema: its raw table, its minute and hour rollups and their two triggers,
 * the same SQL 002 built for the first six kinds. A kind with nothing rolled up would have rollup tables
 * with no value columns and triggers with empty lists, so it is refused: history and the wall's charts
 * read rollups for every kind.
 */
function newKindSql(kind: DeviceKind, cols: KindColumns): string[] {
  for (const m of cols.raw) if (!IDENTIFIER.test(m)) throw new Error(`${kind} ${JSON.stringify(m)} is not a column name (a-z, 0-9, _)`);
  if (cols.raw.length === 0) throw new Error(`${kind} is declared with no metrics`);
  if (cols.rolled.length === 0) throw new Error(`${kind}: a new kind needs at least one metric with rolled: true (history and charts read its rollups)`);
  return [
    `-- ${kind}\n${samplesTableSql(kind, cols.raw)}`,
    ...kindRollupTablesSql(kind, cols.rolled),
    replaceTriggerSql(kind, cols),
    rollupTriggerSql(kind, cols),
    ...chunksTableSql(kind, true),
    ...minuteWindowsTableSql(kind, true),
  ];
}

/**
 * The migration from the schema's vocabulary to the declared one, or null when they agree. Per kind
 * that changes: the new raw columns, the rolled ones' rollup columns, and the triggers re-created.
 */
export function nextMigrationSql(from: StoredVocabulary, to: StoredVocabulary, version: number, name: string): string | null {
  const body: string[] = [];
  const summary: string[] = [];
  for (const kind of DEVICE_KINDS) {
    const target = to[kind];
    if (target === undefined) throw new Error(`${kind} is stored but no longer declared: removing a kind needs a hand-written migration`);
    const stored = from[kind];
    if (stored === undefined) {
      body.push(...newKindSql(kind, target));
      summary.push(`new kind ${kind}: ${target.raw.map((m) => (target.rolled.includes(m) ? `${m} (rolled up)` : m)).join(', ')}`);
      continue;
    }
    const added = addedMetrics(kind, stored, target);
    if (added.raw.length === 0) continue;
    summary.push(`${kind} ${added.raw.map((m) => (added.rolled.includes(m) ? `${m} (rolled up)` : m)).join(', ')}`);
    const rollupsChange = added.rolled.length > 0;
    const sql = [`-- ${kind}`, `DROP TRIGGER samples_${kind}_replace;`];
    if (rollupsChange) sql.push(`DROP TRIGGER samples_${kind}_rollup;`);
    for (const m of added.raw) sql.push(`ALTER TABLE samples_${kind} ADD COLUMN ${m} REAL;`);
    for (const g of ['minute', 'hour'] as const) for (const m of added.rolled) sql.push(...rollupColumnsSql(kind, g, m));
    body.push(sql.join('\n'), replaceTriggerSql(kind, target));
    if (rollupsChange) body.push(rollupTriggerSql(kind, target));
  }
  if (body.length === 0) return null;
  const header = [
    `-- Floorwatch schema v${version}: ${name}.`,
    '--',
    `-- Generated from server/core/vocabulary.ts by: npm run migration:new -- ${name}`,
    '-- Regenerate rather than edit: test/unit/migrate-vocabulary.test.ts checks that the migrations build the',
    '-- declared columns and triggers.',
    '--',
    `-- New device metrics: ${summary.join('; ')}.`,
    '-- Rows stored before this hold NULL in the new columns (not known, never 0), and rollup rows a count of 0.',
    '-- Each changed kind\'s samples_<kind>_replace trigger is re-created: it tells an identical duplicate by',
    '-- comparing every raw column, and without the new ones it would drop a reading that differs only in them.',
    '-- The triggers go before the ALTERs: SQLite re-checks triggers on ALTER TABLE (RENAME and DROP COLUMN fail',
    '-- on the replace trigger with "no such column: r.n"; ADD COLUMN passes, but nothing depends on that).',
  ];
  return `${header.join('\n')}\n\n${body.join('\n\n')}\n`;
}
