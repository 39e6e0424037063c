// History answers: a metric of a scope over [from, to) in steps, read from the coarsest table whose
// buckets fit in the step (hour, minute, or raw for a device below a minute, or for a device metric
// that is not rolled up, within raw retention). Points with no data are null, never 0.

import type Database from 'better-sqlite3';
import type { Db } from './db.js';
import { METRICS_BY_KIND, type DeviceKind, type MetricName, type SiteModel } from '../core/types.js';
import { ECONOMICS_RATE_METRICS, ECONOMICS_TOTAL_METRICS, POWER_BUDGET_METRICS } from './economics-rollups.js';
import { HOUR_MS, isRolledUp, MINUTE_MS, ROLLED_METRICS, SCOPE_METRIC_CODE, type ScopeMetric } from './rollups.js';
import { cutoffs } from './retention.js';
import { windowMinuteReader } from './minute-windows.js';
import { readRollupChunks, rollupChunkColumns, rollupWatermark } from './rollup-chunks.js';
import { decodeChunkRows, MAX_WINDOW_MS } from './chunks.js';

export type HistorySource = 'raw' | 'minute' | 'hour';

export interface HistoryAnswer {
  scope: string;
  metric: string;
  from: number;
  to: number;
  step_ms: number;
  source: HistorySource;
  points: [number, number | null][];
  min?: [number, number | null][];
  max?: [number, number | null][];
}

export interface HistoryRequest {
  scope: string;
  metric: string;
  from: number;
  to: number;
  step_ms: number;
}

export const MAX_POINTS = 10_000;

/**
 * What one query may scan, whatever it returns (the span is first clamped to what is stored and what
 * retention keeps). A device's rollup series is one point lookup per bucket: measured on this 2-core
 * machine, shared, 0.47 µs per hour bucket (490 k in 228 ms) to 0.65 µs per minute bucket (29 M in
 * 18.8 s), and 49,920 hour buckets in 17-25 ms: so at most 50,000 buckets, which the default retentions
 * (7 days of device minutes = 10,080, 1,825 days of hours = 43,800) fit in. A rack/hall/site series is
 * a range scan of its own rows: at most 50,000 of them.
 */
export const MAX_SCAN_BUCKETS = 50_000;
/**
 * Raw samples are keyed (ts, device): a device's raw series scans the rows of every device of its kind
 * in the range, so the bound is on stored rows, counted with a LIMIT before the scan.
 * Measured with 1 M rows of 1,000 miners: counting 200,000 rows took 19 ms and the device's scan over
 * them 16.5 ms (one pass doing both, json_group_array over a LIMITed subquery, took 35 ms: no gain).
 * 100,000 rows: about 18 ms for both. On a 1,000-device site at 15 s, that is 25 minutes of raw data.
 * The compacted windows (store/chunks.ts) are the device's own rows: up to this many more, decoded.
 */
export const MAX_SCAN_RAW_ROWS = 100_000;

/** Epoch ms from 1970 to the end of year 9999 (the range of RFC 3339): anything else is not a time. */
export const MAX_TIME_MS = Date.UTC(9999, 11, 31, 23, 59, 59, 999);

/** A from/to that is no time at all (negative, past year 9999, or not an integer) is bad input. */
export function checkTime(param: 'from' | 'to', v: number): void {
  if (!Number.isFinite(v) || !Number.isInteger(v)) throw new HistoryError(param, 'expected epoch ms or RFC 3339');
  if (v < 0) throw new HistoryError(param, `${v} is before 1970 (negative epoch ms)`);
  if (v > MAX_TIME_MS) throw new HistoryError(param, `${v} is after the year 9999: not a time`);
}

/** Bad input, naming the query parameter at fault (answered as 400). */
export class HistoryError extends Error {
  constructor(readonly param: string, message: string) {
    super(`${param}: ${message}`);
  }
}

/**
 * What a chart asks for in a scope and what is stored for it. energy_kwh is the energy in each step
 * (a sum, not an average); pue is facility ÷ IT energy over each step.
 */
