// The bench's remote-write section (issue 18): what writing every committed sample out to a real
// VictoriaMetrics costs ingest, and whether ingest holds its rate while that store is down.
//   1. Two server children of the same site, one without remote write and one writing to the store,
//      pushed in turns (off, on, off, on) so that the other load on this shared machine falls on both.
//   2. The writing one, store up, then the store stopped for `outage_s` (60 s in the full bench) under
//      the same push load, then restarted: ingest's rate during the outage against its rate with the
//      store up (its on turns and the window before; the target: within 10 %), the samples dropped beyond the queue's capacity, how long it takes to
//      drain once the store is back.
//   3. In this process: what the commit hook and the tick's figures cost the event loop at 100,000 devices.
// Run alone: `npm run bench -- --only remote-write` (or BENCH_ONLY=remote-write). Without the
// victoria-metrics binary the section says so and is skipped.

import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { freePort } from '../helpers/net.js';
import { watchProcess, type PhaseUsage } from './proc.js';
import { benchMetrics, fillSite, httpIngest, startServerChild, type ServerChild } from './scale.js';
import { benchSite } from './site.js';
import { createRemoteWrite } from '../../server/remote/writer.js';
import { createLiveState } from '../../server/live/state.js';
import { createHub } from '../../server/live/hub.js';
import { prepareIndex } from '../../server/figures/site-index.js';
import type { StoredReading } from '../../server/store/writer.js';

export const VICTORIA_METRICS = process.env.VICTORIA_METRICS_BIN ?? '/usr/bin/victoria-metrics';

export interface RemoteWriteBenchOptions {
  dir: string;
  devices: number;
  /** seconds of each off/on turn (two of each) */
  turn_s: number;
  /** seconds of load with the store up right before the outage */
  before_s: number;
  outage_s: number;
  /** longest wait for the queue to drain once the store is back */
  drain_max_s: number;
  clients: number;
  batch: number;
  /** site size of the in-process main-thread cost measure */
  cost_devices: number;
  log: (line: string) => void;
}

/**
 * What remote write costs the event loop itself, in this process: the `committed` hook per sample (series
 * lookup, conversion, the hand-over to the thread) and the tick's figures for a site of `devices`, each
 * against the tick it rides on. The thread sends to a closed port (its work is not on this loop).
 */
export function mainThreadCost(devices: number): { devices: number; racks: number; committed_us_per_sample: number; tick_ms: number; remote_tick_ms: number } {
  const model = benchSite({ devices });
  const live = createLiveState(model);
  const hub = createHub({ model, live, index: prepareIndex(model) });
  const rw = createRemoteWrite({
    site: model.name, devices: model.devices, log: () => {},
    targets: [{ name: 'cost', url: 'http://127.0.0.1:9/api/v1/write', headers: {}, timeout_s: 1, queue: { capacity: 10_000, max_shards: 50, max_samples_per_send: 2000, batch_send_deadline_s: 5, min_backoff_s: 1, max_backoff_s: 5 } }],
  });
  try {
    const all = [...model.devices.values()];
    const rows: StoredReading[] = all.map((d, i) => ({ reading: { device: d.id, ts: Date.now(), metrics: benchMetrics(d.kind, i) }, kind: d.kind, key: i }));
    for (const r of rows) live.apply(r.reading);
    let samples = 0;
    for (const r of rows) samples += Object.keys(r.reading.metrics).length;
    // Twice: the first pass makes every series (once in a process's life), the second is the steady state.
    rw.committed(rows.slice(0, 500));
    for (let i = 0; i < rows.length; i += 500) rw.committed(rows.slice(i, i + 500));
    const t0 = performance.now();
    for (let i = 0; i < rows.length; i += 500) rw.committed(rows.slice(i, i + 500));
    const committedMs = performance.now() - t0;
    hub.tick();
    rw.tick(hub.figures(), Date.now());
    const ticks = 5;
    const t1 = performance.now();
    for (let i = 0; i < ticks; i++) hub.tick();
    const tickMs = (performance.now() - t1) / ticks;
    const t2 = performance.now();
    for (let i = 0; i < ticks; i++) rw.tick(hub.figures(), Date.now());
    const remoteTickMs = (performance.now() - t2) / ticks;
    return { devices: model.devices.size, racks: model.racks.size, committed_us_per_sample: (committedMs * 1000) / samples, tick_ms: tickMs, remote_tick_ms: remoteTickMs };
  } finally {
    void rw.stop();
  }
}

export const REMOTE_WRITE_FULL = { devices: 20_000, turn_s: 8, before_s: 12, outage_s: 60, drain_max_s: 30, clients: 4, batch: 500, cost_devices: 100_000 };
export const REMOTE_WRITE_QUICK = { devices: 1_000, turn_s: 0.5, before_s: 1, outage_s: 2, drain_max_s: 12, clients: 2, batch: 250, cost_devices: 2_000 };

