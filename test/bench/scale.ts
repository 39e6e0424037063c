// The scale phases of the benchmark: raw SQLite insert rate (the baseline), end-to-end HTTP ingest,
// ingest-to-socket latency of a large site at its reading interval, and /metrics scrape cost.
// The server runs in a child process (server-child.ts) so its CPU share and RSS are measured alone.

import { fork, type ChildProcess } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { openDatabase } from '../../server/store/db.js';
import { prepareSampleInserts, registerDevices, rowValues } from '../../server/store/samples.js';
import { packageRoot } from '../../server/store/paths.js';
import type { DeviceKind, DeviceModel, Reading, SiteModel } from '../../server/core/types.js';
import { BENCH_TOKEN, benchSite, markerPowerW, type BenchSiteOptions } from './site.js';
import { percentile, watchProcess, type PhaseUsage } from './proc.js';

export interface ScaleOptions {
  /** scratch folder for the databases */
  dir: string;
  /** devices of the large site (ingest, latency and default-cardinality /metrics) */
  devices: number;
  /** devices of the site with per-device series on */
  per_device_devices: number;
  raw_duration_s: number;
  ingest_duration_s: number;
  ingest_clients: number;
  /** readings per HTTP body and per baseline transaction */
  batch: number;
  interval_s: number;
  socket_clients: number;
  /** pushes a second in the latency phase (each carries one marker) */
  pushes_per_s: number;
  warmup_s: number;
  measure_s: number;
  scrapes: number;
  /** restart phase: load before the kill, and how long the restarted server is watched */
  restart_warmup_s: number;
  restart_observe_s: number;
  log?: (line: string) => void;
}

export const FULL_SCALE: Omit<ScaleOptions, 'dir'> = {
  devices: 100_000, per_device_devices: 10_000,
  raw_duration_s: 6, ingest_duration_s: 12, ingest_clients: 4, batch: 500,
  interval_s: 10, socket_clients: 20, pushes_per_s: 20, warmup_s: 12, measure_s: 30, scrapes: 7,
  // 2 minutes after the restart: DeviceDown and RackDevicesDown wait 1 min, so a false outage has fired by then.
  restart_warmup_s: 15, restart_observe_s: 120,
};

export const QUICK_SCALE: Omit<ScaleOptions, 'dir'> = {
  devices: 2_000, per_device_devices: 500,
  raw_duration_s: 0.5, ingest_duration_s: 1, ingest_clients: 2, batch: 500,
  interval_s: 2, socket_clients: 3, pushes_per_s: 10, warmup_s: 2.5, measure_s: 3, scrapes: 3,
  restart_warmup_s: 2, restart_observe_s: 4,
};

export interface RateFigure {
  readings: number;
  samples: number;
  seconds: number;
  samples_per_s: number;
}

export interface ScaleResults {
  site: { devices: number; racks: number };
  raw_insert: RateFigure & { batch: number };
  http_ingest: RateFigure & { clients: number; batch: number; committed_rows: number; errors: number; ratio_to_raw: number; server: PhaseUsage };
  latency: {
    devices: number; interval_s: number; clients: number; readings_per_s: number;
    markers_sent: number; arrivals: number; lost: number; seq_gaps: number; push_errors: number;
    p50_ms: number | null; p99_ms: number | null; max_ms: number | null;
    /** push sent -> the tick that took it in (the ≤ 1 s wait the once-a-second contract sets) */
    wait_p50_ms: number | null; wait_p99_ms: number | null;
    /** that tick's start -> the client has the update (figures, alerts, encoding, delivery, parsing) */
    tick_to_client_p50_ms: number | null; tick_to_client_p99_ms: number | null;
    client_processes: number;
    ack_p50_ms: number | null; ack_p99_ms: number | null;
    server: PhaseUsage;
  };
  metrics_default: ScrapeFigure & { devices: number };
  metrics_per_device: ScrapeFigure & { devices: number };
  restart: RestartFigure;
}

