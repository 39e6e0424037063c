// The nvidia-smi captures taken with scripts/capture-gpu.sh on a lent H100 80GB HBM3 (driver 580.159.04,
// CUDA 13.0), idle and under a 40 s torch bf16 matmul load: ../fixtures/gpu (see its README). Under load the
// GPU sat at its 700 W cap with clocks_event_reasons.sw_power_cap "Active": the first capture of ours with a
// throttle reason active.
//
// - agent CSV (`--format=csv,noheader,nounits` over AGENT_QUERY_FIELDS), `-q -x` and `dmon -c 3 -s pucm`,
//   each fed whole, as captured, to the real push agent (its `exec` hook), which sends it to a real server
//   on loopback; the device API then shows the values hand-read from each file below;
// - the headered `--format=csv` captures and the legacy clocks_throttle_reasons.* one through the CSV parser;
// - the unknown-field answer (message on stdout, exit status 2) from a fake nvidia-smi on PATH, through the
//   real execFile path of runNvidiaSmi(), which must fall back to the legacy field names.
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NVIDIA_SMI_ARGS, NVIDIA_SMI_LEGACY_ARGS, runNvidiaSmi, type SmiSource } from '../../server/agent/nvidia-smi.js';
import { parseDmonSamples } from '../../server/agent/smi-dmon.js';
import { parseNvidiaSmiCsv, smiRowToGpu } from '../../server/agent/smi-csv.js';
import type { DeviceStatus } from '../../server/core/types.js';
import { tempDir } from '../helpers/site.js';
import { gpuNodesSiteYaml, pushThroughAgents, startCaptureServer, type CaptureServer } from '../helpers/agents.js';

const FIXTURES = fileURLToPath(new URL('../fixtures/gpu/', import.meta.url));
const SUFFIX = 'H100-80GB-HBM3_580.159.04';
const fixturePath = (file: string): string => join(FIXTURES, file);
const fixture = (file: string): string => readFileSync(fixturePath(file), 'utf8');

const UUID = 'GPU-807b7820-9e0c-fde3-ba26-be4a0a486aaa';
const NAME = 'NVIDIA H100 80GB HBM3';

type GpuMetrics = DeviceStatus['metrics'];

interface Capture {
  node: string;
  file: string;
  source: SmiSource;
  /** hand-read from the capture */
  expected: GpuMetrics;
  /** what the server makes of it */
  health: { health: string; reason?: string };
}

const UP = { health: 'up' } as const;
// server/figures/health.ts: a gpu with throttle_power 1 is degraded, reason 'power throttle'
const POWER_THROTTLE = { health: 'degraded', reason: 'power throttle' } as const;

// dmon reports neither memory total, power limit, throttle reasons nor ECC: null, never 0
const DMON_UNKNOWN = { mem_total_mib: null, power_limit_w: null, throttle_thermal: null, throttle_power: null, ecc_dbe_total: null } as const;

