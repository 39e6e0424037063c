// The compact raw store (issue 15): closed windows of raw rows move into one chunk row per device and
// window, bit for bit, nulls as nulls; late readings reopen a window without counting anything twice;
// retention and history read both layers. Each test runs the same readings into a twin database that is
// never compacted and compares what a reader gets from both.
import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { openDatabase, type Db } from '../../server/store/db.js';
import { countSamples, prepareSampleInserts, registerDevices, rowValues, type SampleStatements } from '../../server/store/samples.js';
import { countChunkRows, createChunkGuard, decodeChunkRows, type ChunkGuard } from '../../server/store/chunks.js';
import { createCompaction } from '../../server/store/compaction.js';
import { createRetention } from '../../server/store/retention.js';
import { queryHistory } from '../../server/store/history.js';
import { minuteWindowsTable } from '../../server/store/minute-windows.js';
import { chunkRows, rollupChunkColumns } from '../../server/store/rollup-chunks.js';
import { DEVICE_KINDS, METRICS_BY_KIND, type DeviceKind } from '../../server/core/types.js';
import { mulberry32 } from '../../server/sim/prng.js';
import { smallSite, tempDir } from '../helpers/site.js';

const M = 60_000;
const H = 60 * M;
const D = 24 * H;
const START = 1000 * D + 5 * H; // readings from here, every 10 s, for 3 h 20 min
const END = START + 3 * H + 20 * M;
const NOW = END + 30 * M; // windows [5h,6h) [6h,7h) [7h,8h) closed more than 15 min ago; [8h,9h) open
const settings = { raw_hours: 48, minute_days: 90, hour_days: 1825, device_minute_days: 7 };
const model = { ...smallSite(), retention: settings };
const ASICS = ['M-01-01', 'M-01-02', 'M-01-03'];

interface Store { db: Db; keys: Map<string, number>; guard: ChunkGuard; s: SampleStatements }

function open(path: string): Store {
  const db = openDatabase(path);
  const keys = registerDevices(db, [...model.devices.values()].map((d) => ({ id: d.id, kind: d.kind })));
  const guard = createChunkGuard(db);
  return { db, keys, guard, s: prepareSampleInserts(db, guard) };
}

/** Miners every 10 s (2 % missed, chip temperature sometimes unknown, power estimated), the PDU every 30 s. */
function fill(st: Store): void {
  const rnd = mulberry32(15);
  st.db.transaction(() => {
    for (let t = START; t < END; t += 10_000) {
      for (const id of ASICS) {
        if (rnd() < 0.02) continue;
        st.s.insert.asic(t, st.keys.get(id) as number, rnd() < 0.1 ? 1 : 0, rowValues('asic', {
          hashrate_ths: Math.round((190 + rnd() * 20) * 100) / 100,
          power_w: Math.round(3400 + rnd() * 200),
          chip_temp_c: rnd() < 0.05 ? null : Math.round((60 + rnd() * 15) * 10) / 10,
          inlet_temp_c: 20 + (rnd() * 3) / 7, // no short decimal: the Gorilla path
          fan_rpm: 5000 + Math.round(rnd() * 60) * 10,
        }));
      }
      if (t % 30_000 === 0) st.s.insert.pdu(t, st.keys.get('M-01-pdu') as number, 2, rowValues('pdu', { power_w: Math.round(10_300 + rnd() * 400) }));
    }
  })();
}

function compactAll(st: Store, now = NOW): { chunks: number; rows: number } {
  const c = createCompaction(st.db, st.guard, settings, { now: () => now });
  const total = { chunks: 0, rows: 0 };
  for (let i = 0; i < 10_000; i++) {
    const r = c.step();
    total.chunks += r.chunks;
    total.rows += r.rows;
    if (r.idle) return total;
  }
  throw new Error('compaction never went idle');
}

