// `npm run bench`: Floorwatch against this machine's own limits. Prints a table and writes
// test-output/bench-results.json. `--quick` (or BENCH_SCALE=quick) runs the small configuration the
// smoke test uses; the full one (100,000 devices) takes a few minutes on a 2-core machine. `--only
// remote-write` (or BENCH_ONLY=remote-write) runs the remote-write section alone (test/bench/remote-write.ts);
// `codec` (or `--only codec`) runs the chunk codec's section alone (test/bench/codec.ts, about a minute);
// `--only peers` (or BENCH_ONLY=peers) runs Floorwatch against VictoriaMetrics alone (test/bench/peers.ts).

import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir, totalmem, platform, release } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { packageRoot } from '../../server/store/paths.js';
import { fileURLToPath } from 'node:url';
import { resolve } from 'node:path';
import { FULL_SCALE, QUICK_SCALE, runScale, type ScaleResults } from './scale.js';
import { benchPolling, type PollingBenchOptions } from './polling.js';
import { benchHistory } from './history.js';
import { benchCodec, codecRows, CODEC_FULL, CODEC_QUICK, type CodecBench } from './codec.js';
import { benchCompaction, compactionRows, COMPACTION_FULL, COMPACTION_QUICK, type CompactionBench } from './compaction.js';
import { benchRemoteWrite, remoteWriteRows, REMOTE_WRITE_FULL, REMOTE_WRITE_QUICK, type RemoteWriteBench } from './remote-write.js';
import { benchPeers, peersRows, PEERS_FULL, PEERS_QUICK, type PeersBench } from './peers.js';

/** The polling and history phases' sizes; the scale phases' are in scale.ts. */
const POLLING = { full: { miners: 5000, interval_s: 15, duration_s: 30 }, quick: { miners: 100, interval_s: 1, duration_s: 2 } } satisfies Record<string, PollingBenchOptions>;
const HISTORY = { full: { devices: 2000, days: 30 }, quick: { devices: 100, days: 1 } };

export interface Machine {
  cpu: string;
  cores: number;
  memory_gb: number;
  node: string;
  os: string;
}

export function machine(): Machine {
  const c = cpus();
  return {
    cpu: c[0]?.model.trim() ?? 'unknown',
    cores: c.length,
    memory_gb: Math.round((totalmem() / 2 ** 30) * 10) / 10,
    node: process.version,
    os: `${platform()} ${release()}`,
  };
}

export interface BenchResults {
  machine: Machine;
  scale: 'full' | 'quick';
  started: string;
  seconds: number;
  results: ScaleResults;
  polling: Record<string, unknown> | { error: string };
  history: Record<string, unknown> | { error: string };
  remote_write: RemoteWriteBench | { error: string };
  codec: CodecBench | { error: string };
  compaction: CompactionBench | { error: string };
  peers: PeersBench | { error: string };
  targets: TargetCheck[];
}

export interface TargetCheck {
  figure: string;
  value: number | null;
  target: string;
  met: boolean;
}

export function checkTargets(r: ScaleResults, rw?: RemoteWriteBench | { error: string }): TargetCheck[] {
  const t = (figure: string, value: number | null, target: string, ok: (v: number) => boolean): TargetCheck =>
    ({ figure, value, target, met: value !== null && ok(value) });
  return [
    t('http ingest / raw insert', r.http_ingest.ratio_to_raw, '>= 0.5', (v) => v >= 0.5),
    t(`ingest-to-socket p99 (ms), ${r.latency.devices} devices`, r.latency.p99_ms, '< 1000', (v) => v < 1000),
    t('server CPU at the reading interval (cores)', r.latency.server.cpu_cores, '< 1', (v) => v < 1),
    t('server peak RSS (MB)', Math.max(r.latency.server.peak_rss_mb, r.http_ingest.server.peak_rss_mb, r.metrics_default.server.peak_rss_mb), '< 1024', (v) => v < 1024),
    t(`/metrics median (ms), ${r.metrics_default.devices} devices`, r.metrics_default.median_ms, '< 100', (v) => v < 100),
    t('restart: spawn to ready (ms)', r.restart.ready_ms, '< 5000', (v) => v < 5000),
    t(`restart: devices down ${r.restart.observe_s} s after`, r.restart.devices_down, '= 0', (v) => v === 0),
    t(`restart: alerts firing ${r.restart.observe_s} s after`, r.restart.alerts_firing, '= 0', (v) => v === 0),
    ...remoteWriteTargets(rw),
  ];
}

