// Emulated dcgm-exporter: GET /metrics answers the Prometheus text a stock dcgm-exporter (default-counters.csv)
// prints, in the exact layout of the captured L40S scrape (../shared/fixtures/gpu/dcgm-exporter_L40S_…prom):
// the same 23 families in the same order, `# HELP` and `# TYPE` per family, then one sample per GPU with the
// label set gpu, UUID, pci_bus_id, device, modelName, Hostname, DCGM_FI_DRIVER_VERSION. Values vary slowly
// and deterministically from (GPU index, time): emulatedGpuState says what a GPU meant at an instant.

import http from 'node:http';
import type net from 'node:net';

export interface EmulatedDcgmOptions {
  port: number;
  host?: string;
  gpus: number;
  /** the part as nvidia-smi names it, without "NVIDIA " (e.g. 'H100 80GB HBM3') */
  model?: string;
  hostname?: string;
  /** test hook: epoch ms; defaults to Date.now */
  clock?: () => number;
}

export interface EmulatedDcgm {
  url: string;
  port: number;
  /** scrapes answered so far */
  scrapes(): number;
  stop(): Promise<void>;
}

interface PartFigures {
  mem_total_mib: number;
  mem_reserved_mib: number;
  power_max_w: number;
  power_idle_w: number;
  sm_clock_max_mhz: number;
  mem_clock_mhz: number;
  /** GDDR cards report memory temperature as 0 */
  hbm: boolean;
}

// Totals as nvidia-smi reports them (H100: 81559 MiB with 479 reserved, from the 590.48.01 capture).
const PARTS: Record<string, PartFigures> = {
  'H100 80GB HBM3': { mem_total_mib: 81559, mem_reserved_mib: 479, power_max_w: 700, power_idle_w: 70, sm_clock_max_mhz: 1980, mem_clock_mhz: 2619, hbm: true },
  'H200': { mem_total_mib: 143771, mem_reserved_mib: 540, power_max_w: 700, power_idle_w: 75, sm_clock_max_mhz: 1980, mem_clock_mhz: 3201, hbm: true },
  'L40S': { mem_total_mib: 46067, mem_reserved_mib: 608, power_max_w: 350, power_idle_w: 35, sm_clock_max_mhz: 2520, mem_clock_mhz: 9001, hbm: false },
};
const DRIVER = '590.48.01';

const FAMILIES: readonly [name: string, type: 'gauge' | 'counter', help: string][] = [
  ['DCGM_FI_DEV_SM_CLOCK', 'gauge', 'SM clock frequency (in MHz).'],
  ['DCGM_FI_DEV_MEM_CLOCK', 'gauge', 'Memory clock frequency (in MHz).'],
  ['DCGM_FI_DEV_MEMORY_TEMP', 'gauge', 'Memory temperature (in C).'],
  ['DCGM_FI_DEV_GPU_TEMP', 'gauge', 'GPU temperature (in C).'],
  ['DCGM_FI_DEV_POWER_USAGE', 'gauge', 'Power draw (in W).'],
  ['DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION', 'counter', 'Total energy consumption since boot (in mJ).'],
  ['DCGM_FI_DEV_PCIE_REPLAY_COUNTER', 'counter', 'Total number of PCIe retries.'],
  ['DCGM_FI_DEV_GPU_UTIL', 'gauge', 'GPU utilization (in %).'],
  ['DCGM_FI_DEV_MEM_COPY_UTIL', 'gauge', 'Memory utilization (in %).'],
  ['DCGM_FI_DEV_ENC_UTIL', 'gauge', 'Encoder utilization (in %).'],
  ['DCGM_FI_DEV_DEC_UTIL', 'gauge', 'Decoder utilization (in %).'],
  ['DCGM_FI_DEV_FB_FREE', 'gauge', 'Framebuffer memory free (in MiB).'],
  ['DCGM_FI_DEV_FB_USED', 'gauge', 'Framebuffer memory used (in MiB).'],
  ['DCGM_FI_DEV_FB_RESERVED', 'gauge', 'Framebuffer memory reserved (in MiB).'],
  ['DCGM_FI_DEV_UNCORRECTABLE_REMAPPED_ROWS', 'counter', 'Number of remapped rows for uncorrectable errors'],
  ['DCGM_FI_DEV_CORRECTABLE_REMAPPED_ROWS', 'counter', 'Number of remapped rows for correctable errors'],
  ['DCGM_FI_DEV_ROW_REMAP_FAILURE', 'gauge', 'Whether remapping of rows has failed'],
  ['DCGM_FI_DEV_VGPU_LICENSE_STATUS', 'gauge', 'vGPU License status'],
  ['DCGM_FI_PROF_GR_ENGINE_ACTIVE', 'gauge', 'Ratio of time the graphics engine is active.'],
  ['DCGM_FI_PROF_PIPE_TENSOR_ACTIVE', 'gauge', 'Ratio of cycles the tensor (HMMA) pipe is active.'],
  ['DCGM_FI_PROF_DRAM_ACTIVE', 'gauge', 'Ratio of cycles the device memory interface is active sending or receiving data.'],
  ['DCGM_FI_PROF_PCIE_TX_BYTES', 'gauge', 'The rate of data transmitted over the PCIe bus - including both protocol headers and data payloads - in bytes per second.'],
  ['DCGM_FI_PROF_PCIE_RX_BYTES', 'gauge', 'The rate of data received over the PCIe bus - including both protocol headers and data payloads - in bytes per second.'],
];

