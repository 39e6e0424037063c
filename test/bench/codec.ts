// Codec bench (issue 15): bytes per sample of closed device-windows encoded by server/store/chunk-codec.ts,
// against today's raw layout (samples_<kind>, one row per reading) on the same readings, and what SQLite
// adds per stored blob. `node dist/test/bench/run.js codec` runs it alone.
//
// Data variants (every device of the bench site, every 10 s, ascending regular timestamps):
// - ingest: benchMetrics(kind, device index), what httpIngest pushes and so what VictoriaMetrics stored in
//   the remote-write bench (its 0.83 bytes/sample): small integers, each device's values constant in
//   time. Not random noise: about the easiest data there is (VM's timestamps were irregular ms, ours 10 s).
// - ingest-moving: benchMetrics(kind, cursor + 0..6 at random), how the latency phase moves the values:
//   integers that jump every tick; accepted_shares and uptime_s grow.
// - device-like: device precision with noise: temperatures 0.1 °C walks, power 1 W (GPU 0.01 W, as
//   nvidia-smi prints), hashrate 0.01 TH/s, counters that grow, clocks, set points constant.
// - device-like, jittered ts: the same with each timestamp 0–250 ms late, as pushes arrive.
// - history-sim: the history bench's simValue, smooth waves at full double precision (15–17 significant
//   digits: no decimal fits, every value goes to Gorilla): the data behind its bytes-per-sample figure.

import Database from 'better-sqlite3';
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import {
  decodeChunk, DEFAULT_COMPRESSOR, encodeChunk, type ChunkColumns, type ChunkCompressor,
} from '../../server/store/chunk-codec.js';
import { METRICS_BY_KIND, type DeviceKind, type MetricName } from '../../server/core/types.js';
import { openDatabase } from '../../server/store/db.js';
import { prepareSampleInserts, registerDevices } from '../../server/store/samples.js';
import { benchMetrics } from './scale.js';
import { simValue } from './history.js';
import { benchSite } from './site.js';
import { mulberry32 as prng } from '../../server/sim/prng.js';

export const CODEC_FULL = { devices: 1000, windows_min: [30, 60, 120], raw_minutes: 30, stored_hours: 6 };
export const CODEC_QUICK = { devices: 60, windows_min: [30, 60], raw_minutes: 5, stored_hours: 2 };
const INTERVAL_MS = 10_000;
const HOUR_MS = 3_600_000;

export type CodecVariant = 'ingest' | 'ingest-moving' | 'device-like' | 'device-like-jittered-ts' | 'history-sim';
const VARIANTS: CodecVariant[] = ['ingest', 'ingest-moving', 'device-like', 'device-like-jittered-ts', 'history-sim'];

const COMPRESSORS: { name: string; c: ChunkCompressor | readonly ChunkCompressor[] }[] = [
  { name: 'smaller of brotli 4, deflate-raw 6 (default)', c: DEFAULT_COMPRESSOR },
  { name: 'none', c: { kind: 'none' } },
  { name: 'deflate-raw 1', c: { kind: 'deflate', level: 1 } },
  { name: 'deflate-raw 6', c: { kind: 'deflate', level: 6 } },
  { name: 'deflate-raw 9', c: { kind: 'deflate', level: 9 } },
  { name: 'brotli 1', c: { kind: 'brotli', quality: 1 } },
  { name: 'brotli 4', c: { kind: 'brotli', quality: 4 } },
  { name: 'brotli 5', c: { kind: 'brotli', quality: 5 } },
  { name: 'brotli 6', c: { kind: 'brotli', quality: 6 } },
  { name: 'brotli 9', c: { kind: 'brotli', quality: 9 } },
  { name: 'brotli 11', c: { kind: 'brotli', quality: 11 } },
];

export interface SqliteBlobFigure {
  layout: string;
  rows: number;
  blob_bytes: number;
  /** dbstat pages of the table (and its index) over the blob bytes, per row */
  overhead_per_row: number;
  /** everything at rest, per sample */
  bytes_per_sample: number;
}

