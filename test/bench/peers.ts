// The bench's peers section (issue 15): Floorwatch against Debian's VictoriaMetrics on the same machine
// in the same run, both sent the same telemetry (test/bench/peers-load.ts) by the same clients:
//   1. ingest: the bench site's readings (benchMetrics, what the ingest phase sends), every device once a
//      sweep, bodies of `batch`, in `rounds` rounds whose order rotates (Floorwatch first, then the peer
//      first, …) so that the other load on a shared machine falls on both; the median rate, and CPU
//      seconds (utime + stime of each server process, from /proc) per million samples. The raw-SQLite
//      baseline (scale.ts' rawInsert) runs first, on the same site.
//   2. at rest: codec.ts' generated readings (1,000 devices × 500 in the full bench) pushed to a fresh
//      server of each; VictoriaMetrics force-merged (its compaction) and stopped, then data/ + indexdb/
//      summed; Floorwatch's file through floorwatchAtRestBytes (the hook for compaction).
//   3. kill -9: clients push for `push_s`, every acknowledged body is noted, the server is killed with
//      pushes in flight, started again on the same data, and each acknowledged reading looked for.
// Run alone: `npm run bench -- --only peers`. Without the victoria-metrics binary (VICTORIA_METRICS_BIN
// overrides /usr/bin/victoria-metrics) the section says so, skips the peer and measures Floorwatch alone.

import Database from 'better-sqlite3';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { DEVICE_KINDS, METRICS_BY_KIND, type DeviceModel, type MetricName, type SiteModel } from '../../server/core/types.js';
import { openDatabase } from '../../server/store/db.js';
import { countSamples } from '../../server/store/samples.js';
import { createChunkGuard } from '../../server/store/chunks.js';
import { createCompaction } from '../../server/store/compaction.js';
import { RETENTION_DEFAULTS } from '../../server/store/retention-config.js';
import { freePort } from '../helpers/net.js';
import { generate, type CodecVariant } from './codec.js';
import { percentile } from './proc.js';
import { push, readingText, type BodyReadings, type Peer, type PeerName, type PushResult, type ReadingText } from './peers-load.js';
import { startStore, stopStore, VICTORIA_METRICS } from './remote-write.js';
import { benchMetrics, rawInsert, startServerChild, type RateFigure } from './scale.js';
import { benchSite } from './site.js';

export interface PeersOptions {
  dir: string;
  devices: number;
  clients: number;
  /** readings a body (and rows a raw-SQLite transaction) */
  batch: number;
  rounds: number;
  /** sweeps of the whole site a peer is sent per round */
  sweeps: number;
  raw_duration_s: number;
  at_rest: { devices: number; readings: number; variants: CodecVariant[] };
  kill: { devices: number; push_s: number };
  log: (line: string) => void;
  /** told of every server process the section starts (the smoke test checks each is gone after) */
  spawned?: (name: PeerName, pid: number) => void;
}

export const PEERS_FULL: Omit<PeersOptions, 'dir' | 'log'> = {
  devices: 100_000, clients: 4, batch: 500, rounds: 3, sweeps: 3, raw_duration_s: 6,
  // 'ingest' is the data behind issue 15's 0.83 and 9.9; device-like with jittered timestamps is closer to a site.
  at_rest: { devices: 1000, readings: 500, variants: ['ingest', 'device-like-jittered-ts'] },
  kill: { devices: 10_000, push_s: 5 },
};
export const PEERS_QUICK: Omit<PeersOptions, 'dir' | 'log'> = {
  devices: 1000, clients: 2, batch: 250, rounds: 3, sweeps: 2, raw_duration_s: 0.3,
  at_rest: { devices: 60, readings: 60, variants: ['device-like-jittered-ts'] },
  kill: { devices: 300, push_s: 1.5 },
};

export interface IngestFigure {
  rounds: { samples: number; seconds: number; samples_per_s: number; cpu_s: number }[];
  /** the median round */
  samples_per_s: number;
  /** all rounds: server CPU seconds over millions of samples acknowledged */
  cpu_s_per_million_samples: number;
  cpu_cores: number;
  failed_bodies: number;
}