const CAPTURES: Capture[] = [
  {
    // "0, GPU-807b…, NVIDIA H100 80GB HBM3, 0, 0, 0, 81559, 70.77, 700.00, 35, 36, 345, Not Active, Not Active, Not Active, Not Active, 0"
    node: 'csv-idle', file: `nvidia-smi_agent-query_${SUFFIX}_idle.csv`, source: 'csv', health: UP,
    expected: {
      util_pct: 0, mem_util_pct: 0, // utilization.gpu "0", utilization.memory "0"
      mem_used_mib: 0, mem_total_mib: 81559, // memory.used "0", memory.total "81559"
      power_w: 70.77, power_limit_w: 700, // power.draw "70.77", power.limit "700.00"
      temp_c: 35, mem_temp_c: 36, // temperature.gpu "35", temperature.memory "36"
      sm_clock_mhz: 345, // clocks.sm "345"
      throttle_thermal: 0, throttle_power: 0, // the four reason columns "Not Active"
      ecc_dbe_total: 0, // ecc.errors.uncorrected.volatile.total "0"
    },
  },
  {
    // "0, GPU-807b…, NVIDIA H100 80GB HBM3, 100, 33, 1139, 81559, 698.24, 700.00, 61, 55, 1335, Not Active, Not Active, Active, Not Active, 0"
    node: 'csv-load', file: `nvidia-smi_agent-query_${SUFFIX}_load.csv`, source: 'csv', health: POWER_THROTTLE,
    expected: {
      util_pct: 100, mem_util_pct: 33, // utilization.gpu "100", utilization.memory "33"
      mem_used_mib: 1139, mem_total_mib: 81559, // memory.used "1139", memory.total "81559"
      power_w: 698.24, power_limit_w: 700, // power.draw "698.24", power.limit "700.00": at the cap
      temp_c: 61, mem_temp_c: 55, // temperature.gpu "61", temperature.memory "55"
      sm_clock_mhz: 1335, // clocks.sm "1335" (1980 when not capped)
      throttle_thermal: 0, // sw_thermal_slowdown "Not Active", hw_thermal_slowdown "Not Active"
      throttle_power: 1, // sw_power_cap "Active", hw_power_brake_slowdown "Not Active"
      ecc_dbe_total: 0, // ecc.errors.uncorrected.volatile.total "0"
    },
  },
  {
    node: 'xml-idle', file: `nvidia-smi_q-x_${SUFFIX}_idle.xml`, source: 'xml', health: UP,
    expected: {
      util_pct: 0, mem_util_pct: 0, // utilization/gpu_util "0 %", memory_util "0 %"
      mem_used_mib: 0, mem_total_mib: 81559, // fb_memory_usage/used "0 MiB", total "81559 MiB" (bar1 not read)
      power_w: 70.76, power_limit_w: 700, // DTD v13 gpu_power_readings/average_power_draw "70.76 W" (instant 70.79 unused), current_power_limit "700.00 W"
      temp_c: 35, mem_temp_c: 37, // temperature/gpu_temp "35 C", memory_temp "37 C"
      sm_clock_mhz: 345, // clocks/sm_clock "345 MHz" (max_clocks/sm_clock 1980 unused)
      throttle_thermal: 0, throttle_power: 0, // only clocks_event_reason_gpu_idle "Active", which is no throttle
      ecc_dbe_total: 0, // ecc_errors/volatile sram_uncorrectable_parity 0 + _secded 0 + dram_uncorrectable 0
    },
  },
  {
    node: 'xml-load', file: `nvidia-smi_q-x_${SUFFIX}_load.xml`, source: 'xml', health: POWER_THROTTLE,
    expected: {
      util_pct: 100, mem_util_pct: 33, // gpu_util "100 %", memory_util "33 %"
      mem_used_mib: 1139, mem_total_mib: 81559, // fb_memory_usage used "1139 MiB", total "81559 MiB"
      power_w: 696.94, power_limit_w: 700, // gpu_power_readings average_power_draw "696.94 W" (instant 706.30, gpu_memory_power_readings 137.66 unused), current_power_limit "700.00 W"
      temp_c: 61, mem_temp_c: 55, // gpu_temp "61 C", memory_temp "55 C"
      sm_clock_mhz: 1335, // clocks/sm_clock "1335 MHz"
      throttle_thermal: 0, // clocks_event_reason_sw_thermal_slowdown, _hw_thermal_slowdown "Not Active"
      throttle_power: 1, // clocks_event_reason_sw_power_cap "Active" (counter 15448627 us), _hw_power_brake_slowdown "Not Active"
      ecc_dbe_total: 0, // volatile sram_uncorrectable_parity 0 + _secded 0 + dram_uncorrectable 0
    },
  },
  {
    // last of three rows: gpu 0, pwr 70, gtemp 35, mtemp 36 (the first row has 37), sm 0, mem 0, enc 0, dec 0,
    // jpg 0, ofa 0, mclk 2619, pclk 345, fb 0, bar1 1, ccpm 0
    node: 'dmon-idle', file: `nvidia-smi_dmon-c3-s-pucm_${SUFFIX}_idle.txt`, source: 'dmon', health: UP,
    expected: { ...DMON_UNKNOWN, util_pct: 0, mem_util_pct: 0, mem_used_mib: 0, power_w: 70, temp_c: 35, mem_temp_c: 36, sm_clock_mhz: 345 },
  },
  {
    // last of three rows: gpu 0, pwr 697, gtemp 62, mtemp 55, sm 100, mem 33, enc 0, dec 0, jpg 0, ofa 0,
    // mclk 2619, pclk 1365, fb 1139, bar1 1140, ccpm 0 (rows 1 and 2: 697/61/…/1350 and 698/61/…/1335).
    // dmon cannot see the power cap, so the server has no throttle to report: up.
    node: 'dmon-load', file: `nvidia-smi_dmon-c3-s-pucm_${SUFFIX}_load.txt`, source: 'dmon', health: UP,
    expected: { ...DMON_UNKNOWN, util_pct: 100, mem_util_pct: 33, mem_used_mib: 1139, power_w: 697, temp_c: 62, mem_temp_c: 55, sm_clock_mhz: 1365 },
  },
];