const RACK_METRICS = ['power_w', 'hashrate_ths', 'gpu_util_pct', 'inlet_temp_c', 'outlet_temp_c', 'energy_kwh'] as const;
const AGG_METRICS = [
  'power_w', 'facility_power_w', 'hashrate_ths', 'gpu_util_pct', 'inlet_temp_c', 'pue', 'energy_kwh', 'energy_facility_kwh',
  'it_power_w', 'worst_inlet_c',
  // issue 16: rates averaged per step; the *_usd totals summed per step (the dollars of each step)
  ...ECONOMICS_RATE_METRICS, ...ECONOMICS_TOTAL_METRICS, ...POWER_BUDGET_METRICS.map((m) => `power_${m}` as const),
] as const;
const SUMMED_METRICS: readonly string[] = ECONOMICS_TOTAL_METRICS;
/**
 * Site and hall metrics asked for by the name of their live figure (AggregateFigures), as the wall's
 * trends do, stored under the rollup's name.
 */
const FIGURE_ALIASES: Record<string, ScopeMetric> = { it_power_w: 'power_w', worst_inlet_c: 'inlet_temp_c' };

const NICE_STEPS_MS = [
  1_000, 2_000, 5_000, 10_000, 15_000, 30_000, 60_000, 120_000, 300_000, 600_000, 900_000, 1_800_000,
  3_600_000, 7_200_000, 10_800_000, 21_600_000, 43_200_000, 86_400_000,
];

/** A round step giving about `points` points over the range. */
export function defaultStep(fromMs: number, toMs: number, points = 300): number {
  const raw = (toMs - fromMs) / points;
  return NICE_STEPS_MS.find((s) => s >= raw) ?? Math.ceil(raw / 86_400_000) * 86_400_000;
}

type Resolved =
  | { kind: 'device'; device: number; devKind: DeviceKind; metric: MetricName }
  | { kind: 'scope'; scope: number | null; metric: string };

function resolve(db: Db, model: SiteModel, scope: string, metric: string): Resolved {
  const colon = scope.indexOf(':');
  const type = colon < 0 ? scope : scope.slice(0, colon);
  const id = colon < 0 ? '' : scope.slice(colon + 1);
  const scopeKey = (): number | null => {
    const row = db.prepare('SELECT id FROM rollup_scopes WHERE name = ?').pluck().get(scope) as number | undefined;
    return row ?? null; // known to the model but never rolled up yet: all gaps
  };
  if (type === 'site' && colon < 0) {
    if (!(AGG_METRICS as readonly string[]).includes(metric)) throw new HistoryError('metric', `unknown metric ${JSON.stringify(metric)} for site (one of ${AGG_METRICS.join(', ')})`);
    return { kind: 'scope', scope: scopeKey(), metric };
  }
  if (type === 'hall') {
    if (!model.halls.some((h) => h.id === id)) throw new HistoryError('scope', `unknown hall ${JSON.stringify(id)}`);
    if (!(AGG_METRICS as readonly string[]).includes(metric)) throw new HistoryError('metric', `unknown metric ${JSON.stringify(metric)} for a hall (one of ${AGG_METRICS.join(', ')})`);
    return { kind: 'scope', scope: scopeKey(), metric };
  }
  if (type === 'rack') {
    if (!model.racks.has(id)) throw new HistoryError('scope', `unknown rack ${JSON.stringify(id)}`);
    if (!(RACK_METRICS as readonly string[]).includes(metric)) throw new HistoryError('metric', `unknown metric ${JSON.stringify(metric)} for a rack (one of ${RACK_METRICS.join(', ')})`);
    return { kind: 'scope', scope: scopeKey(), metric };
  }
  if (type === 'device') {
    const d = model.devices.get(id);
    if (!d) throw new HistoryError('scope', `unknown device ${JSON.stringify(id)}`);
    const metrics = METRICS_BY_KIND[d.kind] as readonly string[];
    if (!metrics.includes(metric)) throw new HistoryError('metric', `unknown metric ${JSON.stringify(metric)} for a ${d.kind} (one of ${metrics.join(', ')})`);
    const key = db.prepare('SELECT id FROM devices WHERE name = ?').pluck().get(id) as number | undefined;
    return { kind: 'device', device: key ?? -1, devKind: d.kind, metric: metric as MetricName };
  }
  throw new HistoryError('scope', 'expected site, hall:ID, rack:ID or device:ID');
}