/** Floorwatch's file at rest: used pages (page_count − freelist_count) × page_size, by table group from dbstat. */
export interface FloorwatchAtRest {
  layout: 'compacted';
  /** the whole file's used pages */
  bytes: number;
  /** the readings alone: the head (samples_<kind>) and the chunks (chunks_<kind>), indexes included */
  raw_bytes: number;
  samples_bytes: number;
  chunks_bytes: number;
  /** device and scope rollups (a product of Floorwatch's own that VictoriaMetrics does not keep) */
  rollups_bytes: number;
  other_bytes: number;
  /** readings stored, both layers */
  readings: number;
  /** of them, still in the head after compaction (an open window) */
  head_readings: number;
}

export interface VictoriaAtRest {
  /** data/ + indexdb/ after the forced merge and a clean stop (cache/ is rebuilt on start, left out) */
  bytes: number;
  data_bytes: number;
  indexdb_bytes: number;
  cache_bytes: number;
  /** vm_rows of storage/small + storage/big after the merge: one a sample */
  rows: number;
  merge_s: number;
}

export interface AtRestFigure {
  variant: CodecVariant;
  readings: number;
  samples: number;
  floorwatch: FloorwatchAtRest & { bytes_per_sample: number; raw_bytes_per_sample: number };
  victoria_metrics: (VictoriaAtRest & { bytes_per_sample: number }) | null;
}

export interface KillFigure {
  push_s: number;
  acked_bodies: number;
  acked_readings: number;
  kept_readings: number;
  kept_pct: number;
  /** the oldest lost acknowledgement, seconds before the kill (null when nothing was lost) */
  lost_since_s: number | null;
  /** start on the same data -> ready (Floorwatch /readyz, VictoriaMetrics /health) */
  restart_ms: number;
}

export interface PeersBench {
  victoria_metrics: { binary: string; version: string | null } | { skipped: string };
  site: { devices: number; racks: number };
  clients: number;
  batch: number;
  rounds: number;
  raw_sqlite: RateFigure & { batch: number };
  /** the same inserts without the device rollup triggers (scale.ts rawInsert, rollups: false) */
  raw_sqlite_without_rollups: RateFigure & { batch: number };
  ingest: { floorwatch: IngestFigure; victoria_metrics: IngestFigure | null };
  at_rest: AtRestFigure[];
  kill: { devices: number; floorwatch: KillFigure; victoria_metrics: KillFigure | null };
  /** Floorwatch ÷ VictoriaMetrics; null when the peer was skipped */
  ratios: { ingest_samples_per_s: number | null; cpu_s_per_million_samples: number | null; bytes_per_sample_at_rest: Partial<Record<CodecVariant, number | null>>; raw_bytes_per_sample_at_rest: Partial<Record<CodecVariant, number | null>>; acked_kept: number | null };
  /** each peer's median ingest ÷ the raw-SQLite baseline */
  to_raw: { floorwatch: number; victoria_metrics: number | null };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

type Child = { pid?: number; exitCode: number | null; signalCode: NodeJS.Signals | null; kill(s: NodeJS.Signals): boolean; once(e: 'exit', f: () => void): unknown };

/**
 * Every server process the section has started and not yet seen exit. VictoriaMetrics does not stop with
 * its parent (Floorwatch's child does, on the IPC disconnect), so whatever is left when the section ends,
 * by an error too, is killed in benchPeers' finally, and at this process's exit as a last resort.
 */
const alive = new Set<Child>();
let spawnedHook: PeersOptions['spawned'];

function track(name: PeerName, child: Child): void {
  if (child.exitCode !== null || child.signalCode !== null) return;
  alive.add(child);
  child.once('exit', () => alive.delete(child));
  if (child.pid !== undefined) spawnedHook?.(name, child.pid);
}

function killLeftOnExit(): void {
  for (const c of alive) c.kill('SIGKILL');
}

async function killLeft(): Promise<number> {
  const left = [...alive];
  await Promise.all(left.map((c) => {
    const gone = exitOf(c);
    c.kill('SIGKILL');
    return gone;
  }));
  return left.length;
}

function exitOf(child: { exitCode: number | null; signalCode: NodeJS.Signals | null; once(e: 'exit', f: () => void): unknown }): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((r) => void child.once('exit', () => r()));
}

