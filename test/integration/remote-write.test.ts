// Floorwatch → remote write 1.0 → the real stores (issue 18's acceptance): Debian's VictoriaMetrics and
// Prometheus with its remote-write receiver, each on a free loopback port with a temp dir. Known readings
// pushed through the ingest API come back from each store's query API with the same values and
// timestamps, under the device's labels; with the store stopped and restarted nothing within the queue's
// capacity is lost and what went beyond it is counted as dropped; and against a small receiver of this
// test's own, a 4xx is not retried while a 429's Retry-After is honoured, and ingest is never held up.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startServer, type RunningServer } from '../../server/server.js';
import { FIGURE_SERIES, RACK_DEVICES } from '../../server/remote/series.js';
import { decodeWriteRequest, type WriteRequest } from '../../server/remote/proto.js';
import { SMALL_SITE_YAML, post, smallSite, tempDir } from '../helpers/site.js';
import { exited, freePort, waitForHttp } from '../helpers/net.js';

const VM = process.env.VICTORIA_METRICS_BIN ?? '/usr/bin/victoria-metrics';
const PROMETHEUS = process.env.PROMETHEUS_BIN ?? '/usr/bin/prometheus';

async function until(what: string, pred: () => boolean | Promise<boolean>, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await pred())) {
    if (Date.now() > end) throw new Error(`${what}: not within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** A store this test starts and stops: its port and data stay across a restart. */
interface Store {
  url: string;
  start(): Promise<void>;
  stop(): Promise<void>;
}

function program(name: string, bin: string, args: () => string[], ready: string): Store & { port: () => number } {
  let p: ChildProcess | null = null;
  let port = 0;
  return {
    get url() {
      return `http://127.0.0.1:${port}`;
    },
    port: () => port,
    async start() {
      if (port === 0) port = await freePort();
      p = spawn(bin, args().map((a) => a.replace('{port}', String(port))), { stdio: ['ignore', 'ignore', 'pipe'] });
      p.stderr?.on('data', (d: Buffer) => {
        const s = d.toString();
        if (/error|fatal|panic/i.test(s)) process.stderr.write(`${name}: ${s}`);
      });
      await waitForHttp(`http://127.0.0.1:${port}${ready}`, 30_000);
    },
    async stop() {
      const c = p;
      p = null;
      if (c === null) return;
      c.kill('SIGTERM');
      await exited(c);
    },
  };
}

const victoria = (dir: string) => program('victoria-metrics', VM, () => [
  '-httpListenAddr=127.0.0.1:{port}', `-storageDataPath=${dir}`, '-retentionPeriod=1y', '-loggerLevel=ERROR',
  // Fresh samples are hidden from queries for 30 s by default (they may be incomplete); here they are complete.
  '-search.latencyOffset=0s', '-search.disableCache',
], '/health');

const prometheus = (dir: string) => {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'prometheus.yml'), 'global:\n  scrape_interval: 1h\nscrape_configs: []\n');
  return program('prometheus', PROMETHEUS, () => [
    `--config.file=${join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${join(dir, 'tsdb')}`, '--web.listen-address=127.0.0.1:{port}',
    '--web.enable-remote-write-receiver', '--log.level=error',
  ], '/-/ready');
};

const rwYaml = (entries: string[]) => `${SMALL_SITE_YAML}\nremote_write:\n${entries.map((e) => `  - ${e}`).join('\n')}\n`;

/** /metrics' value of a remote-write family for one store; -1 when absent. */
async function metric(fw: RunningServer, family: string, remote: string): Promise<number> {
  const text = await (await fetch(`${fw.url}/metrics`)).text();
  const m = new RegExp(`^floorwatch_remote_write_${family}\\{remote="${remote.replace(/[.]/g, '\\.')}"\\} (\\S+)$`, 'm').exec(text);
  return m === null ? -1 : Number(m[1]);
}

interface PromMatrix { data: { result: { metric: Record<string, string>; values: [number, string][] }[] } }