export interface GpuState {
  uuid: string;
  util_pct: number;
  mem_util_pct: number;
  mem_used_mib: number;
  mem_free_mib: number;
  mem_reserved_mib: number;
  mem_total_mib: number;
  /** printed with 6 decimals, as dcgm-exporter does */
  power_w: number;
  temp_c: number;
  /** 0 on GDDR parts, as DCGM reports it */
  mem_temp_raw: number;
  sm_clock_mhz: number;
  mem_clock_mhz: number;
  energy_mj: number;
  gr_active: number;
  tensor_active: number;
  dram_active: number;
}

function unit(index: number, salt: number): number {
  const x = Math.sin(index * 12.9898 + salt * 78.233) * 43758.5453;
  return x - Math.floor(x);
}

export function partFigures(model: string): PartFigures {
  return PARTS[model] ?? PARTS['H100 80GB HBM3'];
}

/** Stable fake UUID per (hostname, index): a GPU keeps its UUID across scrapes, as a real one does. */
export function emulatedGpuUuid(hostname: string, index: number): string {
  let h = 2166136261;
  for (const c of `${hostname}/${index}`) h = Math.imul(h ^ c.charCodeAt(0), 16777619) >>> 0;
  const hex = (n: number, len: number): string => (n >>> 0).toString(16).padStart(8, '0').slice(0, len);
  const a = Math.imul(h, 2654435761) >>> 0;
  const b = Math.imul(h ^ 0x5bd1e995, 2246822519) >>> 0;
  return `GPU-${hex(h, 8)}-${hex(a, 4)}-${hex(a >>> 16, 4)}-${hex(b, 4)}-${hex(b, 8)}${hex(h ^ a, 4)}`;
}

/**
 * A GPU's state at time t. GPU 0..n-2 run a training job whose load breathes over a few minutes; every
 * 8th GPU (index % 8 === 7) sits idle, so a demo has idle GPUs to show.
 */
export function emulatedGpuState(model: string, hostname: string, index: number, t_ms: number): GpuState {
  const p = partFigures(model);
  const idle = index % 8 === 7;
  const wave = Math.sin(t_ms / 47_746 + unit(index, 1) * 2 * Math.PI);
  const util_pct = idle ? 0 : Math.max(0, Math.min(100, Math.round(88 + 10 * wave + 4 * unit(index, 2))));
  const load = util_pct / 100;
  const power_w = Math.round((p.power_idle_w + (p.power_max_w * 0.93 - p.power_idle_w) * load) * 1000) / 1000;
  const mem_used_mib = idle ? 0 : Math.round(p.mem_total_mib * (0.55 + 0.2 * unit(index, 3)));
  const mem_free_mib = p.mem_total_mib - p.mem_reserved_mib - mem_used_mib;
  const temp_c = Math.round(30 + 32 * load + 3 * unit(index, 4));
  // Energy since boot at a constant mean power; the node "reboots" every 30 days so the counter stays far
  // below DCGM's FP64 blank sentinel (2^47) whatever the date.
  const period_ms = 30 * 86_400_000;
  const uptime_ms = (t_ms + unit(index, 5) * period_ms) % period_ms;
  const energy_mj = Math.round(uptime_ms * (p.power_idle_w + (p.power_max_w - p.power_idle_w) * 0.7));
  return {
    uuid: emulatedGpuUuid(hostname, index),
    util_pct,
    mem_util_pct: idle ? 0 : Math.round(util_pct * 0.35),
    mem_used_mib,
    mem_free_mib,
    mem_reserved_mib: p.mem_reserved_mib,
    mem_total_mib: p.mem_total_mib,
    power_w,
    temp_c,
    mem_temp_raw: p.hbm ? temp_c + 6 : 0,
    sm_clock_mhz: idle ? 210 : p.sm_clock_max_mhz - (temp_c > 80 ? 120 : 0),
    mem_clock_mhz: idle ? 405 : p.mem_clock_mhz,
    energy_mj,
    gr_active: Math.round(load * 0.98 * 1e6) / 1e6,
    tensor_active: Math.round(load * 0.62 * 1e6) / 1e6,
    dram_active: Math.round(load * 0.41 * 1e6) / 1e6,
  };
}

