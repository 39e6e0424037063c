import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { startServer, type RunningServer } from '../../server/server.js';
import { startEmulatedMiners, type EmulatedMiners } from '../../server/emulate/miners.js';
import { startEmulatedDcgm, type EmulatedDcgm } from '../../server/emulate/dcgm.js';
import type { DeviceStatus } from '../../server/core/types.js';
import { smallSite, tempDir } from '../helpers/site.js';
import { freePort } from '../helpers/net.js';

// The server polls real protocols end to end: three emulated S21s over the cgminer API (one of them on a
// port where nothing listens) and a dcgm-exporter for a 2-GPU node; readings go through the one path in.
describe('collectors inside the server', () => {
  const t = tempDir();
  let s: RunningServer;
  let miners: EmulatedMiners;
  let dcgm: EmulatedDcgm;

  beforeAll(async () => {
    miners = await startEmulatedMiners({ count: 2, basePort: 0, model: { nominal_ths: 200, nominal_power_w: 3500 } });
    dcgm = await startEmulatedDcgm({ port: 0, gpus: 2, hostname: 'G-01-n1' });
    const dead = await freePort();
    const yaml = `
site: { name: Polled }
halls:
  - id: M
    racks:
      - id: M-01
        row: 1
        col: 1
        rated_kw: 12
        devices:
          - { id: M-01-01, kind: asic, model: antminer-s21, address: "127.0.0.1:${miners.ports[0]}" }
          - { id: M-01-02, kind: asic, model: antminer-s21, address: "127.0.0.1:${miners.ports[1]}" }
          - { id: M-01-03, kind: asic, model: antminer-s21, address: "127.0.0.1:${dead}" }
  - id: G
    racks:
      - id: G-01
        row: 1
        col: 1
        rated_kw: 5
        devices:
          - { id: G-01-n1, kind: gpu_node, model: h100-sxm, gpus: 2, exporter: "${dcgm.url}" }
collectors:
  cgminer: { interval_s: 1, timeout_ms: 500, concurrency: 8 }
  dcgm: { interval_s: 1, timeout_ms: 500, concurrency: 2 }
auth: { ingest_tokens: [{ name: t, token: t }] }
`;
    s = await startServer({ model: smallSite(yaml), dbPath: join(t.dir, 'fw.db'), port: 0, host: '127.0.0.1', tickMs: 200, log: () => {} });
  });
  afterAll(async () => {
    await s?.close();
    await miners?.stop();
    await dcgm?.stop();
    t.cleanup();
  });

  const device = async (id: string) => (await (await fetch(`${s.url}/api/v1/devices/${encodeURIComponent(id)}`)).json()) as DeviceStatus;

  it('miners and GPUs come up with their readings; the refused miner is down with its reason', async () => {
    const end = Date.now() + 8000;
    let m1: DeviceStatus, g0: DeviceStatus, dead: DeviceStatus;
    for (;;) {
      [m1, g0, dead] = await Promise.all([device('M-01-01'), device('G-01-n1/gpu0'), device('M-01-03')]);
      if ((m1.last_seen !== null && g0.last_seen !== null && dead.reason === 'refused') || Date.now() > end) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(m1.health).toBe('up');
    // Emulated S21 near its nominal 200 TH/s; power from the firmware or estimated from the model.
    expect(m1.metrics.hashrate_ths).toBeGreaterThan(150);
    expect(m1.metrics.hashrate_ths).toBeLessThan(230);
    expect(m1.metrics.power_w).toBeGreaterThan(2500);
    expect(g0.health === 'up' || g0.health === 'degraded').toBe(true);
    expect(g0.metrics.mem_total_mib).toBeGreaterThan(80_000);
    expect(dead).toMatchObject({ health: 'down', reason: 'refused' });

    const metrics = await (await fetch(`${s.url}/metrics`)).text();
    expect(metrics).toMatch(/^floorwatch_collector_poll_duration_seconds_count\{collector="cgminer"\} [1-9]/m);
    expect(metrics).toMatch(/^floorwatch_collector_poll_failures_total\{collector="cgminer",reason="refused"\} [1-9]/m);
    // Both live miners polled (jittered starts within the interval), figures recomputed on the next tick.
    type Rack = { figures: { health: { up: number; down: number } } };
    let rack: Rack;
    for (;;) {
      rack = (await (await fetch(`${s.url}/api/v1/racks/M-01`)).json()) as Rack;
      if (rack.figures.health.up === 2 || Date.now() > end + 4000) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(rack.figures.health).toMatchObject({ up: 2, down: 1 });
  });
});