/** Ingest during the store outage against before it; none when the section was skipped. */
function remoteWriteTargets(rw: RemoteWriteBench | { error: string } | undefined): TargetCheck[] {
  if (rw === undefined || 'skipped' in rw) return [];
  const v = 'error' in rw ? null : rw.outage_to_normal;
  return [{ figure: `remote write: ingest with the store down ${'error' in rw ? '' : `${rw.outage_s} s `}/ with it up`, value: v, target: '>= 0.9', met: v !== null && v >= 0.9 }];
}

const f = (v: number | null | undefined, digits = 0) =>
  v === null || v === undefined ? '—' : v.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

export function formatTable(b: BenchResults): string {
  const r = b.results;
  const m = b.machine;
  const rows: [string, string][] = [
    ['machine', `${m.cpu}, ${m.cores} cores, ${m.memory_gb} GB, Node ${m.node}, ${m.os}`],
    ['site', `${f(r.site.devices)} devices in ${f(r.site.racks)} racks (${b.scale})`],
    ['raw insert (baseline)', `${f(r.raw_insert.samples_per_s)} samples/s (${f(r.raw_insert.readings)} readings of 13 metrics, ${r.raw_insert.batch}-row transactions)`],
    ['http ingest', `${f(r.http_ingest.samples_per_s)} samples/s = ${f(r.http_ingest.ratio_to_raw * 100, 1)} % of raw (${r.http_ingest.clients} clients, ${r.http_ingest.batch}/body, ${r.http_ingest.errors} errors, ${f(r.http_ingest.committed_rows)} rows committed)`],
    ['  server during ingest', usage(r.http_ingest.server)],
    ['socket latency', `p50 ${f(r.latency.p50_ms)} ms, p99 ${f(r.latency.p99_ms)} ms, max ${f(r.latency.max_ms)} ms (${f(r.latency.devices)} devices every ${r.latency.interval_s} s = ${f(r.latency.readings_per_s)} readings/s, ${r.latency.clients} clients)`],
    // The update's `ts` is its pass's: a commit's update between ticks, or the tick's (issue 15). The
    // field names keep their old "tick" for the results files already written.
    ['  = wait for the update', `p50 ${f(r.latency.wait_p50_ms)} ms, p99 ${f(r.latency.wait_p99_ms)} ms (one follows each commit, at most one per 250 ms: the contract)`],
    ['  + update to client', `p50 ${f(r.latency.tick_to_client_p50_ms)} ms, p99 ${f(r.latency.tick_to_client_p99_ms)} ms (figures, encoding, delivery, parsing; ${r.latency.client_processes} client processes)`],
    ['  markers', `${r.latency.markers_sent} sent, ${r.latency.arrivals} arrivals, ${r.latency.lost} lost, ${r.latency.seq_gaps} seq gaps, ${r.latency.push_errors} push errors; push ack p50 ${f(r.latency.ack_p50_ms)} ms, p99 ${f(r.latency.ack_p99_ms)} ms`],
    ['  server at the interval', usage(r.latency.server)],
    ['/metrics default', scrape(r.metrics_default)],
    ['/metrics per-device', scrape(r.metrics_per_device)],
    ['restart (kill -9)', `/healthz ${f(r.restart.healthz_ms)} ms, ready ${f(r.restart.ready_ms)} ms after spawn (${f(r.restart.devices)} devices, ${f(r.restart.db_mb)} MB database, load ${f(r.restart.readings_per_s)} readings/s going on); /healthz max ${f(r.restart.healthz_max_ms_while_restoring, 1)} ms over ${r.restart.healthz_probes_while_restoring} probes while restoring`],
    [`  ${r.restart.observe_s} s after`, `${f(r.restart.devices_down)} devices down (most seen ${f(r.restart.devices_down_max)}), ${f(r.restart.alerts_firing)} alerts firing (${f(r.restart.alerts_firing_before)} before the kill), ${f(r.restart.outage_alerts_started)} outage alerts started; ${f(r.restart.pushes_refused)} pushes refused while down`],
    ['polling', summary(b.polling)],
    ['history', summary(b.history)],
    ...remoteWriteRows(b.remote_write),
    ...codecRows(b.codec),
    ...compactionRows(b.compaction),
    ...peersRows(b.peers),
  ];
  for (const t of b.targets) rows.push([`target: ${t.figure}`, `${f(t.value, 2)} (${t.target}) ${t.met ? 'MET' : 'MISSED'}`]);
  const w = Math.max(...rows.map(([k]) => k.length));
  return rows.map(([k, v]) => `${k.padEnd(w)}  ${v}`).join('\n');
}

