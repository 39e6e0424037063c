// dcgm-exporter scrape (Prometheus text format) → one `gpu` reading per GPU. GPUs are keyed by UUID,
// because indices change when a node reboots; configured devices `<node>/gpu<N>` are matched by the UUID
// last seen for them, else by index. MIG instance series (GPU_I_ID label) describe a slice of a GPU and
// are not folded into the parent. DCGM's blank sentinels become null, never a number.

import { checkHttpUrl } from '../core/schema.js';
import type { DeviceModel, MetricOf, Reading } from '../core/types.js';
import { CollectorError, type CollectorPlugin, type PollTarget } from './types.js';
import { httpGetText } from './http.js';

export interface PromSample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** Prometheus text exposition → samples. Skips comments, blank and `...` elision lines; tolerates `", "`. */
export function parsePrometheusText(text: string): PromSample[] {
  const out: PromSample[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith('...')) continue;
    const m = /^([A-Za-z_:][A-Za-z0-9_:]*)(\{.*\})?\s+(\S+)(?:\s+-?\d+)?$/u.exec(line);
    if (!m) continue;
    const labels = m[2] ? parseLabels(m[2].slice(1, -1)) : {};
    const v = m[3];
    const value = v === 'NaN' ? NaN : v === '+Inf' ? Infinity : v === '-Inf' ? -Infinity : Number(v);
    out.push({ name: m[1], labels, value });
  }
  return out;
}

