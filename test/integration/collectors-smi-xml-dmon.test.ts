// Every nvidia-smi `-q -x` and `dmon` capture in ../shared/fixtures/gpu, end to end: a fake nvidia-smi (the
// agent's `exec` hook) prints the capture, the real push agent (`source: 'xml'` or `'dmon'`) sends it to a
// real Floorwatch server on loopback (SQLite in a temp dir), and the device API shows the normalised values,
// worked by hand from each capture below. The CSV captures are covered by collectors-smi-captures.test.ts.
//
// The -q -x captures are fed whole: that is exactly what `nvidia-smi -q -x` prints. The table-dmon-q files
// hold three sections; only the `dmon -c 5` one is fed to the agent, since the default table and the `-q`
// text are laid out for people, and the agent never runs those commands.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SmiSource } from '../../server/agent/nvidia-smi.js';
import type { DeviceStatus } from '../../server/core/types.js';
import { gpuNodesSiteYaml, pushThroughAgents, startCaptureServer, type CaptureServer } from '../helpers/agents.js';

const FIXTURES = '/work/shared/fixtures/gpu';

/** The lines of a table-dmon-q file's dmon section, between its `===== [… dmon …]` line and the next `=====`. */
function dmonSection(file: string): string {
  const lines = file.split(/\r?\n/u);
  const start = lines.findIndex((l) => /^===== .*\$ nvidia-smi dmon\b/u.test(l));
  if (start < 0) throw new Error('no dmon section');
  const rest = lines.slice(start + 1);
  const end = rest.findIndex((l) => l.startsWith('====='));
  return rest.slice(0, end < 0 ? rest.length : end).join('\n');
}

type GpuMetrics = DeviceStatus['metrics'];

interface Capture {
  node: string;
  file: string;
  source: Exclude<SmiSource, 'csv'>;
  model?: string;
  /** hand-read from the capture (for dmon: its last of five rows) */
  expected: GpuMetrics;
}

// dmon reports neither memory total, power limit, throttle reasons nor ECC, and these captures were taken
// without `-s m`, so framebuffer use is unknown too: all null, never 0.
const DMON_UNKNOWN = {
  mem_used_mib: null, mem_total_mib: null, power_limit_w: null, throttle_thermal: null, throttle_power: null, ecc_dbe_total: null,
} as const;

const CAPTURES: Capture[] = [
  {
    // MIG on, 4 MIG devices of 12 MiB used each under <mig_devices>: only the GPU's own values count
    node: 'a100mig', file: 'nvidia-smi_q-x_A100-SXM4-80GB-MIG_535.54.03_dtd-v12.xml', source: 'xml',
    expected: {
      util_pct: null, mem_util_pct: null, // utilization/gpu_util "N/A", memory_util "N/A"
      mem_used_mib: 50, mem_total_mib: 81920, // fb_memory_usage/used "50 MiB" (not 50 + 4 × 12), total "81920 MiB"
      power_w: 67.03, power_limit_w: 500, // gpu_power_readings/power_draw "67.03 W", current_power_limit "500.00 W"
      temp_c: 27, mem_temp_c: 44, // temperature/gpu_temp "27 C", memory_temp "44 C"
      sm_clock_mhz: 1275, // clocks/sm_clock "1275 MHz"
      throttle_thermal: 0, throttle_power: 0, // clocks_event_reasons: all nine "Not Active"
      ecc_dbe_total: 0, // ecc_errors/volatile: sram_uncorrectable 0 + dram_uncorrectable 0
    },
  },
  {
    node: 'rtx4000ada', file: 'nvidia-smi_q-x_RTX4000-SFF-Ada_595.84_dtd-v13.xml', source: 'xml',
    expected: {
      util_pct: 0, mem_util_pct: 37, // gpu_util "0 %", memory_util "37 %"
      mem_used_mib: 3534, mem_total_mib: 20475, // fb_memory_usage used "3534 MiB", total "20475 MiB"
      power_w: 8.81, power_limit_w: 70, // DTD v13: average_power_draw "8.81 W" (instant 8.44 unused), current_power_limit "70.00 W"
      temp_c: 38, mem_temp_c: null, // gpu_temp "38 C", memory_temp "N/A"
      sm_clock_mhz: 210, // clocks/sm_clock "210 MHz"
      throttle_thermal: 0, throttle_power: 0, // only gpu_idle "Active", which is no throttle
      ecc_dbe_total: null, // volatile sram_uncorrectable_parity/_secded, dram_uncorrectable all "N/A"
    },
  },
  {
    node: 'rtx4090', file: 'nvidia-smi_q-x_RTX4090_535.86.05_dtd-v12.xml', source: 'xml',
    expected: {
      util_pct: 0, mem_util_pct: 0, // gpu_util "0 %", memory_util "0 %"
      mem_used_mib: 2, mem_total_mib: 24564, // used "2 MiB", total "24564 MiB"
      power_w: 26.84, power_limit_w: 450, // power_draw "26.84 W", current_power_limit "450.00 W" (max 600 unused)
      temp_c: 40, mem_temp_c: null, // gpu_temp "40 C", memory_temp "N/A"
      sm_clock_mhz: 210, // sm_clock "210 MHz"
      throttle_thermal: 0, throttle_power: 0, // gpu_idle "Active" only; applications_clocks_setting wrapped over two lines
      ecc_dbe_total: null, // sram_/dram_uncorrectable "N/A"
    },
  },
  {
    node: 'h100-dmon', file: 'nvidia-smi_table-dmon-q_H100-80GB-HBM3_590.48.01_load.txt', source: 'dmon', model: 'h100-sxm',
    // last row: gpu 0, pwr 636, gtemp 65, mtemp 59, sm 100, mem 9, … pclk 1980
    expected: { ...DMON_UNKNOWN, util_pct: 100, mem_util_pct: 9, power_w: 636, temp_c: 65, mem_temp_c: 59, sm_clock_mhz: 1980 },
  },
  {
    node: 'h200-dmon', file: 'nvidia-smi_table-dmon-q_H200_590.48.01_load.txt', source: 'dmon', model: 'h200',
    // last row: gpu 0, pwr 630, gtemp 54, mtemp 42, sm 100, mem 8, … pclk 1980
    expected: { ...DMON_UNKNOWN, util_pct: 100, mem_util_pct: 8, power_w: 630, temp_c: 54, mem_temp_c: 42, sm_clock_mhz: 1980 },
  },
  {
    node: 'l40s-dmon', file: 'nvidia-smi_table-dmon-q_L40S_595.80_load.txt', source: 'dmon', model: 'l40s',
    // last row: gpu 0, pwr 108, gtemp 52, mtemp "-", sm 10, mem 2, … pclk 2520
    expected: { ...DMON_UNKNOWN, util_pct: 10, mem_util_pct: 2, power_w: 108, temp_c: 52, mem_temp_c: null, sm_clock_mhz: 2520 },
  },
  {
    node: 'rtx4080s-dmon', file: 'nvidia-smi_table-dmon-q_RTX4080SUPER_595.71.05_load.txt', source: 'dmon',
    // last row: gpu 0, pwr 84, gtemp 46, mtemp "-", sm 6, mem 2, … pclk 2805 (the first four have sm 7)
    expected: { ...DMON_UNKNOWN, util_pct: 6, mem_util_pct: 2, power_w: 84, temp_c: 46, mem_temp_c: null, sm_clock_mhz: 2805 },
  },
];