function usage(u: ScaleResults['latency']['server']): string {
  return `${f(u.cpu_cores, 2)} cores (${f(u.cpu_s, 1)} s CPU in ${f(u.wall_s, 1)} s), peak RSS ${f(u.peak_rss_mb)} MB (process high-water ${f(u.hwm_rss_mb)} MB)`;
}

function scrape(s: ScaleResults['metrics_default']): string {
  return `${f(s.devices)} devices: median ${f(s.median_ms, 1)} ms, max ${f(s.max_ms, 1)} ms, ${f(s.bytes / 1024)} KiB, ${f(s.series)} series; server ${f(s.server.cpu_cores, 2)} cores`;
}

function summary(o: Record<string, unknown>): string {
  return Object.entries(o)
    .filter(([, v]) => typeof v !== 'object' || v === null)
    .map(([k, v]) => `${k} ${typeof v === 'number' ? f(v, Number.isInteger(v) ? 0 : 3) : String(v)}`).join(', ');
}

export async function runBench(opts: { quick: boolean; dir?: string; out?: string; log?: (line: string) => void }): Promise<BenchResults> {
  const log = opts.log ?? ((line: string) => console.error(`bench: ${line}`));
  const dir = opts.dir ?? mkdtempSync(join(tmpdir(), 'floorwatch-bench-'));
  const started = new Date();
  const t0 = performance.now();
  try {
    const scale = opts.quick ? QUICK_SCALE : FULL_SCALE;
    const results = await runScale({ ...scale, dir, log });
    const size = opts.quick ? 'quick' : 'full';
    const polling = await optional(`polling: ${POLLING[size].miners} emulated miners every ${POLLING[size].interval_s} s for ${POLLING[size].duration_s} s`, log,
      async () => ({ ...POLLING[size], ...(await benchPolling(POLLING[size])) }));
    const history = await optional(`history: ${HISTORY[size].days} days of ${HISTORY[size].devices} devices`, log,
      async () => ({ ...HISTORY[size], ...(await benchHistory({ ...HISTORY[size], dir: join(dir, 'history') })) }));
    const remote_write = await remoteWriteSection(size, dir, log);
    const codec = await codecSection(size, dir, log);
    const compaction = await compactionSection(size, dir, log);
    const peers = await peersSection(size, dir, log);
    const out: BenchResults = {
      machine: machine(), scale: opts.quick ? 'quick' : 'full', started: started.toISOString(),
      seconds: (performance.now() - t0) / 1000, results, polling, history, remote_write, codec, compaction, peers, targets: checkTargets(results, remote_write),
    };
    if (opts.out) {
      mkdirSync(join(opts.out, '..'), { recursive: true });
      writeFileSync(opts.out, JSON.stringify(out, null, 2) + '\n');
    }
    return out;
  } finally {
    if (opts.dir === undefined) rmSync(dir, { recursive: true, force: true });
  }
}

