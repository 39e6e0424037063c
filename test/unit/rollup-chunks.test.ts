import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { openDatabase, type Db } from '../../server/store/db.js';
import { prepareSampleInserts, registerDevices, rowValues } from '../../server/store/samples.js';
import { createRollupCompaction, readRollupChunks, rollupChunkColumns, rollupWatermark, ROLLUP_CHUNK_WINDOW_MS } from '../../server/store/rollup-chunks.js';
import { createRetention } from '../../server/store/retention.js';
import { queryHistory } from '../../server/store/history.js';
import { DEVICE_KINDS } from '../../server/core/types.js';
import { mulberry32 } from '../../server/sim/prng.js';
import { smallSite, tempDir } from '../helpers/site.js';

const M = 60_000;
const H = 60 * M;
const D = 24 * H;
const NOW = 1000 * D + 7 * H + 13 * M; // not on a window boundary
const settings = { raw_hours: 48, minute_days: 90, hour_days: 1825, device_minute_days: 7 };
const model = { ...smallSite(), retention: settings };
const ASICS = ['M-01-01', 'M-01-02', 'M-01-03'];

/** Four days of readings every 30 s for three miners and a PDU, with gaps and nulls, written through the triggers. */
function site(path: string): { db: Db; keys: Map<string, number> } {
  const db = openDatabase(path);
  const keys = registerDevices(db, [...model.devices.values()].map((d) => ({ id: d.id, kind: d.kind })));
  const s = prepareSampleInserts(db);
  const rnd = mulberry32(15);
  db.transaction(() => {
    for (let t = NOW - 4 * D; t < NOW; t += 30_000) {
      for (const id of ASICS) {
        if (rnd() < 0.02) continue; // a missed poll
        s.insert.asic(t, keys.get(id) as number, 0, rowValues('asic', {
          hashrate_ths: Math.round((190 + rnd() * 20) * 100) / 100,
          power_w: Math.round(3400 + rnd() * 200),
          chip_temp_c: rnd() < 0.05 ? null : Math.round((60 + rnd() * 15) * 10) / 10,
          inlet_temp_c: 20 + (rnd() * 3) / 7, // no decimal fits: Gorilla
        }));
      }
      s.insert.pdu(t, keys.get('M-01-pdu') as number, 2, rowValues('pdu', { power_w: Math.round(10_300 + rnd() * 400) }));
    }
  })();
  return { db, keys };
}

function tableRows(db: Db, table: string): unknown[][] {
  return db.prepare(`SELECT * FROM ${table} ORDER BY device, bucket`).raw(true).all() as unknown[][];
}

/**
 * Every row of a device rollup as a reader sees it, as [device, bucket, ...]: from the table at and after
 * the watermark, from the chunks before it.
 */
function allRows(db: Db, kind: 'asic' | 'pdu', g: 'minute' | 'hour'): unknown[][] {
  const table = db.prepare(`SELECT device, bucket, ${rollupChunkColumns(db, kind, g).join(', ')} FROM rollup_${kind}_${g} WHERE bucket >= ?`)
    .raw(true).all(rollupWatermark(db, kind, g)) as unknown[][];
  const devices = db.prepare('SELECT id FROM devices').pluck().all() as number[];
  const chunked = devices.flatMap((d) => readRollupChunks(db, kind, g, d, 0, 2 * NOW).map((r) => [d, ...r]));
  return [...table, ...chunked].sort((a, b) => (a[0] as number) - (b[0] as number) || (a[1] as number) - (b[1] as number));
}

function compactAll(db: Db, now = NOW): { chunks: number; rows: number; windows: number } {
  const c = createRollupCompaction(db, settings);
  const total = { chunks: 0, rows: 0, windows: 0 };
  for (;;) {
    const r = c.step(now, 1000);
    if (r.rows === 0 && r.chunks === 0 && r.windows === 0) return total;
    total.chunks += r.chunks;
    total.rows += r.rows;
    total.windows += r.windows;
  }
}

/** Retention alone (no compaction), one whole pass. */
function retain(db: Db, now = NOW): void {
  const r = createRetention(db, settings, { now: () => now, compactBudgetMs: 0 });
  while (!r.step().pass_complete);
}