async function startFloorwatch(devices: number, dbPath: string): Promise<Peer> {
  const s = await startServerChild({ devices }, dbPath);
  track('floorwatch', s.child);
  try {
    // Ready, not only listening: after a kill the restart replays first.
    for (const end = Date.now() + 120_000; ;) {
      const ok = await fetch(`${s.url}/readyz`).then(async (r) => (await r.arrayBuffer(), r.status === 200), () => false);
      if (ok) break;
      if (Date.now() > end) throw new Error('floorwatch: /readyz not 200 within 120 s');
      await sleep(20);
    }
  } catch (e) {
    await s.stop();
    throw e;
  }
  return {
    name: 'floorwatch', url: s.url, pid: s.pid, stop: () => s.stop(),
    kill: async () => {
      const gone = exitOf(s.child);
      s.child.kill('SIGKILL');
      await gone;
    },
  };
}

async function startVictoria(dir: string): Promise<Peer> {
  mkdirSync(dir, { recursive: true });
  const port = await freePort();
  const s = startStore(port, dir);
  // Awaited below; handled now too, so that a throw between here and there leaves no unhandled rejection.
  s.ready.catch(() => {});
  track('victoria_metrics', s.child);
  try {
    await s.ready;
  } catch (e) {
    await stopStore(s.child);
    throw e;
  }
  return {
    name: 'victoria_metrics', url: `http://127.0.0.1:${port}`, pid: s.child.pid!, stop: () => stopStore(s.child),
    kill: async () => {
      const gone = exitOf(s.child);
      s.child.kill('SIGKILL');
      await gone;
    },
  };
}

/** Its own /metrics: a family's values summed over the series whose labels contain `labels`. */
async function vmMetric(url: string, family: string, labels = ''): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  let n = 0;
  for (const line of text.split('\n')) if ((line.startsWith(`${family}{`) || line.startsWith(`${family} `)) && line.includes(labels)) n += Number(line.slice(line.lastIndexOf(' ') + 1));
  return n;
}

