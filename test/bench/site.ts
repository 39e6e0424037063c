// The benchmark's site, written in the config's compact form: a 100,000-device site is a few dozen
// lines, so it goes through the same loader and validator as a real one.

import { parseConfig } from '../../server/config/load.js';
import type { SiteModel } from '../../server/core/types.js';

export const BENCH_TOKEN = 'bench-token';

/** Devices per mining rack: 34 miners, a PDU and an air sensor. */
export const ASICS_PER_RACK = 34;
/** Devices per GPU rack: 4 nodes of 8 GPUs, a PDU and an air sensor. */
export const GPUS_PER_RACK = 32;
/** Racks per floor row (racks of one row share a compact entry). */
const RACKS_PER_ROW = 50;

export interface BenchSiteOptions {
  /** total devices wanted (the site gets the nearest whole racks below it) */
  devices: number;
  /** share of devices that are GPUs (rest are miners and rack sensors) */
  gpu_share?: number;
  per_device?: boolean;
  /** a remote_write store (Prometheus' defaults otherwise): the bench's remote-write section */
  remote_write_url?: string;
}

export interface BenchSiteShape {
  mining_racks: number;
  gpu_racks: number;
}

export function benchSiteShape(opts: BenchSiteOptions): BenchSiteShape {
  const gpuShare = opts.gpu_share ?? 0.03;
  const gpuRacks = Math.max(1, Math.round((opts.devices * gpuShare) / (GPUS_PER_RACK + 2)));
  const miningRacks = Math.max(1, Math.floor((opts.devices - gpuRacks * (GPUS_PER_RACK + 2)) / (ASICS_PER_RACK + 2)));
  return { mining_racks: miningRacks, gpu_racks: gpuRacks };
}

function rows(total: number, emit: (row: number, count: number) => string): string {
  const out: string[] = [];
  for (let row = 1, left = total; left > 0; row++, left -= RACKS_PER_ROW) out.push(emit(row, Math.min(RACKS_PER_ROW, left)));
  return out.join('\n');
}

/** Config YAML of a hybrid site: a mining hall of air racks and an AI hall of liquid-cooled GPU racks. */
export function benchSiteYaml(opts: BenchSiteOptions): string {
  const { mining_racks, gpu_racks } = benchSiteShape(opts);
  const mining = rows(mining_racks, (row, count) => `
      - id: "M{row}-{n:02}"
        count: ${count}
        row: ${row}
        col: "{n}"
        rated_kw: 160
        devices:
          - { id: "{rack}-{n:02}", kind: asic, model: antminer-s21, count: ${ASICS_PER_RACK} }
          - { id: "{rack}-pdu", kind: pdu }
          - { id: "{rack}-env", kind: env }`.replace('{row}', String(row)));
  const gpu = rows(gpu_racks, (row, count) => `
      - id: "G{row}-{n:02}"
        count: ${count}
        row: ${row}
        col: "{n}"
        rated_kw: 160
        cooling: liquid
        loop: G-CDU
        devices:
          - { id: "{rack}-n{n}", kind: gpu_node, model: h100-sxm, gpus: 8, count: ${GPUS_PER_RACK / 8} }
          - { id: "{rack}-pdu", kind: pdu }
          - { id: "{rack}-env", kind: env }`.replace('{row}', String(row)));
  return `site: { name: Floorwatch bench site }
halls:
  - id: M
    name: Mining hall
    racks:${mining}
  - id: G
    name: AI hall
    racks:${gpu}
cooling_loops:
  - { id: G-CDU, hall: G, fluid: water }
meters:
  - { id: FAC, scope: site }
auth:
  ingest_tokens:
    - { name: bench, token: ${BENCH_TOKEN} }
  # The load generator is one integrator pushing for a whole site: the per-token limit is for real ones.
  ingest_rate_per_s: 1000000
prometheus:
  per_device: ${opts.per_device === true}
${opts.remote_write_url === undefined ? '' : `remote_write:\n  - { name: bench-vm, url: "${opts.remote_write_url}" }\n`}`;
}

export function benchSite(opts: BenchSiteOptions): SiteModel {
  const r = parseConfig(benchSiteYaml(opts), { env: {} });
  if (!r.ok) throw new Error(`bench site config: ${r.errors.slice(0, 5).join('; ')}`);
  return r.model;
}

/**
 * Marker PDU readings carry power_w = MARKER_BASE_W + seq × MARKER_STEP_W: a plausible rack draw (under
 * the 80 % budget of a 160 kW rack, so no alert fires), with the sequence number in the milliwatts.
 */
export const MARKER_BASE_W = 110_000;
export const MARKER_STEP_W = 0.001;
export const MARKER_SPAN = 1_000_000;

export function markerPowerW(seq: number): number {
  return MARKER_BASE_W + (seq % MARKER_SPAN) * MARKER_STEP_W;
}

/** The marker seq a rack power figure carries, or null when it is not a marker. */
export function markerSeq(power_w: number | null): number | null {
  if (power_w === null || power_w < MARKER_BASE_W || power_w >= MARKER_BASE_W + MARKER_SPAN * MARKER_STEP_W) return null;
  return Math.round((power_w - MARKER_BASE_W) / MARKER_STEP_W);
}
