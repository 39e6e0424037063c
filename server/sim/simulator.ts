// The built-in demo: readings of a whole hybrid site that move like a real one (diurnal ambient, jobs
// starting and stopping on GPU nodes, miners with noise), with faults planted so the wall has something
// to show: a failing hashboard, a rack running hot, an idle GPU node, a miner that stopped answering.
// It produces raw readings for the one path in, exactly as a push would. During a curtailment event the
// miners shed load as a site's fleet software would (server/sim/curtail.ts), one rack too slowly.

import type { CatalogueModel, DeviceModel, Fluid, PoolEntry, RackModel, SiteModel } from '../core/types.js';
import { connectivityReadings } from './connectivity.js';
import { createShedding, SLEEP_W, type SimCurtailment } from './curtail.js';
import { createMarketSim } from './market.js';
import { createSimPools } from './pools.js';
import { mulberry32 } from './prng.js';

export interface SimulatorOptions {
  model: SiteModel;
  /** the one path in (pipeline.submit) */
  submit: (raws: unknown[]) => Promise<unknown>;
  intervalMs?: number;
  seed?: number;
  now?: () => number;
  onError?: (err: Error) => void;
  /** the curtailment events the server tracks (its wall list): the miners in an active one shed load */
  curtailments?: () => readonly SimCurtailment[];
}

export interface Simulator {
  /** one tick at `ts`: what would be pushed (exported for tests) */
  readingsAt(ts: number): SimReading[];
  tick(): Promise<void>;
  stop(): void;
}

export interface SimReading {
  device: string;
  ts: number;
  metrics: Record<string, number | null>;
  power_source?: 'device' | 'estimate' | 'meter';
  pools?: PoolEntry[];
}


const round = (v: number, digits = 1) => {
  const f = 10 ** digits;
  return Math.round(v * f) / f;
};

// Volumetric heat capacity of each fluid (density × cp, J/(L·K)) for the loop's ΔT.
const FLUID_J_PER_L_K: Record<Fluid, number> = {
  water: 4.18 * 998, pg25: 3.9 * 1020, eg30: 3.6 * 1040, immersion_oil: 2.1 * 800, pao: 2.2 * 790,
};

/** Outdoor air over the day: coolest near 05:00, warmest near 15:00 (local time of the server). */
export function ambientC(ts: number): number {
  const d = new Date(ts);
  const hour = d.getHours() + d.getMinutes() / 60;
  return 17 + 7 * Math.sin((2 * Math.PI * (hour - 9)) / 24);
}

interface Plan {
  hotRack?: string;
  failingMiner?: string;
  deadMiner?: string;
  idleNode?: string;
  throttleNode?: string;
}

/** Picks the planted faults deterministically from the layout so every demo run shows the same ones. */
function planFaults(model: SiteModel): Plan {
  const plan: Plan = {};
  const airMiningRacks = model.halls.flatMap((h) => h.racks).filter((r) => r.cooling === 'air' && r.devices.some((d) => d.kind === 'asic'));
  if (airMiningRacks.length > 0) {
    plan.hotRack = airMiningRacks[Math.min(6, airMiningRacks.length - 1)].id;
    const first = airMiningRacks[0].devices.filter((d) => d.kind === 'asic');
    if (first.length > 6) plan.failingMiner = first[6].id;
    const other = airMiningRacks[Math.min(3, airMiningRacks.length - 1)].devices.filter((d) => d.kind === 'asic');
    if (other.length > 11) plan.deadMiner = other[11].id;
  }
  const nodes = [...new Set([...model.devices.values()].filter((d) => d.kind === 'gpu' && d.node).map((d) => d.node!))];
  if (nodes.length > 2) plan.idleNode = nodes[2];
  if (nodes.length > 5) plan.throttleNode = nodes[5];
  return plan;
}