interface Bins {
  sum: Float64Array;
  cnt: Float64Array;
  min: Float64Array;
  max: Float64Array;
}

function bins(n: number): Bins {
  return { sum: new Float64Array(n), cnt: new Float64Array(n), min: new Float64Array(n).fill(Infinity), max: new Float64Array(n).fill(-Infinity) };
}

// Prepared statements per database: a chart is a handful of point lookups, preparing would dominate.
type Stmt = Database.Statement<unknown[], unknown[]>;
const stmtCache = new WeakMap<Db, Map<string, Stmt>>();
function stmt(db: Db, sql: string): Stmt {
  let m = stmtCache.get(db);
  if (!m) stmtCache.set(db, (m = new Map()));
  let s = m.get(sql);
  if (!s) m.set(sql, (s = db.prepare<unknown[], unknown[]>(sql).raw(true)));
  return s;
}

/** Where a metric's sum, cnt, min and max sit in a chunk row ([bucket, ...columns]). */
function chunkColumnIndex(db: Db, kind: DeviceKind, g: 'minute' | 'hour', m: string): [number, number, number, number] {
  const cols = rollupChunkColumns(db, kind, g);
  return [cols.indexOf(`${m}_sum`) + 1, cols.indexOf(`${m}_cnt`) + 1, cols.indexOf(`${m}_min`) + 1, cols.indexOf(`${m}_max`) + 1];
}