async function vmVersion(url: string): Promise<string | null> {
  const m = /^vm_app_version\{[^}]*short_version="([^"]+)"/m.exec(await (await fetch(`${url}/metrics`)).text());
  if (m !== null) return m[1];
  // Debian's build leaves vm_app_version's labels empty (and -version prints nothing): the package's version.
  try {
    const v = execFileSync('dpkg-query', ['-W', '-f', '${Version}', 'victoria-metrics'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    return v === '' ? null : `${v} (Debian package)`;
  } catch {
    return null;
  }
}

function dirBytes(path: string): number {
  if (!existsSync(path)) return 0;
  let n = 0;
  for (const e of readdirSync(path, { withFileTypes: true, recursive: true })) if (e.isFile()) n += statSync(join(e.parentPath, e.name)).size;
  return n;
}

/** Timestamps handed out strictly increasing, so no (device, ts) is ever sent twice to one peer. */
function stamper(): (bodies: number) => number {
  let clock = 0;
  return (bodies) => {
    const t = Math.max(Date.now(), clock);
    clock = t + bodies;
    return t;
  };
}

/** Body n of a run from t: the site's slice n mod sweep, every reading at t + n ms (what httpIngest does). */
function siteBodies(texts: readonly ReadingText[], batch: number, t: number): (n: number) => BodyReadings {
  const perSweep = Math.ceil(texts.length / batch);
  return (n) => {
    const j = n % perSweep;
    const readings = texts.slice(j * batch, (j + 1) * batch);
    return { readings, ts: new Array<number>(readings.length).fill(t + n) };
  };
}

function ingestFigure(runs: PushResult[]): IngestFigure {
  const rounds = runs.map((r) => ({ samples: r.samples, seconds: r.seconds, samples_per_s: r.samples / r.seconds, cpu_s: r.cpu_s ?? 0 }));
  const samples = rounds.reduce((n, r) => n + r.samples, 0);
  const cpu = rounds.reduce((n, r) => n + r.cpu_s, 0);
  return {
    rounds, samples_per_s: percentile(rounds.map((r) => r.samples_per_s).sort((a, b) => a - b), 50) ?? 0,
    cpu_s_per_million_samples: cpu / (samples / 1e6), cpu_cores: cpu / rounds.reduce((n, r) => n + r.seconds, 0),
    failed_bodies: runs.reduce((n, r) => n + r.failed, 0),
  };
}

async function ingest(o: PeersOptions, model: SiteModel, peers: Peer[]): Promise<Partial<Record<PeerName, IngestFigure>>> {
  const devices = [...model.devices.values()];
  const texts = devices.map((d, i) => readingText(d, benchMetrics(d.kind, i)));
  const perSweep = Math.ceil(texts.length / o.batch);
  const stamp = stamper();
  // Every device once first, unmeasured: series made, and for Floorwatch no site-wide outage.
  for (const p of peers) await push(p, { clients: o.clients, bodies: perSweep, body: siteBodies(texts, o.batch, stamp(perSweep)) });
  const runs: Partial<Record<PeerName, PushResult[]>> = {};
  for (let r = 0; r < o.rounds; r++) {
    const bodies = perSweep * o.sweeps;
    const body = siteBodies(texts, o.batch, stamp(bodies));
    const order = r % 2 === 0 ? peers : [...peers].reverse();
    for (const p of order) {
      const run = await push(p, { clients: o.clients, bodies, body });
      (runs[p.name] ??= []).push(run);
      o.log(`peers: round ${r + 1}: ${p.name} ${Math.round(run.samples / run.seconds).toLocaleString('en-US')} samples/s`);
    }
  }
  const out: Partial<Record<PeerName, IngestFigure>> = {};
  for (const p of peers) out[p.name] = ingestFigure(runs[p.name] ?? []);
  return out;
}

/**
 * Floorwatch's bytes at rest after compaction, as VictoriaMetrics' are after force_merge: the stopped
 * server's file, every closed window compacted by the store's own code (server/store/compaction.ts, the
 * step the running server takes every 100 ms), then VACUUM, then its pages counted (dbstat). `bytes` is
 * the whole file, rollups and all; `raw_bytes` only the readings (head and chunks with their indexes),
 * which is what VictoriaMetrics holds.
 */
export function floorwatchAtRestBytes(dbPath: string): FloorwatchAtRest {
  const db = openDatabase(dbPath);
  try {
    const guard = createChunkGuard(db);
    const c = createCompaction(db, guard, RETENTION_DEFAULTS);
    for (let i = 0; i < 1_000_000 && !c.step().idle; i++);
    db.exec('VACUUM');
    const page = db.pragma('page_size', { simple: true }) as number;
    const used = ((db.pragma('page_count', { simple: true }) as number) - (db.pragma('freelist_count', { simple: true }) as number)) * page;
    const tableOf = new Map((db.prepare("SELECT name, tbl_name FROM sqlite_master WHERE type IN ('table', 'index')").all() as { name: string; tbl_name: string }[]).map((r) => [r.name, r.tbl_name]));
    let samples_bytes = 0;
    let chunks_bytes = 0;
    let rollups_bytes = 0;
    for (const r of db.prepare('SELECT name, sum(pgsize) AS b FROM dbstat GROUP BY name').all() as { name: string; b: number }[]) {
      const t = tableOf.get(r.name) ?? r.name;
      if (t.startsWith('samples_')) samples_bytes += r.b;
      else if (t.startsWith('chunks_')) chunks_bytes += r.b;
      else if (t.startsWith('rollup_')) rollups_bytes += r.b;
    }
    const counts = countSamples(db);
    const readings = Object.values(counts).reduce((a, n) => a + n, 0);
    const head = DEVICE_KINDS.reduce((a, k) => a + (db.prepare(`SELECT count(*) FROM samples_${k}`).pluck().get() as number), 0);
    return {
      layout: 'compacted', bytes: used, raw_bytes: samples_bytes + chunks_bytes, samples_bytes, chunks_bytes, rollups_bytes,
      other_bytes: used - samples_bytes - chunks_bytes - rollups_bytes, readings, head_readings: head,
    };
  } finally {
    db.close();
  }
}

/** After its ingest: pending rows flushed, /internal/force_merge and its end awaited, a clean stop, the files summed. */
async function victoriaAtRest(p: Peer, dir: string): Promise<VictoriaAtRest> {
  await sleep(2000); // pending rows go to parts every second
  const t0 = performance.now();
  const res = await fetch(`${p.url}/internal/force_merge`);
  if (res.status !== 200) throw new Error(`victoria-metrics /internal/force_merge: ${res.status}`);
  // The merge runs in the background: done once nothing is merging, looked at after a second.
  for (;;) {
    await sleep(500);
    const busy = (await vmMetric(p.url, 'vm_active_force_merges')) + (await vmMetric(p.url, 'vm_active_merges'));
    if (busy === 0 && performance.now() - t0 > 1000) break;
    if (performance.now() - t0 > 300_000) throw new Error('victoria-metrics: forced merge not done within 300 s');
  }
  const merge_s = (performance.now() - t0) / 1000;
  const rows = await vmMetric(p.url, 'vm_rows', 'type="storage/');
  await p.stop();
  const data_bytes = dirBytes(join(dir, 'data'));
  const indexdb_bytes = dirBytes(join(dir, 'indexdb'));
  return { bytes: data_bytes + indexdb_bytes, data_bytes, indexdb_bytes, cache_bytes: dirBytes(join(dir, 'cache')), rows, merge_s };
}

async function atRest(o: PeersOptions, variant: CodecVariant, seed: number, vm: boolean): Promise<AtRestFigure> {
  const model = benchSite({ devices: o.at_rest.devices });
  const devices = [...model.devices.values()];
  const hour = 3_600_000;
  // Closed windows only: the readings end over an hour before now (well inside 48 h of raw retention).
  const t0 = Math.floor((Date.now() - 3 * hour) / hour) * hour;
  const data = generate(variant, devices.map((d) => d.kind), o.at_rest.readings, t0, seed);
  const metricsOf = (d: DeviceModel, cols: Float64Array[], i: number) => {
    const m: Record<string, number> = {};
    (METRICS_BY_KIND[d.kind] as readonly MetricName[]).forEach((name, j) => {
      if (cols[j][i] === cols[j][i]) m[name] = cols[j][i];
    });
    return m;
  };
  const total = devices.length * o.at_rest.readings;
  const bodies = Math.ceil(total / o.batch);
  // Reading k is tick k ÷ devices of device k mod devices: time order, as a site sends.
  const body = (n: number): BodyReadings => {
    const readings: ReadingText[] = [];
    const ts: number[] = [];
    for (let k = n * o.batch; k < Math.min(total, (n + 1) * o.batch); k++) {
      const d = k % devices.length;
      const i = Math.floor(k / devices.length);
      readings.push(readingText(devices[d], metricsOf(devices[d], data[d].columns, i)));
      ts.push(data[d].ts[i]);
    }
    return { readings, ts };
  };
  let samples = 0;
  for (const w of data) for (const c of w.columns) for (const x of c) if (x === x) samples++;
  const sent = (r: PushResult, who: string) => {
    if (r.failed > 0 || r.samples !== samples) throw new Error(`at rest (${variant}): ${who} acknowledged ${r.samples} of ${samples} samples (${r.failed} bodies failed)`);
  };

  o.log(`peers: at rest, ${variant}: ${devices.length} devices × ${o.at_rest.readings} readings (${samples} samples)`);
  const dbPath = join(o.dir, `rest-${variant}.db`);
  const fw = await startFloorwatch(o.at_rest.devices, dbPath);
  try {
    sent(await push(fw, { clients: o.clients, bodies, body, retries: 3 }), 'Floorwatch');
  } finally {
    await fw.stop();
  }
  const f = floorwatchAtRestBytes(dbPath);
  let v: AtRestFigure['victoria_metrics'] = null;
  if (vm) {
    const dir = join(o.dir, `vm-rest-${variant}`);
    const p = await startVictoria(dir);
    try {
      sent(await push(p, { clients: o.clients, bodies, body, retries: 3 }), 'VictoriaMetrics');
      const r = await victoriaAtRest(p, dir);
      v = { ...r, bytes_per_sample: r.bytes / samples };
    } finally {
      await p.stop();
    }
  }
  return { variant, readings: total, samples, floorwatch: { ...f, bytes_per_sample: f.bytes / samples, raw_bytes_per_sample: f.raw_bytes / samples }, victoria_metrics: v };
}

/** Which acknowledged readings a restarted peer has: (device, ts) -> true when every sample of it is there. */
type Kept = (device: string, ts: number, samples: number) => boolean;

function floorwatchKept(dbPath: string, model: SiteModel, from: number): Kept {
  const db = new Database(dbPath, { readonly: true, fileMustExist: true });
  const have = new Set<string>();
  try {
    for (const kind of new Set([...model.devices.values()].map((d) => d.kind))) {
      const rows = db.prepare(`SELECT d.name AS name, s.ts AS ts FROM samples_${kind} s JOIN devices d ON d.id = s.device WHERE s.ts >= ?`).all(from) as { name: string; ts: number }[];
      for (const r of rows) have.add(`${r.name} ${r.ts}`);
    }
  } finally {
    db.close();
  }
  return (device, ts) => have.has(`${device} ${ts}`);
}

async function victoriaKept(url: string, from: number): Promise<Kept> {
  const q = new URLSearchParams({ 'match[]': '{__name__=~"floorwatch_.+"}', start: String(Math.floor(from / 1000) - 1) });
  const res = await fetch(`${url}/api/v1/export?${q.toString()}`);
  if (res.status !== 200) throw new Error(`victoria-metrics /api/v1/export: ${res.status}`);
  const count = new Map<string, number>();
  for (const line of (await res.text()).split('\n')) {
    if (line === '') continue;
    const s = JSON.parse(line) as { metric: { device?: string }; timestamps: number[] };
    for (const ts of s.timestamps) {
      const k = `${s.metric.device} ${ts}`;
      count.set(k, (count.get(k) ?? 0) + 1);
    }
  }
  return (device, ts, samples) => count.get(`${device} ${ts}`) === samples;
}

/** Push, kill -9 with pushes in flight, start again on the same data, look for every acknowledged reading. */
async function killPhase(o: PeersOptions, model: SiteModel, start: () => Promise<Peer>, kept: (p: Peer, from: number) => Promise<Kept>): Promise<KillFigure> {
  const texts = [...model.devices.values()].map((d, i) => readingText(d, benchMetrics(d.kind, i)));
  const perSweep = Math.ceil(texts.length / o.batch);
  const stamp = stamper();
  const first = await start();
  let killed = false;
  const acked: { b: BodyReadings; at: number }[] = [];
  let killAt = 0;
  try {
    await push(first, { clients: o.clients, bodies: perSweep, body: siteBodies(texts, o.batch, stamp(perSweep)) });
    const from = stamp(1e9);
    const pushing = push(first, { clients: o.clients, bodies: Infinity, body: siteBodies(texts, o.batch, from), stop: () => killed, acked: (_n, b, at) => acked.push({ b, at }) });
    await sleep(o.kill.push_s * 1000);
    killAt = performance.now();
    await first.kill();
    killed = true;
    await pushing;
    const t0 = performance.now();
    const again = await start();
    const restart_ms = performance.now() - t0;
    try {
      const has = await kept(again, from);
      let readings = 0;
      let keptN = 0;
      let lostAt: number | null = null;
      for (const { b, at } of acked) {
        b.readings.forEach((r, i) => {
          readings++;
          if (has(r.device, b.ts[i], r.samples)) keptN++;
          else lostAt = Math.min(lostAt ?? at, at);
        });
      }
      return {
        push_s: o.kill.push_s, acked_bodies: acked.length, acked_readings: readings, kept_readings: keptN,
        kept_pct: readings === 0 ? 0 : (keptN / readings) * 100, lost_since_s: lostAt === null ? null : (killAt - lostAt) / 1000, restart_ms,
      };
    } finally {
      await again.stop();
    }
  } finally {
    if (!killed) await first.kill();
  }
}

export async function benchPeers(o: PeersOptions): Promise<PeersBench> {
  spawnedHook = o.spawned;
  process.on('exit', killLeftOnExit);
  try {
    return await peersSection(o);
  } finally {
    const n = await killLeft();
    if (n > 0) o.log(`peers: ${n} server process${n === 1 ? '' : 'es'} still running at the end, killed`);
    process.off('exit', killLeftOnExit);
    spawnedHook = undefined;
  }
}

async function peersSection(o: PeersOptions): Promise<PeersBench> {
  mkdirSync(o.dir, { recursive: true });
  const vm = existsSync(VICTORIA_METRICS);
  if (!vm) o.log(`peers: ${VICTORIA_METRICS} not found (Debian package victoria-metrics): VictoriaMetrics skipped, Floorwatch measured alone`);
  const model = benchSite({ devices: o.devices });
  const racks = model.halls.reduce((n, h) => n + h.racks.length, 0);
  o.log(`peers: raw SQLite baseline, ${o.raw_duration_s} s of ${o.batch}-row transactions`);
  const raw_sqlite = rawInsert(model, join(o.dir, 'raw.db'), { duration_s: o.raw_duration_s, batch: o.batch });
  const raw_sqlite_without_rollups = rawInsert(model, join(o.dir, 'raw-no-rollups.db'), { duration_s: o.raw_duration_s, batch: o.batch, rollups: false });

  o.log(`peers: ingest, ${model.devices.size} devices, ${o.clients} clients, ${o.batch} readings a body, ${o.rounds} rotated rounds of ${o.sweeps} sweeps`);
  const peers = [await startFloorwatch(o.devices, join(o.dir, 'ingest.db'))];
  let version: string | null = null;
  let figures: Partial<Record<PeerName, IngestFigure>>;
  try {
    if (vm) {
      peers.push(await startVictoria(join(o.dir, 'vm-ingest')));
      version = await vmVersion(peers[1].url);
    }
    figures = await ingest(o, model, peers);
  } finally {
    for (const p of peers) await p.stop();
  }

  const at_rest: AtRestFigure[] = [];
  for (const [i, variant] of o.at_rest.variants.entries()) at_rest.push(await atRest(o, variant, 1500 + i, vm));

  o.log(`peers: kill -9 after ${o.kill.push_s} s of pushes, ${o.kill.devices} devices`);
  const killModel = benchSite({ devices: o.kill.devices });
  const fwDb = join(o.dir, 'kill.db');
  const fwKill = await killPhase(o, killModel, () => startFloorwatch(o.kill.devices, fwDb), async (_p, from) => floorwatchKept(fwDb, killModel, from));
  const vmDir = join(o.dir, 'vm-kill');
  const vmKill = vm ? await killPhase(o, killModel, () => startVictoria(vmDir), (p, from) => victoriaKept(p.url, from)) : null;

  const fw = figures.floorwatch!;
  const peer = figures.victoria_metrics ?? null;
  const ratio = (a: number, b: number | undefined | null) => (b === undefined || b === null || b === 0 ? null : a / b);
  return {
    victoria_metrics: vm ? { binary: VICTORIA_METRICS, version } : { skipped: `${VICTORIA_METRICS} not found` },
    site: { devices: model.devices.size, racks }, clients: o.clients, batch: o.batch, rounds: o.rounds,
    raw_sqlite,
    raw_sqlite_without_rollups,
    ingest: { floorwatch: fw, victoria_metrics: peer },
    at_rest,
    kill: { devices: killModel.devices.size, floorwatch: fwKill, victoria_metrics: vmKill },
    ratios: {
      ingest_samples_per_s: ratio(fw.samples_per_s, peer?.samples_per_s),
      cpu_s_per_million_samples: ratio(fw.cpu_s_per_million_samples, peer?.cpu_s_per_million_samples),
      bytes_per_sample_at_rest: Object.fromEntries(at_rest.map((a) => [a.variant, ratio(a.floorwatch.bytes_per_sample, a.victoria_metrics?.bytes_per_sample)])),
      raw_bytes_per_sample_at_rest: Object.fromEntries(at_rest.map((a) => [a.variant, ratio(a.floorwatch.raw_bytes_per_sample, a.victoria_metrics?.bytes_per_sample)])),
      acked_kept: ratio(fwKill.kept_pct, vmKill?.kept_pct),
    },
    to_raw: { floorwatch: fw.samples_per_s / raw_sqlite.samples_per_s, victoria_metrics: peer === null ? null : peer.samples_per_s / raw_sqlite.samples_per_s },
  };
}

const fmt = (v: number | null | undefined, digits = 0) =>
  v === null || v === undefined || !Number.isFinite(v) ? '—' : v.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

/** The section's rows for the bench table: each figure for both peers, then Floorwatch ÷ VictoriaMetrics. */
export function peersRows(r: PeersBench | { error: string }): [string, string][] {
  if ('error' in r) return [['peers (issue 15)', `failed: ${r.error}`]];
  const vm = 'skipped' in r.victoria_metrics ? null : r.victoria_metrics;
  const head: [string, string] = ['peers (issue 15)', vm === null
    ? `VictoriaMetrics skipped (${(r.victoria_metrics as { skipped: string }).skipped}; Debian package victoria-metrics): Floorwatch alone`
    : `Floorwatch against VictoriaMetrics ${vm.version ?? '(version unknown)'} (${vm.binary}), same telemetry, same machine, same clients`];
  const both = (fw: string, peer: string | null, ratio: number | null, unit = '') =>
    peer === null ? `Floorwatch ${fw}` : `Floorwatch ${fw}, VictoriaMetrics ${peer}; Floorwatch ÷ VictoriaMetrics = ${fmt(ratio, 2)}${unit}`;
  const fi = r.ingest.floorwatch;
  const vi = r.ingest.victoria_metrics;
  const rows: [string, string][] = [
    head,
    ['  ingest', `${both(`${fmt(fi.samples_per_s)} samples/s`, vi === null ? null : `${fmt(vi.samples_per_s)}`, r.ratios.ingest_samples_per_s)} (median of ${r.rounds} rotated rounds, ${fmt(r.site.devices)} devices, ${r.clients} clients, ${r.batch} readings a body; ${fi.failed_bodies + (vi?.failed_bodies ?? 0)} bodies failed)`],
    ['  raw SQLite (baseline)', `${fmt(r.raw_sqlite.samples_per_s)} samples/s (${r.raw_sqlite.batch}-row transactions); Floorwatch ${fmt(r.to_raw.floorwatch * 100, 1)} % of it${r.to_raw.victoria_metrics === null ? '' : `, VictoriaMetrics ${fmt(r.to_raw.victoria_metrics * 100, 1)} %`}`],
    ['    without rollup triggers', `${fmt(r.raw_sqlite_without_rollups.samples_per_s)} samples/s: the device minute and hour triggers are ${fmt((1 - r.raw_sqlite.samples_per_s / r.raw_sqlite_without_rollups.samples_per_s) * 100)} % of a row's insert`],
    ['  CPU a million samples', both(`${fmt(fi.cpu_s_per_million_samples, 2)} s (${fmt(fi.cpu_cores, 2)} cores)`, vi === null ? null : `${fmt(vi.cpu_s_per_million_samples, 2)} s (${fmt(vi.cpu_cores, 2)} cores)`, r.ratios.cpu_s_per_million_samples)],
  ];
  for (const a of r.at_rest) {
    const v = a.victoria_metrics;
    const fw = a.floorwatch;
    const vmText = v === null ? null : `${fmt(v.bytes_per_sample, 2)} B/sample (after force_merge, ${fmt(v.bytes / 1024)} KiB data + indexdb)`;
    rows.push([`  at rest, ${a.variant}`, `${both(`${fmt(fw.raw_bytes_per_sample, 2)} B/sample (readings compacted: ${fmt(fw.chunks_bytes / 1024)} KiB chunks + ${fmt(fw.samples_bytes / 1024)} KiB head, ${fmt(fw.head_readings)} readings left in it)`,
      vmText, r.ratios.raw_bytes_per_sample_at_rest[a.variant] ?? null)} (${fmt(a.samples)} samples)`]);
    rows.push([`    whole file`, `${both(`${fmt(fw.bytes_per_sample, 2)} B/sample (${fmt(fw.bytes / 1024)} KiB: readings, ${fmt(fw.rollups_bytes / 1024)} KiB device and scope rollups, ${fmt(fw.other_bytes / 1024)} KiB else)`,
      v === null ? null : `${fmt(v.bytes_per_sample, 2)}`, r.ratios.bytes_per_sample_at_rest[a.variant] ?? null)}`]);
  }
  const k = (x: KillFigure) => `${fmt(x.kept_pct, 2)} % of ${fmt(x.acked_readings)} acked readings kept${x.lost_since_s === null ? '' : ` (lost from ${fmt(x.lost_since_s, 2)} s before the kill)`}, ready again in ${fmt(x.restart_ms)} ms`;
  const kv = r.kill.victoria_metrics;
  rows.push([`  kill -9 after ${r.kill.floorwatch.push_s} s`, kv === null ? `Floorwatch ${k(r.kill.floorwatch)}`
    : `Floorwatch ${k(r.kill.floorwatch)}; VictoriaMetrics ${k(kv)}${kv.kept_pct === 0 ? ' (no ratio: it kept none)' : `; Floorwatch ÷ VictoriaMetrics = ${fmt(r.ratios.acked_kept, 2)}`}`]);
  return rows;
}
