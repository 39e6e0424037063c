// History benchmark: a database holding 30 simulated days of a 2,000-device site, then a 30-day site
// chart and a 24 h rack chart through the history code.
//
// What is filled, and how:
// - raw samples for the last 48 h (raw retention) through the real inserts, so the triggers also build
//   the device minute and hour rollups of those 48 h;
// - device hour rollups for the days before, and rack/hall/site minute and hour rollups for all 30 days,
//   written directly in bulk (what the triggers and the tick would have left);
// - device minute rollups older than 48 h are NOT written (14 M rows for the 7 days of device_minute_days
//   would not fit the 3-minute budget of this machine): their size is projected from the measured bytes
//   per row instead.
//
// Run after `npm run build`: node dist/test/bench/history.js [dir]  (prints the result as JSON).

import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { openDatabase, type Db } from '../../server/store/db.js';
import { prepareSampleInserts, registerDevices, rowValues } from '../../server/store/samples.js';
import { HOUR_MS, MINUTE_MS, registerScopes, ROLLED_METRICS, SCOPE_METRIC_CODE, scopeNames, type ScopeMetric } from '../../server/store/rollups.js';
import { DEVICE_MINUTE_DAYS_DEFAULT } from '../../server/store/retention.js';
import { defaultStep, queryHistory } from '../../server/store/history.js';
import { computeFigures } from '../../server/figures/compute.js';
import { createLiveState } from '../../server/live/state.js';
import { METRICS_BY_KIND, type DeviceKind, type Reading } from '../../server/core/types.js';
import { benchSite } from './site.js';

export interface HistoryBenchResult {
  /** bytes per stored raw value (one metric of one reading) in the raw tables */
  bytes_per_sample: number;
  db_bytes: number;
  /** db_bytes plus the device minute rollups not written (days 3..7), at the measured bytes per row */
  projected_db_bytes: number;
  site_30d_ms: number;
  rack_24h_ms: number;
  build_s: number;
  detail: Record<string, number | string>;
}

const DAY_MS = 86_400_000;

/** The history bench's values: smooth waves at full double precision (the codec bench reuses them). */
export function simValue(kind: DeviceKind, metric: string, ts: number, dev: number): number | null {
  const wave = Math.sin(ts / 3_600_000 + dev);
  switch (metric) {
    case 'hashrate_ths': return 200 + 10 * wave;
    case 'power_w': return kind === 'gpu' ? 550 + 100 * wave : kind === 'pdu' ? 120_000 + 5000 * wave : 3500 + 50 * wave;
    case 'util_pct': case 'mem_util_pct': return 70 + 25 * wave;
    case 'throttle_thermal': case 'throttle_power': return 0;
    case 'xid_last': return null;
    default: return 40 + 5 * wave;
  }
}

function tableBytes(db: Db): Map<string, number> {
  const out = new Map<string, number>();
  for (const r of db.prepare('SELECT name, sum(pgsize) AS b FROM dbstat GROUP BY name').all() as { name: string; b: number }[]) out.set(r.name, r.b);
  return out;
}

