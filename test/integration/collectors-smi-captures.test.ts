// Every nvidia-smi CSV capture in ../shared/fixtures/gpu, end to end: a fake nvidia-smi (the agent's `exec`
// hook) prints the captured row as the agent's own query would get it, the real push agent sends it to a
// real Floorwatch server on loopback (SQLite in a temp dir), and the device API then shows the normalised
// values, worked by hand from each capture below.
//
// The captures were taken with `--format=csv` (header, values with units) or `csv,nounits`, over a wider
// (or, for the P100, narrower) field list than the agent asks for. The agent runs
// `--query-gpu=<AGENT_QUERY_FIELDS> --format=csv,noheader,nounits`, so its fake output is built per field
// by header name: the raw cell text is kept (`[N/A]`, `N/A`, `Not Active`) and only the unit named in the
// header is cut off the value (`81559 MiB` → `81559`), which is what nounits prints. A field the capture
// does not carry is printed as `[N/A]`: we do not know what that card would have said, and the point is
// that an unknown reaches the API as null, never 0.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AGENT_QUERY_FIELDS } from '../../server/agent/smi-csv.js';
import type { DeviceStatus } from '../../server/core/types.js';
import { gpuNodesSiteYaml, pushThroughAgents, startCaptureServer, type CaptureServer } from '../helpers/agents.js';

const FIXTURES = '/work/shared/fixtures/gpu';

/** `--help-query-gpu` lists these as the same field under two names; captures use the long one. */
const ALIASES: Readonly<Record<string, readonly string[]>> = {
  'clocks.sm': ['clocks.current.sm'],
};

/** A headered nvidia-smi CSV capture → the agent's `csv,noheader,nounits` output for AGENT_QUERY_FIELDS. */
function agentOutput(capture: string): string {
  const lines = capture.split(/\r?\n/u).filter((l) => l.trim() !== '');
  const header = lines[0].split(', ').map((h) => {
    const m = /^(.*?)(?: \[([^\]]+)\])?$/u.exec(h.trim())!;
    return { name: m[1], unit: m[2] ?? null };
  });
  return lines.slice(1).map((line, rowIndex) => {
    const cells = line.split(', ');
    // a misaligned split would pick a neighbour's value by name without anyone noticing
    if (cells.length !== header.length) throw new Error(`row ${rowIndex}: ${cells.length} cells for ${header.length} columns`);
    return AGENT_QUERY_FIELDS.map((field) => {
      const col = [field, ...(ALIASES[field] ?? [])].map((n) => header.findIndex((h) => h.name === n)).find((i) => i >= 0);
      // nvidia-smi lists GPUs in index order: a capture without the index column is GPU 0, 1, … by row
      if (col === undefined) return field === 'index' ? String(rowIndex) : '[N/A]';
      const { unit } = header[col];
      const raw = cells[col];
      return unit !== null && raw.endsWith(` ${unit}`) ? raw.slice(0, -(unit.length + 1)) : raw;
    }).join(', ');
  }).join('\n') + '\n';
}

type GpuMetrics = DeviceStatus['metrics'];

interface Capture {
  node: string;
  file: string;
  model?: string;
  /** hand-read from the capture: column names in the comments, `--format=csv` units dropped */
  expected: GpuMetrics;
}