/** kill -9 of the large site's server under its reading load, and a start on the same database. */
export interface RestartFigure {
  devices: number;
  signal: 'SIGKILL';
  /** the database file (WAL included) when the server was killed */
  db_mb: number;
  /** spawn of the new process -> first 200 of /healthz, and -> first 200 of /readyz */
  healthz_ms: number | null;
  ready_ms: number | null;
  /** slowest /healthz between its first answer and ready (probed every 20 ms from the bench's loop) */
  healthz_max_ms_while_restoring: number | null;
  healthz_probes_while_restoring: number;
  /** what /readyz said while not ready (first distinct problems) */
  restoring_problems: string[];
  observe_s: number;
  /** devices down / alerts firing as the observation ends, and the most devices down seen after ready */
  devices_down: number;
  devices_down_max: number;
  alerts_firing: number;
  /** firing before the kill (the site's steady state), for comparison */
  alerts_firing_before: number;
  /** DeviceDown / RackDevicesDown / DataStale keys seen active (pending or firing) after the restart, not before */
  outage_alerts_started: number;
  pushes_refused: number;
  readings_per_s: number;
}

export interface ScrapeFigure {
  median_ms: number;
  max_ms: number;
  bytes: number;
  series: number;
  server: PhaseUsage;
}

// ---------------------------------------------------------------------------------------------------
// Readings as the site's devices would send them

const ASIC_METRICS = (n: number) => ({
  hashrate_ths: 195 + (n % 10), power_w: 3400 + (n % 50), chip_temp_c: 71, board_temp_c: 62, inlet_temp_c: 24,
  outlet_temp_c: 39, fan_rpm: 4800, accepted_shares: 120_000 + n, rejected_shares: 31, hw_errors: 0,
  chains_ok: 3, chains_total: 3, uptime_s: 86_400 + n,
});
const GPU_METRICS = (n: number) => ({
  util_pct: 60 + (n % 40), mem_util_pct: 40, mem_used_mib: 50_000, mem_total_mib: 81_559, power_w: 550 + (n % 100),
  power_limit_w: 700, temp_c: 61, mem_temp_c: 70, sm_clock_mhz: 1980, throttle_thermal: 0, throttle_power: 0,
  xid_last: 0, ecc_dbe_total: 0,
});

export function benchMetrics(kind: DeviceKind, n: number): Reading['metrics'] {
  switch (kind) {
    case 'asic': return ASIC_METRICS(n);
    case 'gpu': return GPU_METRICS(n);
    case 'env': return { inlet_temp_c: 23 + (n % 4), outlet_temp_c: 38, humidity_pct: 45 };
    case 'pdu': return { power_w: 118_000 + (n % 1000), feed_a_w: 59_000, feed_b_w: 59_000 + (n % 1000) };
    // The AI hall's CDU: power_w is not a loop metric, so this device used to be rejected and never seen.
    case 'cooling_loop': return { supply_temp_c: 30, return_temp_c: 38, flow_lpm: 400 };
    default: return { power_w: 5_000_000 };
  }
}

/** Pieces of a reading's JSON around its timestamp, built once: a body is then a cheap concatenation. */
interface ReadingTemplate {
  device: DeviceModel;
  head: string;
  tail: string;
  samples: number;
}

function templates(devices: readonly DeviceModel[], vary = 0): ReadingTemplate[] {
  return devices.map((device, i) => {
    const metrics = benchMetrics(device.kind, i + vary);
    return {
      device,
      head: `{"device":${JSON.stringify(device.id)},"ts":`,
      tail: `,"metrics":${JSON.stringify(metrics)}}`,
      samples: Object.keys(metrics).length,
    };
  });
}

function body(parts: readonly string[]): string {
  return `{"readings":[${parts.join(',')}]}`;
}

async function postIngest(url: string, text: string): Promise<{ accepted: number; rejected: number } | null> {
  const res = await fetch(`${url}/api/v1/ingest`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${BENCH_TOKEN}` },
    body: text,
  });
  const json = (await res.json()) as { accepted?: number; rejected?: unknown[] };
  if (res.status !== 200 || typeof json.accepted !== 'number') return null;
  return { accepted: json.accepted, rejected: json.rejected?.length ?? 0 };
}

// ---------------------------------------------------------------------------------------------------
// The server in a child process

export interface ServerChild {
  url: string;
  pid: number;
  child: ChildProcess;
  stop(): Promise<void>;
}

/** Compiled entries of the bench's child processes: beside this file under dist, or from dist when run from source. */
function childEntry(name: string): string {
  const here = fileURLToPath(import.meta.url);
  const path = here.endsWith('.js') ? join(here, '..', `${name}.js`) : join(packageRoot(), 'dist', 'test', 'bench', `${name}.js`);
  if (!existsSync(path)) throw new Error(`${path} is missing: run \`npm run build\` first`);
  return path;
}

