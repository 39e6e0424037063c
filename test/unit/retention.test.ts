import { describe, expect, it } from 'vitest';
import { openDatabase, type Db } from '../../server/store/db.js';
import { prepareSampleInserts, registerDevices, rowValues } from '../../server/store/samples.js';
import { registerScopes, SCOPE_METRIC_CODE } from '../../server/store/rollups.js';
import { createRetention } from '../../server/store/retention.js';
import { readRollupChunks } from '../../server/store/rollup-chunks.js';
import { tempDir } from '../helpers/tmp.js';
import { join } from 'node:path';

const H = 3_600_000;
const D = 24 * H;
const NOW = 1000 * D; // a round "now": cutoffs fall on bucket boundaries

function count(db: Db, sql: string): number {
  return (db.prepare(sql).get() as { n: number }).n;
}

/**
 * The distinct buckets of a device rollup, in its table or compacted (each retention step also moves
 * final rows into chunks: server/store/rollup-chunks.ts), ascending.
 */
function deviceBuckets(db: Db, kind: 'asic', g: 'minute' | 'hour'): number[] {
  const set = new Set(db.prepare(`SELECT DISTINCT bucket FROM rollup_${kind}_${g}`).pluck().all() as number[]);
  for (const d of db.prepare('SELECT id FROM devices').pluck().all() as number[]) {
    for (const r of readRollupChunks(db, kind, g, d, -2 * NOW, 2 * NOW)) set.add(r[0] as number);
  }
  return [...set].sort((a, b) => a - b);
}

function filled(): { db: Db; cleanup(): void } {
  const t = tempDir();
  const db = openDatabase(join(t.dir, 'r.db'));
  const keys = registerDevices(db, [{ id: 'A1', kind: 'asic' }, { id: 'A2', kind: 'asic' }, { id: 'P1', kind: 'pdu' }]);
  const s = prepareSampleInserts(db);
  db.transaction(() => {
    // raw (and, through the triggers, minute and hour rows) at 49 h, 47 h and 1 h ago
    for (const ago of [49 * H, 47 * H, H]) {
      for (const d of ['A1', 'A2']) s.insert.asic(NOW - ago, keys.get(d) as number, null, rowValues('asic', { power_w: 3000 }));
      s.insert.pdu(NOW - ago, keys.get('P1') as number, null, rowValues('pdu', { power_w: 9000 }));
    }
    // older rollups written directly: device minutes 8 and 6 days old (device_minute_days 7), scope
    // minutes 91 and 89 days (minute_days 90), hours 1826 and 1824 days (hour_days 1825)
    const min = db.prepare('INSERT INTO rollup_asic_minute (device, bucket, n, power_w_sum, power_w_cnt) VALUES (?, ?, 1, 1, 1)');
    const hr = db.prepare('INSERT INTO rollup_asic_hour (device, bucket, n, power_w_sum, power_w_cnt) VALUES (?, ?, 1, 1, 1)');
    for (const d of ['A1', 'A2']) {
      for (const ago of [8 * D, 6 * D]) min.run(keys.get(d), NOW - ago);
      for (const ago of [1826 * D, 1824 * D]) hr.run(keys.get(d), NOW - ago);
    }
    const scopes = registerScopes(db, ['site', 'rack:R1']);
    const sc = db.prepare('INSERT INTO rollup_scope_minute (scope, metric, bucket, sum, cnt, vmin, vmax) VALUES (?, ?, ?, 1, 1, 1, 1)');
    const sh = db.prepare('INSERT INTO rollup_scope_hour (scope, metric, bucket, sum, cnt, vmin, vmax) VALUES (?, ?, ?, 1, 1, 1, 1)');
    for (const id of scopes.values()) {
      for (const m of ['power_w', 'energy_wh'] as const) {
        for (const ago of [91 * D, 89 * D]) sc.run(id, SCOPE_METRIC_CODE.get(m), NOW - ago);
        for (const ago of [1826 * D, 1824 * D]) sh.run(id, SCOPE_METRIC_CODE.get(m), NOW - ago);
      }
    }
  })();
  return { db, cleanup: () => { db.close(); t.cleanup(); } };
}

const settings = { raw_hours: 48, minute_days: 90, hour_days: 1825, device_minute_days: 7 };

