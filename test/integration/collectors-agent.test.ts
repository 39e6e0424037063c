// The nvidia-smi push agent against a real HTTP server on loopback. The fake nvidia-smi prints, in
// `--format=csv,noheader,nounits` for AGENT_QUERY_FIELDS, the values of two real captures
// (../shared/fixtures/gpu/nvidia-smi_query-gpu_csv_H100-80GB-HBM3_590.48.01_load.csv and the same H100 with
// MIG on, …_H100-MIG_590.48.01_load.csv), picked field by field from the captured header and row with
// their units dropped, which is what nounits prints.
import http from 'node:http';
import type net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { NVIDIA_SMI_ARGS, NVIDIA_SMI_LEGACY_ARGS, runNvidiaSmi, runNvidiaSmiAgent, type NvidiaSmiAgent } from '../../server/agent/nvidia-smi.js';
import type { Reading } from '../../server/core/types.js';

const H100_LOAD = '0, GPU-00000000-0000-0000-0000-000000000000, NVIDIA H100 80GB HBM3, 100, 11, 19818, 81559, 631.95, 700.00, 59, 54, 1980, Not Active, Not Active, Not Active, Not Active, 0\n';
const H100_MIG_LOAD = '0, GPU-00000000-0000-0000-0000-000000000000, NVIDIA H100 80GB HBM3, [N/A], [N/A], 11125, 81559, 433.78, 700.00, 53, 59, 1980, Not Active, Not Active, Not Active, Not Active, 0\n';

// Worked by hand from the rows above (field order: AGENT_QUERY_FIELDS).
const LOAD_METRICS = {
  util_pct: 100, mem_util_pct: 11, mem_used_mib: 19818, mem_total_mib: 81559, power_w: 631.95, power_limit_w: 700,
  temp_c: 59, mem_temp_c: 54, sm_clock_mhz: 1980, throttle_thermal: 0, throttle_power: 0, ecc_dbe_total: 0,
};
const MIG_METRICS = {
  util_pct: null, mem_util_pct: null, mem_used_mib: 11125, mem_total_mib: 81559, power_w: 433.78, power_limit_w: 700,
  temp_c: 53, mem_temp_c: 59, sm_clock_mhz: 1980, throttle_thermal: 0, throttle_power: 0, ecc_dbe_total: 0,
};

interface Ingest {
  url: string;
  posts: { status: number; auth: string | undefined; readings: Reading[] }[];
  close(): Promise<void>;
}