function onceMessage<T>(child: ChildProcess, pred: (m: T) => boolean, what: string, timeoutMs: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => done(new Error(`${what}: no answer within ${timeoutMs} ms`)), timeoutMs);
    const onMsg = (m: unknown) => {
      if (pred(m as T)) done(null, m as T);
    };
    const onExit = (code: number | null) => done(new Error(`${what}: exited with ${code} before answering`));
    function done(err: Error | null, value?: T) {
      clearTimeout(timer);
      child.off('message', onMsg);
      child.off('exit', onExit);
      if (err) reject(err);
      else resolve(value as T);
    }
    child.on('message', onMsg);
    child.on('exit', onExit);
  });
}

function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

export async function startServerChild(site: BenchSiteOptions & { port?: number }, dbPath: string): Promise<ServerChild> {
  // BENCH_SERVER_PROF=DIR writes a V8 CPU profile of each server child there (to find what is slow).
  const prof = process.env.BENCH_SERVER_PROF;
  const child = fork(childEntry('server-child'), [JSON.stringify(site), dbPath], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    execArgv: prof ? ['--cpu-prof', `--cpu-prof-dir=${prof}`] : [],
  });
  const { port } = await onceMessage<{ port?: number }>(child, (m) => typeof m.port === 'number', 'bench server', 60_000);
  return {
    url: `http://127.0.0.1:${port}`,
    pid: child.pid!,
    child,
    async stop() {
      const gone = exited(child);
      if (child.connected) child.disconnect();
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await gone;
      clearTimeout(timer);
    },
  };
}

// ---------------------------------------------------------------------------------------------------
// Phases

/**
 * The baseline: the project's sample layout filled straight through better-sqlite3, one transaction per
 * batch, the device rollup triggers firing as they do in the server. `rollups: false` drops those triggers
 * first (this file only): what the raw rows alone cost, the figure a store without per-row rollups is held to.
 */
export function rawInsert(model: SiteModel, dbPath: string, opts: { duration_s: number; batch: number; rollups?: boolean }): ScaleResults['raw_insert'] {
  const db = openDatabase(dbPath);
  try {
    if (opts.rollups === false) {
      for (const t of db.prepare("SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name LIKE 'samples\\_%' ESCAPE '\\'").pluck().all() as string[]) db.exec(`DROP TRIGGER "${t}"`);
    }
    const keys = registerDevices(db, model.devices.values());
    const asics = [...model.devices.values()].filter((d) => d.kind === 'asic');
    const rows = asics.map((d, i) => ({ key: keys.get(d.id)!, values: rowValues('asic', benchMetrics('asic', i)) }));
    const samplesPerRow = Object.keys(benchMetrics('asic', 0)).length;
    const stmts = prepareSampleInserts(db);
    const insertBatch = db.transaction((ts: number, from: number) => {
      for (let i = 0; i < opts.batch; i++) {
        const r = rows[(from + i) % rows.length];
        stmts.insert.asic(ts, r.key, null, r.values);
      }
    });
    const base = Date.now() - 3_600_000;
    let batches = 0;
    const t0 = performance.now();
    const end = t0 + opts.duration_s * 1000;
    while (performance.now() < end) {
      insertBatch(base + batches, (batches * opts.batch) % rows.length);
      batches++;
    }
    const seconds = (performance.now() - t0) / 1000;
    const readings = batches * opts.batch;
    return { readings, samples: readings * samplesPerRow, seconds, samples_per_s: (readings * samplesPerRow) / seconds, batch: opts.batch };
  } finally {
    db.close();
  }
}