async function remoteWriteSection(size: 'full' | 'quick', dir: string, log: (l: string) => void): Promise<RemoteWriteBench | { error: string }> {
  const o = size === 'full' ? REMOTE_WRITE_FULL : REMOTE_WRITE_QUICK;
  const r = await optional(`remote write: ${o.devices} devices, ${o.outage_s} s store outage`, log, () => benchRemoteWrite({ ...o, dir: join(dir, 'remote-write'), log }));
  return r as RemoteWriteBench | { error: string };
}

async function codecSection(size: 'full' | 'quick', dir: string, log: (l: string) => void): Promise<CodecBench | { error: string }> {
  const o = size === 'full' ? CODEC_FULL : CODEC_QUICK;
  const r = await optional(`codec: ${o.devices} devices, windows of ${o.windows_min.join('/')} min`, log, async () => benchCodec({ ...o, dir: join(dir, 'codec'), log }));
  return r as CodecBench | { error: string };
}

async function compactionSection(size: 'full' | 'quick', dir: string, log: (l: string) => void): Promise<CompactionBench | { error: string }> {
  const o = size === 'full' ? COMPACTION_FULL : COMPACTION_QUICK;
  const r = await optional(`compaction: ${o.devices} miners, ${o.hours} h, windows of ${o.windows_min.join('/')} min`, log, async () => benchCompaction({ ...o, dir: join(dir, 'compaction'), log }));
  return r as CompactionBench | { error: string };
}