function parseLabels(s: string): Record<string, string> {
  const labels: Record<string, string> = {};
  const re = /\s*([A-Za-z_][A-Za-z0-9_]*)\s*=\s*"((?:[^"\\]|\\.)*)"\s*,?/gu;
  for (let m = re.exec(s); m; m = re.exec(s)) {
    labels[m[1]] = m[2].replace(/\\(["\\n])/gu, (_, c: string) => (c === 'n' ? '\n' : c));
  }
  return labels;
}

/** DCGM_INT64_BLANK (0x7ffffffffffffff0) and friends; as a float64 they all read as ≥ 9.2233720368547748e18. */
const INT64_BLANK_MIN = 9223372036854775792 - 1024;
/** DCGM_INT32_BLANK 0x7ffffff0 … 0x7fffffff */
const INT32_BLANK_MIN = 2147483632;
const INT32_BLANK_MAX = 2147483647;
/** DCGM_FP64_BLANK = 140737488355328.0 (2^47) and the sentinels just above it */
const FP64_BLANK_MIN = 140737488355328.0;

export function dcgmValue(v: number): number | null {
  if (!Number.isFinite(v)) return null;
  if (v >= INT64_BLANK_MIN) return null;
  if (v >= FP64_BLANK_MIN) return null;
  if (v >= INT32_BLANK_MIN && v <= INT32_BLANK_MAX) return null;
  return v;
}

export interface DcgmGpu {
  uuid: string;
  gpu_index: number | null;
  hostname: string | null;
  model_name: string | null;
  metrics: Partial<Record<MetricOf<'gpu'>, number | null>>;
  /** DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION, converted from mJ */
  energy_j: number | null;
}

// clock-event (throttle) reason bits, nvml.h nvmlClocksEventReason*
const SW_POWER_CAP = 0x4;
const SW_THERMAL = 0x20;
const HW_THERMAL = 0x40;
const HW_POWER_BRAKE = 0x80;

const DIRECT: Record<string, MetricOf<'gpu'>> = {
  DCGM_FI_DEV_GPU_UTIL: 'util_pct',
  DCGM_FI_DEV_MEM_COPY_UTIL: 'mem_util_pct',
  DCGM_FI_DEV_FB_USED: 'mem_used_mib',
  DCGM_FI_DEV_POWER_USAGE: 'power_w',
  DCGM_FI_DEV_POWER_MGMT_LIMIT: 'power_limit_w',
  DCGM_FI_DEV_ENFORCED_POWER_LIMIT: 'power_limit_w',
  DCGM_FI_DEV_GPU_TEMP: 'temp_c',
  DCGM_FI_DEV_MEMORY_TEMP: 'mem_temp_c',
  DCGM_FI_DEV_SM_CLOCK: 'sm_clock_mhz',
  DCGM_FI_DEV_XID_ERRORS: 'xid_last',
  DCGM_FI_DEV_ECC_DBE_VOL_TOTAL: 'ecc_dbe_total',
};

/** Samples → one entry per physical GPU, by UUID. */
export function dcgmGpus(samples: PromSample[]): Map<string, DcgmGpu> {
  const gpus = new Map<string, DcgmGpu>();
  const extra = new Map<string, { free?: number | null; reserved?: number | null }>();
  for (const s of samples) {
    if (!s.name.startsWith('DCGM_FI_')) continue;
    // A MIG instance series describes a slice; the parent GPU has its own series for the same field.
    if (s.labels.GPU_I_ID !== undefined) continue;
    const uuid = s.labels.UUID ?? s.labels.uuid ?? (s.labels.gpu !== undefined ? `index:${s.labels.gpu}` : undefined);
    if (!uuid) continue;
    let g = gpus.get(uuid);
    if (!g) {
      const idx = s.labels.gpu !== undefined ? Number(s.labels.gpu) : NaN;
      g = {
        uuid,
        gpu_index: Number.isInteger(idx) ? idx : null,
        hostname: s.labels.Hostname ?? s.labels.hostname ?? null,
        model_name: s.labels.modelName ?? null,
        metrics: {},
        energy_j: null,
      };
      gpus.set(uuid, g);
    }
    const v = dcgmValue(s.value);
    const direct = DIRECT[s.name];
    if (direct) {
      // GDDR cards report memory temperature as 0: a running GPU's memory is never at 0 °C, so unknown.
      g.metrics[direct] = direct === 'mem_temp_c' && v === 0 ? null : v;
      continue;
    }
    const e = extra.get(uuid) ?? {};
    extra.set(uuid, e);
    switch (s.name) {
      case 'DCGM_FI_DEV_FB_FREE':
        e.free = v;
        break;
      case 'DCGM_FI_DEV_FB_RESERVED':
        e.reserved = v;
        break;
      case 'DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION':
        g.energy_j = v === null ? null : v / 1000;
        break;
      case 'DCGM_FI_DEV_CLOCK_THROTTLE_REASONS':
      case 'DCGM_FI_DEV_CLOCKS_EVENT_REASONS':
        g.metrics.throttle_thermal = v === null ? null : (v & (SW_THERMAL | HW_THERMAL)) !== 0 ? 1 : 0;
        g.metrics.throttle_power = v === null ? null : (v & (SW_POWER_CAP | HW_POWER_BRAKE)) !== 0 ? 1 : 0;
        break;
      default:
        break;
    }
  }
  for (const [uuid, g] of gpus) {
    const e = extra.get(uuid);
    const used = g.metrics.mem_used_mib;
    if (e?.free !== undefined && e.free !== null && used !== undefined && used !== null) {
      // Newer DCGM splits FB into used + free + reserved; total is all three (L40S: 0 + 45459 + 608 = 46067).
      g.metrics.mem_total_mib = used + e.free + (e.reserved ?? 0);
    }
  }
  return gpus;
}

/**
 * Maps scraped GPUs onto the configured devices of one exporter. Remembers each device's UUID so that
 * a GPU keeps its device id when a reboot renumbers the indices.
 */
export function createDcgmMapper(): {
  map(devices: DeviceModel[], gpus: Map<string, DcgmGpu>, ts: number): { readings: Reading[]; missing: string[] };
} {
  const uuidOf = new Map<string, string>();
  return {
    map(devices, gpus, ts) {
      const readings: Reading[] = [];
      const missing: string[] = [];
      const taken = new Set<string>();
      const byIndex = new Map<number, DcgmGpu>();
      for (const g of gpus.values()) if (g.gpu_index !== null) byIndex.set(g.gpu_index, g);
      for (const d of devices) {
        const known = uuidOf.get(d.id);
        let g = known ? gpus.get(known) : undefined;
        if (!g && d.gpu_index !== undefined) {
          const cand = byIndex.get(d.gpu_index);
          if (cand && !taken.has(cand.uuid) && ![...uuidOf.values()].some((u) => u === cand.uuid && u !== known)) g = cand;
        }
        if (!g) {
          missing.push(d.id);
          continue;
        }
        taken.add(g.uuid);
        uuidOf.set(d.id, g.uuid);
        readings.push({ device: d.id, ts, metrics: { ...g.metrics } });
      }
      return { readings, missing };
    },
  };
}

/** GET the exporter's /metrics text. */
export function scrapeText(url: string, timeout_ms: number): Promise<string> {
  return httpGetText(url, timeout_ms, MAX_SCRAPE_BYTES);
}

/** A DCGM exporter page for 8 GPUs is a few hundred KiB; 16 MiB leaves room for big nodes and extra metrics. */
export const MAX_SCRAPE_BYTES = 16 * 1024 * 1024;

/**
 * dcgm-exporter on each GPU node: one target per exporter URL, so a node's GPUs come from one scrape, and
 * one mapper per target remembers which UUID each of its devices had.
 */
export const dcgmCollector: CollectorPlugin = {
  // dcgm-exporter refreshes its counters every few seconds and each scrape is a large text page.
  defaults: { interval_s: 10, timeout_ms: 3000, concurrency: 32 },
  endpoint: { key: 'exporter', kinds: ['gpu_node'], check: checkHttpUrl },
  targets(devices, { sink, now }) {
    const byExporter = new Map<string, DeviceModel[]>();
    for (const d of devices) {
      if (!d.exporter) continue;
      const list = byExporter.get(d.exporter) ?? [];
      list.push(d);
      byExporter.set(d.exporter, list);
    }
    const targets: PollTarget[] = [];
    for (const [url, group] of byExporter) {
      const mapper = createDcgmMapper();
      targets.push({
        key: url, devices: group,
        poll: async (timeout_ms) => {
          const text = await scrapeText(url, timeout_ms);
          const { readings, missing } = mapper.map(group, dcgmGpus(parsePrometheusText(text)), now());
          if (readings.length === 0) throw new CollectorError('bad reply: no GPU series');
          sink.accept(readings);
          for (const id of missing) sink.deviceError(id, 'bad reply: GPU not in scrape', now());
        },
      });
    }
    return targets;
  },
};
