import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { startServer, type RunningServer } from '../../server/server.js';
import { post, smallSite, tempDir } from '../helpers/site.js';

describe('GET /metrics', () => {
  const t = tempDir();
  let s: RunningServer;

  beforeAll(async () => {
    s = await startServer({ model: smallSite(), dbPath: join(t.dir, 'fw.db'), port: 0, host: '127.0.0.1', tickMs: 100, log: () => {} });
    await post(`${s.url}/api/v1/ingest`, {
      readings: [
        { device: 'M-01-01', metrics: { hashrate_ths: 200, power_w: 3500 } },
        { device: 'M-01-02', metrics: { hashrate_ths: 100, power_w: 3000 } },
        { device: 'M-01-env', metrics: { inlet_temp_c: 24.5, outlet_temp_c: 38 } },
        { device: 'G-01-n1/gpu0', metrics: { util_pct: 50, power_w: 500 } },
        { device: 'FAC', metrics: { power_w: 8700 } },
      ],
    });
    s.hub.tick();
  });
  afterAll(async () => {
    await s.close();
    t.cleanup();
  });

  it('exposes the contract names in base units', async () => {
    const text = await (await fetch(`${s.url}/metrics`)).text();
    // IT = 3500 + 3000 (sum of M-01's devices, no PDU reading) + 500 (G-01) = 7000 W. PUE 8700 / 7000 = 1.242857…
    // would pair the meter with racks missing M-01-03 and gpu1, which never reported: no sample (issue 11
    // case 12; faults-partial.test.ts checks the sample of a complete site).
    expect(text).toMatch(/^floorwatch_site_it_power_watts 7000$/m);
    expect(text).toMatch(/^floorwatch_site_facility_power_watts 8700$/m);
    expect(text).toMatch(/^# TYPE floorwatch_site_pue gauge$/m);
    expect(text).not.toMatch(/^floorwatch_site_pue /m);
    expect(text).toMatch(/^floorwatch_rack_power_watts\{hall="M",rack="M-01"\} 6500$/m);
    expect(text).toMatch(/^floorwatch_rack_inlet_temperature_celsius\{hall="M",rack="M-01"\} 24\.5$/m);
    // 300 TH/s = 3e14 H/s
    expect(text).toMatch(/^floorwatch_rack_hashrate_hashes_per_second\{hall="M",rack="M-01"\} 300000000000000$/m);
    expect(text).toMatch(/^floorwatch_gpu_utilization_ratio\{hall="G",rack="G-01",device="G-01-n1\/gpu0"\} 0\.5$/m);
    expect(text).toMatch(/^floorwatch_device_up\{hall="G",rack="G-01",device="G-01-n1\/gpu0",kind="gpu"\} 1$/m);
    expect(text).toMatch(/^floorwatch_device_up\{hall="G",rack="G-01",device="G-01-n1\/gpu1",kind="gpu"\} 0$/m);
    // Miners are per-device only when opted in: bounded cardinality by default.
    expect(text).not.toMatch(/floorwatch_device_up\{[^}]*kind="asic"/);
    expect(text).toMatch(/^# TYPE floorwatch_collector_poll_duration_seconds histogram$/m);
    expect(text).toMatch(/^# TYPE floorwatch_alerts_firing gauge$/m);
  });

  it('an unknown site figure is no sample, never 0', async () => {
    // The small site has a site meter; a fresh server with nothing pushed knows neither power nor PUE.
    const t2 = tempDir();
    const empty = await startServer({ model: smallSite(), dbPath: join(t2.dir, 'fw.db'), port: 0, host: '127.0.0.1', log: () => {} });
    try {
      const text = await (await fetch(`${empty.url}/metrics`)).text();
      expect(text).toMatch(/^# TYPE floorwatch_site_pue gauge$/m);
      expect(text).not.toMatch(/^floorwatch_site_pue /m);
      expect(text).not.toMatch(/^floorwatch_site_facility_power_watts /m);
      expect(text).not.toMatch(/^floorwatch_site_hashrate_hashes_per_second /m);
      const r = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
      expect(`${r.stdout}${r.stderr}`.trim()).toBe('');
    } finally {
      await empty.close();
      t2.cleanup();
    }
  });

  it('passes promtool check metrics', async () => {
    const text = await (await fetch(`${s.url}/metrics`)).text();
    const r = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
    expect(r.error, 'promtool (Debian package prometheus) must be installed').toBeUndefined();
    // promtool prints lint problems on stdout/stderr and exits 1 (3 for lint-only findings).
    expect(`${r.stdout}${r.stderr}`.trim()).toBe('');
    expect(r.status).toBe(0);
  });
});
