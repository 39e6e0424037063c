// History answers: a metric of a scope over [from, to) in steps, read from the coarsest table whose
// buckets fit in the step (hour, minute, or raw for a device below a minute, or for a device metric
// that is not rolled up, within raw retention). Points with no data are null, never 0.

import type Database from 'better-sqlite3';
import type { Db } from './db.js';
import { METRICS_BY_KIND, type DeviceKind, type MetricName, type SiteModel } from '../core/types.js';
import { HOUR_MS, isRolledUp, MINUTE_MS, ROLLED_METRICS, SCOPE_METRIC_CODE, type ScopeMetric } from './rollups.js';

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
] as const;
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

/** Answers one history request; throws HistoryError for bad input. `now` places raw retention. */
export function queryHistory(db: Db, model: SiteModel, req: HistoryRequest, now: number = Date.now()): HistoryAnswer {
  const { scope, metric } = req;
  if (!Number.isFinite(req.from)) throw new HistoryError('from', 'expected epoch ms or RFC 3339');
  if (!Number.isFinite(req.to)) throw new HistoryError('to', 'expected epoch ms or RFC 3339');
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

  let mode: 'avg' | 'energy' | 'ratio' = 'avg';
  let ratioDen: Bins | null = null;
  if (r.kind === 'device') {
    const m = r.metric;
    if (source === 'raw') {
      const rows = stmt(db, `SELECT ts, ${m} FROM samples_${r.devKind} WHERE ts >= ? AND ts < ? AND device = ? AND ${m} IS NOT NULL`).all(t0, end, r.device) as unknown[][];
      for (const row of rows) row.push(1, row[1], row[1]);
      fold(rows, 1, 2, 3, 4, b);
    } else {
      // Device rollups are keyed (bucket, device): one point lookup per bucket of the range, walked by a
      // recursive CTE inside SQLite (CROSS JOIN keeps the buckets the outer loop).
      const bucketMs = source === 'hour' ? HOUR_MS : MINUTE_MS;
      const first = Math.ceil(t0 / bucketMs) * bucketMs;
      const rows = first >= end ? [] : stmt(db,
        `WITH RECURSIVE b(t) AS (VALUES (?) UNION ALL SELECT t + ${bucketMs} FROM b WHERE t + ${bucketMs} < ?)
         SELECT r.bucket, r.${m}_sum, r.${m}_cnt, r.${m}_min, r.${m}_max FROM b CROSS JOIN rollup_${r.devKind}_${source} AS r
         WHERE r.bucket = b.t AND r.device = ?`).all(first, end, r.device) as unknown[][];
      fold(rows, 1, 2, 3, 4, b);
    }
  } else if (r.scope !== null) {
    const q = (sm: ScopeMetric, target: Bins): void => {
      const rows = stmt(db, `SELECT bucket, sum, cnt, vmin, vmax FROM rollup_scope_${source} WHERE scope = ? AND metric = ? AND bucket >= ? AND bucket < ?`)
        .all(r.scope, SCOPE_METRIC_CODE.get(sm), t0, end) as unknown[][];
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
      else if (ratioDen !== null && ratioDen.sum[k] > 0) v = b.sum[k] / ratioDen.sum[k];
    }
    points[k] = [ts, v];
    mins[k] = [ts, Number.isFinite(b.min[k]) ? b.min[k] : null];
    maxs[k] = [ts, Number.isFinite(b.max[k]) ? b.max[k] : null];
  }
  const out: HistoryAnswer = { scope, metric, from: req.from, to: req.to, step_ms: step, source, points };
  if (mode !== 'energy') {
    out.min = mins;
    out.max = maxs;
  }
  return out;
}