/** Every raw row of a kind as a reader sees it (the head and the decoded chunks), as "device@ts:[values]". */
function rawRows(db: Db, kind: DeviceKind): string[] {
  const cols = ['power_source', ...METRICS_BY_KIND[kind]];
  const out = (db.prepare(`SELECT device, ts, ${cols.join(', ')} FROM samples_${kind}`).raw(true).all() as unknown[][])
    .map((r) => `${r[0]}@${r[1]}:${JSON.stringify(r.slice(2))}`);
  for (const [device, blob] of db.prepare(`SELECT device, blob FROM chunks_${kind}`).raw(true).all() as [number, Uint8Array][]) {
    const w = decodeChunkRows(kind, blob);
    for (let i = 0; i < w.ts.length; i++) out.push(`${device}@${w.ts[i]}:${JSON.stringify(w.columns.map((c) => (Number.isNaN(c[i]) ? null : c[i])))}`);
  }
  return out.sort();
}

/** Every device rollup row, wherever it is (the table, or a minute-windows row), as the table would hold it. */
function rollups(db: Db): unknown[] {
  return DEVICE_KINDS.flatMap((k) => ['minute', 'hour'].map((g) => {
    const rows = db.prepare(`SELECT * FROM rollup_${k}_${g}`).raw(true).all() as (number | null)[][];
    if (g === 'minute') {
      const ncols = rollupChunkColumns(db, k, 'minute').length;
      for (const [device, blob] of db.prepare(`SELECT device, blob FROM ${minuteWindowsTable(k)}`).raw(true).all() as [number, Uint8Array][]) {
        for (const r of chunkRows(blob, ncols)) rows.push([r[0], device, ...r.slice(1)]);
      }
    }
    return rows.sort((x, y) => (x[0] as number) - (y[0] as number) || (x[1] as number) - (y[1] as number));
  }));
}

const windowRows = (db: Db): number => db.prepare(`SELECT count(*) FROM ${minuteWindowsTable('asic')}`).pluck().get() as number;

function history(db: Db): unknown[] {
  return ASICS.flatMap((id) => ['hashrate_ths', 'chip_temp_c', 'inlet_temp_c', 'fan_rpm'].flatMap((metric) => [10_000, 60_000, 300_000].map((step_ms) =>
    queryHistory(db, model, { scope: `device:${id}`, metric, from: START - H, to: END + H, step_ms }, NOW))));
}

function same(a: Store, b: Store): void {
  for (const k of ['asic', 'pdu'] as const) expect(rawRows(a.db, k)).toEqual(rawRows(b.db, k));
  expect(countSamples(a.db)).toEqual(countSamples(b.db));
  expect(rollups(a.db)).toEqual(rollups(b.db));
  expect(history(a.db)).toEqual(history(b.db));
}