export interface WindowFigure {
  window_min: number;
  windows: number;
  samples: number;
  /** blob bytes over non-null samples */
  bytes_per_sample: number;
  mean_blob_bytes: number;
  encode_samples_per_s: number;
  decode_samples_per_s: number;
  /** the blobs stored for stored_hours in (device, window_start, blob), each of BLOB_LAYOUTS */
  sqlite: SqliteBlobFigure[];
}

export interface CodecBench {
  devices: number;
  interval_s: number;
  compressor: string;
  variants: Record<CodecVariant, { raw_layout_bytes_per_sample: number; windows: WindowFigure[] }>;
  /** device-like, 60-minute windows, each compressor */
  compressors: { name: string; bytes_per_sample: number; encode_samples_per_s: number; decode_samples_per_s: number }[];
  /** the history bench's figure for today's raw layout, quoted by issue 15 */
  history_bench_raw_bytes_per_sample: number;
}


function gauss(r: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r());
}

const round = (v: number, digits: number): number => Math.round(v * 10 ** digits) / 10 ** digits;

/** One device-like metric as a function of the tick: a reading at a device's own precision. */
function deviceLikeSeries(kind: DeviceKind, metric: string, start: number | null, r: () => number): ((i: number) => number) | null {
  if (start === null) return null;
  let v = start;
  const walk = (step: number, digits: number, p: number) => () => {
    const u = r();
    v += u < p / 2 ? -step : u < p ? step : 0;
    v += (start - v) * 0.01; // mean-reverting, so a day stays near the set point
    return round(v, digits);
  };
  const noise = (sd: number, digits: number) => () => round(start + sd * gauss(r), digits);
  const grow = (mean: number, sd: number) => () => (v += Math.max(0, Math.round(mean + sd * gauss(r))));
  const rare = (p: number) => () => (v += r() < p ? 1 : 0);
  switch (metric) {
    case 'hashrate_ths': return noise(2, 2);
    case 'power_w': return kind === 'gpu' ? noise(15, 2) : kind === 'asic' ? noise(5, 0) : noise(start * 0.003, 0);
    case 'feed_a_w': case 'feed_b_w': return noise(start * 0.003, 0);
    case 'fan_rpm': return walk(60, 0, 0.05);
    case 'accepted_shares': return grow(13, 3.5);
    case 'rejected_shares': return rare(0.01);
    case 'hw_errors': return rare(0.002);
    case 'uptime_s': return grow(10, 0);
    case 'util_pct': return () => Math.max(0, Math.min(100, Math.round(start + 10 * gauss(r))));
    case 'mem_util_pct': return () => Math.max(0, Math.min(100, Math.round(start + 5 * gauss(r))));
    case 'mem_used_mib': return walk(64, 0, 0.2);
    case 'sm_clock_mhz': return walk(15, 0, 0.2);
    case 'temp_c': case 'mem_temp_c': return walk(1, 0, 0.3);
    case 'humidity_pct': return walk(0.1, 1, 0.2);
    case 'flow_lpm': return noise(2, 1);
    default:
      if (metric.endsWith('_temp_c')) return walk(0.1, 1, 0.3);
      return () => start; // limits, set points, chain counts, flags
  }
}

/**
 * Each device's window of `rows` ticks from t0, columns in METRICS_BY_KIND order (NaN = not reported).
 * Also the peers section's data at rest (test/bench/peers.ts), so both measure the same readings.
 */
