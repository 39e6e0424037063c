import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { openDatabase } from '../../server/store/db.js';
import { loadMigrations, migrate, type Migration } from '../../server/store/migrate.js';
import { registerDevices } from '../../server/store/samples.js';
import { BUCKET_MS } from '../../server/store/rollups.js';
import { replaceTriggerSql, rollupTriggerSql, type KindColumns, type StoredVocabulary } from '../../server/store/device-rollup-sql.js';
import {
  declaredVocabulary, nextMigrationSql, storedVocabulary, VOCABULARY_V2,
} from '../../server/store/vocabulary-migration.js';
import { DEVICE_KINDS, DEVICE_METRICS, METRIC_RANGES, type DeviceKind } from '../../server/core/vocabulary.js';
import { tempDir } from '../helpers/tmp.js';

/** A kind's columns in a vocabulary that must hold it (a kind absent from a schema version is undefined). */
function of(v: StoredVocabulary, kind: DeviceKind): KindColumns {
  const cols = v[kind];
  if (cols === undefined) throw new Error(`${kind} is not in this vocabulary`);
  return cols;
}

const triggerSql = (db: Database.Database, name: string): string | undefined =>
  (db.prepare("SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = ?").get(name) as { sql: string } | undefined)?.sql;

/** The declared vocabulary plus an asic metric kept raw only and a gpu metric rolled up. */
function withExtraMetrics(v: StoredVocabulary): StoredVocabulary {
  return {
    ...v,
    asic: { raw: [...of(v, 'asic').raw, 'fan2_rpm'], rolled: of(v, 'asic').rolled },
    gpu: { raw: [...of(v, 'gpu').raw, 'nvlink_tx_bytes'], rolled: [...of(v, 'gpu').rolled, 'nvlink_tx_bytes'] },
  };
}

describe('the declaration of device metrics', () => {
  it('names each metric of a kind once, as a column name, with its unit in the name', () => {
    const suffix: Record<string, string> = { ths: 'TH/s', w: 'W', c: '°C', rpm: 'rpm', pct: '%', mib: 'MiB', mhz: 'MHz', s: 's', lpm: 'L/min', bps: 'bit/s', ms: 'ms', per_s: '/s', a: 'A' };
    // Compound units (a price, a rate) are named by a longer tail: the longest that matches decides, so
    // `_usd_per_mwh` is USD/MWh and not read as a bare `_mwh`, and `errors_per_s` is a rate, not seconds.
    const compound: [tail: string, unit: string][] = [
      ['_usd_per_mwh', 'USD/MWh'], ['_usd_per_ph_day', 'USD/PH/day'], ['_btc_per_block', 'BTC/block'], ['_usd', 'USD'], ['_per_s', '/s'],
    ];
    const seen = new Set<string>();
    for (const m of DEVICE_METRICS) {
      expect(seen.has(`${m.kind}.${m.name}`), `${m.kind}.${m.name} declared twice`).toBe(false);
      seen.add(`${m.kind}.${m.name}`);
      expect(m.name).toMatch(/^[a-z][a-z0-9_]*$/);
      const tail = compound.find(([t]) => m.name.endsWith(t));
      const unitOfSuffix = tail?.[1] ?? suffix[m.name.slice(m.name.lastIndexOf('_') + 1)];
      if (unitOfSuffix !== undefined) expect(m.unit, m.name).toBe(unitOfSuffix);
      else expect(['count', 'flag', 'code', 'number'], m.name).toContain(m.unit);
      // and the other way: a unit that a name must carry is never declared on a name without it
      if (!['count', 'flag', 'code', 'number'].includes(m.unit)) expect(unitOfSuffix, m.name).toBe(m.unit);
      expect(m.range[0]).toBeLessThan(m.range[1]);
    }
  });

  it('gives a name shared by several kinds one unit and one range (METRIC_RANGES is keyed by name)', () => {
    for (const m of DEVICE_METRICS) {
      for (const o of DEVICE_METRICS.filter((x) => x.name === m.name)) {
        expect([o.kind, o.unit, o.range], m.name).toEqual([o.kind, m.unit, m.range]);
      }
      expect(METRIC_RANGES[m.name]).toEqual(m.range);
    }
  });
});