describe('lent H100 (580.159.04) captures: agent CSV, -q -x and dmon → agent → server', () => {
  let server: CaptureServer;

  beforeAll(async () => {
    server = await startCaptureServer(gpuNodesSiteYaml('lent H100 captures', CAPTURES.map((c) => ({ node: c.node, model: 'h100-sxm' }))));
  });
  afterAll(async () => {
    await server?.close();
  });

  it('reads all three rows of this driver\'s 15-column dmon, in order', () => {
    const samples = parseDmonSamples(fixture(`nvidia-smi_dmon-c3-s-pucm_${SUFFIX}_load.txt`));
    expect(samples).toHaveLength(3);
    expect(Object.keys(samples[2].values)).toEqual(['gpu', 'pwr', 'gtemp', 'mtemp', 'sm', 'mem', 'enc', 'dec', 'jpg', 'ofa', 'mclk', 'pclk', 'fb', 'bar1', 'ccpm']);
    expect(samples.map((s) => [s.values.pwr, s.values.gtemp, s.values.pclk])).toEqual([[697, 61, 1350], [698, 61, 1335], [697, 62, 1365]]);
  });

  it('serves each capture\'s values through the device API; the power-capped GPU is degraded, reason power throttle', async () => {
    const { statuses, logs } = await pushThroughAgents(server.url, CAPTURES.map((c) => ({ node: c.node, output: fixture(c.file), source: c.source })));
    // no push failed, nothing was rejected, and no capture parsed to zero GPUs
    expect(logs).toEqual([]);
    expect(CAPTURES.filter((c) => !statuses.has(c.node)).map((c) => c.node)).toEqual([]);

    const seen: Record<string, { health: string; reason?: string; metrics: GpuMetrics }> = {};
    const expected: Record<string, { health: string; reason?: string; metrics: GpuMetrics }> = {};
    for (const c of CAPTURES) {
      const status = statuses.get(c.node)!;
      seen[c.node] = { health: status.health, ...(status.reason ? { reason: status.reason } : {}), metrics: status.metrics };
      expected[c.node] = { ...c.health, metrics: c.expected };
    }
    // one comparison for all captures, so a failure shows every capture that differs at once
    expect(seen).toEqual(expected);
    // an unknown is JSON null, never 0 or absent
    expect(seen['dmon-load'].metrics).toHaveProperty('power_limit_w', null);
    expect(seen['dmon-load'].metrics).toHaveProperty('throttle_power', null);
    expect(seen['dmon-load'].metrics).toHaveProperty('ecc_dbe_total', null);
    // one GPU per node
    const gpu1 = await fetch(`${server.url}/api/v1/devices/${encodeURIComponent('csv-load/gpu1')}`);
    expect(gpu1.status).toBe(404);
  });
});

