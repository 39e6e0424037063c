// Pools and probes end to end (issue 19). Probes: real TCP listeners on loopback, polled through the
// scheduler: one that accepts (loss 0, a latency), a closed port (refused: loss 100, no latency), and a
// non-routable address (RFC 6666 discard prefix) whose connects end by the probe's own timeout (bounded: the test checks
// the poll ends within it, whatever the sandbox's network does with the SYN). Then the real server with
// `pools:` and `probes:` in its config: miners push pool lists through the one path in, and the device
// API, the pool figures, PoolDead, MinerWrongPool and /metrics (promtool clean) say what they should.
import net from 'node:net';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { PROBE_CONNECTS } from '../../server/collectors/probe.js';
import { startScheduler } from '../../server/collectors/scheduler.js';
import type { CollectorSink } from '../../server/collectors/types.js';
import type { DeviceModel, PoolEntry, Reading } from '../../server/core/types.js';
import { startServer } from '../../server/server.js';
import { collectorSettings } from '../helpers/collectors.js';
import { freePort } from '../helpers/net.js';
import { post, smallSite, SMALL_SITE_YAML, tempDir } from '../helpers/site.js';

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(closers.splice(0).map((c) => c()));
});

async function listener(): Promise<{ port: number; accepted: () => number }> {
  let n = 0;
  const sockets = new Set<net.Socket>();
  const server = net.createServer((s) => {
    n++;
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  closers.push(() => new Promise<void>((r) => {
    for (const s of sockets) s.destroy();
    server.close(() => r());
  }));
  return { port: (server.address() as net.AddressInfo).port, accepted: () => n };
}

async function pollProbes(devices: DeviceModel[], timeout_ms: number): Promise<{ readings: Reading[]; errors: string[]; ms: number }> {
  const readings: Reading[] = [];
  const errors: string[] = [];
  const sink: CollectorSink = { accept: (r) => readings.push(...r), deviceError: (_d, reason) => errors.push(reason) };
  const t0 = Date.now();
  const sched = startScheduler({ devices, catalogue: new Map(), sink, settings: collectorSettings({ interval_s: 0.2, timeout_ms, concurrency: 4 }) });
  while (readings.length < devices.length && errors.length === 0 && Date.now() - t0 < 5000) await new Promise((r) => setTimeout(r, 10));
  const ms = Date.now() - t0;
  await sched.stop();
  return { readings, errors, ms };
}

describe('TCP connect probes through the scheduler', () => {
  it('an accepting listener: every connect counted, loss 0 %, a latency in ms', async () => {
    const l = await listener();
    const { readings, errors } = await pollProbes([{ id: 'probe:ok', kind: 'probe', probe: `127.0.0.1:${l.port}`, collector: 'probe' }], 2000);
    expect(errors).toEqual([]);
    const r = readings.find((x) => x.device === 'probe:ok')!;
    expect(r.metrics.loss_pct).toBe(0);
    expect(r.metrics.latency_ms).toBeGreaterThan(0);
    expect(r.metrics.latency_ms).toBeLessThan(400); // loopback: far under the 400 ms each connect may take
    await new Promise((res) => setTimeout(res, 50));
    expect(l.accepted()).toBeGreaterThanOrEqual(PROBE_CONNECTS);
  });

  it('a closed port: refused, loss 100 %, latency unknown (null, never 0), and the poll does not fail', async () => {
    const port = await freePort();
    const { readings, errors } = await pollProbes([{ id: 'probe:closed', kind: 'probe', probe: `127.0.0.1:${port}`, collector: 'probe' }], 2000);
    expect(errors).toEqual([]);
    expect(readings[0].metrics).toEqual({ latency_ms: null, loss_pct: 100 });
  });

  it('a non-routable address: every connect ends by the timeout, the poll within its bound', async () => {
    // 100::/64 is the discard-only prefix (RFC 6666): no route, or a black hole, never an answer. (An unused
    // private IPv4 address is no good here: this sandbox's network answers every IPv4 connect itself.)
    const { readings, errors, ms } = await pollProbes([{ id: 'probe:void', kind: 'probe', probe: '[100::1]:3333', collector: 'probe' }], 500);
    expect(errors).toEqual([]);
    expect(readings[0].metrics).toEqual({ latency_ms: null, loss_pct: 100 });
    // first poll within one 0.2 s interval, then 5 connects of 100 ms each at most, with slack for a loaded box
    expect(ms).toBeLessThan(200 + 500 + 800);
  });
});

const POOLS_YAML = `${SMALL_SITE_YAML}
pools:
  - { name: main, url: "stratum+tcp://btc.pool.example:3333", user: acme }
  - { name: backup, url: "stratum+tcp://backup.pool.example:443", user: acme }
probes:
  - { name: gw, target: "127.0.0.1:9" }
`;

const entry = (url: string, user: string, state: PoolEntry['state'], active: boolean, priority: number): PoolEntry => ({ url, user, state, active, priority });
const MAIN = 'stratum+tcp://btc.pool.example:3333';
const BACKUP = 'stratum+tcp://backup.pool.example:443';

describe('pools through the server', () => {
  it('one PoolDead for a pool every miner reports dead, MinerWrongPool for the stray miner, and /metrics per pool', async () => {
    const t = tempDir();
    const model = smallSite(POOLS_YAML);
    const s = await startServer({ model, dbPath: join(t.dir, 'fw.db'), port: 0, host: '127.0.0.1', tickMs: 100, log: () => {}, collectors: false });
    closers.push(async () => {
      await s.close();
      t.cleanup();
    });
    const miner = (device: string, pools: PoolEntry[]) => ({
      device, metrics: { hashrate_ths: 190, power_w: 3500, pool_rejected_pct: 0.2, pool_stale_pct: 0, last_share_age_s: 4 }, pools,
    });
    // M-01-01 and -02 failed over: main dead, backup active. M-01-03 mines on a pool no config names.
    const failed = [entry(MAIN, 'acme.m1', 'dead', false, 0), entry(BACKUP, 'acme.m1', 'alive', true, 1)];
    const res = await post(`${s.url}/api/v1/ingest`, {
      readings: [
        miner('M-01-01', failed), miner('M-01-02', failed),
        miner('M-01-03', [entry('stratum+tcp://stray.example:3333', 'someone.else', 'alive', true, 0)]),
        { device: 'pool:main', metrics: { latency_ms: 31.5, loss_pct: 20 } },
        { device: 'pool:backup', metrics: { latency_ms: 12.25, loss_pct: 0 } },
        { device: 'probe:gw', metrics: { latency_ms: null, loss_pct: 100 } },
      ],
    });
    expect(res.status).toBe(200);
    expect(res.json).toEqual({ accepted: 6, rejected: [] });
    s.hub.tick();

    const dev = (await (await fetch(`${s.url}/api/v1/devices/M-01-01`)).json()) as { pools: PoolEntry[]; metrics: Record<string, number> };
    expect(dev.pools).toEqual(failed);
    expect(dev.metrics.pool_rejected_pct).toBe(0.2);

    const pools = s.hub.figures().pools!;
    expect(pools.map((p) => [p.id, p.miners, p.reporting_alive, p.reporting_dead, p.up, p.down_reason, p.probe_latency_ms, p.probe_loss_pct])).toEqual([
      ['main', 0, 0, 2, false, 'dead on 2 of 2 miners', 31.5, 20],
      ['backup', 2, 2, 0, true, null, 12.25, 0],
      ['stray.example:3333', 1, 1, 0, true, null, null, null],
    ]);

    // Alerts need their `for` (1 min, 5 min): evaluate the engine a little later on the same figures.
    const input = s.hub.input();
    s.alerts.evaluate(s.hub.figures(), { ...input, now: input.now + 6 * 60_000, stale_after_ms: 10 * 60_000 });
    s.alerts.evaluate(s.hub.figures(), { ...input, now: input.now + 12 * 60_000, stale_after_ms: 20 * 60_000 });
    const firing = s.alerts.active().filter((a) => a.state === 'firing').map((a) => [a.alertname, a.scope, a.summary]);
    expect(firing).toContainEqual(['PoolDead', 'pool:main', 'pool main is down (dead on 2 of 2 miners)']);
    expect(firing).toContainEqual(['MinerWrongPool', 'device:M-01-03', 'M-01-03 mines on a pool the site does not expect: stratum+tcp://stray.example:3333 as someone.else']);
    // One alert for the pool; the miners that failed over are not at fault.
    expect(firing.filter((f) => f[0] === 'PoolDead')).toHaveLength(1);
    expect(firing.filter((f) => f[0] === 'MinerWrongPool')).toHaveLength(1);
    // The hand-listed gateway probe that reaches nothing has its own alert; the pools' probes do not.
    expect(firing.filter((f) => f[0] === 'ProbeUnreachable')).toEqual([['ProbeUnreachable', 'device:probe:gw', 'probe probe:gw: every TCP connect failed (100 % loss)']]);

    const text = await (await fetch(`${s.url}/metrics`)).text();
    expect(text).toMatch(/^floorwatch_pool_up\{pool="main"\} 0$/m);
    expect(text).toMatch(/^floorwatch_pool_up\{pool="backup"\} 1$/m);
    expect(text).toMatch(/^floorwatch_pool_miners\{pool="backup"\} 2$/m);
    expect(text).toMatch(/^floorwatch_pool_miners\{pool="main"\} 0$/m);
    expect(text).toMatch(/^floorwatch_probe_latency_seconds\{target="pool:main"\} 0\.0315$/m);
    expect(text).toMatch(/^floorwatch_probe_loss_ratio\{target="pool:main"\} 0\.2$/m);
    // a probe whose every connect failed has a loss and no latency: no latency series, never 0
    expect(text).toMatch(/^floorwatch_probe_loss_ratio\{target="probe:gw"\} 1$/m);
    expect(text).not.toMatch(/^floorwatch_probe_latency_seconds\{target="probe:gw"\}/m);
    const r = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
    expect(r.error, 'promtool (Debian package prometheus) must be installed').toBeUndefined();
    expect(`${r.stdout}${r.stderr}`.trim()).toBe('');
    expect(r.status).toBe(0);
  });

  it('a bad pool list is rejected by its path and the metrics beside it are kept', async () => {
    const t = tempDir();
    const s = await startServer({ model: smallSite(POOLS_YAML), dbPath: join(t.dir, 'fw.db'), port: 0, host: '127.0.0.1', log: () => {}, collectors: false });
    closers.push(async () => {
      await s.close();
      t.cleanup();
    });
    const res = await post(`${s.url}/api/v1/ingest`, {
      readings: [
        { device: 'M-01-01', metrics: { hashrate_ths: 190 }, pools: [{ url: 'stratum+tcp://a:1\u0007', user: 'x', state: 'alive', active: true, priority: 0 }] },
        { device: 'M-01-02', metrics: { hashrate_ths: 191 }, pools: [{ url: `stratum+tcp://${'a'.repeat(300)}:1`, user: 'x', state: 'alive', active: true, priority: 0 }] },
        { device: 'M-01-03', metrics: { hashrate_ths: 192 }, pools: [{ url: 'stratum+tcp://a:1', user: 'x', state: 'sleepy', active: true, priority: 0 }] },
        { device: 'M-01-env', metrics: { inlet_temp_c: 22 }, pools: [] },
      ],
    });
    expect(res.status).toBe(200);
    expect(res.json).toEqual({
      accepted: 4,
      rejected: [
        { index: 0, field: 'readings[0].pools[0].url', error: 'readings[0].pools[0].url: contains a control character' },
        { index: 1, field: 'readings[1].pools[0].url', error: 'readings[1].pools[0].url: longer than 256 characters' },
        { index: 2, field: 'readings[2].pools[0].state', error: 'readings[2].pools[0].state: expected one of alive, dead, disabled' },
        { index: 3, field: 'readings[3].pools', error: 'readings[3].pools: not a field of a env device' },
      ],
    });
    const dev = (await (await fetch(`${s.url}/api/v1/devices/M-01-01`)).json()) as { pools?: unknown; metrics: Record<string, number> };
    expect(dev.metrics.hashrate_ths).toBe(190);
    expect(dev.pools).toBeUndefined();
  });
});