export async function benchHistory(opts: { devices?: number; days?: number; dir: string; raw_interval_s?: number }): Promise<HistoryBenchResult> {
  const devicesN = opts.devices ?? 2000;
  const days = opts.days ?? 30;
  const rawIntervalMs = (opts.raw_interval_s ?? 60) * 1000;
  const model = benchSite({ devices: devicesN, gpu_share: 0.25 });
  const path = join(opts.dir, 'history-bench.db');
  const t0 = performance.now();
  const db = openDatabase(path, { synchronous: 'NORMAL' });
  const keys = registerDevices(db, model.devices.values());
  const now = Math.floor(Date.now() / HOUR_MS) * HOUR_MS;
  const start = now - days * DAY_MS;
  const rawFrom = now - 48 * HOUR_MS;
  const devs = [...model.devices.values()].map((d) => ({ d, key: keys.get(d.id) as number }));

  // 1. raw samples of the last 48 h through the real inserts (triggers build device rollups)
  const ins = prepareSampleInserts(db);
  let readings = 0;
  let values = 0;
  const tRaw = performance.now();
  for (let ts = rawFrom; ts < now; ts += rawIntervalMs * 10) {
    db.transaction(() => {
      for (let t = ts; t < Math.min(now, ts + rawIntervalMs * 10); t += rawIntervalMs) {
        for (const { d, key } of devs) {
          const metrics: Reading['metrics'] = {};
          for (const m of METRICS_BY_KIND[d.kind]) metrics[m] = simValue(d.kind, m, t, key);
          const row = rowValues(d.kind, metrics);
          ins.insert[d.kind](t, key, null, row);
          readings++;
          for (const v of row) if (v !== null) values++;
        }
      }
    })();
  }
  const rawS = (performance.now() - tRaw) / 1000;

  // 2. device hour rollups before the raw window (the triggers wrote those inside it)
  const tHour = performance.now();
  for (const kind of Object.keys(METRICS_BY_KIND) as DeviceKind[]) {
    const ms = ROLLED_METRICS[kind];
    const stmt = db.prepare(
      `INSERT INTO rollup_${kind}_hour (device, bucket, n, ${ms.map((m) => `${m}_sum, ${m}_cnt, ${m}_min, ${m}_max`).join(', ')}) VALUES (?, ?, ?${', ?, ?, ?, ?'.repeat(ms.length)})`,
    );
    const perHour = HOUR_MS / rawIntervalMs;
    const args: (number | null)[] = [];
    db.transaction(() => {
      for (let b = start; b < rawFrom; b += HOUR_MS) {
        for (const { d, key } of devs) {
          if (d.kind !== kind) continue;
          args.length = 0;
          args.push(key, b, perHour);
          for (const m of ms) {
            const v = simValue(kind, m, b, key);
            if (v === null) args.push(null, 0, null, null);
            else args.push(v * perHour, perHour, v - 1, v + 1);
          }
          stmt.run(...args);
        }
      }
    })();
  }
  const devHourS = (performance.now() - tHour) / 1000;

  // 3. rack/hall/site rollups for the whole range, from figures of a live state set to typical values
  const live = createLiveState(model);
  for (const { d, key } of devs) {
    const metrics: Reading['metrics'] = {};
    for (const m of METRICS_BY_KIND[d.kind]) metrics[m] = simValue(d.kind, m, now, key);
    live.apply({ device: d.id, ts: now, metrics });
  }
  const figures = computeFigures({ model, devices: live.devices, now, stale_after_ms: 60_000 });
  const scopes = registerScopes(db, scopeNames(figures));
  const base: { scope: number; metric: number; value: number }[] = [];
  const add = (scope: string, metric: ScopeMetric, v: number | null): void => {
    if (v !== null) base.push({ scope: scopes.get(scope) as number, metric: SCOPE_METRIC_CODE.get(metric) as number, value: v });
  };
  for (const r of figures.racks) {
    add(`rack:${r.id}`, 'power_w', r.power_w);
    add(`rack:${r.id}`, 'hashrate_ths', r.hashrate_ths);
    add(`rack:${r.id}`, 'gpu_util_pct', r.gpu_util_pct);
    add(`rack:${r.id}`, 'inlet_temp_c', r.inlet_temp_c);
    add(`rack:${r.id}`, 'energy_wh', r.power_w === null ? null : r.power_w / 60);
  }
  for (const [name, a] of [...figures.halls.map((h) => [`hall:${h.id}`, h] as const), ['site', figures.site] as const]) {
    add(name, 'power_w', a.it_power_w);
    add(name, 'facility_power_w', a.it_power_w === null ? null : a.it_power_w * 1.25);
    add(name, 'hashrate_ths', a.hashrate_ths);
    add(name, 'gpu_util_pct', a.gpu_util_pct);
    add(name, 'inlet_temp_c', a.worst_inlet_c);
    add(name, 'pue', 1.25);
    add(name, 'energy_wh', a.it_power_w === null ? null : a.it_power_w / 60);
    add(name, 'energy_facility_wh', a.it_power_w === null ? null : (a.it_power_w * 1.25) / 60);
    add(name, 'pue_it_wh', a.it_power_w === null ? null : a.it_power_w / 60);
    add(name, 'pue_facility_wh', a.it_power_w === null ? null : (a.it_power_w * 1.25) / 60);
  }
  const tScope = performance.now();
  for (const g of ['minute', 'hour'] as const) {
    const bucketMs = g === 'minute' ? MINUTE_MS : HOUR_MS;
    const ticks = bucketMs / 1000;
    const stmt = db.prepare(`INSERT INTO rollup_scope_${g} (scope, metric, bucket, sum, cnt, vmin, vmax) VALUES (?, ?, ?, ?, ?, ?, ?)`);
    // key order (scope, metric, bucket): appends at the end of each key range
    for (const s of base) {
      db.transaction(() => {
        for (let b = start; b < now; b += bucketMs) {
          const v = s.value * (1 + 0.02 * Math.sin(b / HOUR_MS + s.scope));
          stmt.run(s.scope, s.metric, b, v * ticks, ticks, v * 0.99, v * 1.01);
        }
      })();
    }
  }
  const scopeS = (performance.now() - tScope) / 1000;
  db.pragma('wal_checkpoint(TRUNCATE)');
  const build_s = (performance.now() - t0) / 1000;

  // 4. the charts, through the same function the HTTP route calls
  const time = (fn: () => unknown): { first: number; median: number } => {
    const runs: number[] = [];
    for (let i = 0; i < 7; i++) {
      const a = performance.now();
      fn();
      runs.push(performance.now() - a);
    }
    const first = runs[0];
    runs.sort((x, y) => x - y);
    return { first, median: runs[3] };
  };
  const siteReq = { scope: 'site', metric: 'power_w', from: now - days * DAY_MS, to: now, step_ms: defaultStep(now - days * DAY_MS, now) };
  const rackId = figures.racks[0].id;
  const rackReq = { scope: `rack:${rackId}`, metric: 'power_w', from: now - DAY_MS, to: now, step_ms: defaultStep(now - DAY_MS, now) };
  const site = time(() => queryHistory(db, model, siteReq));
  const rack = time(() => queryHistory(db, model, rackReq));
  const siteAns = queryHistory(db, model, siteReq);
  const rackAns = queryHistory(db, model, rackReq);

  const bytes = tableBytes(db);
  let rawBytes = 0;
  let devMinuteBytes = 0;
  let devMinuteRows = 0;
  let devHourBytes = 0;
  let devHourRows = 0;
  for (const kind of Object.keys(METRICS_BY_KIND)) {
    rawBytes += bytes.get(`samples_${kind}`) ?? 0;
    devHourBytes += bytes.get(`rollup_${kind}_hour`) ?? 0;
    devHourRows += (db.prepare(`SELECT count(*) AS n FROM rollup_${kind}_hour`).get() as { n: number }).n;
    devMinuteBytes += bytes.get(`rollup_${kind}_minute`) ?? 0;
    devMinuteRows += (db.prepare(`SELECT count(*) AS n FROM rollup_${kind}_minute`).get() as { n: number }).n;
  }
  const scopeRows = db.prepare('SELECT (SELECT count(*) FROM rollup_scope_minute) + (SELECT count(*) FROM rollup_scope_hour)').pluck().get() as number;
  const db_bytes = statSync(path).size;
  const bytesPerDevMinuteRow = devMinuteRows ? devMinuteBytes / devMinuteRows : 0;
  const missingMinuteRows = devs.length * ((Math.min(days, DEVICE_MINUTE_DAYS_DEFAULT) * DAY_MS - 48 * HOUR_MS) / MINUTE_MS);
  db.close();
  return {
    bytes_per_sample: rawBytes / values,
    db_bytes,
    projected_db_bytes: db_bytes + missingMinuteRows * bytesPerDevMinuteRow,
    site_30d_ms: site.median,
    rack_24h_ms: rack.median,
    build_s,
    detail: {
      devices: devs.length,
      racks: figures.racks.length,
      raw_readings: readings,
      raw_values: values,
      raw_bytes: rawBytes,
      raw_s: rawS,
      raw_readings_per_s: readings / rawS,
      device_hour_s: devHourS,
      scope_rollups_s: scopeS,
      scope_minute_bytes: bytes.get('rollup_scope_minute') ?? 0,
      scope_hour_bytes: bytes.get('rollup_scope_hour') ?? 0,
      device_minute_bytes_per_row: bytesPerDevMinuteRow,
      device_minute_rows: devMinuteRows,
      device_hour_bytes_per_row: devHourRows ? devHourBytes / devHourRows : 0,
      device_hour_rows: devHourRows,
      bytes_per_raw_reading: rawBytes / readings,
      scope_bytes_per_row: ((bytes.get('rollup_scope_minute') ?? 0) + (bytes.get('rollup_scope_hour') ?? 0)) / (scopeRows || 1),
      site_30d_first_ms: site.first,
      rack_24h_first_ms: rack.first,
      site_30d_source: `${siteAns.source} step ${siteAns.step_ms} ms, ${siteAns.points.length} points`,
      rack_24h_source: `${rackAns.source} step ${rackAns.step_ms} ms, ${rackAns.points.length} points`,
    },
  };
}