describe('lent H100 (580.159.04) captures: headered and legacy-name CSV through the CSV parser', () => {
  // Taken moments after the agent query of the same snapshot: the same values except power.draw.
  it('parses the idle --format=csv capture by its header', () => {
    const rows = parseNvidiaSmiCsv(fixture(`nvidia-smi_query-gpu_csv_${SUFFIX}_idle.csv`));
    expect(rows).toHaveLength(1);
    expect(smiRowToGpu(rows[0])).toEqual({
      index: 0, uuid: UUID, name: NAME,
      metrics: {
        util_pct: 0, mem_util_pct: 0, // utilization.gpu [%] "0 %", utilization.memory [%] "0 %"
        mem_used_mib: 0, mem_total_mib: 81559, // memory.used [MiB] "0 MiB", memory.total [MiB] "81559 MiB"
        power_w: 70.76, power_limit_w: 700, // power.draw [W] "70.76 W" (agent query: 70.77), power.limit [W] "700.00 W"
        temp_c: 35, mem_temp_c: 36, // temperature.gpu "35", temperature.memory "36"
        sm_clock_mhz: 345, // clocks.current.sm [MHz] "345 MHz" (asked for as clocks.sm)
        throttle_thermal: 0, throttle_power: 0, // the four clocks_event_reasons.* columns "Not Active"
        ecc_dbe_total: 0, // ecc.errors.uncorrected.volatile.total "0"
      },
    });
  });

  it('parses the load --format=csv capture by its header, sw_power_cap Active', () => {
    const rows = parseNvidiaSmiCsv(fixture(`nvidia-smi_query-gpu_csv_${SUFFIX}_load.csv`));
    expect(rows).toHaveLength(1);
    expect(smiRowToGpu(rows[0])).toEqual({
      index: 0, uuid: UUID, name: NAME,
      metrics: {
        util_pct: 100, mem_util_pct: 33, // utilization.gpu [%] "100 %", utilization.memory [%] "33 %"
        mem_used_mib: 1139, mem_total_mib: 81559, // memory.used [MiB] "1139 MiB", memory.total [MiB] "81559 MiB"
        power_w: 697.4, power_limit_w: 700, // power.draw [W] "697.40 W" (agent query: 698.24), power.limit [W] "700.00 W"
        temp_c: 61, mem_temp_c: 55, // temperature.gpu "61", temperature.memory "55"
        sm_clock_mhz: 1335, // clocks.current.sm [MHz] "1335 MHz"
        throttle_thermal: 0, // clocks_event_reasons.sw_thermal_slowdown, .hw_thermal_slowdown "Not Active"
        throttle_power: 1, // clocks_event_reasons.sw_power_cap "Active", .hw_power_brake_slowdown "Not Active"
        ecc_dbe_total: 0, // ecc.errors.uncorrected.volatile.total "0"
      },
    });
  });

  it('reads the reasons under the legacy clocks_throttle_reasons.* names this driver still answers', () => {
    // `--query-gpu=index,clocks_throttle_reasons.sw_power_cap,clocks_throttle_reasons.hw_thermal_slowdown`, idle: "0, Not Active, Not Active"
    const fields = ['index', 'clocks_throttle_reasons.sw_power_cap', 'clocks_throttle_reasons.hw_thermal_slowdown'];
    const rows = parseNvidiaSmiCsv(fixture(`nvidia-smi_query-gpu_legacy-throttle-names_${SUFFIX}.csv`), fields);
    expect(rows).toHaveLength(1);
    const gpu = smiRowToGpu(rows[0]);
    expect(gpu.index).toBe(0);
    expect(gpu.metrics).toEqual({
      util_pct: null, mem_util_pct: null, mem_used_mib: null, mem_total_mib: null, power_w: null, power_limit_w: null,
      temp_c: null, mem_temp_c: null, sm_clock_mhz: null, ecc_dbe_total: null, // not asked for
      throttle_thermal: 0, // hw_thermal_slowdown "Not Active" (sw_thermal_slowdown not asked for)
      throttle_power: 0, // sw_power_cap "Not Active"
    });
  });
});