function historyOf(db: Db): unknown[] {
  return ASICS.flatMap((id) => ['hashrate_ths', 'power_w', 'chip_temp_c', 'inlet_temp_c'].flatMap((metric) =>
    [M, 5 * M].map((step_ms) => queryHistory(db, model, { scope: `device:${id}`, metric, from: NOW - 4 * D, to: NOW, step_ms }, NOW))));
}

describe('device rollup chunks', () => {
  it('moves every final minute and hour row into chunks, bit for bit, nulls as nulls, and history answers the same', () => {
    const t = tempDir();
    const a = site(join(t.dir, 'a.db'));
    const twin = site(join(t.dir, 'b.db'));
    const before = { am: tableRows(a.db, 'rollup_asic_minute'), ah: tableRows(a.db, 'rollup_asic_hour'), pm: tableRows(a.db, 'rollup_pdu_minute') };
    const moved = compactAll(a.db);
    // horizon: NOW − 48 h − 1 h margin; whole days of minutes before it (days 996 and 997 of the epoch,
    // the readings start at 996 d 7 h), and no week of hours has ended before it.
    const horizon = NOW - 49 * H;
    const minuteWindows = [996 * D, 997 * D].filter((w) => w + ROLLUP_CHUNK_WINDOW_MS.minute <= horizon);
    expect(minuteWindows).toHaveLength(2);
    expect(a.db.prepare('SELECT count(*) FROM rollup_asic_minute_chunks').pluck().get()).toBe(ASICS.length * 2);
    expect(a.db.prepare('SELECT count(*) FROM rollup_pdu_minute_chunks').pluck().get()).toBe(2);
    expect(a.db.prepare('SELECT count(*) FROM rollup_asic_hour_chunks').pluck().get()).toBe(0);
    const movedMinutes = before.am.filter((r) => (r[0] as number) < 998 * D).length + before.pm.filter((r) => (r[0] as number) < 998 * D).length;
    expect(moved.rows).toBe(movedMinutes);
    expect(rollupWatermark(a.db, 'asic', 'minute')).toBe(998 * D);
    expect(rollupWatermark(a.db, 'asic', 'hour')).toBe(-Infinity);
    // the rows under the watermark stay until retention's next pass deletes them, in bucket order
    expect(a.db.prepare(`SELECT min(bucket) FROM rollup_asic_minute`).pluck().get()).toBe(NOW - 4 * D); // the first reading's minute: nothing deleted yet
    expect(allRows(a.db, 'asic', 'minute')).toEqual(allRows(twin.db, 'asic', 'minute'));
    retain(a.db);
    expect(a.db.prepare(`SELECT count(*) FROM rollup_asic_minute WHERE bucket < ${998 * D}`).pluck().get()).toBe(0);
    expect(a.db.prepare(`SELECT min(bucket) FROM rollup_asic_minute`).pluck().get()).toBe(998 * D);
    // both layers together hold exactly the rows the twin's table holds
    expect(allRows(a.db, 'asic', 'minute')).toEqual(allRows(twin.db, 'asic', 'minute'));
    expect(allRows(a.db, 'pdu', 'minute')).toEqual(allRows(twin.db, 'pdu', 'minute'));
    expect(tableRows(a.db, 'rollup_asic_hour')).toEqual(before.ah);
    // the nulls survived: minutes whose chip temperature was never known still read cnt 0, sum null
    const nullMinutes = allRows(a.db, 'asic', 'minute').filter((r) => r[rollupChunkColumns(a.db, 'asic', 'minute').indexOf('chip_temp_c_sum') + 2] === null);
    expect(nullMinutes.length).toBeGreaterThan(0);
    // history over both layers: every rolled metric of every miner, at 1 min and at 5 min steps
    const got = historyOf(a.db);
    expect(got.every((h) => (h as { source: string }).source === 'minute')).toBe(true);
    expect(got).toEqual(historyOf(twin.db));
    // a second pass moves nothing
    expect(compactAll(a.db)).toEqual({ chunks: 0, rows: 0, windows: 0 });
    a.db.close();
    twin.db.close();
    t.cleanup();
  });

  it('a pass cut short leaves nothing counted twice or lost, and the next one redoes it from the table', () => {
    const t = tempDir();
    const a = site(join(t.dir, 'a.db'));
    const twin = site(join(t.dir, 'b.db'));
    // a few batches of the first window only, then the compaction is dropped (as by kill -9: every batch
    // is its own transaction, so what was committed is whole batches)
    const c = createRollupCompaction(a.db, settings);
    let written = 0;
    while (written === 0) written += c.step(NOW, 0.001).chunks;
    expect(a.db.prepare('SELECT count(*) FROM rollup_asic_minute_chunks').pluck().get()).toBeGreaterThan(0);
    expect(rollupWatermark(a.db, 'asic', 'minute')).toBe(-Infinity);
    expect(historyOf(a.db)).toEqual(historyOf(twin.db));
    // retention now must not delete anything of that window: the table is still the truth for it
    retain(a.db);
    expect(a.db.prepare(`SELECT min(bucket) FROM rollup_asic_minute`).pluck().get()).toBe(NOW - 4 * D); // the first reading's minute: nothing deleted yet
    // a fresh compaction (the restarted server) finishes it; the half-written chunks are rewritten
    compactAll(a.db);
    retain(a.db);
    expect(allRows(a.db, 'asic', 'minute')).toEqual(allRows(twin.db, 'asic', 'minute'));
    expect(historyOf(a.db)).toEqual(historyOf(twin.db));
    a.db.close();
    twin.db.close();
    t.cleanup();
  });

  it('retention drops a chunk once its whole window is past the cutoff, and history stops at the cutoff', () => {
    const t = tempDir();
    const a = site(join(t.dir, 'a.db'));
    compactAll(a.db);
    // 7 days after the first compacted day began plus 12 h: the cutoff falls inside day 997's window
    const later = 996 * D + 7 * D + D + 12 * H;
    const r = createRetention(a.db, settings, { now: () => later, compactBudgetMs: 0 });
    while (!r.step().pass_complete);
    expect(a.db.prepare('SELECT window_start FROM rollup_asic_minute_chunks ORDER BY window_start').pluck().all()).toEqual([997 * D, 997 * D, 997 * D]);
    const req = { scope: 'device:M-01-01', metric: 'power_w', from: 996 * D, to: 999 * D, step_ms: H };
    const got = queryHistory(a.db, model, { ...req, step_ms: 10 * M }, later);
    const cutoff = later - 7 * D;
    for (const [ts, v] of got.points) {
      if (ts < cutoff) expect(v).toBeNull();
    }
    expect(got.points.some(([ts, v]) => ts >= cutoff && ts < 998 * D && v !== null)).toBe(true);
    a.db.close();
    t.cleanup();
  });

  it('runs inside the retention step, bounded by its budget', () => {
    const t = tempDir();
    const a = site(join(t.dir, 'a.db'));
    const r = createRetention(a.db, settings, { now: () => NOW, compactBudgetMs: 5 });
    const first = r.step();
    // at least one batch per step
    expect(first.compacted.chunks).toBeGreaterThan(0);
    let chunks = first.compacted.chunks;
    for (let i = 0; i < 200; i++) chunks += r.step().compacted.chunks;
    expect(chunks).toBe(ASICS.length * 2 + 2);
    expect(rollupWatermark(a.db, 'pdu', 'minute')).toBe(998 * D);
    a.db.close();
    t.cleanup();
  });
  it('every device kind\'s minute and hour rollups have a chunk table, with the columns its rollup table has', () => {
    const t = tempDir();
    const db = openDatabase(join(t.dir, 'k.db'));
    const tables = new Set(db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").pluck().all() as string[]);
    for (const kind of DEVICE_KINDS) {
      for (const g of ['minute', 'hour'] as const) {
        expect(tables.has(`rollup_${kind}_${g}`), `rollup_${kind}_${g}`).toBe(true);
        expect(tables.has(`rollup_${kind}_${g}_chunks`), `rollup_${kind}_${g}_chunks`).toBe(true);
        expect(rollupChunkColumns(db, kind, g).length).toBeGreaterThan(1);
      }
    }
    db.close();
    t.cleanup();
  });
});