/** `--only compaction`: the compact raw store's section alone (about a minute full size). */
async function onlyCompaction(quick: boolean, out: string): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'floorwatch-bench-'));
  const log = (line: string) => console.error(`bench: ${line}`);
  try {
    const compaction = await compactionSection(quick ? 'quick' : 'full', dir, log);
    mkdirSync(join(out, '..'), { recursive: true });
    writeFileSync(out, JSON.stringify({ machine: machine(), scale: quick ? 'quick' : 'full', started: new Date().toISOString(), compaction }, null, 2) + '\n');
    const rows = compactionRows(compaction);
    const w = Math.max(...rows.map(([k]) => k.length));
    console.log(rows.map(([k, v]) => `${k.padEnd(w)}  ${v}`).join('\n'));
    console.log(`\n${out}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function peersSection(size: 'full' | 'quick', dir: string, log: (l: string) => void): Promise<PeersBench | { error: string }> {
  const o = size === 'full' ? PEERS_FULL : PEERS_QUICK;
  const r = await optional(`peers: Floorwatch against VictoriaMetrics, ${o.devices} devices`, log, () => benchPeers({ ...o, dir: join(dir, 'peers'), log }));
  return r as PeersBench | { error: string };
}

/** `--only peers`: that section alone, its rows printed, its figures in their own file. */
async function onlyPeers(quick: boolean, out: string): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'floorwatch-bench-'));
  const log = (line: string) => console.error(`bench: ${line}`);
  try {
    const peers = await peersSection(quick ? 'quick' : 'full', dir, log);
    mkdirSync(join(out, '..'), { recursive: true });
    writeFileSync(out, JSON.stringify({ machine: machine(), scale: quick ? 'quick' : 'full', started: new Date().toISOString(), peers }, null, 2) + '\n');
    const rows = peersRows(peers);
    const w = Math.max(...rows.map(([k]) => k.length));
    console.log(rows.map(([k, v]) => `${k.padEnd(w)}  ${v}`).join('\n'));
    console.log(`\n${out}`);
    if ('error' in peers) process.exitCode = 1;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** `codec` / `--only codec`: that section alone, its rows printed, its figures in their own file. */
async function onlyCodec(quick: boolean, out: string): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'floorwatch-bench-'));
  const log = (line: string) => console.error(`bench: ${line}`);
  try {
    const codec = await codecSection(quick ? 'quick' : 'full', dir, log);
    mkdirSync(join(out, '..'), { recursive: true });
    writeFileSync(out, JSON.stringify({ machine: machine(), scale: quick ? 'quick' : 'full', started: new Date().toISOString(), codec }, null, 2) + '\n');
    const rows = codecRows(codec);
    const w = Math.max(...rows.map(([k]) => k.length));
    console.log(rows.map(([k, v]) => `${k.padEnd(w)}  ${v}`).join('\n'));
    console.log(`\n${out}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** `--only remote-write`: that section alone, its rows and target printed, its figures in their own file. */
async function onlyRemoteWrite(quick: boolean, out: string): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'floorwatch-bench-'));
  const log = (line: string) => console.error(`bench: ${line}`);
  try {
    const rw = await remoteWriteSection(quick ? 'quick' : 'full', dir, log);
    mkdirSync(join(out, '..'), { recursive: true });
    writeFileSync(out, JSON.stringify({ machine: machine(), scale: quick ? 'quick' : 'full', started: new Date().toISOString(), remote_write: rw }, null, 2) + '\n');
    const rows: [string, string][] = [...remoteWriteRows(rw), ...remoteWriteTargets(rw).map((t): [string, string] => [`target: ${t.figure}`, `${f(t.value, 2)} (${t.target}) ${t.met ? 'MET' : 'MISSED'}`])];
    const w = Math.max(...rows.map(([k]) => k.length));
    console.log(rows.map(([k, v]) => `${k.padEnd(w)}  ${v}`).join('\n'));
    console.log(`\n${out}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A phase owned by another module: its failure is reported in the results, not fatal to the rest. */
async function optional(name: string, log: (l: string) => void, fn: () => Promise<object>): Promise<Record<string, unknown> | { error: string }> {
  try {
    log(name);
    return { ...(await fn()) };
  } catch (e) {
    log(`${name}: failed: ${e instanceof Error ? e.message : String(e)}`);
    return { error: e instanceof Error ? e.message : String(e) };
  }
}

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({ options: { quick: { type: 'boolean', default: false }, out: { type: 'string' }, only: { type: 'string' } }, strict: true, allowPositionals: true });
  const quick = values.quick || process.env.BENCH_SCALE === 'quick';
  if (positionals.length > 1 || (positionals.length === 1 && values.only !== undefined)) throw new Error('name one section: `codec` or `--only SECTION`');
  const only = positionals[0] ?? values.only ?? process.env.BENCH_ONLY;
  if (only !== undefined) {
    if (only === 'codec') return onlyCodec(quick, values.out ?? join(packageRoot(), 'test-output', quick ? 'bench-codec-quick.json' : 'bench-codec.json'));
    if (only === 'compaction') return onlyCompaction(quick, values.out ?? join(packageRoot(), 'test-output', quick ? 'bench-compaction-quick.json' : 'bench-compaction.json'));
    if (only === 'peers') return onlyPeers(quick, values.out ?? join(packageRoot(), 'test-output', quick ? 'bench-peers-quick.json' : 'bench-peers.json'));
    if (only !== 'remote-write') throw new Error(`--only: the sections that run alone are remote-write, codec, compaction and peers, not "${only}"`);
    return onlyRemoteWrite(quick, values.out ?? join(packageRoot(), 'test-output', quick ? 'bench-remote-write-quick.json' : 'bench-remote-write.json'));
  }
  const out = values.out ?? join(packageRoot(), 'test-output', quick ? 'bench-results-quick.json' : 'bench-results.json');
  const b = await runBench({ quick, out });
  console.log(formatTable(b));
  console.log(`\n${out} (${f(b.seconds)} s)`);
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === resolve(process.argv[1])) {
  main().catch((e: unknown) => {
    console.error(`bench: ${e instanceof Error ? e.stack ?? e.message : String(e)}`);
    process.exit(1);
  });
}
