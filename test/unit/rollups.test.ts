import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { openDatabase, type Db } from '../../server/store/db.js';
import { prepareSampleInserts, registerDevices, rowValues, type SampleStatements } from '../../server/store/samples.js';
import { createScopeRollups, registerScopes, scopeSamples, SCOPE_METRIC_CODE, type ScopeMetric } from '../../server/store/rollups.js';
import { deviceRollupSql } from '../../server/store/device-rollup-sql.js';
import { VOCABULARY_V2 } from '../../server/store/vocabulary-migration.js';
import { packageRoot } from '../../server/store/paths.js';
import type { Figures, Reading } from '../../server/core/types.js';
import { tempDir } from '../helpers/tmp.js';

describe('device rollups (triggers on the raw tables)', () => {
  const t = tempDir();
  let db: Db;
  let stmts: SampleStatements;
  let key: number;
  const put = (ts: number, metrics: Reading['metrics']): void => {
    db.transaction(() => stmts.insert.asic(ts, key, null, rowValues('asic', metrics)))();
  };
  const row = (g: 'minute' | 'hour', bucket: number) =>
    db.prepare(`SELECT n, power_w_sum AS sum, power_w_cnt AS cnt, power_w_min AS min, power_w_max AS max, hashrate_ths_cnt AS hcnt FROM rollup_asic_${g} WHERE device = ? AND bucket = ?`)
      .get(key, bucket) as { n: number; sum: number; cnt: number; min: number; max: number; hcnt: number };

  beforeEach(() => {
    db = openDatabase(join(t.dir, `r-${Math.random()}.db`));
    key = registerDevices(db, [{ id: 'A1', kind: 'asic' }]).get('A1') as number;
    stmts = prepareSampleInserts(db);
  });
  afterEach(() => db.close());

  it('the migration file holds exactly the trigger SQL generated from the vocabulary it was built from', () => {
    const file = readFileSync(join(packageRoot(), 'migrations', '002_rollups.sql'), 'utf8');
    expect(file.endsWith(deviceRollupSql(VOCABULARY_V2))).toBe(true);
  });

  it('sums, counts, min and max per minute and hour; nulls count for nothing', () => {
    put(0, { power_w: 3000, hashrate_ths: 200 });
    put(15_000, { power_w: 3100 });
    put(45_000, { power_w: null });
    put(60_000, { power_w: 2000 });
    // late: arrives after the next minute's reading
    put(30_000, { power_w: 3200 });
    // minute 0: 3000 + 3100 + 3200 = 9300 over 3 values, 4 readings
    expect(row('minute', 0)).toEqual({ n: 4, sum: 9300, cnt: 3, min: 3000, max: 3200, hcnt: 1 });
    expect(row('minute', 60_000)).toEqual({ n: 1, sum: 2000, cnt: 1, min: 2000, max: 2000, hcnt: 0 });
    // hour 0: 9300 + 2000 = 11300 over 4 values
    expect(row('hour', 0)).toEqual({ n: 5, sum: 11300, cnt: 4, min: 2000, max: 3200, hcnt: 1 });
  });

  it('an identical duplicate changes nothing, raw or rollup', () => {
    put(0, { power_w: 3000 });
    put(15_000, { power_w: 3100 });
    put(15_000, { power_w: 3100 });
    put(15_000, { power_w: 3100 });
    expect(row('minute', 0)).toEqual({ n: 2, sum: 6100, cnt: 2, min: 3000, max: 3100, hcnt: 0 });
    expect(row('hour', 0)).toEqual({ n: 2, sum: 6100, cnt: 2, min: 3000, max: 3100, hcnt: 0 });
    expect((db.prepare('SELECT count(*) AS n FROM samples_asic').get() as { n: number }).n).toBe(2);
  });

  it('a changed duplicate replaces the old values in sums and extremes (last wins, as in raw)', () => {
    put(0, { power_w: 3000 });
    put(15_000, { power_w: 3100 });
    put(30_000, { power_w: 3200 });
    put(60_000, { power_w: 2000 });
    put(0, { power_w: 3600 }); // raises the max
    // minute 0: 3600 + 3100 + 3200 = 9900
    expect(row('minute', 0)).toEqual({ n: 3, sum: 9900, cnt: 3, min: 3100, max: 3600, hcnt: 0 });
    expect(row('hour', 0)).toEqual({ n: 4, sum: 11900, cnt: 4, min: 2000, max: 3600, hcnt: 0 });
    put(0, { power_w: 2900 }); // the old max 3600 must leave: max falls back to 3200
    expect(row('minute', 0)).toEqual({ n: 3, sum: 9200, cnt: 3, min: 2900, max: 3200, hcnt: 0 });
    expect(row('hour', 0)).toEqual({ n: 4, sum: 11200, cnt: 4, min: 2000, max: 3200, hcnt: 0 });
    put(60_000, { power_w: null, hashrate_ths: 150 }); // a value becomes null: count drops
    expect(row('minute', 60_000)).toEqual({ n: 1, sum: 0, cnt: 0, min: null, max: null, hcnt: 1 });
    expect(row('hour', 0)).toEqual({ n: 4, sum: 9200, cnt: 3, min: 2900, max: 3200, hcnt: 1 });
  });

  it('a failed commit rolls the rollups back with the raw rows', () => {
    put(0, { power_w: 3000 });
    expect(() => db.transaction(() => {
      stmts.insert.asic(15_000, key, null, rowValues('asic', { power_w: 5000 }));
      throw new Error('disk full');
    })()).toThrow('disk full');
    expect(row('minute', 0)).toEqual({ n: 1, sum: 3000, cnt: 1, min: 3000, max: 3000, hcnt: 0 });
  });
});