/** Raw samples of a series through the PromQL API: an instant query of a range selector returns them unevaluated. */
async function promqlRaw(base: string, selector: string, rangeS: number): Promise<{ metric: Record<string, string>; samples: [number, number][] }[]> {
  const q = new URLSearchParams({ query: `${selector}[${rangeS}s]`, time: String(Date.now() / 1000) });
  const res = await fetch(`${base}/api/v1/query?${q}`);
  expect(res.status).toBe(200);
  const body = (await res.json()) as PromMatrix;
  return body.data.result.map((r) => ({ metric: r.metric, samples: r.values.map(([t, v]) => [Math.round(t * 1000), Number(v)]) }));
}

/** VictoriaMetrics' raw export: every stored sample of the matching series, timestamps in ms. */
async function vmExport(base: string, selector: string, startMs: number): Promise<{ metric: Record<string, string>; samples: [number, number][] }[]> {
  const q = new URLSearchParams({ 'match[]': selector, start: String(startMs / 1000) });
  const text = await (await fetch(`${base}/api/v1/export?${q}`)).text();
  return text.split('\n').filter((l) => l !== '').map((l) => {
    const o = JSON.parse(l) as { metric: Record<string, string>; values: number[]; timestamps: number[] };
    return { metric: o.metric, samples: o.timestamps.map((t, i) => [t, o.values[i]] as [number, number]).sort((a, b) => a[0] - b[0]) };
  });
}

