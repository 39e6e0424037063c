import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { startServer, type RunningServer } from '../../server/server.js';
import { countSamples } from '../../server/store/samples.js';
import type { DeviceStatus } from '../../server/core/types.js';
import { post, smallSite, tempDir } from '../helpers/site.js';

describe('POST /api/v1/ingest', () => {
  const t = tempDir();
  let s: RunningServer;
  let url: string;

  beforeAll(async () => {
    s = await startServer({ model: smallSite(), dbPath: join(t.dir, 'fw.db'), port: 0, host: '127.0.0.1', log: () => {} });
    url = `${s.url}/api/v1/ingest`;
  });
  afterAll(async () => {
    await s.close();
    t.cleanup();
  });

  it('401 without a valid token, naming the header', async () => {
    const none = await post(url, { readings: [] }, { token: null });
    expect(none.status).toBe(401);
    expect(none.json.error).toMatch(/Authorization/);
    expect((await post(url, { readings: [] }, { token: 'test-tokeN' })).status).toBe(401);
  });

  it('415 for a body that is not JSON', async () => {
    const r = await post(url, null, { contentType: 'text/plain', raw: 'power_w=3' });
    expect(r.status).toBe(415);
    expect(r.json.error).toMatch(/Content-Type/);
  });

  it('400 naming the path for a body that is not the shape', async () => {
    const bad = await post(url, null, { raw: '{"readings": [' });
    expect(bad.status).toBe(400);
    expect(bad.json.error).toMatch(/^body: not valid JSON/);
    const notArray = await post(url, { readings: { device: 'M-01-01' } });
    expect(notArray.status).toBe(400);
    expect(notArray.json.error).toBe('readings: expected an array');
    const arr = await post(url, [1, 2]);
    expect(arr.status).toBe(400);
    expect(arr.json.error).toMatch(/^body: expected an object/);
  });

  it('413 over the size limit', async () => {
    const huge = 'x'.repeat(17 * 1024 * 1024);
    const r = await post(url, null, { raw: `{"readings":[],"pad":"${huge}"}` });
    expect(r.status).toBe(413);
    expect(r.json.error).toMatch(/body: larger than the limit/);
  });

  it('a mixed batch stores the good readings, reports the bad by index and path', async () => {
    const ts = Date.now() - 1000;
    const before = countSamples(s.db);
    const r = await post(url, {
      readings: [
        { device: 'M-01-01', ts, metrics: { hashrate_ths: 201.5, power_w: 3510 } },
        { device: 'NO-SUCH', ts, metrics: { power_w: 1 } },
        { device: 'M-01-02', ts: new Date(ts).toISOString(), metrics: { hashrate_ths: 'fast', power_w: 3400 } },
        { device: 'G-01-n1/gpu1', ts, metrics: { util_pct: 87, mem_temp_c: null } },
        { device: 'M-01-pdu', ts, metrics: { power_w: -5 } },
      ],
    });
    expect(r.status).toBe(200);
    expect(r.json.accepted).toBe(3);
    expect(r.json.rejected).toEqual([
      { index: 1, field: 'readings[1].device', error: 'readings[1].device: unknown device "NO-SUCH"' },
      { index: 2, field: 'readings[2].metrics.hashrate_ths', error: 'readings[2].metrics.hashrate_ths: expected a number or null' },
      { index: 4, field: 'readings[4].metrics.power_w', error: 'readings[4].metrics.power_w: -5 is outside the plausible range 0..500000000' },
    ]);
    const after = countSamples(s.db);
    expect(after.asic - before.asic).toBe(2);
    expect(after.gpu - before.gpu).toBe(1);
    expect(after.pdu - before.pdu).toBe(0);
    // Stored as sent; the unknown (null) GPU memory temperature stays NULL, not 0.
    const gpuRow = s.db.prepare('SELECT util_pct, mem_temp_c FROM samples_gpu g JOIN devices d ON d.id = g.device WHERE d.name = ? AND ts = ?').get('G-01-n1/gpu1', ts);
    expect(gpuRow).toEqual({ util_pct: 87, mem_temp_c: null });
    const m2 = s.db.prepare('SELECT hashrate_ths, power_w FROM samples_asic a JOIN devices d ON d.id = a.device WHERE d.name = ?').get('M-01-02');
    expect(m2).toEqual({ hashrate_ths: null, power_w: 3400 });
    // Live state has them at once (applied after commit), and the device API shows it.
    const dev = (await (await fetch(`${s.url}/api/v1/devices/${encodeURIComponent('G-01-n1/gpu1')}`)).json()) as DeviceStatus;
    expect(dev.metrics.util_pct).toBe(87);
  });

  it('a duplicate reading (same device and ts) is stored once', async () => {
    const ts = Date.now() - 500;
    const body = { readings: [{ device: 'M-01-03', ts, metrics: { power_w: 3300 } }] };
    await post(url, body);
    await post(url, body);
    const n = s.db.prepare('SELECT count(*) AS n FROM samples_asic a JOIN devices d ON d.id = a.device WHERE d.name = ?').get('M-01-03') as { n: number };
    expect(n.n).toBe(1);
  });

  it('counts samples and rejections in /metrics', async () => {
    const text = await (await fetch(`${s.url}/metrics`)).text();
    expect(text).toMatch(/^floorwatch_ingest_samples_total [1-9]\d*$/m);
    expect(text).toMatch(/^floorwatch_ingest_rejected_total\{reason="unknown_device"\} 1$/m);
    expect(text).toMatch(/^floorwatch_ingest_rejected_total\{reason="out_of_range"\} 1$/m);
  });
});