// A Figures value with only what the scope rollups read.
function figures(p: { rack_w: number | null; ths: number | null; it_w: number | null; fac_w: number | null; inlet: number | null }): Figures {
  const agg = {
    it_power_w: p.it_w, it_power_complete: true, facility_power_w: p.fac_w, pue: p.it_w && p.fac_w ? p.fac_w / p.it_w : null,
    hashrate_ths: p.ths, gpu_util_pct: null, worst_inlet_c: p.inlet,
  };
  return {
    racks: [{ id: 'R1', power_w: p.rack_w, hashrate_ths: p.ths, gpu_util_pct: null, inlet_temp_c: p.inlet }],
    halls: [{ id: 'H', ...agg }],
    site: agg,
    loops: [],
  } as unknown as Figures;
}

describe('scope rollups from the tick', () => {
  it('leaves nulls out and integrates energy over the tick interval', () => {
    const s = scopeSamples(figures({ rack_w: 3600, ths: null, it_w: 3600, fac_w: 5400, inlet: null }), 1000);
    const rack = s.filter((x) => x.scope === 'rack:R1').map((x) => [x.metric, x.value]);
    // 3600 W for 1 s = 1 Wh
    expect(rack).toEqual([['power_w', 3600], ['energy_wh', 1]]);
    const site = new Map(s.filter((x) => x.scope === 'site').map((x) => [x.metric, x.value]));
    expect(site.get('pue')).toBe(1.5);
    expect(site.get('pue_it_wh')).toBe(1);
    expect(site.get('pue_facility_wh')).toBe(1.5);
    expect(site.has('hashrate_ths')).toBe(false);
    expect(scopeSamples(figures({ rack_w: 3600, ths: null, it_w: null, fac_w: 5400, inlet: null }), null)
      .some((x) => x.metric.endsWith('_wh'))).toBe(false);
  });

  it('accumulates per minute, adds partial flushes, and carries on after a restart', () => {
    const t = tempDir();
    const path = join(t.dir, 's.db');
    let db = openDatabase(path);
    const get = (g: string, metric: ScopeMetric, bucket: number) => db.prepare(
      `SELECT sum, cnt, vmin AS min, vmax AS max FROM rollup_scope_${g} WHERE scope = (SELECT id FROM rollup_scopes WHERE name = 'rack:R1') AND metric = ? AND bucket = ?`,
    ).get(SCOPE_METRIC_CODE.get(metric), bucket);
    let r = createScopeRollups(db, { scopes: registerScopes(db, ['site', 'hall:H', 'rack:R1']), flushEveryMs: 10_000 });
    const f = (w: number) => figures({ rack_w: w, ths: 100, it_w: w, fac_w: w * 1.2, inlet: 25 });
    r.record(f(1000), 58_000); // first tick: no energy (no predecessor)
    r.record(f(2000), 59_000); // 2000 W × 1 s = 0.5556 Wh
    r.record(f(3000), 60_000); // new minute: minute 0 written
    r.record(f(3600), 61_000); // 1 Wh
    r.record(f(4000), 62_000);
    expect(get('minute', 'power_w', 0)).toEqual({ sum: 3000, cnt: 2, min: 1000, max: 2000 });
    expect(get('minute', 'power_w', 60_000)).toBeUndefined(); // still in memory
    r.flush();
    db.close();
    // restart: a new process adds into the same rows; the first tick after it integrates nothing
    db = openDatabase(path);
    r = createScopeRollups(db, { scopes: registerScopes(db, ['site', 'hall:H', 'rack:R1']) });
    r.record(f(500), 63_000);
    r.flush();
    expect(get('minute', 'power_w', 60_000)).toEqual({ sum: 3000 + 3600 + 4000 + 500, cnt: 4, min: 500, max: 4000 });
    expect(get('hour', 'power_w', 0)).toEqual({ sum: 14100, cnt: 6, min: 500, max: 4000 });
    const e = get('hour', 'energy_wh', 0) as { sum: number; cnt: number };
    // 2000/3600 + 3000/3600 + 3600/3600 + 4000/3600 Wh
    expect(e.cnt).toBe(4);
    expect(e.sum).toBeCloseTo((2000 + 3000 + 3600 + 4000) / 3600, 9);
    db.close();
    t.cleanup();
  });

  it('a write refused by another connection\'s lock loses no tick: the minutes wait and go out with the next one (issue 11 case 2)', () => {
    const t = tempDir();
    const path = join(t.dir, 'l.db');
    const db = openDatabase(path, { busyTimeoutMs: 1 });
    const other = new Database(path);
    // written only when the minute turns (and by flush())
    const r = createScopeRollups(db, { scopes: registerScopes(db, ['site', 'hall:H', 'rack:R1']), flushEveryMs: 10_000_000 });
    const f = (w: number) => figures({ rack_w: w, ths: 100, it_w: w, fac_w: w * 1.2, inlet: 25 });
    const get = (bucket: number) => db.prepare(
      "SELECT sum, cnt FROM rollup_scope_minute WHERE scope = (SELECT id FROM rollup_scopes WHERE name = 'rack:R1') AND metric = ? AND bucket = ?",
    ).get(SCOPE_METRIC_CODE.get('power_w'), bucket);
    r.record(f(1000), 58_000);
    other.exec('BEGIN IMMEDIATE');
    expect(() => r.record(f(2000), 60_000)).toThrow(/locked/); // minute 0 refused; this tick still counted
    expect(() => r.record(f(3000), 61_000)).toThrow(/locked/);
    other.exec('COMMIT');
    r.record(f(4000), 62_000);
    expect(get(0)).toEqual({ sum: 1000, cnt: 1 });
    r.flush();
    expect(get(60_000)).toEqual({ sum: 9000, cnt: 3 });
    other.close();
    db.close();
    t.cleanup();
  });

  it('a tick after a gap longer than 10 s integrates no energy, and a clock step back is not counted', () => {
    const s = scopeSamples(figures({ rack_w: 1000, ths: null, it_w: null, fac_w: null, inlet: null }), null);
    expect(s.map((x) => x.metric)).toEqual(['power_w']);
    const db = openDatabase(':memory:');
    const r = createScopeRollups(db, { scopes: registerScopes(db, ['rack:R1']) });
    const f = figures({ rack_w: 3600, ths: null, it_w: null, fac_w: null, inlet: null });
    r.record(f, 0);
    r.record(f, 20_000); // 20 s gap: no energy
    r.record(f, 19_000); // back in time: ignored
    r.record(f, 21_000); // 1 Wh
    r.flush();
    const rows = db.prepare('SELECT metric, sum, cnt FROM rollup_scope_minute ORDER BY metric').all();
    expect(rows).toEqual([
      { metric: SCOPE_METRIC_CODE.get('power_w'), sum: 3 * 3600, cnt: 3 },
      { metric: SCOPE_METRIC_CODE.get('energy_wh'), sum: 1, cnt: 1 },
    ]);
    db.close();
  });
});