// No capture has a throttle reason Active (the idle rows' clocks_event_reasons.active = 0x…01 is gpu_idle
// alone), so throttle_thermal/throttle_power are 0 wherever the four reason columns exist.
const CAPTURES: Capture[] = [
  {
    node: 'h100-idle', file: 'nvidia-smi_query-gpu_csv_H100-80GB-HBM3_590.48.01_idle.csv', model: 'h100-sxm',
    expected: {
      util_pct: 0, mem_util_pct: 0, // utilization.gpu [%] "0 %", utilization.memory [%] "0 %"
      mem_used_mib: 0, mem_total_mib: 81559, // memory.used [MiB] "0 MiB", memory.total [MiB] "81559 MiB"
      power_w: 69.85, power_limit_w: 700, // power.draw [W] "69.85 W", power.limit [W] "700.00 W"
      temp_c: 41, mem_temp_c: 48, // temperature.gpu "41", temperature.memory "48"
      sm_clock_mhz: 345, // clocks.current.sm [MHz] "345 MHz"
      throttle_thermal: 0, throttle_power: 0, // clocks_event_reasons.{sw,hw}_thermal_slowdown, sw_power_cap, hw_power_brake_slowdown all "Not Active"
      ecc_dbe_total: 0, // ecc.errors.uncorrected.volatile.total "0"
    },
  },
  {
    node: 'h100-load', file: 'nvidia-smi_query-gpu_csv_H100-80GB-HBM3_590.48.01_load.csv', model: 'h100-sxm',
    expected: {
      util_pct: 100, mem_util_pct: 11, // utilization.gpu "100 %", utilization.memory "11 %"
      mem_used_mib: 19818, mem_total_mib: 81559, // memory.used "19818 MiB", memory.total "81559 MiB"
      power_w: 631.95, power_limit_w: 700, // power.draw "631.95 W", power.limit "700.00 W"
      temp_c: 59, mem_temp_c: 54, // temperature.gpu "59", temperature.memory "54"
      sm_clock_mhz: 1980, // clocks.current.sm "1980 MHz"
      throttle_thermal: 0, throttle_power: 0, // four reason columns "Not Active"
      ecc_dbe_total: 0, // ecc.errors.uncorrected.volatile.total "0"
    },
  },
  {
    node: 'h100mig-idle', file: 'nvidia-smi_query-gpu_csv_H100-MIG_590.48.01_idle.csv', model: 'h100-sxm',
    expected: {
      util_pct: null, mem_util_pct: null, // MIG on: utilization.gpu "[N/A]", utilization.memory "[N/A]"
      mem_used_mib: 59, mem_total_mib: 81559, // memory.used "59 MiB", memory.total "81559 MiB"
      power_w: 71.15, power_limit_w: 700, // power.draw "71.15 W", power.limit "700.00 W"
      temp_c: 42, mem_temp_c: 48, // temperature.gpu "42", temperature.memory "48"
      sm_clock_mhz: 345, // clocks.current.sm "345 MHz"
      throttle_thermal: 0, throttle_power: 0, // four reason columns "Not Active"
      ecc_dbe_total: 0, // ecc.errors.uncorrected.volatile.total "0"
    },
  },
  {
    node: 'h100mig-load', file: 'nvidia-smi_query-gpu_csv_H100-MIG_590.48.01_load.csv', model: 'h100-sxm',
    expected: {
      util_pct: null, mem_util_pct: null, // utilization.gpu "[N/A]", utilization.memory "[N/A]"
      mem_used_mib: 11125, mem_total_mib: 81559, // memory.used "11125 MiB", memory.total "81559 MiB"
      power_w: 433.78, power_limit_w: 700, // power.draw "433.78 W", power.limit "700.00 W"
      temp_c: 53, mem_temp_c: 59, // temperature.gpu "53", temperature.memory "59"
      sm_clock_mhz: 1980, // clocks.current.sm "1980 MHz"
      throttle_thermal: 0, throttle_power: 0, // four reason columns "Not Active"
      ecc_dbe_total: 0, // ecc.errors.uncorrected.volatile.total "0"
    },
  },
  {
    node: 'h200-idle', file: 'nvidia-smi_query-gpu_csv_H200_590.48.01_idle.csv', model: 'h200',
    expected: {
      util_pct: 0, mem_util_pct: 0, // utilization.gpu "0 %", utilization.memory "0 %"
      mem_used_mib: 0, mem_total_mib: 143771, // memory.used "0 MiB", memory.total "143771 MiB"
      power_w: 77.71, power_limit_w: 700, // power.draw "77.71 W", power.limit "700.00 W"
      temp_c: 28, mem_temp_c: 32, // temperature.gpu "28", temperature.memory "32"
      sm_clock_mhz: 345, // clocks.current.sm "345 MHz"
      throttle_thermal: 0, throttle_power: 0, // four reason columns "Not Active"
      ecc_dbe_total: 0, // ecc.errors.uncorrected.volatile.total "0"
    },
  },
  {
    node: 'h200-load', file: 'nvidia-smi_query-gpu_csv_H200_590.48.01_load.csv', model: 'h200',
    expected: {
      util_pct: 100, mem_util_pct: 7, // utilization.gpu "100 %", utilization.memory "7 %"
      mem_used_mib: 32362, mem_total_mib: 143771, // memory.used "32362 MiB", memory.total "143771 MiB"
      power_w: 627.4, power_limit_w: 700, // power.draw "627.40 W", power.limit "700.00 W"
      temp_c: 52, mem_temp_c: 40, // temperature.gpu "52", temperature.memory "40"
      sm_clock_mhz: 1980, // clocks.current.sm "1980 MHz"
      throttle_thermal: 0, throttle_power: 0, // four reason columns "Not Active"
      ecc_dbe_total: 0, // ecc.errors.uncorrected.volatile.total "0"
    },
  },
  {
    // the "idle" capture is not idle (2× NVENC running): 100 % at 144.97 W
    node: 'l40s-idle', file: 'nvidia-smi_query-gpu_csv_L40S_595.80_idle.csv', model: 'l40s',
    expected: {
      util_pct: 100, mem_util_pct: 9, // utilization.gpu "100 %", utilization.memory "9 %"
      mem_used_mib: 0, mem_total_mib: 46068, // memory.used "0 MiB", memory.total "46068 MiB"
      power_w: 144.97, power_limit_w: 350, // power.draw "144.97 W", power.limit "350.00 W"
      temp_c: 63, mem_temp_c: null, // temperature.gpu "63", temperature.memory "N/A" (GDDR6, no sensor)
      sm_clock_mhz: 2520, // clocks.current.sm "2520 MHz"
      throttle_thermal: 0, throttle_power: 0, // four reason columns "Not Active"
      ecc_dbe_total: 0, // ecc.errors.uncorrected.volatile.total "0"
    },
  },
  {
    node: 'l40s-load', file: 'nvidia-smi_query-gpu_csv_L40S_595.80_load.csv', model: 'l40s',
    expected: {
      util_pct: 9, mem_util_pct: 2, // utilization.gpu "9 %", utilization.memory "2 %"
      mem_used_mib: 1235, mem_total_mib: 46068, // memory.used "1235 MiB", memory.total "46068 MiB"
      power_w: 110.23, power_limit_w: 350, // power.draw "110.23 W", power.limit "350.00 W"
      temp_c: 54, mem_temp_c: null, // temperature.gpu "54", temperature.memory "N/A"
      sm_clock_mhz: 2520, // clocks.current.sm "2520 MHz"
      throttle_thermal: 0, throttle_power: 0, // four reason columns "Not Active"
      ecc_dbe_total: 0, // ecc.errors.uncorrected.volatile.total "0"
    },
  },
  {
    node: 'rtx4080s-idle', file: 'nvidia-smi_query-gpu_csv_RTX4080SUPER_595.71.05_idle.csv',
    expected: {
      util_pct: 0, mem_util_pct: 23, // utilization.gpu "0 %", utilization.memory "23 %"
      mem_used_mib: 596, mem_total_mib: 16376, // memory.used "596 MiB", memory.total "16376 MiB"
      power_w: 26.2, power_limit_w: 320, // power.draw "26.20 W", power.limit "320.00 W"
      temp_c: 43, mem_temp_c: null, // temperature.gpu "43", temperature.memory "N/A"
      sm_clock_mhz: 210, // clocks.current.sm "210 MHz"
      throttle_thermal: 0, throttle_power: 0, // four reason columns "Not Active"
      ecc_dbe_total: null, // consumer card, no ECC: ecc.errors.uncorrected.volatile.total "[N/A]"
    },
  },
  {
    node: 'rtx4080s-load', file: 'nvidia-smi_query-gpu_csv_RTX4080SUPER_595.71.05_load.csv',
    expected: {
      util_pct: 7, mem_util_pct: 2, // utilization.gpu "7 %", utilization.memory "2 %"
      mem_used_mib: 1474, mem_total_mib: 16376, // memory.used "1474 MiB", memory.total "16376 MiB"
      power_w: 84.24, power_limit_w: 320, // power.draw "84.24 W", power.limit "320.00 W"
      temp_c: 46, mem_temp_c: null, // temperature.gpu "46", temperature.memory "N/A"
      sm_clock_mhz: 2805, // clocks.current.sm "2805 MHz"
      throttle_thermal: 0, throttle_power: 0, // four reason columns "Not Active"
      ecc_dbe_total: null, // ecc.errors.uncorrected.volatile.total "[N/A]"
    },
  },
  {
    // csv,nounits over 15 fields: no index, memory.total, power.limit, temperature.memory, reason or ECC columns
    node: 'p100', file: 'nvidia-smi_csv-nounits_TeslaP100.csv',
    expected: {
      util_pct: 0, mem_util_pct: 0, // utilization.gpu [%] "0", utilization.memory [%] "0"
      mem_used_mib: 0, mem_total_mib: null, // memory.used [MiB] "0"; memory.total not captured
      power_w: 28.16, power_limit_w: null, // power.draw [W] "28.16"; power.limit not captured
      temp_c: 37, mem_temp_c: null, // temperature.gpu "37"; temperature.memory not captured
      sm_clock_mhz: 405, // clocks.current.sm [MHz] "405"
      throttle_thermal: null, throttle_power: null, // no clocks_event_reasons columns
      ecc_dbe_total: null, // no ecc column
    },
  },
];