describe('remote write to a real VictoriaMetrics and a real Prometheus receiver', () => {
  const t = tempDir('floorwatch-rw-');
  const vm = victoria(join(t.dir, 'vm'));
  const prom = prometheus(join(t.dir, 'prom'));
  let fw: RunningServer;
  const vmWrite = () => `${vm.url}/api/v1/write`;
  const promWrite = () => `${prom.url}/api/v1/write`;
  // Known readings of one miner and one GPU, 10 s apart, ending a little before now (the stores take
  // samples in order per series; Prometheus refuses ones too far in the past).
  const base = Math.floor(Date.now() / 1000) * 1000 - 120_000;
  const pushed = Array.from({ length: 8 }, (_, i) => ({
    ts: base + i * 10_000 + 123, power_w: 3500 + i * 1.25, hashrate_ths: 200 + i * 0.5, chip_temp_c: 70.5 + i, util_pct: 40 + i * 3,
  }));

  beforeAll(async () => {
    await Promise.all([vm.start(), prom.start()]);
    fw = await startServer({
      model: smallSite(rwYaml([
        `{ name: vm, url: "${vmWrite()}", queue: { max_shards: 2, batch_send_deadline_s: 0.2 } }`,
        `{ name: prom, url: "${promWrite()}", queue: { max_shards: 2, batch_send_deadline_s: 0.2 } }`,
      ])),
      dbPath: join(t.dir, 'fw.db'), port: 0, host: '127.0.0.1', collectors: false, log: () => {},
    });
    await fw.restored;
  }, 60_000);
  afterAll(async () => {
    await fw?.close();
    await Promise.all([vm.stop(), prom.stop()]);
    t.cleanup();
  });

  it('writes the pushed readings to both stores: the same values at the same timestamps, with the device labels', async () => {
    for (const p of pushed) {
      const r = await post(`${fw.url}/api/v1/ingest`, {
        readings: [
          { device: 'M-01-02', ts: p.ts, metrics: { power_w: p.power_w, hashrate_ths: p.hashrate_ths, chip_temp_c: p.chip_temp_c } },
          { device: 'G-01-n1/gpu1', ts: p.ts, metrics: { util_pct: p.util_pct } },
        ],
      });
      expect(r.json).toEqual({ accepted: 2, rejected: [] });
    }
    for (const name of ['vm', 'prom']) {
      await until(`${name} has taken everything`, async () => (await metric(fw, 'samples_sent_total', name)) >= pushed.length * 4 && (await metric(fw, 'samples_pending', name)) === 0);
      expect(await metric(fw, 'samples_failed_total', name)).toBe(0);
      expect(await metric(fw, 'samples_dropped_total', name)).toBe(0);
      expect(await metric(fw, 'highest_sent_timestamp_seconds', name)).toBeGreaterThan(base / 1000);
    }

    // The remote-write families with their series, clean for promtool as the rest of /metrics.
    const text = await (await fetch(`${fw.url}/metrics`)).text();
    expect(text).toMatch(/^floorwatch_remote_write_samples_sent_total\{remote="vm"\} \d+$/m);
    expect(text).toMatch(/^floorwatch_remote_write_shards\{remote="prom"\} 2$/m);
    const lint = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
    expect(`${lint.stdout}${lint.stderr}`.trim()).toBe('');

    const labels = { __name__: 'floorwatch_device_power_watts', site: 'Test site', hall: 'M', rack: 'M-01', device: 'M-01-02', kind: 'asic', model: 'antminer-s21' };
    const expectSeries = {
      floorwatch_device_power_watts: pushed.map((p) => [p.ts, p.power_w]),
      floorwatch_device_hashrate_hashes_per_second: pushed.map((p) => [p.ts, p.hashrate_ths * 1e12]),
      floorwatch_device_chip_temperature_celsius: pushed.map((p) => [p.ts, p.chip_temp_c]),
    };
    const gpu = pushed.map((p) => [p.ts, p.util_pct / 100]);

    // VictoriaMetrics: its raw export, and the PromQL API.
    await until('VictoriaMetrics shows the samples', async () => (await vmExport(vm.url, '{device="M-01-02"}', base - 1000)).length === 3);
    for (const [name, want] of Object.entries(expectSeries)) {
      const got = await vmExport(vm.url, `${name}{device="M-01-02"}`, base - 1000);
      expect(got.length).toBe(1);
      expect(got[0].metric).toEqual({ ...labels, __name__: name });
      expect(got[0].samples).toEqual(want);
      const q = await promqlRaw(vm.url, `${name}{device="M-01-02"}`, 600);
      expect(q.map((r) => r.samples)).toEqual([want]);
    }
    expect((await promqlRaw(vm.url, 'floorwatch_device_utilization_ratio{device="G-01-n1/gpu1"}', 600))[0].samples).toEqual(gpu);

    // Prometheus: the PromQL API (its query API has no raw export).
    for (const [name, want] of Object.entries(expectSeries)) {
      const q = await promqlRaw(prom.url, `${name}{device="M-01-02"}`, 600);
      expect(q.length).toBe(1);
      expect(q[0].metric).toEqual({ ...labels, __name__: name });
      expect(q[0].samples).toEqual(want);
    }
    const g = await promqlRaw(prom.url, 'floorwatch_device_utilization_ratio{device="G-01-n1/gpu1"}', 600);
    expect(g[0].metric).toEqual({ __name__: 'floorwatch_device_utilization_ratio', site: 'Test site', hall: 'G', rack: 'G-01', device: 'G-01-n1/gpu1', kind: 'gpu', model: 'h100-sxm' });
    expect(g[0].samples).toEqual(gpu);
  }, 60_000);

  it("writes each tick's site, hall and rack figures under /metrics' own names, with the site label", async () => {
    const text = await (await fetch(`${fw.url}/metrics`)).text();
    for (const name of [...FIGURE_SERIES.map((s) => s.name), RACK_DEVICES]) expect(text).toContain(`# TYPE ${name} gauge`);
    await until('rack figures in both stores', async () => {
      const a = await promqlRaw(prom.url, 'floorwatch_rack_rated_power_watts{rack="M-01"}', 600);
      const b = await promqlRaw(vm.url, 'floorwatch_rack_rated_power_watts{rack="M-01"}', 600);
      return a.length === 1 && b.length === 1;
    });
    const r = await promqlRaw(prom.url, 'floorwatch_rack_rated_power_watts{rack="M-01"}', 600);
    expect(r[0].metric).toEqual({ __name__: 'floorwatch_rack_rated_power_watts', site: 'Test site', hall: 'M', rack: 'M-01' });
    expect(r[0].samples.every(([, v]) => v === 12_000)).toBe(true);
    const d = await promqlRaw(vm.url, 'floorwatch_rack_devices{rack="M-01",state="up"}', 600);
    expect(d[0].metric).toEqual({ __name__: 'floorwatch_rack_devices', site: 'Test site', hall: 'M', rack: 'M-01', state: 'up' });
  }, 30_000);
});