/** End to end: bodies of `batch` miner readings POSTed by several clients at once, each answered after its commit. */
export async function httpIngest(
  server: ServerChild, model: SiteModel, dbPath: string,
  opts: { duration_s: number; clients: number; batch: number },
): Promise<Omit<ScaleResults['http_ingest'], 'ratio_to_raw'>> {
  const tpl = templates([...model.devices.values()].filter((d) => d.kind === 'asic'));
  // Fresh timestamps, as a live site sends: stale ones would mark the devices down and measure the
  // alert engine's outage path instead of ingest. Strictly increasing, so no (ts, device) repeats.
  let lastTs = 0;
  let next = 0;
  let readings = 0;
  let samples = 0;
  let errors = 0;
  const watch = watchProcess(server.pid);
  const t0 = performance.now();
  const end = t0 + opts.duration_s * 1000;
  await Promise.all(Array.from({ length: opts.clients }, async () => {
    while (performance.now() < end) {
      const n = next++;
      lastTs = Math.max(Date.now(), lastTs + 1);
      const ts = String(lastTs);
      const parts: string[] = new Array(opts.batch);
      let batchSamples = 0;
      for (let i = 0; i < opts.batch; i++) {
        const t = tpl[(n * opts.batch + i) % tpl.length];
        parts[i] = t.head + ts + t.tail;
        batchSamples += t.samples;
      }
      const r = await postIngest(server.url, body(parts));
      if (r === null || r.accepted !== opts.batch) {
        errors++;
        continue;
      }
      readings += r.accepted;
      samples += batchSamples;
    }
  }));
  const seconds = (performance.now() - t0) / 1000;
  const usage = watch.stop();
  // Acknowledged means committed: the rows must be there for another connection to read.
  const ro = new Database(dbPath, { readonly: true, fileMustExist: true });
  const committed = (ro.prepare('SELECT count(*) AS n FROM samples_asic').get() as { n: number }).n;
  ro.close();
  return {
    readings, samples, seconds, samples_per_s: samples / seconds, clients: opts.clients, batch: opts.batch,
    committed_rows: committed, errors, server: usage,
  };
}

interface ClientLog {
  arrivals: Record<number, number>;
  ticks: Record<number, number>;
  updates: number;
  seq_gaps: number;
}

/**
 * The site at its reading interval: every device reports once per interval_s, spread evenly over
 * pushes_per_s pushes a second, while socket_clients wall displays listen. Each push carries one marker
 * (a rack PDU at a value naming the push); latency = when a client saw it − when the push was sent.
 */
