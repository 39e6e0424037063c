import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { createDcgmMapper, dcgmGpus, dcgmValue, parsePrometheusText } from '../../server/collectors/dcgm.js';
import { parseNvidiaSmiCsv, smiRowToGpu } from '../../server/agent/smi-csv.js';

const gpuFx = (name: string): string => readFileSync(`/work/shared/fixtures/gpu/${name}`, 'utf8');

describe('dcgm-exporter text', () => {
  it('L40S full scrape: FB used+free+reserved, energy mJ, GDDR memory temp 0 -> null', () => {
    const gpus = dcgmGpus(parsePrometheusText(gpuFx('dcgm-exporter_L40S_default-counters_drv595.58.03.prom')));
    expect(gpus.size).toBe(1);
    const g = gpus.get('GPU-5b4e07f6-3a86-4340-039d-25f2a83cdc43')!;
    expect(g.gpu_index).toBe(0);
    expect(g.hostname).toBe('gpu1-wl8sg');
    expect(g.energy_j).toBe(5551899.58); // 5551899580 mJ / 1000
    expect(g.metrics).toMatchObject({
      util_pct: 0, mem_util_pct: 0, mem_used_mib: 0,
      mem_total_mib: 46067, // 0 + 45459 free + 608 reserved (nvidia-smi says 46068 total)
      power_w: 35.686, temp_c: 32, mem_temp_c: null, sm_clock_mhz: 210,
    });
  });
  it('8x H100 sampled: eight GPUs by UUID, pod labels do not split a GPU', () => {
    const gpus = dcgmGpus(parsePrometheusText(gpuFx('dcgm-exporter_8xH100-80GB-HBM3_k8s-pod-labels_sampled_drv580.105.08.prom')));
    expect(gpus.size).toBe(8);
    const g0 = gpus.get('GPU-c4529c8d-69c4-b61d-e0bc-7b2460096005')!;
    expect(g0.metrics).toMatchObject({ temp_c: 30, power_w: 113.611, util_pct: 0 });
    const g7 = gpus.get('GPU-04d228d3-3b5a-3534-f5cf-969706647d56')!;
    expect(g7.gpu_index).toBe(7);
    expect(g7.metrics).toMatchObject({ temp_c: 26, power_w: 66.997 });
    expect(g7.metrics.mem_util_pct).toBeUndefined(); // MEM_COPY_UTIL was cut after gpu 5 in the sample
  });
  it('A100 with a MIG instance: the instance series is not folded into the parent', () => {
    const gpus = dcgmGpus(parsePrometheusText(gpuFx('dcgm-exporter_A100-MIG-1g.5gb_nvidia-docs.prom')));
    expect(gpus.size).toBe(1);
    const g = gpus.get('GPU-34319582-d595-d1c7-d1d2-179bcfa61660')!;
    expect(g.hostname).toBe('ub20-a100-k8s');
    expect(g.metrics).toMatchObject({
      sm_clock_mhz: 1215, mem_temp_c: 69, temp_c: 61, power_w: 409.692, xid_last: 0,
      mem_used_mib: 4845, mem_total_mib: 40535, // 4845 + 35690
    });
    expect(g.energy_j).toBe(319159.391);
  });
  it('README excerpt: `...` lines, ", " separators and the INT64 blank sentinel -> null', () => {
    const samples = parsePrometheusText(gpuFx('dcgm-exporter_README-quickstart_excerpt_blank-sentinel.prom'));
    expect(samples).toHaveLength(3);
    expect(samples[0].labels).toEqual({ gpu: '0', UUID: 'GPU-604ac76c-d9cf-fef3-62e9-d92044ab6e52' });
    const g = dcgmGpus(samples).get('GPU-604ac76c-d9cf-fef3-62e9-d92044ab6e52')!;
    expect(g.metrics).toEqual({ sm_clock_mhz: 139, mem_temp_c: null });
  });
  it('blank sentinels of every width', () => {
    expect(dcgmValue(9223372036854775794)).toBeNull();
    expect(dcgmValue(2147483632)).toBeNull(); // DCGM_INT32_BLANK
    expect(dcgmValue(140737488355328)).toBeNull(); // DCGM_FP64_BLANK
    expect(dcgmValue(5551899580)).toBe(5551899580); // a real mJ counter past 2^31 stays
  });
  it('throttle bits from clock-event reasons', () => {
    const text = 'DCGM_FI_DEV_CLOCKS_EVENT_REASONS{gpu="0",UUID="GPU-a"} 64\nDCGM_FI_DEV_CLOCKS_EVENT_REASONS{gpu="1",UUID="GPU-b"} 4\n';
    const gpus = dcgmGpus(parsePrometheusText(text));
    expect(gpus.get('GPU-a')!.metrics).toMatchObject({ throttle_thermal: 1, throttle_power: 0 }); // 0x40 HW thermal
    expect(gpus.get('GPU-b')!.metrics).toMatchObject({ throttle_thermal: 0, throttle_power: 1 }); // 0x4 SW power cap
  });
  it('keeps a device on its GPU when a reboot swaps the indices', () => {
    const mapper = createDcgmMapper();
    const devs = [
      { id: 'n1/gpu0', kind: 'gpu' as const, gpu_index: 0 },
      { id: 'n1/gpu1', kind: 'gpu' as const, gpu_index: 1 },
    ];
    const scrape = (a: number, b: number): string =>
      `DCGM_FI_DEV_GPU_TEMP{gpu="${a}",UUID="GPU-a"} 40\nDCGM_FI_DEV_GPU_TEMP{gpu="${b}",UUID="GPU-b"} 70\n`;
    const first = mapper.map(devs, dcgmGpus(parsePrometheusText(scrape(0, 1))), 1);
    expect(first.readings.map((r) => [r.device, r.metrics.temp_c])).toEqual([['n1/gpu0', 40], ['n1/gpu1', 70]]);
    const after = mapper.map(devs, dcgmGpus(parsePrometheusText(scrape(1, 0))), 2);
    expect(after.readings.map((r) => [r.device, r.metrics.temp_c])).toEqual([['n1/gpu0', 40], ['n1/gpu1', 70]]);
  });
});