// every capture holds one GPU: the A100 file says attached_gpus 4 but keeps a single <gpu>

const fixture = (file: string): string => readFileSync(join(FIXTURES, file), 'utf8');
const agentOutput = (c: Capture): string => (c.source === 'dmon' ? dmonSection(fixture(c.file)) : fixture(c.file));

describe('fake nvidia-smi → agent → server: every -q -x and dmon capture', () => {
  let server: CaptureServer;

  beforeAll(async () => {
    server = await startCaptureServer(gpuNodesSiteYaml('nvidia-smi xml and dmon captures', CAPTURES));
  });
  afterAll(async () => {
    await server?.close();
  });

  it('cuts exactly the five dmon rows out of a table-dmon-q file', () => {
    const rows = dmonSection(fixture('nvidia-smi_table-dmon-q_L40S_595.80_load.txt')).split('\n').filter((l) => l.trim() && !l.startsWith('#'));
    expect(rows).toHaveLength(5);
    expect(rows[4].trim().split(/\s+/u)).toEqual(['0', '108', '52', '-', '10', '2', '67', '0', '0', '0', '9001', '2520']);
  });

  it('serves each capture\'s values through the device API, nulls where the capture has none', async () => {
    const { statuses, logs } = await pushThroughAgents(server.url, CAPTURES.map((c) => ({ node: c.node, output: agentOutput(c), source: c.source })));
    // no push failed, nothing was rejected, and no capture parsed to zero GPUs
    expect(logs).toEqual([]);
    expect(CAPTURES.filter((c) => !statuses.has(c.node)).map((c) => c.node)).toEqual([]);

    const seen: Record<string, { health: string; reason?: string; metrics: GpuMetrics }> = {};
    const expected: Record<string, { health: string; metrics: GpuMetrics }> = {};
    for (const c of CAPTURES) {
      const status = statuses.get(c.node)!;
      seen[c.node] = { health: status.health, ...(status.reason ? { reason: status.reason } : {}), metrics: status.metrics };
      expected[c.node] = { health: 'up', metrics: c.expected };
    }
    expect(seen).toEqual(expected);
    // an unknown is JSON null, never 0 or absent
    expect(seen.a100mig.metrics).toHaveProperty('util_pct', null);
    expect(seen.rtx4090.metrics).toHaveProperty('mem_temp_c', null);
    expect(seen['l40s-dmon'].metrics).toHaveProperty('mem_temp_c', null);
    expect(seen['h100-dmon'].metrics).toHaveProperty('power_limit_w', null);
    // the node has one GPU: the MIG instances did not become devices of their own
    const gpu1 = await fetch(`${server.url}/api/v1/devices/${encodeURIComponent('a100mig/gpu1')}`);
    expect(gpu1.status).toBe(404);
  });
});