export async function socketLatency(
  server: ServerChild, model: SiteModel,
  opts: Pick<ScaleOptions, 'interval_s' | 'socket_clients' | 'pushes_per_s' | 'warmup_s' | 'measure_s'>,
): Promise<ScaleResults['latency']> {
  const racks = model.halls.flatMap((h) => h.racks);
  const markerCount = Math.min(racks.filter((r) => r.devices.some((d) => d.kind === 'pdu')).length, Math.round(opts.interval_s * opts.pushes_per_s));
  const markerRacks = racks.filter((r) => r.devices.some((d) => d.kind === 'pdu')).slice(0, markerCount);
  const markerPdus = new Set(markerRacks.map((r) => r.devices.find((d) => d.kind === 'pdu')!.id));
  const devices = [...model.devices.values()].filter((d) => !markerPdus.has(d.id));
  const perPush = Math.ceil(devices.length / (opts.interval_s * opts.pushes_per_s));

  // Up to 10 clients a process: one process parsing every client's copy of each update in turn would
  // delay the last client by the others' parsing, which no real wall display suffers.
  const procs = Math.ceil(opts.socket_clients / 10);
  const clientProcs = Array.from({ length: procs }, (_, i) => {
    const n = Math.floor(opts.socket_clients / procs) + (i < opts.socket_clients % procs ? 1 : 0);
    return fork(childEntry('clients-child'), [server.url, String(n), JSON.stringify(markerRacks.map((r) => r.id))], {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
  });
  await Promise.all(clientProcs.map((c) => onceMessage<{ ready?: boolean }>(c, (m) => m.ready === true, 'socket clients', 60_000)));

  const sentAt = new Map<number, number>();
  const ackMs: number[] = [];
  let pushErrors = 0;
  let seq = 0;
  let cursor = 0;
  let inFlight = 0;
  let measuring = false;
  let watch: ReturnType<typeof watchProcess> | undefined;
  const inFlightDone: Promise<void>[] = [];

  function push(): void {
    const ts = Date.now();
    const parts: string[] = [];
    for (let i = 0; i < perPush; i++) {
      const d = devices[cursor++ % devices.length];
      // Values move as real ones do, so racks change and updates carry them.
      parts.push(`{"device":${JSON.stringify(d.id)},"ts":${ts},"metrics":${JSON.stringify(benchMetrics(d.kind, cursor + Math.floor(Math.random() * 7)))}}`);
    }
    const s = seq++;
    const rack = markerRacks[s % markerRacks.length];
    const pdu = rack.devices.find((d) => d.kind === 'pdu')!;
    parts.push(`{"device":${JSON.stringify(pdu.id)},"ts":${ts},"metrics":{"power_w":${markerPowerW(s)}}}`);
    const sent = Date.now();
    if (measuring) sentAt.set(s, sent);
    const measured = measuring;
    inFlight++;
    inFlightDone.push(postIngest(server.url, body(parts)).then(
      (r) => {
        if (r === null) pushErrors++;
        else if (measured) ackMs.push(Date.now() - sent);
      },
      () => void pushErrors++,
    ).finally(() => void inFlight--));
  }

  const timer = setInterval(push, 1000 / opts.pushes_per_s);
  await new Promise((r) => setTimeout(r, opts.warmup_s * 1000));
  watch = watchProcess(server.pid);
  measuring = true;
  await new Promise((r) => setTimeout(r, opts.measure_s * 1000));
  measuring = false;
  const usage = watch.stop();
  clearInterval(timer);
  await Promise.all(inFlightDone);
  // The last markers need a tick (≤ 1 s) and a delivery before the clients are asked.
  await new Promise((r) => setTimeout(r, 2000));
  const logs: ClientLog[] = [];
  await Promise.all(clientProcs.map(async (c) => {
    const got = onceMessage<{ logs?: ClientLog[] }>(c, (m) => Array.isArray(m.logs), 'socket clients', 30_000);
    c.send({ stop: true });
    logs.push(...(await got).logs!);
    await exited(c);
  }));

  const lat: number[] = [];
  const wait: number[] = [];
  const deliver: number[] = [];
  let lost = 0;
  for (const log of logs) {
    for (const [s, sent] of sentAt) {
      const at = log.arrivals[s];
      if (at === undefined) {
        lost++;
        continue;
      }
      lat.push(at - sent);
      wait.push(log.ticks[s] - sent);
      deliver.push(at - log.ticks[s]);
    }
  }
  for (const a of [lat, wait, deliver]) a.sort((x, y) => x - y);
  ackMs.sort((a, b) => a - b);
  return {
    devices: model.devices.size, interval_s: opts.interval_s, clients: opts.socket_clients,
    readings_per_s: ((perPush + 1) * opts.pushes_per_s),
    markers_sent: sentAt.size, arrivals: lat.length, lost, seq_gaps: logs.reduce((n, l) => n + l.seq_gaps, 0), push_errors: pushErrors,
    p50_ms: percentile(lat, 50), p99_ms: percentile(lat, 99), max_ms: lat.length ? lat[lat.length - 1] : null,
    wait_p50_ms: percentile(wait, 50), wait_p99_ms: percentile(wait, 99),
    tick_to_client_p50_ms: percentile(deliver, 50), tick_to_client_p99_ms: percentile(deliver, 99),
    client_processes: procs,
    ack_p50_ms: percentile(ackMs, 50), ack_p99_ms: percentile(ackMs, 99),
    server: usage,
  };
}

/** GET /metrics `scrapes` times, one after another, as Prometheus would (never two at once). */
export async function scrapeMetrics(server: ServerChild, scrapes: number): Promise<ScrapeFigure> {
  const times: number[] = [];
  let text = '';
  const watch = watchProcess(server.pid);
  for (let i = 0; i < scrapes; i++) {
    const t0 = performance.now();
    const res = await fetch(`${server.url}/metrics`);
    text = await res.text();
    times.push(performance.now() - t0);
    if (res.status !== 200) throw new Error(`/metrics answered ${res.status}`);
  }
  const usage = watch.stop();
  times.sort((a, b) => a - b);
  let series = 0;
  for (const line of text.split('\n')) if (line !== '' && line[0] !== '#') series++;
  return { median_ms: percentile(times, 50)!, max_ms: times[times.length - 1], bytes: Buffer.byteLength(text), series, server: usage };
}

async function getJson<T>(url: string): Promise<T> {
  const res = await fetch(url);
  if (res.status !== 200) throw new Error(`${url}: ${res.status}`);
  return (await res.json()) as T;
}

interface AlertsBody {
  alerts: { key: string; alertname: string; state: string }[];
}
const OUTAGE_ALERTS = new Set(['DeviceDown', 'RackDevicesDown', 'DataStale']);

/**
 * The large site's server killed (-9) while every device keeps reporting every interval_s, then started
 * again on the same database and port: how long until /healthz and /readyz answer, and whether the
 * restart looks like an outage (devices down, outage alerts) over the next restart_observe_s.
 */
export async function restartPhase(
  server: ServerChild, site: BenchSiteOptions, model: SiteModel, dbPath: string,
  opts: Pick<ScaleOptions, 'interval_s' | 'pushes_per_s' | 'restart_warmup_s' | 'restart_observe_s'> & { log: (line: string) => void },
): Promise<{ figure: RestartFigure; server: ServerChild }> {
  const port = Number(new URL(server.url).port);
  const devices = [...model.devices.values()];
  const perPush = Math.ceil(devices.length / (opts.interval_s * opts.pushes_per_s));
  let cursor = 0;
  let refused = 0;
  const inFlight = new Set<Promise<unknown>>();
  const timer = setInterval(() => {
    const ts = Date.now();
    const parts: string[] = [];
    for (let i = 0; i < perPush; i++) {
      const n = cursor++ % devices.length;
      const d = devices[n];
      parts.push(`{"device":${JSON.stringify(d.id)},"ts":${ts},"metrics":${JSON.stringify(benchMetrics(d.kind, n))}}`);
    }
    // Refused while the server is away (connection refused): lost, as a real integrator's push would be.
    const p = postIngest(server.url, body(parts)).then((r) => void (r === null && refused++), () => void refused++);
    inFlight.add(p);
    void p.finally(() => inFlight.delete(p));
  }, 1000 / opts.pushes_per_s);

  let next: ServerChild | undefined;
  try {
    await new Promise((r) => setTimeout(r, opts.restart_warmup_s * 1000));
    const before = await getJson<AlertsBody>(`${server.url}/api/v1/alerts`);
    const activeBefore = new Set(before.alerts.map((a) => a.key));
    const firingBefore = before.alerts.filter((a) => a.state === 'firing').length;
    const db_mb = ['', '-wal'].reduce((n, ext) => n + (existsSync(dbPath + ext) ? statSync(dbPath + ext).size : 0), 0) / 2 ** 20;

    opts.log(`restart: kill -9 of the server (${model.devices.size} devices, ${Math.round(db_mb)} MB database), load going on`);
    const gone = exited(server.child);
    server.child.kill('SIGKILL');
    await gone;

    const t0 = performance.now();
    const base = `http://127.0.0.1:${port}`;
    const starting = startServerChild({ ...site, port }, dbPath);
    starting.catch(() => {});
    let healthz_ms: number | null = null;
    let ready_ms: number | null = null;
    let maxMs: number | null = null;
    let probes = 0;
    const problems: string[] = [];
    while (ready_ms === null && performance.now() - t0 < 120_000) {
      const p0 = performance.now();
      try {
        const res = await fetch(`${base}/healthz`);
        await res.arrayBuffer();
        const ms = performance.now() - p0;
        if (res.status === 200) {
          if (healthz_ms === null) healthz_ms = performance.now() - t0;
          else {
            probes++;
            maxMs = Math.max(maxMs ?? 0, ms);
          }
          const r = await fetch(`${base}/readyz`);
          const b = (await r.json()) as { problems?: string[] };
          if (r.status === 200) ready_ms = performance.now() - t0;
          else for (const x of b.problems ?? []) if (problems.length < 5 && !problems.some((y) => y.split(' (')[0] === x.split(' (')[0])) problems.push(x);
        }
      } catch {
        /* not listening yet */
      }
      await new Promise((r) => setTimeout(r, 20));
    }
    next = await starting;
    opts.log(`restart: /healthz after ${f0(healthz_ms)} ms, ready after ${f0(ready_ms)} ms; watching for ${opts.restart_observe_s} s`);

    let downMax = 0;
    let down = 0;
    let firing = 0;
    const started = new Set<string>();
    const end = performance.now() + opts.restart_observe_s * 1000;
    for (;;) {
      const snap = await getJson<{ figures: { site: { health: { down: number } } } }>(`${base}/api/v1/site`);
      const al = await getJson<AlertsBody>(`${base}/api/v1/alerts`);
      down = snap.figures.site.health.down;
      downMax = Math.max(downMax, down);
      firing = al.alerts.filter((a) => a.state === 'firing').length;
      for (const a of al.alerts) if (OUTAGE_ALERTS.has(a.alertname) && !activeBefore.has(a.key)) started.add(a.key);
      if (performance.now() >= end) break;
      await new Promise((r) => setTimeout(r, 1000));
    }
    return {
      server: next,
      figure: {
        devices: model.devices.size, signal: 'SIGKILL', db_mb, healthz_ms, ready_ms,
        healthz_max_ms_while_restoring: maxMs, healthz_probes_while_restoring: probes, restoring_problems: problems,
        observe_s: opts.restart_observe_s, devices_down: down, devices_down_max: downMax, alerts_firing: firing,
        alerts_firing_before: firingBefore, outage_alerts_started: started.size, pushes_refused: refused,
        readings_per_s: perPush * opts.pushes_per_s,
      },
    };
  } catch (e) {
    if (next) await next.stop();
    throw e;
  } finally {
    clearInterval(timer);
    await Promise.all([...inFlight]);
  }
}

const f0 = (v: number | null) => (v === null ? '—' : String(Math.round(v)));

/** Fills every device of a site once (a full reading interval), so every series /metrics can have is there. */
export async function fillSite(server: ServerChild, model: SiteModel, batch: number): Promise<void> {
  const tpl = templates([...model.devices.values()]);
  const ts = String(Date.now());
  for (let i = 0; i < tpl.length; i += batch) {
    const r = await postIngest(server.url, body(tpl.slice(i, i + batch).map((t) => t.head + ts + t.tail)));
    if (r === null) throw new Error('filling the site: a push was refused');
  }
  // One hub tick so the figures /metrics reads include them.
  await new Promise((r) => setTimeout(r, 1200));
}

export async function runScale(opts: ScaleOptions): Promise<ScaleResults> {
  const log = opts.log ?? (() => {});
  const site: BenchSiteOptions = { devices: opts.devices };
  const model = benchSite(site);
  const racks = model.halls.reduce((n, h) => n + h.racks.length, 0);
  log(`site: ${model.devices.size} devices in ${racks} racks`);

  log(`raw insert: ${opts.raw_duration_s} s of ${opts.batch}-row transactions`);
  const raw_insert = rawInsert(model, join(opts.dir, 'raw.db'), { duration_s: opts.raw_duration_s, batch: opts.batch });

  const dbPath = join(opts.dir, 'site.db');
  let server = await startServerChild(site, dbPath);
  let http_ingest: ScaleResults['http_ingest'];
  let restart: RestartFigure;
  let latency: ScaleResults['latency'];
  let metrics_default: ScaleResults['metrics_default'];
  try {
    // Every device reports once first: a site whose devices were never seen is a site-wide outage
    // (one DeviceDown per device), not the steady state the figures are about.
    log(`filling the site: one reading per device`);
    await fillSite(server, model, opts.batch);
    log(`http ingest: ${opts.ingest_duration_s} s, ${opts.ingest_clients} clients`);
    const h = await httpIngest(server, model, dbPath, { duration_s: opts.ingest_duration_s, clients: opts.ingest_clients, batch: opts.batch });
    http_ingest = { ...h, ratio_to_raw: h.samples_per_s / raw_insert.samples_per_s };

    log(`latency: ${opts.socket_clients} socket clients, every device every ${opts.interval_s} s, ${opts.warmup_s} s warm-up + ${opts.measure_s} s`);
    latency = await socketLatency(server, model, opts);

    log(`/metrics at default cardinality: ${opts.scrapes} scrapes`);
    metrics_default = { ...(await scrapeMetrics(server, opts.scrapes)), devices: model.devices.size };

    log(`restart: every device every ${opts.interval_s} s for ${opts.restart_warmup_s} s, then kill -9 and start again`);
    const r = await restartPhase(server, site, model, dbPath, { ...opts, log });
    server = r.server;
    restart = r.figure;
  } finally {
    await server.stop();
  }

  const pdSite: BenchSiteOptions = { devices: opts.per_device_devices, per_device: true };
  const pdModel = benchSite(pdSite);
  const pdServer = await startServerChild(pdSite, join(opts.dir, 'per-device.db'));
  let metrics_per_device: ScaleResults['metrics_per_device'];
  try {
    log(`/metrics with per-device series: ${pdModel.devices.size} devices`);
    await fillSite(pdServer, pdModel, opts.batch);
    metrics_per_device = { ...(await scrapeMetrics(pdServer, opts.scrapes)), devices: pdModel.devices.size };
  } finally {
    await pdServer.stop();
  }

  return { site: { devices: model.devices.size, racks }, raw_insert, http_ingest, latency, metrics_default, metrics_per_device, restart };
}
