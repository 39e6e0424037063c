// Every dcgm-exporter capture in ../shared/fixtures/gpu served by a real HTTP server on loopback and scraped
// through the scheduler (devices with collector 'dcgm' and an exporter URL), normalised values worked by hand
// from the files. The README excerpt is served without its `...` elision lines: a real exporter never
// prints them (the parser's tolerance of them is a unit test).
import http from 'node:http';
import type net from 'node:net';
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { startScheduler } from '../../server/collectors/scheduler.js';
import type { DeviceModel, Reading } from '../../server/core/types.js';
import { collectorSettings } from '../helpers/collectors.js';

const fx = (name: string): string => readFileSync(`/work/shared/fixtures/gpu/${name}`, 'utf8');

let closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(closers.map((c) => c()));
  closers = [];
});

async function serve(text: string): Promise<string> {
  const server = http.createServer((req, res) => {
    if (req.url !== '/metrics') return void res.writeHead(404).end();
    res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' }).end(text);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  closers.push(() => new Promise<void>((r) => {
    server.closeAllConnections();
    server.close(() => r());
  }));
  return `http://127.0.0.1:${(server.address() as net.AddressInfo).port}/metrics`;
}

const gpus = (node: string, exporter: string, n: number): DeviceModel[] =>
  Array.from({ length: n }, (_, i) => ({ id: `${node}/gpu${i}`, kind: 'gpu', node, gpu_index: i, exporter, collector: 'dcgm' }));

describe('dcgm-exporter captures scraped over HTTP through the scheduler', () => {
  it('normalises every capture to the hand-worked values', async () => {
    const l40s = await serve(fx('dcgm-exporter_L40S_default-counters_drv595.58.03.prom'));
    const h100 = await serve(fx('dcgm-exporter_8xH100-80GB-HBM3_k8s-pod-labels_sampled_drv580.105.08.prom'));
    const a100 = await serve(fx('dcgm-exporter_A100-MIG-1g.5gb_nvidia-docs.prom'));
    const readme = await serve(fx('dcgm-exporter_README-quickstart_excerpt_blank-sentinel.prom')
      .split('\n').filter((l) => !l.startsWith('...')).join('\n'));
    const devices = [...gpus('l40s', l40s, 1), ...gpus('h100', h100, 8), ...gpus('a100', a100, 1), ...gpus('readme', readme, 1)];

    const latest = new Map<string, Reading>();
    const errors: string[] = [];
    const s = { interval_s: 0.2, timeout_ms: 1000, concurrency: 4 };
    const sched = startScheduler({
      devices, catalogue: new Map(), settings: collectorSettings(s),
      sink: { accept: (rs) => rs.forEach((r) => latest.set(r.device, r)), deviceError: (d, reason) => errors.push(`${d}: ${reason}`) },
    });
    const end = Date.now() + 3000;
    while (latest.size < devices.length && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
    await sched.stop();
    expect(errors).toEqual([]);
    expect(latest.size).toBe(11);
    // 4 exporters → 4 targets (one scrape per node, not per GPU)
    expect(sched.stats().targets).toBe(4);

    // L40S (GDDR6): MEMORY_TEMP 0 → unknown; FB total = used 0 + free 45459 + reserved 608 = 46067 MiB.
    expect(latest.get('l40s/gpu0')!.metrics).toEqual({
      sm_clock_mhz: 210, mem_temp_c: null, temp_c: 32, power_w: 35.686, util_pct: 0, mem_util_pct: 0,
      mem_used_mib: 0, mem_total_mib: 46067,
    });
    // 8× H100, sampled: GPU 0 busy-ish at 113.611 W / 30 °C; GPU 7 at 66.997 W / 26 °C, MEM_COPY_UTIL cut after gpu 5.
    expect(latest.get('h100/gpu0')!.metrics).toEqual({ temp_c: 30, power_w: 113.611, util_pct: 0, mem_util_pct: 0 });
    expect(latest.get('h100/gpu1')!.metrics).toEqual({ temp_c: 29, power_w: 68.347, util_pct: 0, mem_util_pct: 0 });
    expect(latest.get('h100/gpu7')!.metrics).toEqual({ temp_c: 26, power_w: 66.997, util_pct: 0 });
    // A100 with a MIG instance: only the whole-GPU series count; FB total = 4845 + 35690 = 40535 MiB (no reserved field).
    expect(latest.get('a100/gpu0')!.metrics).toEqual({
      sm_clock_mhz: 1215, mem_temp_c: 69, temp_c: 61, power_w: 409.692, xid_last: 0, mem_used_mib: 4845, mem_total_mib: 40535,
    });
    // README: MEMORY_TEMP 9223372036854775794 is DCGM_INT64_BLANK + 2 (not supported) → null, never a number.
    expect(latest.get('readme/gpu0')!.metrics).toEqual({ sm_clock_mhz: 139, mem_temp_c: null });
  });
});