export function createSimulator(opts: SimulatorOptions): Simulator {
  const { model } = opts;
  const rand = mulberry32(opts.seed ?? 20261125);
  const now = opts.now ?? Date.now;
  const plan = planFaults(model);
  const startedAt = now();
  // Per-device steady offsets, so miners differ from each other but not from tick to tick.
  const offset = new Map<string, number>();
  for (const id of model.devices.keys()) offset.set(id, rand() * 2 - 1);
  const jitter = (amp: number) => (rand() * 2 - 1) * amp;
  const cat = (d: DeviceModel): CatalogueModel | undefined => (d.model ? model.catalogue.get(d.model) : undefined);
  const nodeLoad = new Map<string, { util: number; until: number }>();
  const shedding = createShedding(model);
  const pools = createSimPools(model, startedAt);
  const markets = createMarketSim([...model.devices.values()].filter((d) => d.kind === 'market').map((d) => d.id), model.economics?.timezone ?? 'UTC');

  function gpuNodeUtil(node: string, ts: number): number {
    if (node === plan.idleNode) return 0;
    let job = nodeLoad.get(node);
    if (!job || ts >= job.until) {
      // Jobs: mostly long training runs near full load, some inference at partial load, short gaps.
      const r = rand();
      const util = r < 0.65 ? 92 + rand() * 8 : r < 0.9 ? 35 + rand() * 35 : 0;
      job = { util, until: ts + (3 + rand() * 12) * 60_000 };
      nodeLoad.set(node, job);
    }
    return job.util;
  }

  function rackInlet(rack: RackModel, ts: number): number {
    const amb = ambientC(ts);
    let inlet = rack.cooling === 'air' ? 21 + 0.35 * (amb - 17) : 22 + 0.1 * (amb - 17);
    inlet += (offset.get(rack.id) ?? 0) * 0.8;
    if (rack.id === plan.hotRack) {
      // A blocked filter: climbs from 27 °C to about 31 °C over the first 20 minutes of the demo.
      inlet = 27 + 4 * Math.min(1, (ts - startedAt) / 1_200_000) + 0.3 * Math.sin(ts / 60_000);
    }
    return inlet;
  }

  function readingsAt(ts: number): SimReading[] {
    const out: SimReading[] = [];
    const amb = ambientC(ts);
    const hallIt = new Map<string, number>();
    const loopHeat = new Map<string, number>();
    const asleep = shedding.step(ts, opts.curtailments?.() ?? []);
    for (const hall of model.halls) {
      let hallW = 0;
      for (const rack of hall.racks) {
        const inlet = rackInlet(rack, ts);
        let rackW = 0;
        for (const d of rack.devices) {
          const c = cat(d);
          const o = offset.get(d.id) ?? 0;
          if (d.kind === 'asic') {
            if (d.id === plan.deadMiner) continue;
            if (asleep.has(d.id)) {
              // Switched to sleep by the curtailment: it answers, hashes nothing, draws its control board's few watts.
              rackW += SLEEP_W;
              out.push({
                device: d.id, ts, power_source: 'device',
                metrics: {
                  hashrate_ths: 0, power_w: SLEEP_W, chip_temp_c: round(inlet + 4 + jitter(0.5)), board_temp_c: round(inlet + 3 + jitter(0.5)),
                  inlet_temp_c: round(inlet + jitter(0.3)), outlet_temp_c: round(inlet + 1 + jitter(0.3)),
                  fan_rpm: rack.cooling === 'immersion' ? null : 0, chains_ok: 3, chains_total: 3,
                  uptime_s: Math.floor((ts - startedAt) / 1000) + 86_400 + Math.floor(3600 * (o + 1)),
                },
              });
              continue;
            }
            const nominalThs = d.nominal_ths ?? c?.nominal_ths ?? 200;
            const nominalW = d.nominal_power_w ?? c?.nominal_power_w ?? 3500;
            const failing = d.id === plan.failingMiner;
            const chainsTotal = 3;
            const chainsOk = failing ? 2 : 3;
            const ths = nominalThs * (chainsOk / chainsTotal) * (1 + 0.015 * o + jitter(0.02));
            const w = nominalW * (chainsOk / chainsTotal) * (1 + 0.01 * o + jitter(0.005)) * (1 + 0.004 * (inlet - 25));
            const immersion = rack.cooling === 'immersion';
            rackW += w;
            out.push({
              device: d.id, ts, power_source: 'device',
              metrics: {
                hashrate_ths: round(ths, 2), power_w: round(w, 0),
                chip_temp_c: round((immersion ? 58 : 66) + (inlet - 24) * 0.9 + 3 * o + jitter(0.8)),
                board_temp_c: round((immersion ? 48 : 55) + (inlet - 24) * 0.9 + 2 * o + jitter(0.5)),
                inlet_temp_c: round(inlet + jitter(0.3)),
                outlet_temp_c: round(inlet + (immersion ? 8 : 17) + jitter(0.5)),
                fan_rpm: immersion ? null : round(4800 + 80 * (inlet - 24) + 150 * o + jitter(60), 0),
                accepted_shares: Math.floor((ts - startedAt) / 1000 * 0.05 * (1 + 0.1 * o)),
                rejected_shares: Math.floor((ts - startedAt) / 1000 * 0.00005),
                hw_errors: failing ? Math.floor((ts - startedAt) / 1000 * 0.3) : 0,
                chains_ok: chainsOk, chains_total: chainsTotal,
                uptime_s: Math.floor((ts - startedAt) / 1000) + 86_400 + Math.floor(3600 * (o + 1)),
              },
            });
            const p = pools.miner(d, ts, o, jitter);
            if (p !== null) {
              Object.assign(out[out.length - 1].metrics, p.metrics);
              out[out.length - 1].pools = p.pools;
            }
          } else if (d.kind === 'gpu') {
            const util = Math.max(0, Math.min(100, gpuNodeUtil(d.node ?? d.id, ts) + (gpuNodeUtil(d.node ?? d.id, ts) > 0 ? jitter(3) : 0)));
            const tdp = d.nominal_power_w ?? c?.nominal_power_w ?? 700;
            const idleW = tdp * 0.1;
            const w = idleW + (tdp * 0.95 - idleW) * (util / 100) + jitter(8);
            const memTotal = c?.mem_total_mib ?? 81559;
            rackW += w;
            out.push({
              device: d.id, ts, power_source: 'device',
              metrics: {
                util_pct: round(util, 0), mem_util_pct: round(util * 0.6, 0),
                mem_used_mib: util > 0 ? round(memTotal * (0.55 + 0.4 * (o + 1) / 2), 0) : 4,
                mem_total_mib: memTotal, power_w: round(w, 1), power_limit_w: tdp,
                temp_c: round(34 + util * 0.32 + (inlet - 24) * 0.5 + 2 * o, 0),
                mem_temp_c: round(38 + util * 0.3 + 2 * o, 0),
                sm_clock_mhz: util > 0 ? 1980 : 345,
                throttle_thermal: 0, throttle_power: d.node === plan.throttleNode && util > 90 ? 1 : 0,
                xid_last: 0, ecc_dbe_total: 0,
              },
            });
          }
        }
        // GPU nodes' hosts (CPUs, memory, NICs, fans) draw what no GPU reports: ~2 kW idle, ~4.6 kW busy.
        const nodes = new Set(rack.devices.filter((d) => d.kind === 'gpu' && d.node).map((d) => d.node!));
        for (const node of nodes) rackW += 2000 + 2600 * (gpuNodeUtil(node, ts) / 100);
        // The rack's switches, fans and PSU losses that no device reports: about 3 %.
        const pduW = rackW * 1.03;
        for (const d of rack.devices) {
          if (d.kind === 'pdu') {
            const share = 0.5 + 0.02 * (offset.get(d.id) ?? 0);
            out.push({
              device: d.id, ts, power_source: 'meter',
              metrics: { power_w: round(pduW, 0), feed_a_w: round(pduW * share, 0), feed_b_w: round(pduW * (1 - share), 0) },
            });
          } else if (d.kind === 'env') {
            const dt = rack.cooling === 'air' ? 12 + 6 * Math.min(1, rackW / (rack.rated_kw * 1000)) : 4;
            out.push({
              device: d.id, ts,
              metrics: { inlet_temp_c: round(inlet + jitter(0.2)), outlet_temp_c: round(inlet + dt + jitter(0.3)), humidity_pct: round(45 + 5 * Math.sin(ts / 3_600_000) + jitter(1), 0) },
            });
          }
        }
        hallW += pduW;
        if (rack.loop) {
          // Direct liquid cooling takes about 80 % of a GPU rack's heat (the rest goes to air); immersion all of it.
          const captured = rack.cooling === 'immersion' ? 0.98 : 0.8;
          loopHeat.set(rack.loop, (loopHeat.get(rack.loop) ?? 0) + pduW * captured);
        }
      }
      hallIt.set(hall.id, hallW);
    }
    for (const loop of model.loops) {
      const heatW = loopHeat.get(loop.id) ?? 0;
      const jPerLK = FLUID_J_PER_L_K[loop.fluid];
      const flowLpm = Math.max(50, (heatW / (jPerLK * 9)) * 60); // sized for about 9 K at the current load
      const supply = (loop.fluid === 'immersion_oil' ? 32 : 30) + 0.15 * (amb - 17) + jitter(0.1);
      const dT = heatW / (jPerLK * (flowLpm / 60));
      out.push({ device: loop.id, ts, metrics: { supply_temp_c: round(supply, 2), return_temp_c: round(supply + dT, 2), flow_lpm: round(flowLpm, 1) } });
    }
    // Cooling and electrical overhead grows with the outdoor temperature; immersion and liquid need less.
    let siteW = 0;
    for (const m of model.meters) {
      const scope = m.scope;
      if (scope === 'site') continue;
      const hallW = hallIt.get(scope.hall) ?? 0;
      const hall = model.halls.find((h) => h.id === scope.hall);
      const airShare = hall ? hall.racks.filter((r) => r.cooling === 'air').length / Math.max(1, hall.racks.length) : 0.5;
      const overhead = 0.06 + 0.1 * airShare + 0.006 * Math.max(0, amb - 12) + jitter(0.002);
      const w = hallW * (1 + overhead);
      siteW += w;
      out.push({ device: m.id, ts, power_source: 'meter', metrics: { power_w: round(w, 0) } });
    }
    out.push(...pools.probes(ts, jitter));
    const itAll = [...hallIt.values()].reduce((a, b) => a + b, 0);
    for (const m of model.meters) {
      if (m.scope !== 'site') continue;
      // Offices, lighting and transformer losses on top of the halls.
      const w = (siteW > 0 ? siteW : itAll * 1.2) * 1.02;
      out.push({ device: m.id, ts, power_source: 'meter', metrics: { power_w: round(w, 0) } });
    }
    out.push(...markets.readingsAt(ts, jitter));
    out.push(...connectivityReadings(model, ts, jitter));
    return out;
  }

  let timer: NodeJS.Timeout | undefined;
  let busy = false;
  async function tick(): Promise<void> {
    if (busy) return; // a slow store never piles up simulator ticks
    busy = true;
    try {
      await opts.submit(readingsAt(now()));
    } catch (e) {
      opts.onError?.(e as Error);
    } finally {
      busy = false;
    }
  }
  const intervalMs = opts.intervalMs ?? 5000;
  timer = setInterval(() => void tick(), intervalMs);
  void tick();
  return {
    readingsAt,
    tick,
    stop() {
      if (timer) clearInterval(timer);
      timer = undefined;
    },
  };
}