/** Answers one history request; throws HistoryError for bad input. `now` places raw retention. */
export function queryHistory(db: Db, model: SiteModel, req: HistoryRequest, now: number = Date.now()): HistoryAnswer {
  const { scope, metric } = req;
  checkTime('to', req.to);
  checkTime('from', req.from);
  if (req.from > req.to) throw new HistoryError('from', 'must not be after to');
  if (!Number.isFinite(req.step_ms) || req.step_ms < 1000) throw new HistoryError('step', 'expected at least 1 s (ms, or like 1m, 1h)');
  const r = resolve(db, model, scope, metric);

  let step = Math.round(req.step_ms);
  // Rack, hall and site figures are kept per minute at the finest: a finer step cannot be served.
  if (r.kind === 'scope' && step < MINUTE_MS) step = MINUTE_MS;
  let source: HistorySource = step % HOUR_MS === 0 ? 'hour' : step >= MINUTE_MS ? 'minute' : 'raw';
  if (r.kind === 'device' && source !== 'raw' && !isRolledUp(r.devKind, r.metric)) {
    // Only the chart metrics are rolled up (ROLLED_METRICS); the others exist as raw samples for raw
    // retention, and within it are served from there at any step.
    const rawFrom = now - model.retention.raw_hours * HOUR_MS;
    if (req.from < rawFrom) {
      throw new HistoryError('metric', `${r.metric} of a ${r.devKind} is not kept beyond raw retention (${model.retention.raw_hours} h): ask from ${rawFrom} or later, or for one of ${ROLLED_METRICS[r.devKind].join(', ')}`);
    }
    source = 'raw';
  }
  const t0 = Math.floor(req.from / step) * step;
  const n = Math.max(1, Math.ceil((req.to - t0) / step));
  if (n > MAX_POINTS) throw new HistoryError('step', `${n} points asked for, at most ${MAX_POINTS}: use a larger step or a shorter range`);
  const end = t0 + n * step;
  const b = bins(n);

  const fold = (rows: unknown[][], sumI: number, cntI: number, minI: number, maxI: number, target: Bins): void => {
    for (const row of rows) {
      const cnt = row[cntI] as number;
      if (!cnt) continue;
      const k = Math.floor(((row[0] as number) - t0) / step);
      target.sum[k] += row[sumI] as number;
      target.cnt[k] += cnt;
      const lo = row[minI] as number | null;
      const hi = row[maxI] as number | null;
      if (lo !== null && lo < target.min[k]) target.min[k] = lo;
      if (hi !== null && hi > target.max[k]) target.max[k] = hi;
    }
  };

  // What a table can hold for this query: nothing before retention's cutoff (or before its oldest row)
  // and nothing after its newest row. Found by two index seeks; the scan is then bounded by what is
  // stored, not by the range named (from=0 used to walk 29 M minute buckets: 18.8 s, /healthz stalled).
  const cut = cutoffs(model.retention, now);
  const stored = (table: string, col: string, keyWhere: string, keys: unknown[], keepFrom: number): [number, number] | null => {
    const lo = Math.max(t0, keepFrom);
    if (lo >= end) return null;
    const first = stmt(db, `SELECT ${col} FROM ${table} WHERE ${keyWhere}${col} >= ? AND ${col} < ? ORDER BY ${col} LIMIT 1`).get(...keys, lo, end) as number[] | undefined;
    if (first === undefined) return null;
    const last = stmt(db, `SELECT ${col} FROM ${table} WHERE ${keyWhere}${col} >= ? AND ${col} < ? ORDER BY ${col} DESC LIMIT 1`).get(...keys, lo, end) as number[];
    return [first[0], last[0]];
  };
  const bucketMs = source === 'hour' ? HOUR_MS : MINUTE_MS;
  /** Stored rows in [from, to] of a table, counted up to `limit` + 1 (the count costs at most that). */
  const rowsUpTo = (table: string, keyWhere: string, keys: unknown[], span: [number, number], limit: number): number =>
    (stmt(db, `SELECT count(*) FROM (SELECT 1 FROM ${table} WHERE ${keyWhere}bucket >= ? AND bucket <= ? LIMIT ?)`)
      .get(...keys, span[0], span[1], limit + 1) as number[])[0];
  const tooMuch = (what: string, limit: number, span: [number, number]): HistoryError => {
    const earliest = span[1] - (MAX_SCAN_BUCKETS - 1) * bucketMs;
    const coarser = source === 'minute' && step >= HOUR_MS ? ', or a step that is a whole number of hours (hour table)' : '';
    return new HistoryError('from', `a query may scan at most ${limit.toLocaleString('en-US')} ${what}, and the stored data from ${span[0]} to ${span[1]} holds more: ask from ${earliest} or later${coarser}`);
  };

  let mode: 'avg' | 'energy' | 'ratio' | 'sum' = 'avg';
  let ratioDen: Bins | null = null;
  if (r.kind === 'device') {
    const m = r.metric;
    if (source === 'raw') {
      const table = `samples_${r.devKind}`;
      const lo = Math.max(t0, cut.raw);
      // Keyed (ts, device): the scan reads every device of the kind in the range. Counted first, with a
      // LIMIT, so the count itself costs at most the bound.
      const rowsInRange = lo >= end ? 0 : stmt(db, `SELECT count(*) FROM (SELECT 1 FROM ${table} WHERE ts >= ? AND ts < ? LIMIT ?)`)
        .get(lo, end, MAX_SCAN_RAW_ROWS + 1) as number[];
      if (rowsInRange !== 0 && rowsInRange[0] > MAX_SCAN_RAW_ROWS) {
        const finer = isRolledUp(r.devKind, m) && step < MINUTE_MS;
        throw new HistoryError(finer ? 'step' : 'from', `raw samples are read across every ${r.devKind} of the site: a query may scan at most ${MAX_SCAN_RAW_ROWS.toLocaleString('en-US')} stored readings and this range holds more: ${finer ? 'use a step of 1m or more (minute rollups), or a shorter range' : 'ask for a shorter range (a later from)'}`);
      }
      const rows = rowsInRange === 0 ? [] : stmt(db, `SELECT ts, ${m} FROM ${table} WHERE ts >= ? AND ts < ? AND device = ? AND ${m} IS NOT NULL`).all(lo, end, r.device) as unknown[][];
      // The compacted windows of this device (store/chunks.ts): its own rows only, so a bound of their own.
      const chunks = lo >= end ? [] : stmt(db, `SELECT window_start, window_end, n, blob FROM chunks_${r.devKind} WHERE device = ? AND window_start > ? AND window_start < ? AND window_end > ? ORDER BY window_start`)
        .all(r.device, lo - MAX_WINDOW_MS, end, lo) as [number, number, number, Uint8Array][];
      let chunkRows = 0;
      for (const c of chunks) chunkRows += c[2];
      if (chunkRows > MAX_SCAN_RAW_ROWS) {
        throw new HistoryError('from', `a query may decode at most ${MAX_SCAN_RAW_ROWS.toLocaleString('en-US')} compacted readings of a device and this range holds ${chunkRows.toLocaleString('en-US')}: ask for a shorter range (a later from)${isRolledUp(r.devKind, m) ? ', or a step of 1m or more' : ''}`);
      }
      const col = 1 + (METRICS_BY_KIND[r.devKind] as readonly string[]).indexOf(m);
      for (const c of chunks) {
        const w = decodeChunkRows(r.devKind, c[3]);
        const v = w.columns[col];
        for (let i = 0; i < w.ts.length; i++) if (w.ts[i] >= lo && w.ts[i] < end && !Number.isNaN(v[i])) rows.push([w.ts[i], v[i]]);
      }
      for (const row of rows) row.push(1, row[1], row[1]);
      fold(rows, 1, 2, 3, 4, b);
    } else {
      // Device rollups are keyed (bucket, device): one point lookup per bucket of the range, walked by a
      // recursive CTE inside SQLite (CROSS JOIN keeps the buckets the outer loop).
      const table = `rollup_${r.devKind}_${source}`;
      // When the range holds fewer rows (of every device of the kind) than buckets, as on a small site or
      // a sparse range, a range scan of those rows is cheaper (0.09 µs a row against 0.5 µs a lookup).
      // Buckets under the watermark are read from the chunks below, whatever is left of them here.
      const through = rollupWatermark(db, r.devKind, source);
      const span = stored(table, 'bucket', '', [], Math.max(through, source === 'hour' ? cut.hour : cut.device_minute));
      if (span !== null) {
        const buckets = Math.floor((span[1] - span[0]) / bucketMs) + 1;
        const limit = Math.min(buckets, MAX_SCAN_RAW_ROWS);
        const cols = `${m}_sum, ${m}_cnt, ${m}_min, ${m}_max`;
        let rows: unknown[][];
        if (rowsUpTo(table, '', [], span, limit) <= limit) {
          rows = stmt(db, `SELECT bucket, ${cols} FROM ${table} WHERE bucket >= ? AND bucket <= ? AND device = ?`).all(span[0], span[1], r.device) as unknown[][];
        } else {
          if (buckets > MAX_SCAN_BUCKETS) throw tooMuch(`${source} buckets of one device (or ${MAX_SCAN_RAW_ROWS.toLocaleString('en-US')} rows of every ${r.devKind})`, MAX_SCAN_BUCKETS, span);
          rows = stmt(db,
            `WITH RECURSIVE b(t) AS (VALUES (?) UNION ALL SELECT t + ${bucketMs} FROM b WHERE t + ${bucketMs} <= ?)
             SELECT r.bucket, r.${m}_sum, r.${m}_cnt, r.${m}_min, r.${m}_max FROM b CROSS JOIN ${table} AS r
             WHERE r.bucket = b.t AND r.device = ?`).all(span[0], span[1], r.device) as unknown[][];
        }
        fold(rows, 1, 2, 3, 4, b);
      }
      // Rows past the late-reading horizon live in the device's chunks (rollup-chunks.ts): a day of
      // minutes or a week of hours per row, at most ~10,000 of them in a query's span.
      // Chunks hold only buckets under the watermark: nothing to read (or prepare) while there are none.
      const keepFrom = Math.max(t0, source === 'hour' ? cut.hour : cut.device_minute);
      const chunkEnd = Math.min(end, through);
      if (keepFrom < chunkEnd) {
        const ci = chunkColumnIndex(db, r.devKind, source, m);
        const crows = readRollupChunks(db, r.devKind, source, r.device, keepFrom, chunkEnd).map((row) => [row[0], row[ci[0]], row[ci[1]], row[ci[2]], row[ci[3]]]);
        fold(crows, 1, 2, 3, 4, b);
      }
      // Minute rows that moved with their compacted raw window (minute-windows.ts): never also in the
      // table or a day chunk, so folded beside both. A week of one device is ~170 rows of 60 minutes.
      const windows = source === 'minute' && keepFrom < end ? windowMinuteReader(db, r.devKind) : null;
      if (windows !== null) {
        const ci = chunkColumnIndex(db, r.devKind, source, m);
        fold(windows(r.device, keepFrom, end).map((row) => [row[0], row[ci[0]], row[ci[1]], row[ci[2]], row[ci[3]]]), 1, 2, 3, 4, b);
      }
    }
  } else if (r.scope !== null) {
    const table = `rollup_scope_${source}`;
    const q = (sm: ScopeMetric, target: Bins): void => {
      const keys = [r.scope, SCOPE_METRIC_CODE.get(sm)];
      const span = stored(table, 'bucket', 'scope = ? AND metric = ? AND ', keys, source === 'hour' ? cut.hour : cut.minute);
      if (span === null) return;
      if (rowsUpTo(table, 'scope = ? AND metric = ? AND ', keys, span, MAX_SCAN_BUCKETS) > MAX_SCAN_BUCKETS) throw tooMuch(`${source} rows of a series`, MAX_SCAN_BUCKETS, span);
      const rows = stmt(db, `SELECT bucket, sum, cnt, vmin, vmax FROM ${table} WHERE scope = ? AND metric = ? AND bucket >= ? AND bucket <= ?`)
        .all(...keys, span[0], span[1]) as unknown[][];
      fold(rows, 1, 2, 3, 4, target);
    };
    if (r.metric === 'energy_kwh' || r.metric === 'energy_facility_kwh') {
      mode = 'energy';
      q(r.metric === 'energy_kwh' ? 'energy_wh' : 'energy_facility_wh', b);
    } else if (r.metric === 'pue') {
      mode = 'ratio';
      ratioDen = bins(n);
      q('pue_facility_wh', b);
      q('pue_it_wh', ratioDen);
      // extremes of the instantaneous PUE
      const inst = bins(n);
      q('pue', inst);
      b.min = inst.min;
      b.max = inst.max;
    } else {
      if (SUMMED_METRICS.includes(r.metric)) mode = 'sum';
      q(FIGURE_ALIASES[r.metric] ?? (r.metric as ScopeMetric), b);
    }
  }

  const points: [number, number | null][] = new Array(n);
  const mins: [number, number | null][] = new Array(n);
  const maxs: [number, number | null][] = new Array(n);
  for (let k = 0; k < n; k++) {
    const ts = t0 + k * step;
    let v: number | null = null;
    if (b.cnt[k] > 0) {
      if (mode === 'avg') v = b.sum[k] / b.cnt[k];
      else if (mode === 'energy') v = b.sum[k] / 1000;
      else if (mode === 'sum') v = b.sum[k];
      else if (ratioDen !== null && ratioDen.sum[k] > 0) v = b.sum[k] / ratioDen.sum[k];
    }
    points[k] = [ts, v];
    mins[k] = [ts, Number.isFinite(b.min[k]) ? b.min[k] : null];
    maxs[k] = [ts, Number.isFinite(b.max[k]) ? b.max[k] : null];
  }
  const out: HistoryAnswer = { scope, metric, from: req.from, to: req.to, step_ms: step, source, points };
  if (mode !== 'energy' && mode !== 'sum') {
    out.min = mins;
    out.max = maxs;
  }
  return out;
}