interface Counts { sent: number; failed: number; retried: number; dropped: number; pending: number }

export type RemoteWriteBench =
  | { skipped: string }
  | {
    devices: number;
    off_samples_per_s: number;
    on_samples_per_s: number;
    /** on ÷ off: the cost of remote write to ingest on this machine, the store included */
    on_to_off: number;
    /** the writing server with the store up: its on turns and the window right before the outage */
    normal_samples_per_s: number;
    outage_samples_per_s: number;
    outage_s: number;
    /** outage ÷ normal: the target is ≥ 0.9 */
    outage_to_normal: number;
    /** samples written out per second with the store up (on turns and before the outage) */
    remote_samples_per_s: number;
    main_thread: ReturnType<typeof mainThreadCost>;
    server_on: PhaseUsage;
    server_off: PhaseUsage;
    store_cpu_cores: number;
    outage: Counts;
    after: Counts & { backlog: number; drain_s: number | null };
  };

async function remoteCounts(server: ServerChild): Promise<Counts> {
  const text = await (await fetch(`${server.url}/metrics`)).text();
  const read = (family: string): number => {
    const m = new RegExp(`^floorwatch_remote_write_${family}\\{remote="bench-vm"\\} (\\S+)$`, 'm').exec(text);
    return m === null ? Number.NaN : Number(m[1]);
  };
  return { sent: read('samples_sent_total'), failed: read('samples_failed_total'), retried: read('samples_retried_total'), dropped: read('samples_dropped_total'), pending: read('samples_pending') };
}

/** A VictoriaMetrics on loopback over `dir` (also the peers section's, test/bench/peers.ts); `ready` once /health answers. */
export function startStore(port: number, dir: string): { child: ChildProcess; ready: Promise<void> } {
  const child = spawn(VICTORIA_METRICS, [`-httpListenAddr=127.0.0.1:${port}`, `-storageDataPath=${dir}`, '-retentionPeriod=1y', '-loggerLevel=ERROR'], { stdio: 'ignore' });
  const ready = (async () => {
    const end = Date.now() + 30_000;
    for (;;) {
      try {
        if ((await fetch(`http://127.0.0.1:${port}/health`)).ok) return;
      } catch {
        /* not up yet */
      }
      // Exited (a port taken since freePort, a bad data dir): say so now, not after 30 s of polling.
      if (child.exitCode !== null || child.signalCode !== null) throw new Error(`victoria-metrics exited (${child.exitCode ?? child.signalCode}) before /health answered`);
      if (Date.now() > end) throw new Error('victoria-metrics did not come up within 30 s');
      await new Promise((r) => setTimeout(r, 100));
    }
  })();
  return { child, ready };
}

/** SIGTERM, and the exit awaited: VictoriaMetrics flushes what it holds in memory first. */
export async function stopStore(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const gone = new Promise<void>((r) => child.once('exit', () => r()));
  child.kill('SIGTERM');
  await gone;
}