describe('remote write through a store outage', () => {
  const t = tempDir('floorwatch-rw-outage-');
  const vm = victoria(join(t.dir, 'vm'));
  let fw: RunningServer;
  const CAPACITY = 40;
  const PER_SEND = 10;
  let ts = Math.floor(Date.now() / 1000) * 1000 - 3_600_000;
  const push = async (n: number): Promise<number[]> => {
    const out: number[] = [];
    for (let i = 0; i < n; i += 50) {
      const readings = Array.from({ length: Math.min(50, n - i) }, () => {
        ts += 1000;
        out.push(ts);
        return { device: 'M-01-01', ts, metrics: { power_w: ts % 100_000 } };
      });
      const r = await post(`${fw.url}/api/v1/ingest`, { readings });
      expect(r.status).toBe(200);
    }
    return out;
  };
  const stored = async (): Promise<number[]> => (await vmExport(vm.url, 'floorwatch_device_power_watts{device="M-01-01"}', 0))[0]?.samples.map(([t]) => t) ?? [];

  beforeAll(async () => {
    await vm.start();
    fw = await startServer({
      // Only the one device series, so the ticks' figures do not share the queue with it here.
      model: smallSite(rwYaml([`{ name: vm, url: "${vm.url}/api/v1/write", timeout_s: 2, queue: { capacity: ${CAPACITY}, max_shards: 1, max_samples_per_send: ${PER_SEND}, batch_send_deadline_s: 0.1, max_backoff_s: 0.5 }, write_relabel: { include_metrics: [floorwatch_device_power_watts] } }`])),
      dbPath: join(t.dir, 'fw.db'), port: 0, host: '127.0.0.1', collectors: false, log: () => {},
    });
    await fw.restored;
  }, 60_000);
  afterAll(async () => {
    await fw?.close();
    await vm.stop();
    t.cleanup();
  });

  it('loses nothing within the queue capacity, and counts what went beyond it as dropped', async () => {
    const first = await push(5);
    await until('first samples stored', async () => (await stored()).length === 5);

    // Within capacity: the store down, 35 samples (the batch being retried plus a queue under 40).
    await vm.stop();
    const within = await push(35);
    await until('retrying', async () => (await metric(fw, 'samples_retried_total', 'vm')) > 0);
    const ready = await fetch(`${fw.url}/readyz`);
    expect(ready.status).toBe(200); // a store outage never takes Floorwatch out of service
    await vm.start();
    await until('within-capacity samples stored', async () => (await stored()).length === 40);
    expect(await stored()).toEqual([...first, ...within]);
    expect(await metric(fw, 'samples_dropped_total', 'vm')).toBe(0);

    // Beyond: 150 samples while down; the shard keeps its batch in flight and the newest 40.
    await vm.stop();
    const beyond = await push(150);
    await until('queue full', async () => (await metric(fw, 'samples_pending', 'vm')) === CAPACITY + PER_SEND);
    const dropped = await metric(fw, 'samples_dropped_total', 'vm');
    expect(dropped).toBeGreaterThanOrEqual(150 - CAPACITY - PER_SEND);
    await vm.start();
    await until('queue drained', async () => (await metric(fw, 'samples_pending', 'vm')) === 0);
    await until('stored', async () => (await stored()).length === 40 + 150 - dropped);
    const got = (await stored()).slice(40);
    // What arrived: at most one batch taken before the drops, then exactly the newest `capacity`.
    expect(got.slice(-CAPACITY)).toEqual(beyond.slice(-CAPACITY));
    expect(got.length).toBe(150 - dropped);
    expect(new Set(got).size).toBe(got.length);
    expect(await metric(fw, 'samples_sent_total', 'vm')).toBe(40 + 150 - dropped);
  }, 120_000);
});