describe('migrations against the declared vocabulary', () => {
  it('version 2 built exactly the frozen VOCABULARY_V2', () => {
    const db = new Database(':memory:');
    migrate(db, loadMigrations().slice(0, 2));
    expect(storedVocabulary(db)).toEqual(VOCABULARY_V2);
    expect(Object.isFrozen(VOCABULARY_V2) && Object.isFrozen(of(VOCABULARY_V2, 'asic')) && Object.isFrozen(of(VOCABULARY_V2, 'asic').raw)).toBe(true);
    db.close();
  });

  it('the latest migration builds the declared columns and triggers (else: npm run migration:new -- <name>)', () => {
    const db = new Database(':memory:');
    const migrations = loadMigrations();
    migrate(db, migrations);
    const declared = declaredVocabulary();
    const stored = storedVocabulary(db);
    expect(stored).toEqual(declared);
    expect(nextMigrationSql(stored, declared, migrations.length + 1, 'next')).toBeNull();
    // The triggers name the columns: a migration that added one without re-creating them fails here.
    for (const kind of DEVICE_KINDS) {
      expect(`${triggerSql(db, `samples_${kind}_replace`)};`).toBe(replaceTriggerSql(kind, of(declared, kind)));
      expect(`${triggerSql(db, `samples_${kind}_rollup`)};`).toBe(rollupTriggerSql(kind, of(declared, kind)));
    }
    db.close();
  });

  it('the generator refuses what an appended column cannot express', () => {
    const v = declaredVocabulary();
    const change = (kind: DeviceKind, raw: readonly string[], rolled: readonly string[]): StoredVocabulary => ({ ...v, [kind]: { raw, rolled } });
    // Worked on pdu's declared columns, whatever they are now: a metric added to pdu keeps each case's intent.
    const pdu = of(v, 'pdu');
    const last = pdu.raw[pdu.raw.length - 1];
    expect(pdu.rolled, 'the last pdu metric must be raw only for the first case').not.toContain(last);
    // dropping the last stored metric
    expect(() => nextMigrationSql(v, change('pdu', pdu.raw.slice(0, -1), pdu.rolled), 9, 'x'))
      .toThrow(`pdu ${last} is stored but no longer declared: removing or renaming a metric needs a hand-written migration`);
    // a new metric put between stored ones rather than appended
    const inserted = [pdu.raw[0], 'feed_x_w', ...pdu.raw.slice(1)];
    expect(() => nextMigrationSql(v, change('pdu', inserted, pdu.rolled), 9, 'x'))
      .toThrow(`pdu: the declared metrics ${inserted.join(', ')} do not start with the stored ones ${pdu.raw.join(', ')}`);
    // a stored raw-only metric (feed_a_w) declared rolled up
    const rawOnly = pdu.raw.find((m) => !pdu.rolled.includes(m));
    expect(rawOnly).toBe('feed_a_w');
    expect(() => nextMigrationSql(v, change('pdu', pdu.raw, [...pdu.rolled, rawOnly!]), 9, 'x'))
      .toThrow(`pdu ${rawOnly!} is stored raw only: changing whether an existing metric is rolled up needs a hand-written migration`);
    expect(() => nextMigrationSql(v, change('meter', ['power_w', 'bad name'], ['power_w']), 9, 'x'))
      .toThrow('meter "bad name" is not a column name');
  });
});