export async function benchRemoteWrite(o: RemoteWriteBenchOptions): Promise<RemoteWriteBench> {
  if (!existsSync(VICTORIA_METRICS)) {
    const skipped = `${VICTORIA_METRICS} not found (Debian package victoria-metrics): remote-write section skipped`;
    o.log(skipped);
    return { skipped };
  }
  o.log(`remote write: main-thread cost at ${o.cost_devices} devices`);
  const main_thread = mainThreadCost(o.cost_devices);
  const port = await freePort();
  const storeDir = join(o.dir, 'vm');
  mkdirSync(storeDir, { recursive: true });
  let store = startStore(port, storeDir);
  await store.ready;
  const storeWatch = watchProcess(store.child.pid!);
  const offSite = { devices: o.devices };
  const onSite = { devices: o.devices, remote_write_url: `http://127.0.0.1:${port}/api/v1/write` };
  const model = benchSite(offSite);
  const off = await startServerChild(offSite, join(o.dir, 'off.db'));
  const on = await startServerChild(onSite, join(o.dir, 'on.db'));
  try {
    o.log(`remote write: ${model.devices.size} devices, filling both servers`);
    await fillSite(off, model, o.batch);
    await fillSite(on, model, o.batch);
    const ingest = (s: ServerChild, db: string, seconds: number) => httpIngest(s, model, join(o.dir, db), { duration_s: seconds, clients: o.clients, batch: o.batch });

    o.log(`remote write: off/on turns of ${o.turn_s} s`);
    const offRuns = [];
    const onRuns = [];
    for (let i = 0; i < 2; i++) {
      offRuns.push(await ingest(off, 'off.db', o.turn_s));
      onRuns.push(await ingest(on, 'on.db', o.turn_s));
    }
    const sentBefore = (await remoteCounts(on)).sent;
    o.log(`remote write: ${o.before_s} s with the store up, then ${o.outage_s} s with it stopped`);
    const before = await ingest(on, 'on.db', o.before_s);
    const remoteRate = ((await remoteCounts(on)).sent - sentBefore) / before.seconds;
    const storeCpu = storeWatch.stop().cpu_cores;
    await stopStore(store.child);
    const during = await ingest(on, 'on.db', o.outage_s);
    const outage = await remoteCounts(on);
    o.log('remote write: store restarted, draining');
    store = startStore(port, storeDir);
    await store.ready;
    // Drained: as many sent since the restart as were pending then (each shard sends its oldest first;
    // pending itself never stays at 0, the ticks' figures wait up to batch_send_deadline in the queues).
    const t0 = performance.now();
    let drain_s: number | null = null;
    let after = await remoteCounts(on);
    const backlog = after.pending;
    const sentAtRestart = after.sent;
    while (performance.now() - t0 < o.drain_max_s * 1000) {
      after = await remoteCounts(on);
      if (after.sent - sentAtRestart >= backlog) {
        drain_s = (performance.now() - t0) / 1000;
        break;
      }
      await new Promise((r) => setTimeout(r, 250));
    }
    const rate = (runs: { samples: number; seconds: number }[]) => runs.reduce((n, r) => n + r.samples, 0) / runs.reduce((n, r) => n + r.seconds, 0);
    const offRate = rate(offRuns);
    const onRate = rate(onRuns);
    // Normal: every window of the same server with the store up (the on turns and the one right before
    // the outage), so one busy moment of the machine's other work weighs less.
    const normalRate = rate([...onRuns, before]);
    const usage = (runs: { server: PhaseUsage }[]): PhaseUsage => {
      const wall = runs.reduce((n, r) => n + r.server.wall_s, 0);
      const cpu = runs.reduce((n, r) => n + r.server.cpu_s, 0);
      return { wall_s: wall, cpu_s: cpu, cpu_cores: cpu / wall, peak_rss_mb: Math.max(...runs.map((r) => r.server.peak_rss_mb)), hwm_rss_mb: Math.max(...runs.map((r) => r.server.hwm_rss_mb)) };
    };
    return {
      devices: model.devices.size, off_samples_per_s: offRate, on_samples_per_s: onRate, on_to_off: onRate / offRate,
      normal_samples_per_s: normalRate, outage_samples_per_s: during.samples_per_s, outage_s: o.outage_s,
      outage_to_normal: during.samples_per_s / normalRate, remote_samples_per_s: remoteRate,
      main_thread, server_on: usage([...onRuns, before]), server_off: usage(offRuns), store_cpu_cores: storeCpu, outage, after: { ...after, backlog, drain_s },
    };
  } finally {
    await Promise.all([off.stop(), on.stop()]);
    await stopStore(store.child);
  }
}

const f = (v: number, digits = 0) => v.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

/** The section's rows for the bench table. */
export function remoteWriteRows(r: RemoteWriteBench | { error: string }): [string, string][] {
  if ('error' in r) return [['remote write', `failed: ${r.error}`]];
  if ('skipped' in r) return [['remote write', r.skipped]];
  return [
    ['remote write', `ingest ${f(r.on_samples_per_s)} samples/s on against ${f(r.off_samples_per_s)} off = ${f(r.on_to_off * 100, 1)} % (${f(r.devices)} devices, to a real VictoriaMetrics on this machine, which used ${f(r.store_cpu_cores, 2)} cores)`],
    ['  event loop', `${f(r.main_thread.committed_us_per_sample, 2)} µs a committed sample; ${f(r.main_thread.remote_tick_ms, 1)} ms a tick for ${f(r.main_thread.racks)} racks' figures, against ${f(r.main_thread.tick_ms, 1)} ms for the tick itself (${f(r.main_thread.devices)} devices, in-process)`],
    ['  server', `on ${f(r.server_on.cpu_cores, 2)} cores, peak RSS ${f(r.server_on.peak_rss_mb)} MB; off ${f(r.server_off.cpu_cores, 2)} cores, peak RSS ${f(r.server_off.peak_rss_mb)} MB; written out ${f(r.remote_samples_per_s)} samples/s`],
    [`  store down ${r.outage_s} s`, `ingest ${f(r.outage_samples_per_s)} samples/s against ${f(r.normal_samples_per_s)} with it up = ${f(r.outage_to_normal * 100, 1)} %; ${f(r.outage.dropped)} dropped beyond the queue, ${f(r.outage.pending)} pending, ${f(r.outage.retried)} retried`],
    ['  store back', `backlog of ${f(r.after.backlog)} ${r.after.drain_s === null ? 'not sent within the wait' : `sent in ${f(r.after.drain_s, 1)} s`}; ${f(r.after.sent)} sent, ${f(r.after.failed)} failed, ${f(r.after.dropped)} dropped in all`],
  ];
}