export interface InsertRateResult {
  devices: number;
  readings: number;
  /** readings/s through the real inserts with the rollup triggers */
  with_triggers_per_s: number;
  /** the same readings into a database whose rollup triggers were dropped */
  without_triggers_per_s: number;
  /** 1 − with ÷ without: the share of the raw rate the triggers take */
  trigger_cost: number;
}

/**
 * Raw insert rate with and without the rollup triggers: `ticks` ticks of every device 15 s apart, one
 * transaction per tick (what the writer's group commit does with a site's tick), synchronous=NORMAL so
 * the number is CPU, not fsync.
 */
export function benchInsertRate(opts: { devices?: number; ticks?: number; dir: string }): InsertRateResult {
  const model = benchSite({ devices: opts.devices ?? 2000, gpu_share: 0.25 });
  const ticks = opts.ticks ?? 120;
  const run = (triggers: boolean): { readings: number; per_s: number } => {
    const path = join(opts.dir, `insert-${triggers ? 'with' : 'without'}.db`);
    rmSync(path, { force: true });
    const db = openDatabase(path, { synchronous: 'NORMAL' });
    if (!triggers) {
      for (const name of db.prepare("SELECT name FROM sqlite_master WHERE type = 'trigger'").pluck().all() as string[]) db.exec(`DROP TRIGGER ${name}`);
    }
    const keys = registerDevices(db, model.devices.values());
    const devs = [...model.devices.values()].map((d) => ({ kind: d.kind, key: keys.get(d.id) as number }));
    const ins = prepareSampleInserts(db);
    const t1 = Math.floor(Date.now() / HOUR_MS) * HOUR_MS;
    // rows built before timing: the clock measures SQLite and the triggers only
    const rows = devs.map(({ kind, key }) => {
      const metrics: Reading['metrics'] = {};
      for (const m of METRICS_BY_KIND[kind]) metrics[m] = simValue(kind, m, t1, key);
      return rowValues(kind, metrics);
    });
    let readings = 0;
    const a = performance.now();
    for (let k = 0; k < ticks; k++) {
      const ts = t1 + k * 15_000;
      db.transaction(() => {
        for (let i = 0; i < devs.length; i++) ins.insert[devs[i].kind](ts, devs[i].key, null, rows[i]);
      })();
      readings += devs.length;
    }
    const s = (performance.now() - a) / 1000;
    db.close();
    rmSync(path, { force: true });
    return { readings, per_s: readings / s };
  };
  const without = run(false);
  const withT = run(true);
  return {
    devices: model.devices.size,
    readings: withT.readings,
    with_triggers_per_s: Math.round(withT.per_s),
    without_triggers_per_s: Math.round(without.per_s),
    trigger_cost: 1 - withT.per_s / without.per_s,
  };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const dir = process.argv[2] ?? mkdtempSync(join(tmpdir(), 'fw-history-bench-'));
  if (process.env.BENCH_INSERT_ONLY) {
    console.log(JSON.stringify(benchInsertRate({ dir, devices: Number(process.env.BENCH_DEVICES ?? 2000) }), null, 2));
    process.exit(0);
  }
  const devices = Number(process.env.BENCH_DEVICES ?? 2000);
  const days = Number(process.env.BENCH_DAYS ?? 30);
  const r = await benchHistory({ devices, days, dir, raw_interval_s: Number(process.env.BENCH_RAW_INTERVAL_S ?? 60) });
  console.log(JSON.stringify(r, null, 2));
  if (process.argv[2] === undefined) rmSync(dir, { recursive: true, force: true });
}