describe('nvidia-smi CSV', () => {
  const row = (f: string) => smiRowToGpu(parseNvidiaSmiCsv(gpuFx(f))[0]).metrics;
  it('H100 load (headered csv with units)', () => {
    expect(row('nvidia-smi_query-gpu_csv_H100-80GB-HBM3_590.48.01_load.csv')).toEqual({
      util_pct: 100, mem_util_pct: 11, mem_used_mib: 19818, mem_total_mib: 81559, power_w: 631.95,
      power_limit_w: 700, temp_c: 59, mem_temp_c: 54, sm_clock_mhz: 1980, throttle_thermal: 0, throttle_power: 0,
      ecc_dbe_total: 0,
    });
  });
  it('H100 idle', () => {
    expect(row('nvidia-smi_query-gpu_csv_H100-80GB-HBM3_590.48.01_idle.csv')).toMatchObject({ util_pct: 0, power_w: 69.85, temp_c: 41, mem_temp_c: 48, sm_clock_mhz: 345 });
  });
  it('H100 MIG: utilization [N/A] -> null, never 0', () => {
    expect(row('nvidia-smi_query-gpu_csv_H100-MIG_590.48.01_idle.csv')).toMatchObject({ util_pct: null, mem_util_pct: null, mem_used_mib: 59, power_w: 71.15 });
    expect(row('nvidia-smi_query-gpu_csv_H100-MIG_590.48.01_load.csv')).toMatchObject({ util_pct: null, mem_used_mib: 11125, power_w: 433.78, temp_c: 53, mem_temp_c: 59 });
  });
  it('H200 idle and load', () => {
    expect(row('nvidia-smi_query-gpu_csv_H200_590.48.01_idle.csv')).toMatchObject({ mem_total_mib: 143771, power_w: 77.71, temp_c: 28 });
    expect(row('nvidia-smi_query-gpu_csv_H200_590.48.01_load.csv')).toMatchObject({ util_pct: 100, mem_used_mib: 32362, power_w: 627.4, temp_c: 52, mem_temp_c: 40 });
  });
  it('L40S: memory temperature N/A on GDDR -> null', () => {
    expect(row('nvidia-smi_query-gpu_csv_L40S_595.80_idle.csv')).toMatchObject({ util_pct: 100, power_w: 144.97, power_limit_w: 350, mem_temp_c: null, mem_total_mib: 46068 });
    expect(row('nvidia-smi_query-gpu_csv_L40S_595.80_load.csv')).toMatchObject({ util_pct: 9, power_w: 110.23, temp_c: 54, sm_clock_mhz: 2520 });
  });
  it('RTX 4080 SUPER: ECC [N/A] -> null', () => {
    expect(row('nvidia-smi_query-gpu_csv_RTX4080SUPER_595.71.05_idle.csv')).toMatchObject({ power_w: 26.2, temp_c: 43, ecc_dbe_total: null });
    expect(row('nvidia-smi_query-gpu_csv_RTX4080SUPER_595.71.05_load.csv')).toMatchObject({ util_pct: 7, power_w: 84.24, sm_clock_mhz: 2805 });
  });
  it('Tesla P100 csv,nounits: fan [N/A], values without units', () => {
    const r = parseNvidiaSmiCsv(gpuFx('nvidia-smi_csv-nounits_TeslaP100.csv'))[0];
    expect(r['fan.speed']).toBeNull();
    expect(smiRowToGpu(r).metrics).toMatchObject({ util_pct: 0, mem_used_mib: 0, temp_c: 37, power_w: 28.16, sm_clock_mhz: 405, mem_total_mib: null });
  });
  it('noheader,nounits with the agent field list', () => {
    const rows = parseNvidiaSmiCsv('0, GPU-x, NVIDIA H100, 97, [Not Supported]\n', ['index', 'uuid', 'name', 'utilization.gpu', 'temperature.memory']);
    expect(smiRowToGpu(rows[0])).toMatchObject({ index: 0, uuid: 'GPU-x', metrics: { util_pct: 97, mem_temp_c: null } });
  });
});