describe('a generated migration that adds device metrics', () => {
  const T = 3_600_000 * 10; // an hour boundary: minute and hour buckets both start here

  /** The writer's insert (server/store/samples.ts), over the given columns. */
  function put(db: Database.Database, kind: DeviceKind, cols: readonly string[], ts: number, device: number, values: Record<string, number | null>): void {
    db.prepare(`INSERT OR REPLACE INTO samples_${kind} (ts, device, power_source, ${cols.join(', ')}) VALUES (?, ?, ?${', ?'.repeat(cols.length)})`)
      .run(ts, device, null, ...cols.map((c) => values[c] ?? null));
  }

  /**
   * A database at the current version holding readings, then one more migration (built from the schema's
   * vocabulary, so this tests the generated SQL even while the declaration is ahead of the migrations)
   * applied by migrate(); the schema then holds `extend(stored)`.
   */
  function migratedWith(
    dir: string, extend: (stored: StoredVocabulary) => StoredVocabulary, sql: (stored: StoredVocabulary, v: StoredVocabulary, current: number) => string,
  ): { db: Database.Database; v: StoredVocabulary; asic: number; gpu: number } {
    const path = join(dir, 'fw.db');
    const before = openDatabase(path);
    const keys = registerDevices(before, [{ id: 'A1', kind: 'asic' }, { id: 'G1', kind: 'gpu' }]);
    const asic = keys.get('A1') as number;
    const gpu = keys.get('G1') as number;
    // Written over the schema's columns (not the declaration's, which may be ahead of the migrations).
    const stored = storedVocabulary(before);
    before.transaction(() => {
      for (let i = 0; i < 4; i++) {
        put(before, 'asic', of(stored, 'asic').raw, T + i * 15_000, asic, { power_w: 3000 + i, hashrate_ths: 200, fan_rpm: 4000 });
        put(before, 'gpu', of(stored, 'gpu').raw, T + i * 15_000, gpu, { power_w: 600 + i, util_pct: 90 });
      }
    })();
    before.close();
    const v = extend(stored);
    const migrations = loadMigrations();
    const next: Migration = { version: migrations.length + 1, name: `${migrations.length + 1}_extra.sql`, sql: sql(stored, v, migrations.length) };
    const db = new Database(path);
    expect(migrate(db, [...migrations, next])).toEqual({ from: migrations.length, to: migrations.length + 1 });
    expect(storedVocabulary(db)).toEqual(v);
    return { db, v, asic, gpu };
  }

  /** Every rollup row of a kind against the same aggregates computed from the raw rows. */
  function expectRollupsAgree(db: Database.Database, kind: DeviceKind, rolled: readonly string[]): void {
    for (const [g, ms] of Object.entries(BUCKET_MS)) {
      const cols = rolled.map((m) => `${m}_sum, ${m}_cnt, ${m}_min, ${m}_max`).join(', ');
      const aggs = rolled.map((m) => `sum(${m}), count(${m}), min(${m}), max(${m})`).join(', ');
      const kept = db.prepare(`SELECT bucket, device, n, ${cols} FROM rollup_${kind}_${g} ORDER BY bucket, device`).raw(true).all();
      const fromRaw = db.prepare(`SELECT ts - ts % ${ms} AS b, device, count(*), ${aggs} FROM samples_${kind} GROUP BY b, device ORDER BY b, device`).raw(true).all();
      expect(kept, `${kind} ${g}`).toEqual(fromRaw);
      expect(kept.length).toBeGreaterThan(0);
    }
  }

  it('keeps a reading that differs from the stored one only in a new column (the last one replaces it)', () => {
    const t = tempDir();
    try {
      const { db, v, asic, gpu } = migratedWith(t.dir, withExtraMetrics, (stored, v, current) => nextMigrationSql(stored, v, current + 1, 'extra') as string);
      const a = of(v, 'asic').raw;
      const g = of(v, 'gpu').raw;
      const fan2 = (ts: number) => (db.prepare('SELECT fan2_rpm AS x FROM samples_asic WHERE ts = ? AND device = ?').get(ts, asic) as { x: number | null }).x;
      const nvlink = (ts: number) => (db.prepare('SELECT nvlink_tx_bytes AS x FROM samples_gpu WHERE ts = ? AND device = ?').get(ts, gpu) as { x: number | null }).x;

      // A reading stored before the migration, sent again with the new metric: it differs only there.
      expect(fan2(T)).toBeNull();
      put(db, 'asic', a, T, asic, { power_w: 3000, hashrate_ths: 200, fan_rpm: 4000, fan2_rpm: 3900 });
      expect(fan2(T)).toBe(3900);
      // Two readings after the migration, the same but for the new metric: the second replaces the first.
      const later = { power_w: 3100, hashrate_ths: 201, fan_rpm: 4100 };
      put(db, 'asic', a, T + 60_000, asic, { ...later, fan2_rpm: 1000 });
      put(db, 'asic', a, T + 60_000, asic, { ...later, fan2_rpm: 2000 });
      expect(fan2(T + 60_000)).toBe(2000);
      // An identical duplicate still changes nothing.
      const n = (db.prepare(`SELECT n FROM rollup_asic_minute WHERE bucket = ? AND device = ?`).get(T + 60_000, asic) as { n: number }).n;
      put(db, 'asic', a, T + 60_000, asic, { ...later, fan2_rpm: 2000 });
      expect((db.prepare(`SELECT n FROM rollup_asic_minute WHERE bucket = ? AND device = ?`).get(T + 60_000, asic) as { n: number }).n).toBe(n);
      expect((db.prepare('SELECT count(*) AS n FROM samples_asic').get() as { n: number }).n).toBe(5);

      // The rolled new metric: replaced in raw and in the rollups.
      put(db, 'gpu', g, T, gpu, { power_w: 600, util_pct: 90, nvlink_tx_bytes: 10 });
      put(db, 'gpu', g, T, gpu, { power_w: 600, util_pct: 90, nvlink_tx_bytes: 30 });
      put(db, 'gpu', g, T + 15_000, gpu, { power_w: 601, util_pct: 90, nvlink_tx_bytes: 50 });
      expect(nvlink(T)).toBe(30);
      expect(db.prepare('SELECT n, nvlink_tx_bytes_sum AS sum, nvlink_tx_bytes_cnt AS cnt, nvlink_tx_bytes_min AS min, nvlink_tx_bytes_max AS max FROM rollup_gpu_minute WHERE bucket = ? AND device = ?').get(T, gpu))
        .toEqual({ n: 4, sum: 80, cnt: 2, min: 30, max: 50 });

      expectRollupsAgree(db, 'asic', of(v, 'asic').rolled);
      expectRollupsAgree(db, 'gpu', of(v, 'gpu').rolled);
      db.close();
    } finally {
      t.cleanup();
    }
  });

  it('(the trap it closes) a bare ADD COLUMN leaves the duplicate trigger comparing the old columns, and drops that reading', () => {
    const t = tempDir();
    try {
      const fan2 = (s: StoredVocabulary): StoredVocabulary => ({ ...s, asic: { raw: [...of(s, 'asic').raw, 'fan2_rpm'], rolled: of(s, 'asic').rolled } });
      const { db, v, asic } = migratedWith(t.dir, fan2, () => 'ALTER TABLE samples_asic ADD COLUMN fan2_rpm REAL;');
      const later = { power_w: 3100, hashrate_ths: 201, fan_rpm: 4100 };
      put(db, 'asic', of(v, 'asic').raw, T + 60_000, asic, { ...later, fan2_rpm: 1000 });
      put(db, 'asic', of(v, 'asic').raw, T + 60_000, asic, { ...later, fan2_rpm: 2000 });
      expect(db.prepare('SELECT fan2_rpm AS x FROM samples_asic WHERE ts = ? AND device = ?').get(T + 60_000, asic)).toEqual({ x: 1000 });
      db.close();
    } finally {
      t.cleanup();
    }
  });

  it('creates the tables and triggers of a kind declared after the schema, and they roll up like 002\'s', () => {
    // DeviceKind is a closed union, so a "new" kind is played by meter: a database at the current version
    // with meter's tables dropped is a schema from before meter was declared.
    const t = tempDir();
    try {
      const path = join(t.dir, 'fw.db');
      const before = openDatabase(path);
      const keys = registerDevices(before, [{ id: 'M1', kind: 'meter' }]);
      const meter = keys.get('M1') as number;
      for (const sql of ['DROP TRIGGER samples_meter_replace', 'DROP TRIGGER samples_meter_rollup', 'DROP TABLE rollup_meter_minute', 'DROP TABLE rollup_meter_hour', 'DROP TABLE samples_meter']) before.exec(sql);
      const stored = storedVocabulary(before);
      expect(stored.meter).toBeUndefined();
      const declared = declaredVocabulary();
      const migrations = loadMigrations();
      const sql = nextMigrationSql(stored, declared, migrations.length + 1, 'meter_again') as string;
      expect(sql).toContain('New device metrics: new kind meter: power_w (rolled up).');
      before.exec(sql);
      expect(storedVocabulary(before)).toEqual(declared);
      expect(`${triggerSql(before, 'samples_meter_replace')};`).toBe(replaceTriggerSql('meter', of(declared, 'meter')));
      expect(`${triggerSql(before, 'samples_meter_rollup')};`).toBe(rollupTriggerSql('meter', of(declared, 'meter')));
      const cols = of(declared, 'meter').raw;
      put(before, 'meter', cols, T, meter, { power_w: 1000 });
      put(before, 'meter', cols, T + 15_000, meter, { power_w: 3000 });
      put(before, 'meter', cols, T + 15_000, meter, { power_w: 2000 }); // replaces the 3000
      put(before, 'meter', cols, T + 30_000, meter, { power_w: null });
      expect(before.prepare('SELECT n, power_w_sum AS sum, power_w_cnt AS cnt, power_w_min AS min, power_w_max AS max FROM rollup_meter_minute WHERE bucket = ? AND device = ?').get(T, meter))
        .toEqual({ n: 3, sum: 3000, cnt: 2, min: 1000, max: 2000 });
      expectRollupsAgree(before, 'meter', of(declared, 'meter').rolled);
      before.close();
    } finally {
      t.cleanup();
    }
  });

  it('refuses a new kind with nothing rolled up, and a kind no longer declared', () => {
    const v = declaredVocabulary();
    const { meter: _meter, ...withoutMeter } = v;
    expect(() => nextMigrationSql(withoutMeter, { ...v, meter: { raw: ['power_w'], rolled: [] } }, 9, 'x'))
      .toThrow('meter: a new kind needs at least one metric with rolled: true');
    expect(() => nextMigrationSql(v, withoutMeter, 9, 'x')).toThrow('meter is stored but no longer declared');
  });
});