export function generate(variant: CodecVariant, kinds: readonly DeviceKind[], rows: number, t0: number, seed: number): ChunkColumns[] {
  const r = prng(seed);
  return kinds.map((kind, dev) => {
    const cols = METRICS_BY_KIND[kind] as readonly MetricName[];
    const ts = new Float64Array(rows);
    for (let i = 0; i < rows; i++) ts[i] = t0 + i * INTERVAL_MS + (variant === 'device-like-jittered-ts' ? Math.floor(r() * 250) : 0);
    const columns = cols.map(() => new Float64Array(rows).fill(NaN));
    if (variant === 'history-sim') {
      for (let i = 0; i < rows; i++) cols.forEach((m, j) => {
        columns[j][i] = simValue(kind, m, ts[i], dev) ?? NaN;
      });
    } else if (variant === 'ingest' || variant === 'ingest-moving') {
      for (let i = 0; i < rows; i++) {
        const n = variant === 'ingest' ? dev : dev + i * kinds.length + Math.floor(r() * 7);
        const m = benchMetrics(kind, n) as Record<string, number | undefined>;
        cols.forEach((c, j) => {
          columns[j][i] = m[c] ?? NaN;
        });
      }
    } else {
      const base = benchMetrics(kind, dev) as Record<string, number | undefined>;
      cols.forEach((c, j) => {
        const next = deviceLikeSeries(kind, c, base[c] ?? null, r);
        if (next !== null) for (let i = 0; i < rows; i++) columns[j][i] = next(i);
      });
    }
    return { ts, columns };
  });
}

function samplesOf(w: ChunkColumns): number {
  let n = 0;
  for (const c of w.columns) for (let i = 0; i < c.length; i++) if (c[i] === c[i]) n++;
  return n;
}

function slice(w: ChunkColumns, from: number, to: number): ChunkColumns {
  return { ts: w.ts.slice(from, to), columns: w.columns.map((c) => c.slice(from, to)) };
}

function encodeAll(windows: ChunkColumns[], c: ChunkCompressor | readonly ChunkCompressor[]): { blobs: Uint8Array[]; encode_s: number; decode_s: number } {
  const a = performance.now();
  const blobs = windows.map((w) => encodeChunk(w, { compressor: c }));
  const encode_s = (performance.now() - a) / 1000;
  const b = performance.now();
  for (const blob of blobs) decodeChunk(blob);
  const decode_s = (performance.now() - b) / 1000;
  return { blobs, encode_s, decode_s };
}

/** The SQLite layouts measured for the blobs: the one issue 15 names, and rowid tables by page size. */
const BLOB_LAYOUTS = [
  { name: 'WITHOUT ROWID, 4 KiB pages', without_rowid: true, page_size: 4096 },
  { name: 'rowid table, 4 KiB pages', without_rowid: false, page_size: 4096 },
  { name: 'rowid table, 16 KiB pages', without_rowid: false, page_size: 16384 },
  { name: 'rowid table, 64 KiB pages', without_rowid: false, page_size: 65536 },
] as const;

/**
 * The blobs of `stored_hours` per device in (device, window_start, blob), inserted window by window as
 * compaction would. WITHOUT ROWID keeps at most about a quarter page of a row in the b-tree (1,002 bytes
 * of a 4 KiB page) and puts the rest on overflow pages of its own; a rowid table keeps up to a page less
 * 35 bytes inline, its key in an index beside it. The generated windows are reused cyclically past the
 * hours generated.
 */
function sqliteBlobs(path: string, layout: (typeof BLOB_LAYOUTS)[number], blobsByDevice: Uint8Array[][], windowMs: number, storedHours: number, samplesPerRound: number): SqliteBlobFigure {
  rmSync(path, { force: true });
  const db = new Database(path);
  db.pragma(`page_size = ${layout.page_size}`);
  db.pragma('journal_mode = WAL');
  db.exec(`CREATE TABLE chunk (device INTEGER NOT NULL, window_start INTEGER NOT NULL, blob BLOB NOT NULL, PRIMARY KEY (device, window_start))${layout.without_rowid ? ' WITHOUT ROWID' : ''}`);
  const perDevice = Math.round((storedHours * HOUR_MS) / windowMs);
  const generated = blobsByDevice[0].length;
  const ins = db.prepare('INSERT INTO chunk VALUES (?, ?, ?)');
  let blobBytes = 0;
  for (let w = 0; w < perDevice; w++) {
    db.transaction(() => {
      for (let d = 0; d < blobsByDevice.length; d++) {
        const blob = blobsByDevice[d][w % generated];
        ins.run(d + 1, w * windowMs, blob);
        blobBytes += blob.length;
      }
    })();
  }
  db.pragma('wal_checkpoint(TRUNCATE)');
  const bytes = (db.prepare("SELECT sum(pgsize) AS b FROM dbstat WHERE name = 'chunk' OR name LIKE 'sqlite_autoindex_chunk%'").get() as { b: number }).b;
  db.close();
  rmSync(path, { force: true });
  const rows = perDevice * blobsByDevice.length;
  const samples = (samplesPerRound * perDevice) / generated;
  return { layout: layout.name, rows, blob_bytes: blobBytes, overhead_per_row: (bytes - blobBytes) / rows, bytes_per_sample: bytes / samples };
}