describe('raw compaction', () => {
  it('moves every closed window into one chunk per device, bit for bit, and readers see the same rows', () => {
    const t = tempDir();
    const a = open(join(t.dir, 'a.db'));
    const b = open(join(t.dir, 'b.db'));
    fill(a);
    fill(b);
    const headBefore = a.db.prepare('SELECT count(*) FROM samples_asic').pluck().get() as number;
    const moved = compactAll(a);
    // three closed hours of three miners and a PDU; the open window [8h, 8h20) stays in the head
    expect(moved.chunks).toBe(3 * 4);
    expect(a.db.prepare('SELECT count(*) FROM chunks_asic').pluck().get()).toBe(9);
    expect(a.db.prepare('SELECT min(ts) FROM samples_asic').pluck().get()).toBe(START + 3 * H);
    expect(countChunkRows(a.db, 'asic') + (a.db.prepare('SELECT count(*) FROM samples_asic').pluck().get() as number)).toBe(headBefore);
    // the chunk's window and row count are what its rows say
    for (const [ws, we, n, blob] of a.db.prepare('SELECT window_start, window_end, n, blob FROM chunks_asic').raw(true).all() as [number, number, number, Uint8Array][]) {
      const w = decodeChunkRows('asic', blob);
      expect(w.ts.length).toBe(n);
      expect(w.ts[0]).toBeGreaterThanOrEqual(ws);
      expect(w.ts[n - 1]).toBeLessThan(we);
      expect(we - ws).toBe(H);
    }
    // each device's minute rollups of a compacted window moved with it: none left in the table there
    expect(windowRows(a.db)).toBe(9);
    expect(a.db.prepare('SELECT count(*) FROM rollup_asic_minute WHERE bucket < ?').pluck().get(START + 3 * H)).toBe(0);
    expect(a.db.prepare('SELECT count(*) FROM rollup_asic_minute').pluck().get()).toBe(3 * 20);
    same(a, b);
    // a second pass has nothing to do
    expect(compactAll(a)).toEqual({ chunks: 0, rows: 0 });
    a.db.close();
    b.db.close();
    t.cleanup();
  });

  it('a late reading into a compacted window reopens it: replaced, added and identical readings count as in the twin', () => {
    const t = tempDir();
    const a = open(join(t.dir, 'a.db'));
    const b = open(join(t.dir, 'b.db'));
    fill(a);
    fill(b);
    compactAll(a);
    const k = a.keys.get('M-01-02') as number;
    const dupTs = START + H + 20_000;
    const dup = b.db.prepare(`SELECT power_source, ${METRICS_BY_KIND.asic.join(', ')} FROM samples_asic WHERE ts = ? AND device = ?`).raw(true).get(dupTs, k) as (number | null)[];
    expect(dup).toBeDefined();
    const late = (st: Store): void => {
      st.db.transaction(() => {
        st.s.insert.asic(dupTs, k, dup[0], dup.slice(1));
        // a changed reading at an existing timestamp (the rollups take the old one out), a new one between
        // two, and an identical duplicate of a third (dropped)
        st.s.insert.asic(START + H + 10_000, k, 0, rowValues('asic', { hashrate_ths: 1.5, power_w: 100, chip_temp_c: 99.5 }));
        st.s.insert.asic(START + H + 15_000, k, 0, rowValues('asic', { hashrate_ths: 250, power_w: 3600, inlet_temp_c: 25 }));
      })();
    };
    late(a);
    late(b);
    // only M-01-02's window [6h, 7h) went back to the head
    expect(a.db.prepare('SELECT count(*) FROM chunks_asic').pluck().get()).toBe(8);
    expect(a.db.prepare('SELECT count(*) FROM samples_asic WHERE ts < ? AND device = ?').pluck().get(START + 2 * H, k)).toBeGreaterThan(300);
    expect(a.db.prepare('SELECT count(*) FROM chunk_inflating').pluck().get()).toBe(0);
    expect(a.guard.inflated()).toBe(1);
    // its minute rows came back with it, for the triggers to update
    expect(windowRows(a.db)).toBe(8);
    expect(a.db.prepare('SELECT count(*) FROM rollup_asic_minute WHERE bucket < ? AND device = ?').pluck().get(START + 2 * H, k)).toBe(60);
    same(a, b);
    // an identical duplicate of a compacted row changes nothing anywhere
    const row = a.db.prepare('SELECT * FROM samples_asic WHERE device = ? AND ts = ?').get(k, START + H + 10_000) as Record<string, number | null>;
    expect(row.hashrate_ths).toBe(1.5);
    // the next pass compacts the reopened window again
    expect(compactAll(a).chunks).toBe(1);
    expect(a.db.prepare('SELECT count(*) FROM chunks_asic').pluck().get()).toBe(9);
    expect(windowRows(a.db)).toBe(9);
    same(a, b);
    a.db.close();
    b.db.close();
    t.cleanup();
  });

  it('windows shorter than an hour leave the minute rollups in their table (an hour\'s extremes are recomputed from all its minutes)', () => {
    const t = tempDir();
    const a = open(join(t.dir, 'a.db'));
    const b = open(join(t.dir, 'b.db'));
    fill(a);
    fill(b);
    const half = { ...settings, compact_window_min: 30 };
    const c = createCompaction(a.db, a.guard, half, { now: () => NOW });
    for (let i = 0; i < 10_000 && !c.step().idle; i++);
    expect(a.db.prepare('SELECT count(*) FROM chunks_asic').pluck().get()).toBe(3 * 7); // [5h, 8h30) closed 15 min before NOW
    expect(windowRows(a.db)).toBe(0);
    // a changed reading late into a compacted half hour: the hour's extremes as in the twin
    const k = a.keys.get('M-01-01') as number;
    for (const st of [a, b]) st.db.transaction(() => st.s.insert.asic(START + 40 * M, k, 0, rowValues('asic', { hashrate_ths: 0.5, power_w: 10 })))();
    same(a, b);
    a.db.close();
    b.db.close();
    t.cleanup();
  });

  it('a pass cut short leaves every row in exactly one layer, and a new compaction finishes it', () => {
    const t = tempDir();
    const a = open(join(t.dir, 'a.db'));
    const b = open(join(t.dir, 'b.db'));
    fill(a);
    fill(b);
    // a few steps of the first window, then the compaction is dropped (its stage is scratch)
    const c = createCompaction(a.db, a.guard, settings, { now: () => NOW, maxRows: 400 });
    let chunks = 0;
    for (let i = 0; i < 50 && chunks === 0; i++) chunks += c.step().chunks;
    expect(chunks).toBeGreaterThan(0);
    expect(chunks).toBeLessThan(4);
    same(a, b);
    compactAll(a);
    expect(a.db.prepare('SELECT count(*) FROM chunks_asic').pluck().get()).toBe(9);
    same(a, b);
    a.db.close();
    b.db.close();
    t.cleanup();
  });

  it('a reading committed into the window while it is being staged is compacted too, or stays in the head', () => {
    const t = tempDir();
    const a = open(join(t.dir, 'a.db'));
    const b = open(join(t.dir, 'b.db'));
    fill(a);
    fill(b);
    const c = createCompaction(a.db, a.guard, settings, { now: () => NOW, maxRows: 200 });
    c.step(); // the first page of the first window's keys is staged
    const k = a.keys.get('M-01-03') as number;
    for (const st of [a, b]) st.db.transaction(() => st.s.insert.asic(START + 5_000, k, 0, rowValues('asic', { hashrate_ths: 201, power_w: 3500 })))();
    for (let i = 0; i < 10_000 && !c.step().idle; i++);
    expect(a.db.prepare('SELECT count(*) FROM samples_asic WHERE ts < ?').pluck().get(START + 3 * H)).toBe(0);
    same(a, b);
    a.db.close();
    b.db.close();
    t.cleanup();
  });

  it('retention drops a chunk once its whole window is past raw retention; history then has nothing there', () => {
    const t = tempDir();
    const a = open(join(t.dir, 'a.db'));
    fill(a);
    compactAll(a);
    // 48 h after the second window ended plus a minute: the first two windows are wholly past the cutoff
    const later = START + 2 * H + 48 * H + M;
    const r = createRetention(a.db, settings, { now: () => later, compactBudgetMs: 0 });
    while (!r.step().pass_complete);
    expect(a.db.prepare('SELECT DISTINCT window_start FROM chunks_asic ORDER BY 1').pluck().all()).toEqual([START + 2 * H]);
    const got = queryHistory(a.db, model, { scope: 'device:M-01-01', metric: 'hashrate_ths', from: later - 48 * H, to: later - 47 * H, step_ms: 10_000 }, later);
    expect(got.source).toBe('raw');
    expect(got.points.filter(([, v]) => v !== null).length).toBeGreaterThan(300);
    // the windows' minute rollups outlive their raw chunks, until device_minute_days (7) is past them too
    expect(windowRows(a.db)).toBe(9);
    const minutes = (at: number): number => queryHistory(a.db, model, { scope: 'device:M-01-01', metric: 'hashrate_ths', from: START, to: START + 3 * H, step_ms: 60_000 }, at)
      .points.filter(([, v]) => v !== null).length;
    expect(minutes(later)).toBe(180);
    const week = START + H + 7 * D + M;
    const r2 = createRetention(a.db, settings, { now: () => week, compactBudgetMs: 0 });
    while (!r2.step().pass_complete);
    expect(a.db.prepare(`SELECT DISTINCT window_start FROM ${minuteWindowsTable('asic')} ORDER BY 1`).pluck().all()).toEqual([START + H, START + 2 * H]);
    expect(minutes(week)).toBe(119); // the window [6h, 7h) less its first minute, now past the cutoff
    a.db.close();
    t.cleanup();
  });
});