/** An ingest endpoint that answers the first `failFirst` POSTs with `failStatus`, then 200. */
async function startIngest(failFirst: number, failStatus = 503, failBody = '{"error":"unavailable"}'): Promise<Ingest> {
  const posts: Ingest['posts'] = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString('utf8')));
    req.on('end', () => {
      const readings = (JSON.parse(body) as { readings: Reading[] }).readings;
      const status = posts.length < failFirst ? failStatus : 200;
      posts.push({ status, auth: req.headers.authorization, readings });
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(status === 200 ? JSON.stringify({ accepted: readings.length, rejected: [] }) : failBody);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as net.AddressInfo).port}/api/v1/ingest`,
    posts,
    close: () => new Promise<void>((r) => {
      server.closeAllConnections();
      server.close(() => r());
    }),
  };
}

let cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanup.reverse()) await c();
  cleanup = [];
});

const until = async (cond: () => boolean, ms = 5000): Promise<void> => {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
};

function agent(opts: Parameters<typeof runNvidiaSmiAgent>[0]): NvidiaSmiAgent {
  const a = runNvidiaSmiAgent(opts);
  cleanup.push(() => a.stop());
  return a;
}

describe('nvidia-smi push agent', () => {
  it('keeps readings through two 503s and delivers all of them, in order, with the captured values and nulls for [N/A]', async () => {
    const ingest = await startIngest(2);
    cleanup.push(ingest.close);
    const outputs = [H100_LOAD, H100_MIG_LOAD, H100_LOAD];
    let tick = 0;
    let t = 1_764_010_800_000;
    const logs: string[] = [];
    agent({
      url: ingest.url, token: 'node-token', interval_s: 0.05, node: 'gpu-node-1',
      exec: async () => outputs[Math.min(tick++, outputs.length - 1)], now: () => (t += 1000), log: (l) => logs.push(l),
    });
    await until(() => ingest.posts.some((p) => p.status === 200));

    expect(ingest.posts.map((p) => p.status).slice(0, 3)).toEqual([503, 503, 200]);
    expect(ingest.posts.every((p) => p.auth === 'Bearer node-token')).toBe(true);
    // the 3rd POST carries the two kept readings first, then the new one
    const delivered = ingest.posts[2].readings;
    expect(delivered.map((r) => r.device)).toEqual(['gpu-node-1/gpu0', 'gpu-node-1/gpu0', 'gpu-node-1/gpu0']);
    expect(delivered[0].ts).toBeLessThan(delivered[1].ts);
    expect(delivered[1].ts).toBeLessThan(delivered[2].ts);
    expect(delivered.map((r) => r.metrics)).toEqual([LOAD_METRICS, MIG_METRICS, LOAD_METRICS]);
    // [N/A] arrives as JSON null, never 0
    expect(delivered[1].metrics.util_pct).toBeNull();
    expect(logs.filter((l) => l.includes('push failed (HTTP 503'))).toHaveLength(2);
    expect(logs[1]).toContain('keeping 2 readings');
  });

  it('drops a batch the server refuses with 401 and logs the server\'s message', async () => {
    const ingest = await startIngest(1, 401, '{"error":"invalid token"}');
    cleanup.push(ingest.close);
    const logs: string[] = [];
    const a = agent({ url: ingest.url, token: 'wrong', interval_s: 0.05, node: 'n', exec: async () => H100_LOAD, log: (l) => logs.push(l) });
    await until(() => ingest.posts.length >= 2);
    expect(ingest.posts[0].status).toBe(401);
    // not retried: the next POST carries only the next tick's reading
    expect(ingest.posts[1].readings).toHaveLength(1);
    expect(ingest.posts[1].readings[0].ts).toBeGreaterThan(ingest.posts[0].readings[0].ts);
    expect(logs[0]).toBe('agent: server refused 1 readings (HTTP 401: {"error":"invalid token"}); dropped, retrying cannot help');
    await until(() => a.pending() === 0);
  });

  it('bounds the buffer while the server is down: oldest dropped, with a line saying how many', async () => {
    const logs: string[] = [];
    let tick = 0;
    const down = await startIngest(0);
    const url = down.url;
    await down.close(); // nothing listens there any more: every POST is refused
    const a = agent({
      url, token: 't', interval_s: 0.02, node: 'n', max_buffer: 2,
      exec: async () => (tick++ < 3 ? H100_LOAD : ''), log: (l) => logs.push(l),
    });
    await until(() => logs.some((l) => l.includes('dropped the 1 oldest')));
    expect(a.pending()).toBe(2);
    expect(logs.some((l) => l.startsWith('agent: push failed (ECONNREFUSED)'))).toBe(true);
  });
});

describe('nvidia-smi field names on older drivers', () => {
  it('falls back to clocks_throttle_reasons.* when the driver refuses clocks_event_reasons.*', async () => {
    const calls: string[][] = [];
    // What a 470-series driver prints for an unknown query field (exit code 2).
    const oldDriver = async (args: string[]) => {
      calls.push(args);
      if (args[0].includes('clocks_event_reasons')) {
        throw new Error('nvidia-smi: Field "clocks_event_reasons.sw_thermal_slowdown" is not a valid field to query.');
      }
      return '0, GPU-1, Tesla P100-PCIE-16GB, 0, 0, 0, 16280, 28.16, 250.00, 37, [N/A], 405, Not Active, Not Active, Not Active, Not Active, 0\n';
    };
    expect(await runNvidiaSmi(oldDriver)).toMatch(/^0, GPU-1/);
    expect(calls).toEqual([NVIDIA_SMI_ARGS, NVIDIA_SMI_LEGACY_ARGS]);
    expect(NVIDIA_SMI_LEGACY_ARGS[0]).toContain('clocks_throttle_reasons.hw_thermal_slowdown');
    // Remembered: the next read asks with the old names straight away.
    await runNvidiaSmi(oldDriver);
    expect(calls.at(-1)).toEqual(NVIDIA_SMI_LEGACY_ARGS);
    expect(calls).toHaveLength(3);
  });
});