const fixture = (file: string): string => readFileSync(join(FIXTURES, file), 'utf8');

describe('fake nvidia-smi → agent → server: every nvidia-smi CSV capture', () => {
  let server: CaptureServer;

  beforeAll(async () => {
    server = await startCaptureServer(gpuNodesSiteYaml('nvidia-smi captures', CAPTURES));
  });
  afterAll(async () => {
    await server?.close();
  });

  it('builds the agent\'s nounits output from the captures by header name', () => {
    // same line the agent test prints for this capture, written by hand there from the capture's columns
    expect(agentOutput(fixture('nvidia-smi_query-gpu_csv_H100-80GB-HBM3_590.48.01_load.csv'))).toBe(
      '0, GPU-00000000-0000-0000-0000-000000000000, NVIDIA H100 80GB HBM3, 100, 11, 19818, 81559, 631.95, 700.00, 59, 54, 1980, Not Active, Not Active, Not Active, Not Active, 0\n',
    );
    expect(agentOutput(fixture('nvidia-smi_query-gpu_csv_RTX4080SUPER_595.71.05_load.csv'))).toBe(
      '0, GPU-00000000-0000-0000-0000-000000000000, NVIDIA GeForce RTX 4080 SUPER, 7, 2, 1474, 16376, 84.24, 320.00, 46, N/A, 2805, Not Active, Not Active, Not Active, Not Active, [N/A]\n',
    );
    expect(agentOutput(fixture('nvidia-smi_csv-nounits_TeslaP100.csv'))).toBe(
      '0, GPU-ef1b2c9b-38d8-2090-2bd1-f567a3eb42a6, Tesla P100-PCIE-16GB, 0, 0, 0, [N/A], 28.16, [N/A], 37, [N/A], 405, [N/A], [N/A], [N/A], [N/A], [N/A]\n',
    );
  });

  it('serves each capture\'s values through the device API, nulls where the capture has none', async () => {
    const { statuses, logs } = await pushThroughAgents(server.url, CAPTURES.map((c) => ({ node: c.node, output: agentOutput(fixture(c.file)) })));
    // no push failed, no value was rejected by the server's validation
    expect(logs).toEqual([]);
    expect(CAPTURES.filter((c) => !statuses.has(c.node)).map((c) => c.node)).toEqual([]);

    const seen: Record<string, { health: string; reason?: string; metrics: GpuMetrics }> = {};
    const expected: Record<string, { health: string; metrics: GpuMetrics }> = {};
    for (const c of CAPTURES) {
      const status = statuses.get(c.node)!;
      seen[c.node] = { health: status.health, ...(status.reason ? { reason: status.reason } : {}), metrics: status.metrics };
      // nothing throttles and nothing is stale: up, with no reason
      expected[c.node] = { health: 'up', metrics: c.expected };
    }
    // one comparison for all captures, so a failure shows every capture that differs at once
    expect(seen).toEqual(expected);
    // an unknown is JSON null, never 0 (toEqual would not tell a missing key from undefined)
    expect(seen['h100mig-load'].metrics).toHaveProperty('util_pct', null);
    expect(seen['l40s-idle'].metrics).toHaveProperty('mem_temp_c', null);
    expect(seen.p100.metrics).toHaveProperty('mem_total_mib', null);
    expect(seen.p100.metrics).toHaveProperty('power_limit_w', null);
  });
});