describe('retention', () => {
  it('deletes exactly the rows past each table\'s age and nothing else', () => {
    const { db, cleanup } = filled();
    expect(count(db, 'SELECT count(*) AS n FROM samples_asic')).toBe(6);
    const r = createRetention(db, settings, { now: () => NOW });
    let steps = 0;
    while (!r.step().pass_complete) steps++;
    expect(steps).toBeLessThan(5);
    // raw: only the 49 h old tick goes (2 asic rows, 1 pdu row)
    expect(db.prepare('SELECT DISTINCT ts FROM samples_asic ORDER BY ts').pluck().all()).toEqual([NOW - 47 * H, NOW - H]);
    expect(db.prepare('SELECT ts FROM samples_pdu ORDER BY ts').pluck().all()).toEqual([NOW - 47 * H, NOW - H]);
    // device minute rollups: the 8-day rows go; the 6-day rows and the 49 h old minute (from the triggers) stay
    expect(deviceBuckets(db, 'asic', 'minute'))
      .toEqual([NOW - 6 * D, NOW - 49 * H, NOW - 47 * H, NOW - H]);
    expect(count(db, 'SELECT count(*) AS n FROM rollup_pdu_minute')).toBe(3);
    expect(deviceBuckets(db, 'asic', 'hour'))
      .toEqual([NOW - 1824 * D, NOW - 49 * H, NOW - 47 * H, NOW - H]);
    // scopes: 2 scopes × 2 metrics keep their 89-day minute and 1824-day hour rows
    expect(db.prepare('SELECT DISTINCT bucket FROM rollup_scope_minute').pluck().all()).toEqual([NOW - 89 * D]);
    expect(count(db, 'SELECT count(*) AS n FROM rollup_scope_minute')).toBe(4);
    expect(db.prepare('SELECT DISTINCT bucket FROM rollup_scope_hour').pluck().all()).toEqual([NOW - 1824 * D]);
    expect(count(db, 'SELECT count(*) AS n FROM rollup_scope_hour')).toBe(4);
    // deleting raw rows must not touch the rollups (no delete triggers): the 49 h minute still sums 2 devices
    expect(count(db, `SELECT count(*) AS n FROM rollup_asic_minute WHERE bucket = ${NOW - 49 * H} AND power_w_sum = 3000`)).toBe(2);
    cleanup();
  });

  it('device minute rollups default to 7 days when device_minute_days is absent; scope minutes keep minute_days', () => {
    const { db, cleanup } = filled();
    const r = createRetention(db, { raw_hours: 48, minute_days: 90, hour_days: 1825 }, { now: () => NOW });
    while (!r.step().pass_complete);
    expect(deviceBuckets(db, 'asic', 'minute'))
      .toEqual([NOW - 6 * D, NOW - 49 * H, NOW - 47 * H, NOW - H]);
    expect(db.prepare('SELECT DISTINCT bucket FROM rollup_scope_minute').pluck().all()).toEqual([NOW - 89 * D]);
    cleanup();
  });

  it('works in bounded chunks and hands freed pages back', () => {
    const t = tempDir();
    // a new database from openDatabase: auto_vacuum must have been set before WAL wrote the header
    const db = openDatabase(join(t.dir, 'c.db'));
    expect(db.pragma('auto_vacuum', { simple: true })).toBe(2);
    const keys = registerDevices(db, Array.from({ length: 50 }, (_, i) => ({ id: `D${i}`, kind: 'asic' as const })));
    const s = prepareSampleInserts(db);
    db.transaction(() => {
      // 200 ticks × 50 devices = 10,000 expired raw rows, 3 days old
      for (let k = 0; k < 200; k++) {
        for (const key of keys.values()) s.insert.asic(NOW - 72 * H + k * 1000, key, null, rowValues('asic', { power_w: 3000 + k, hashrate_ths: 200 }));
      }
    })();
    const r = createRetention(db, settings, { now: () => NOW, maxRows: 1010, budgetMs: 50 });
    const first = r.step();
    // the bound is (ts, device): 1010 rows = 20 whole ticks and the first 10 devices of the 21st
    expect(first.deleted).toBe(1010);
    expect(count(db, 'SELECT count(*) AS n FROM samples_asic')).toBe(8990);
    expect(count(db, `SELECT count(*) AS n FROM samples_asic WHERE ts = ${NOW - 72 * H + 20_000}`)).toBe(40);
    let total = first.deleted;
    let vacuumed = first.vacuumed_pages;
    for (let i = 0; i < 20; i++) {
      const st = r.step();
      expect(st.deleted).toBeLessThanOrEqual(1010);
      total += st.deleted;
      vacuumed += st.vacuumed_pages;
    }
    expect(total).toBe(10_000);
    expect(count(db, 'SELECT count(*) AS n FROM samples_asic')).toBe(0);
    expect(vacuumed).toBeGreaterThan(0);
    expect(db.pragma('freelist_count', { simple: true })).toBe(0);
    db.close();
    t.cleanup();
  });
});