describe('remote write against a receiver that refuses and throttles', () => {
  const t = tempDir('floorwatch-rw-codes-');
  let receiver: Server;
  let fw: RunningServer;
  const script: { status: number; headers?: Record<string, string> }[] = [];
  const got: { at: number; req: WriteRequest; status: number }[] = [];

  beforeAll(async () => {
    receiver = createServer((req: IncomingMessage, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const a = script.shift() ?? { status: 204 };
        got.push({ at: Date.now(), req: decodeWriteRequest(Buffer.concat(chunks)), status: a.status });
        res.writeHead(a.status, a.headers ?? {});
        res.end(a.status === 204 ? '' : 'no');
      });
    });
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', () => r()));
    const url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/api/v1/write`;
    fw = await startServer({
      model: smallSite(rwYaml([`{ name: fake, url: "${url}", queue: { max_shards: 1, max_samples_per_send: 2, batch_send_deadline_s: 0.05, min_backoff_s: 0.05 }, write_relabel: { include_metrics: [floorwatch_device_power_watts] } }`])),
      dbPath: join(t.dir, 'fw.db'), port: 0, host: '127.0.0.1', collectors: false, log: () => {},
    });
    await fw.restored;
  }, 30_000);
  afterAll(async () => {
    await fw?.close();
    await new Promise<void>((r) => receiver.close(() => r()));
    t.cleanup();
  });

  const tsOf = (r: WriteRequest) => r.timeseries.flatMap((s) => s.samples.map((x) => x.timestamp));
  const pushPair = async (t0: number) => {
    const r = await post(`${fw.url}/api/v1/ingest`, { readings: [{ device: 'M-01-03', ts: t0, metrics: { power_w: 1 } }, { device: 'M-01-03', ts: t0 + 1, metrics: { power_w: 2 } }] });
    expect(r.status).toBe(200);
  };

  it('a 400 is counted as failed and not retried', async () => {
    script.push({ status: 400 });
    const t0 = Date.now() - 60_000;
    await pushPair(t0);
    await until('refused', async () => (await metric(fw, 'samples_failed_total', 'fake')) === 2);
    await pushPair(t0 + 10);
    await until('next sent', async () => (await metric(fw, 'samples_sent_total', 'fake')) === 2);
    expect(got.map((g) => [g.status, tsOf(g.req)])).toEqual([[400, [t0, t0 + 1]], [204, [t0 + 10, t0 + 11]]]);
    expect(await metric(fw, 'samples_retried_total', 'fake')).toBe(0);
  }, 20_000);

  it("a 429 is retried after its Retry-After, and ingest goes on meanwhile", async () => {
    got.length = 0;
    script.push({ status: 429, headers: { 'retry-after': '2' } });
    const t0 = Date.now() - 30_000;
    await pushPair(t0);
    await until('throttled', async () => got.length === 1);
    // The push path does not wait on the store: a push during the wait is answered at once.
    const s = performance.now();
    await pushPair(t0 + 10);
    expect(performance.now() - s).toBeLessThan(1000);
    await until('resent', async () => got.length >= 2, 10_000);
    expect(got[1].at - got[0].at).toBeGreaterThanOrEqual(1990);
    expect(tsOf(got[1].req)).toEqual([t0, t0 + 1]);
    expect(await metric(fw, 'samples_retried_total', 'fake')).toBe(2);
    await until('all sent', async () => (await metric(fw, 'samples_sent_total', 'fake')) === 6);
  }, 20_000);
});