/** Today's layout on the same readings: the first `minutes` through the real inserts, tick by tick. */
function rawLayout(path: string, model: ReturnType<typeof benchSite>, windows: ChunkColumns[], kinds: readonly DeviceKind[], rows: number): number {
  rmSync(path, { force: true });
  const db = openDatabase(path, { synchronous: 'NORMAL' });
  const keys = registerDevices(db, model.devices.values());
  const devKeys = [...model.devices.values()].map((d) => keys.get(d.id) as number);
  const ins = prepareSampleInserts(db);
  const values: (number | null)[][] = kinds.map((k) => new Array<number | null>(METRICS_BY_KIND[k].length));
  let samples = 0;
  for (let i = 0; i < rows; i++) {
    db.transaction(() => {
      for (let d = 0; d < windows.length; d++) {
        const w = windows[d];
        const v = values[d];
        for (let j = 0; j < w.columns.length; j++) {
          const x = w.columns[j][i];
          v[j] = x === x ? x : null;
          if (x === x) samples++;
        }
        ins.insert[kinds[d]](w.ts[i], devKeys[d], null, v);
      }
    })();
  }
  db.pragma('wal_checkpoint(TRUNCATE)');
  let bytes = 0;
  for (const r of db.prepare("SELECT name, sum(pgsize) AS b FROM dbstat WHERE name LIKE 'samples_%' GROUP BY name").all() as { b: number }[]) bytes += r.b;
  db.close();
  rmSync(path, { force: true });
  return bytes / samples;
}