// Last in the file: runNvidiaSmi's switch to the legacy names (`legacyFields` in server/agent/nvidia-smi.ts)
// is module state that sticks once set, for every later call in this file's module instance.
describe('runNvidiaSmi against the driver\'s real unknown-field answer', () => {
  let tmp: { dir: string; cleanup(): void };
  let savedPath: string | undefined;
  const callsLog = (): string[] => readFileSync(join(tmp.dir, 'calls.log'), 'utf8').split('\n').filter((l) => l !== '');
  const sq = (s: string): string => `'${s.replace(/'/gu, `'\\''`)}'`;

  /** A fake `nvidia-smi` first on PATH: logs its arguments, then runs `body`. */
  function fakeSmi(body: string): void {
    const path = join(tmp.dir, 'nvidia-smi');
    writeFileSync(path, `#!/bin/sh\nprintf '%s\\n' "$*" >> ${sq(join(tmp.dir, 'calls.log'))}\n${body}\n`);
    chmodSync(path, 0o755);
    writeFileSync(join(tmp.dir, 'calls.log'), '');
  }

  beforeAll(() => {
    tmp = tempDir();
    savedPath = process.env.PATH;
    process.env.PATH = `${tmp.dir}:${savedPath ?? ''}`;
  });
  afterAll(() => {
    if (savedPath === undefined) delete process.env.PATH;
    else process.env.PATH = savedPath;
    tmp?.cleanup();
  });

  it('does not take another nvidia-smi failure for an unknown field', async () => {
    fakeSmi(`echo 'NVIDIA-SMI has failed because it couldn'"'"'t communicate with the NVIDIA driver.'\nexit 9`);
    await expect(runNvidiaSmi()).rejects.toThrow("nvidia-smi: NVIDIA-SMI has failed because it couldn't communicate with the NVIDIA driver.");
    // no retry with the legacy names
    expect(callsLog()).toEqual([NVIDIA_SMI_ARGS.join(' ')]);
  });

  it('falls back to clocks_throttle_reasons.* on the captured answer (stdout, exit status 2) and stays there', async () => {
    const unknown = fixturePath(`nvidia-smi_query-gpu_unknown-field_${SUFFIX}.txt`);
    const loadCsv = fixturePath(`nvidia-smi_agent-query_${SUFFIX}_load.csv`);
    // the captured file is stdout; the capture's stderr was empty
    expect(fixture(`nvidia-smi_query-gpu_unknown-field_${SUFFIX}.txt`)).toBe('Field "not.a.field" is not a valid field to query.\n\n');
    fakeSmi(`case "$*" in\n  *clocks_event_reasons*) cat ${sq(unknown)}; exit 2;;\nesac\ncat ${sq(loadCsv)}`);

    // no exec argument: the real execFile path composes the error from what nvidia-smi printed
    expect(await runNvidiaSmi()).toBe(fixture(`nvidia-smi_agent-query_${SUFFIX}_load.csv`));
    expect(callsLog()).toEqual([NVIDIA_SMI_ARGS.join(' '), NVIDIA_SMI_LEGACY_ARGS.join(' ')]);
    expect(NVIDIA_SMI_LEGACY_ARGS[0]).toContain('clocks_throttle_reasons.sw_power_cap');
    expect(NVIDIA_SMI_LEGACY_ARGS[0]).not.toContain('clocks_event_reasons');

    // the next tick asks with the legacy names straight away
    expect(await runNvidiaSmi()).toBe(fixture(`nvidia-smi_agent-query_${SUFFIX}_load.csv`));
    expect(callsLog()).toEqual([NVIDIA_SMI_ARGS.join(' '), NVIDIA_SMI_LEGACY_ARGS.join(' '), NVIDIA_SMI_LEGACY_ARGS.join(' ')]);
  });
});