/** The whole /metrics page at time t. */
export function dcgmExporterText(model: string, hostname: string, gpus: number, t_ms: number): string {
  const states = Array.from({ length: gpus }, (_, i) => emulatedGpuState(model, hostname, i, t_ms));
  const labels = states.map((s, i) => {
    const bus = (0x07 + i * 2).toString(16).toUpperCase().padStart(2, '0');
    return `{gpu="${i}",UUID="${s.uuid}",pci_bus_id="00000000:00:${bus}.0",device="nvidia${i}",` +
      `modelName="NVIDIA ${model}",Hostname="${hostname}",DCGM_FI_DRIVER_VERSION="${DRIVER}"}`;
  });
  const value = (name: string, s: GpuState, i: number): string => {
    switch (name) {
      case 'DCGM_FI_DEV_SM_CLOCK': return String(s.sm_clock_mhz);
      case 'DCGM_FI_DEV_MEM_CLOCK': return String(s.mem_clock_mhz);
      case 'DCGM_FI_DEV_MEMORY_TEMP': return String(s.mem_temp_raw);
      case 'DCGM_FI_DEV_GPU_TEMP': return String(s.temp_c);
      case 'DCGM_FI_DEV_POWER_USAGE': return s.power_w.toFixed(6);
      case 'DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION': return String(s.energy_mj);
      case 'DCGM_FI_DEV_GPU_UTIL': return String(s.util_pct);
      case 'DCGM_FI_DEV_MEM_COPY_UTIL': return String(s.mem_util_pct);
      case 'DCGM_FI_DEV_FB_FREE': return String(s.mem_free_mib);
      case 'DCGM_FI_DEV_FB_USED': return String(s.mem_used_mib);
      case 'DCGM_FI_DEV_FB_RESERVED': return String(s.mem_reserved_mib);
      case 'DCGM_FI_PROF_GR_ENGINE_ACTIVE': return s.gr_active.toFixed(6);
      case 'DCGM_FI_PROF_PIPE_TENSOR_ACTIVE': return s.tensor_active.toFixed(6);
      case 'DCGM_FI_PROF_DRAM_ACTIVE': return s.dram_active.toFixed(6);
      case 'DCGM_FI_PROF_PCIE_TX_BYTES': return String(Math.round(150_000 + 2_000_000 * s.gr_active + i * 17));
      case 'DCGM_FI_PROF_PCIE_RX_BYTES': return String(Math.round(19_000 + 9_000_000 * s.gr_active + i * 13));
      default: return '0';
    }
  };
  const out: string[] = [];
  for (const [name, type, help] of FAMILIES) {
    out.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
    states.forEach((s, i) => out.push(`${name}${labels[i]} ${value(name, s, i)}`));
  }
  return out.join('\n') + '\n';
}

export async function startEmulatedDcgm(opts: EmulatedDcgmOptions): Promise<EmulatedDcgm> {
  const host = opts.host ?? '127.0.0.1';
  const model = opts.model ?? 'H100 80GB HBM3';
  const hostname = opts.hostname ?? 'gpu-node-1';
  const clock = opts.clock ?? Date.now;
  let scrapes = 0;
  const server = http.createServer((req, res) => {
    if (req.method !== 'GET' || (req.url !== '/metrics' && !req.url?.startsWith('/metrics?'))) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('404 page not found\n');
      return;
    }
    scrapes++;
    res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' });
    res.end(dcgmExporterText(model, hostname, opts.gpus, clock()));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, host, () => resolve());
  });
  const port = (server.address() as net.AddressInfo).port;
  const shownHost = host.includes(':') ? `[${host}]` : host;
  return {
    url: `http://${shownHost}:${port}/metrics`,
    port,
    scrapes: () => scrapes,
    stop: () => new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    }),
  };
}