export function benchCodec(opts: { devices: number; windows_min: number[]; raw_minutes: number; stored_hours: number; dir: string; log?: (l: string) => void }): CodecBench {
  mkdirSync(opts.dir, { recursive: true });
  const log = opts.log ?? (() => undefined);
  const model = benchSite({ devices: opts.devices });
  const kinds = [...model.devices.values()].map((d) => d.kind);
  const maxMin = Math.max(...opts.windows_min);
  const rows = (maxMin * 60_000) / INTERVAL_MS;
  const t0 = Math.floor(Date.UTC(2026, 11, 1) / HOUR_MS) * HOUR_MS;
  const variants = {} as CodecBench['variants'];
  let compressors: CodecBench['compressors'] = [];
  for (const [vi, variant] of VARIANTS.entries()) {
    log(`codec: ${variant}, ${kinds.length} devices, ${maxMin} min at ${INTERVAL_MS / 1000} s`);
    const data = generate(variant, kinds, rows, t0, 1000 + vi);
    const raw = rawLayout(join(opts.dir, 'raw.db'), model, data, kinds, (opts.raw_minutes * 60_000) / INTERVAL_MS);
    const windows: WindowFigure[] = [];
    for (const wm of opts.windows_min) {
      const per = (wm * 60_000) / INTERVAL_MS;
      const all: ChunkColumns[] = [];
      const byDevice: ChunkColumns[][] = data.map(() => []);
      data.forEach((d, i) => {
        for (let from = 0; from + per <= rows; from += per) {
          const w = slice(d, from, from + per);
          all.push(w);
          byDevice[i].push(w);
        }
      });
      const samples = all.reduce((s, w) => s + samplesOf(w), 0);
      const { blobs, encode_s, decode_s } = encodeAll(all, DEFAULT_COMPRESSOR);
      const bytes = blobs.reduce((s, b) => s + b.length, 0);
      let k = 0;
      const blobsByDevice = byDevice.map((ws) => ws.map(() => blobs[k++]));
      const sqlite = BLOB_LAYOUTS.map((l) => sqliteBlobs(join(opts.dir, 'blobs.db'), l, blobsByDevice, wm * 60_000, opts.stored_hours, samples));
      windows.push({
        window_min: wm, windows: all.length, samples, bytes_per_sample: bytes / samples, mean_blob_bytes: bytes / all.length,
        encode_samples_per_s: samples / encode_s, decode_samples_per_s: samples / decode_s,
        sqlite,
      });
      if (variant === 'device-like' && wm === 60) {
        compressors = COMPRESSORS.map(({ name, c }) => {
          const e = encodeAll(all, c);
          return {
            name, bytes_per_sample: e.blobs.reduce((s, b) => s + b.length, 0) / samples,
            encode_samples_per_s: samples / e.encode_s, decode_samples_per_s: samples / e.decode_s,
          };
        });
      }
    }
    variants[variant] = { raw_layout_bytes_per_sample: raw, windows };
  }
  const name = (c: ChunkCompressor): string => (c.kind === 'none' ? 'none' : c.kind === 'deflate' ? `deflate-raw ${c.level}` : `brotli ${c.quality}`);
  return {
    devices: kinds.length, interval_s: INTERVAL_MS / 1000,
    compressor: `the smaller of ${DEFAULT_COMPRESSOR.map(name).join(', ')}`,
    variants, compressors, history_bench_raw_bytes_per_sample: 9.9,
  };
}

const f = (v: number, digits = 0) => v.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

export function codecRows(r: CodecBench | { error: string }): [string, string][] {
  if ('error' in r) return [['codec', `failed: ${r.error}`]];
  const layouts = r.variants['device-like']?.windows[0]?.sqlite.map((l) => l.layout) ?? [];
  const rows: [string, string][] = [[
    'codec (issue 15)',
    `${f(r.devices)} devices every ${r.interval_s} s, ${r.compressor}; bytes per sample as blob | at rest in SQLite: ${layouts.join(' / ')}; raw layout today on the same data (history bench: ${r.history_bench_raw_bytes_per_sample})`,
  ]];
  for (const [name, v] of Object.entries(r.variants)) {
    const ws = v.windows.map((w) => `${w.window_min} min ${f(w.bytes_per_sample, 3)} | ${w.sqlite.map((l) => f(l.bytes_per_sample, 3)).join(' / ')} (${f(w.mean_blob_bytes)} B a blob)`);
    rows.push([`  ${name}`, `${ws.join('; ')}; raw layout ${f(v.raw_layout_bytes_per_sample, 2)}`]);
  }
  const dl = r.variants['device-like']?.windows.find((w) => w.window_min === 60) ?? r.variants['device-like']?.windows[0];
  if (dl !== undefined) {
    rows.push(['  throughput', `device-like ${dl.window_min} min: encode ${f(dl.encode_samples_per_s)} samples/s, decode ${f(dl.decode_samples_per_s)} samples/s (one thread)`]);
    rows.push(['  SQLite per blob row', `device-like ${dl.window_min} min, bytes over the blob: ${dl.sqlite.map((l) => `${l.layout} ${f(l.overhead_per_row)}`).join(', ')}`]);
  }
  for (const c of r.compressors) rows.push([`  ${c.name}`, `${f(c.bytes_per_sample, 3)} B/sample, encode ${f(c.encode_samples_per_s)}/s, decode ${f(c.decode_samples_per_s)}/s`]);
  return rows;
}
