// Live state → figures (DESIGN.md §4): one pass over the devices, grouped by rack through a precomputed
// index, folded into racks, halls and the site. Pure: no I/O, no clock (input.now is the time).

import type {
  AggregateFigures, DeviceKind, DeviceLive, DeviceModel, DeviceStatus, Figures, HallFigures, HallModel, HealthCounts,
  LiveInput, LoopFigures, CoolingLoopModel, RackFigures, RackModel, SiteFigures, SiteModel,
} from './types.js';
import { deviceHealth, emptyHealthCounts, mergeHealth, type HealthContext, type HealthResult } from '../metrics/health.js';
import { addGpu, addMiner, emptyUtil, mergeUtil, utilFigures, type UtilAcc } from '../metrics/utilisation.js';
import { feedCheck, headroomW, jPerTh, loadRatio, pduPowerW, pue, rackPower, wPerGpu } from '../metrics/power.js';
import { airDeltaTC, ashraeState, captureRatio, liquidHeatW } from '../metrics/cooling.js';
import { energyFigures, type EnergyWindow } from '../metrics/energy.js';

export { createEnergyWindow, recordEnergy, type EnergyWindow } from '../metrics/energy.js';

// ---------------------------------------------------------------------------------------------------
// Index: built once per model, so the per-second compute does no map building.

export interface DeviceRef {
  id: string;
  kind: DeviceKind;
  model: DeviceModel;
  /** config override, else catalogue; null when unknown (sensors, unknown models) */
  nominal_ths: number | null;
  rack?: string;
  hall?: string;
}

export interface RackIndex {
  rack: RackModel;
  devices: DeviceRef[];
}

export interface HallIndex {
  hall: HallModel;
  racks: RackIndex[];
  /** meter ids scoped to this hall */
  meters: string[];
  /** devices of this hall outside any rack (its meters, its loops' devices, loose sensors) */
  extras: DeviceRef[];
}

export interface LoopIndex {
  loop: CoolingLoopModel;
  racks: RackIndex[];
}

export interface SiteIndex {
  model: SiteModel;
  halls: HallIndex[];
  racks: Map<string, RackIndex>;
  loops: LoopIndex[];
  site_meters: string[];
  /** devices in no rack and no hall */
  site_extras: DeviceRef[];
  devices: Map<string, DeviceRef>;
}

function nominalThs(model: SiteModel, d: DeviceModel): number | null {
  if (d.nominal_ths !== undefined) return d.nominal_ths;
  if (d.model === undefined) return null;
  return model.catalogue.get(d.model)?.nominal_ths ?? null;
}

export function prepareIndex(model: SiteModel): SiteIndex {
  const devices = new Map<string, DeviceRef>();
  const ref = (d: DeviceModel, rack?: string, hall?: string): DeviceRef => {
    const r: DeviceRef = { id: d.id, kind: d.kind, model: d, nominal_ths: nominalThs(model, d) };
    const rk = rack ?? d.rack;
    const hl = hall ?? d.hall;
    if (rk !== undefined) r.rack = rk;
    if (hl !== undefined) r.hall = hl;
    devices.set(d.id, r);
    return r;
  };

  const racks = new Map<string, RackIndex>();
  const halls: HallIndex[] = [];
  const hallById = new Map<string, HallIndex>();
  for (const hall of model.halls) {
    const hi: HallIndex = { hall, racks: [], meters: [], extras: [] };
    for (const rack of hall.racks) {
      const ri: RackIndex = { rack, devices: rack.devices.map((d) => ref(d, rack.id, rack.hall)) };
      racks.set(rack.id, ri);
      hi.racks.push(ri);
    }
    halls.push(hi);
    hallById.set(hall.id, hi);
  }

  const site_meters: string[] = [];
  const hallOfLoose = new Map<string, string>();
  for (const m of model.meters) {
    if (m.scope === 'site') site_meters.push(m.id);
    else {
      hallById.get(m.scope.hall)?.meters.push(m.id);
      hallOfLoose.set(m.id, m.scope.hall);
    }
  }
  const loops: LoopIndex[] = model.loops.map((loop) => {
    if (loop.hall !== undefined) hallOfLoose.set(loop.id, loop.hall);
    const lr: RackIndex[] = [];
    for (const id of loop.racks) {
      const r = racks.get(id);
      if (r !== undefined) lr.push(r);
    }
    return { loop, racks: lr };
  });

  const site_extras: DeviceRef[] = [];
  for (const d of model.devices.values()) {
    if (devices.has(d.id)) continue;
    const hall = hallOfLoose.get(d.id) ?? d.hall;
    const r = ref(d, undefined, hall);
    const hi = hall === undefined ? undefined : hallById.get(hall);
    if (hi !== undefined) hi.extras.push(r);
    else site_extras.push(r);
  }
  return { model, halls, racks, loops, site_meters, site_extras, devices };
}

const indexCache = new WeakMap<SiteModel, SiteIndex>();

/** The model's index, built on first use and kept as long as the model object lives. */
export function indexFor(model: SiteModel): SiteIndex {
  let idx = indexCache.get(model);
  if (idx === undefined) {
    idx = prepareIndex(model);
    indexCache.set(model, idx);
  }
  return idx;
}

// ---------------------------------------------------------------------------------------------------
// Aggregation

/** Sums that fold racks into halls and halls into the site. */
interface Acc {
  it_w: number;
  it_known: boolean;
  util: UtilAcc;
  /** J/TH numerator and denominator over hashing miners with known power */
  jpt_w: number;
  jpt_ths: number;
  gpu_w: number;
  gpu_w_count: number;
  worst_inlet_c: number | null;
  health: HealthCounts;
}

function emptyAcc(): Acc {
  return {
    it_w: 0, it_known: false, util: emptyUtil(), jpt_w: 0, jpt_ths: 0, gpu_w: 0, gpu_w_count: 0,
    worst_inlet_c: null, health: emptyHealthCounts(),
  };
}

function mergeAcc(into: Acc, from: Acc): void {
  if (from.it_known) {
    into.it_w += from.it_w;
    into.it_known = true;
  }
  mergeUtil(into.util, from.util);
  into.jpt_w += from.jpt_w;
  into.jpt_ths += from.jpt_ths;
  into.gpu_w += from.gpu_w;
  into.gpu_w_count += from.gpu_w_count;
  if (from.worst_inlet_c !== null && (into.worst_inlet_c === null || from.worst_inlet_c > into.worst_inlet_c)) {
    into.worst_inlet_c = from.worst_inlet_c;
  }
  mergeHealth(into.health, from.health);
}

function maxOf(a: number | null, b: number | null | undefined): number | null {
  if (b === null || b === undefined) return a;
  return a === null || b > a ? b : a;
}

function metric(live: DeviceLive | undefined, k: keyof DeviceLive['metrics']): number | null {
  const v = live?.metrics[k];
  return v === undefined ? null : v;
}

// One context reused for every device: allocating one per device costs more than the health check itself.
const sharedCtx: HealthContext = { now: 0, stale_after_ms: 0, nominal_ths: null };

function healthOf(input: LiveInput, ref: DeviceRef, live: DeviceLive | undefined): HealthResult {
  sharedCtx.now = input.now;
  sharedCtx.stale_after_ms = input.stale_after_ms;
  sharedCtx.offline = input.offline;
  sharedCtx.nominal_ths = ref.nominal_ths;
  return deviceHealth(ref.kind, live, sharedCtx);
}

/** Health of loose devices (meters, loop devices) into counts. */
function countExtras(input: LiveInput, refs: DeviceRef[], counts: HealthCounts): void {
  for (const ref of refs) counts[healthOf(input, ref, input.devices.get(ref.id)).health]++;
}

/**
 * Power of a set of meters: their sum when every one is fresh and reports power_w; null otherwise, since
 * a partial sum would understate the facility and make PUE look better than it is.
 */
function metersPowerW(input: LiveInput, idx: SiteIndex, ids: string[]): number | null {
  if (ids.length === 0) return null;
  let sum = 0;
  for (const id of ids) {
    const ref = idx.devices.get(id);
    const live = input.devices.get(id);
    if (ref === undefined || live === undefined) return null;
    if (healthOf(input, ref, live).health === 'down') return null;
    const p = metric(live, 'power_w');
    if (p === null) return null;
    sum += p;
  }
  return sum;
}

function rackFigures(input: LiveInput, ri: RackIndex, acc: Acc): RackFigures {
  const rack = ri.rack;
  let dev_w = 0;
  let dev_w_known = false;
  let pdu_count = 0;
  let pdu_w = 0;
  let pdu_all_ok = true;
  let feed_a: number | null = null;
  let feed_b: number | null = null;
  let env_in: number | null = null;
  let env_out: number | null = null;
  let asic_in: number | null = null;
  let asic_out: number | null = null;
  const health = acc.health;
  const util = acc.util;

  for (const ref of ri.devices) {
    const live = input.devices.get(ref.id);
    const h = healthOf(input, ref, live).health;
    health[h]++;
    const down = h === 'down';
    switch (ref.kind) {
      case 'asic': {
        const hr = metric(live, 'hashrate_ths');
        addMiner(util, hr, ref.nominal_ths, down);
        if (down) break;
        const p = metric(live, 'power_w');
        if (p !== null) {
          dev_w += p;
          dev_w_known = true;
          if (hr !== null && hr > 0) {
            acc.jpt_w += p;
            acc.jpt_ths += hr;
          }
        }
        asic_in = maxOf(asic_in, metric(live, 'inlet_temp_c'));
        asic_out = maxOf(asic_out, metric(live, 'outlet_temp_c'));
        break;
      }
      case 'gpu': {
        addGpu(util, metric(live, 'util_pct'), down);
        if (down) break;
        const p = metric(live, 'power_w');
        if (p !== null) {
          dev_w += p;
          dev_w_known = true;
          acc.gpu_w += p;
          acc.gpu_w_count++;
        }
        break;
      }
      case 'env':
        if (down) break;
        env_in = maxOf(env_in, metric(live, 'inlet_temp_c'));
        env_out = maxOf(env_out, metric(live, 'outlet_temp_c'));
        break;
      case 'pdu': {
        pdu_count++;
        if (down) {
          pdu_all_ok = false;
          break;
        }
        const a = metric(live, 'feed_a_w');
        const b = metric(live, 'feed_b_w');
        const p = pduPowerW(metric(live, 'power_w'), a, b);
        if (p === null) pdu_all_ok = false;
        else pdu_w += p;
        if (a !== null) feed_a = (feed_a ?? 0) + a;
        if (b !== null) feed_b = (feed_b ?? 0) + b;
        break;
      }
      default:
        break;
    }
  }

  // Every PDU of the rack must be read for the PDU figure to be the rack's: one of two strips alone is half.
  const power = rackPower(pdu_count > 0 && pdu_all_ok ? pdu_w : null, dev_w_known ? dev_w : null);
  if (power.power_w !== null) {
    acc.it_w += power.power_w;
    acc.it_known = true;
  }
  // Rack sensors measure the air the rack breathes; miners' own inlet sensors are the fallback.
  const inlet = env_in ?? asic_in;
  const outlet = env_out ?? asic_out;
  acc.worst_inlet_c = maxOf(acc.worst_inlet_c, inlet);
  const u = utilFigures(util);
  const feeds = feedCheck(feed_a, feed_b, rack.feed_rated_kw, rack.feeds.length);

  return {
    id: rack.id,
    hall: rack.hall,
    power_w: power.power_w,
    power_source: power.power_source,
    rated_kw: rack.rated_kw,
    headroom_w: headroomW(power.power_w, rack.rated_kw),
    load_ratio: loadRatio(power.power_w, rack.rated_kw),
    feed_a_w: feed_a,
    feed_b_w: feed_b,
    feed_failover_ok: feeds.failover_ok,
    inlet_temp_c: inlet,
    outlet_temp_c: outlet,
    delta_t_c: airDeltaTC(inlet, outlet),
    ashrae: ashraeState(inlet),
    hashrate_ths: u.hashrate_ths,
    nominal_ths: u.nominal_ths,
    hashrate_ratio: u.hashrate_ratio,
    gpu_util_pct: u.gpu_util_pct,
    gpus_busy: u.gpus_busy,
    gpus_idle: u.gpus_idle,
    health: { ...health },
  };
}

function aggregate(acc: Acc, facility_w: number | null): AggregateFigures {
  const u = utilFigures(acc.util);
  const it = acc.it_known ? acc.it_w : null;
  return {
    it_power_w: it,
    facility_power_w: facility_w,
    pue: pue(facility_w, it),
    pue_24h: null,
    hashrate_ths: u.hashrate_ths,
    nominal_ths: u.nominal_ths,
    hashrate_ratio: u.hashrate_ratio,
    j_per_th: jPerTh(acc.jpt_w, acc.jpt_ths),
    miners_hashing: u.miners_hashing,
    miners_total: u.miners_total,
    gpu_util_pct: u.gpu_util_pct,
    gpus_busy: u.gpus_busy,
    gpus_idle: u.gpus_idle,
    gpus_total: u.gpus_total,
    w_per_gpu: wPerGpu(acc.gpu_w, acc.gpu_w_count),
    worst_inlet_c: acc.worst_inlet_c,
    health: acc.health,
  };
}

function loopFigures(input: LiveInput, idx: SiteIndex, li: LoopIndex, rack_power: Map<string, number | null>): LoopFigures {
  // The loop's sensors are the device that carries the loop's id.
  const ref = idx.devices.get(li.loop.id);
  const live = input.devices.get(li.loop.id);
  const fresh = ref !== undefined && live !== undefined && healthOf(input, ref, live).health !== 'down';
  const supply = fresh ? metric(live, 'supply_temp_c') : null;
  const ret = fresh ? metric(live, 'return_temp_c') : null;
  const flow = fresh ? metric(live, 'flow_lpm') : null;
  let it = 0;
  let it_known = false;
  for (const r of li.racks) {
    const p = rack_power.get(r.rack.id);
    if (p === null || p === undefined) continue;
    it += p;
    it_known = true;
  }
  const it_power_w = it_known ? it : null;
  const heat = liquidHeatW(flow, supply, ret, li.loop.fluid);
  return {
    id: li.loop.id,
    supply_temp_c: supply,
    return_temp_c: ret,
    flow_lpm: flow,
    delta_t_c: supply !== null && ret !== null ? ret - supply : null,
    heat_removed_w: heat,
    it_power_w,
    capture_ratio: captureRatio(heat, it_power_w),
  };
}

/**
 * Every figure of DESIGN.md §4 from the live state. Down devices (stale, failing) count as down and add
 * nothing to power or hashrate sums: their last values are not current. `energy` supplies the 24 h PUE and
 * the kWh totals; without it those are null / 0.
 */
export function computeFigures(input: LiveInput, energy?: EnergyWindow, index?: SiteIndex): Figures {
  const idx = index ?? indexFor(input.model);
  const racks: RackFigures[] = [];
  const halls: HallFigures[] = [];
  const rack_power = new Map<string, number | null>();
  const site = emptyAcc();
  const hall_facility: (number | null)[] = [];

  for (const hi of idx.halls) {
    const hall = emptyAcc();
    for (const ri of hi.racks) {
      const acc = emptyAcc();
      const rf = rackFigures(input, ri, acc);
      racks.push(rf);
      rack_power.set(rf.id, rf.power_w);
      mergeAcc(hall, acc);
    }
    countExtras(input, hi.extras, hall.health);
    const facility = metersPowerW(input, idx, hi.meters);
    hall_facility.push(facility);
    halls.push({ id: hi.hall.id, name: hi.hall.name, ...aggregate(hall, facility) });
    mergeAcc(site, hall);
  }
  countExtras(input, idx.site_extras, site.health);

  let site_facility = metersPowerW(input, idx, idx.site_meters);
  if (site_facility === null && idx.site_meters.length === 0 && hall_facility.length > 0 && hall_facility.every((f) => f !== null)) {
    // Hall meters cover the whole site only when every hall has one; otherwise the sum would omit a hall.
    site_facility = hall_facility.reduce<number>((s, f) => s + (f ?? 0), 0);
  }

  const e = energy === undefined ? null : energyFigures(energy, input.now);
  const siteFigures: SiteFigures = {
    name: input.model.name,
    ts: input.now,
    ...aggregate(site, site_facility),
    energy_it_kwh: e?.energy_it_kwh ?? 0,
    energy_facility_kwh: e?.energy_facility_kwh ?? 0,
  };
  siteFigures.pue_24h = e?.pue_24h ?? null;

  const loops = idx.loops.map((li) => loopFigures(input, idx, li, rack_power));
  return { site: siteFigures, halls, racks, loops };
}

// ---------------------------------------------------------------------------------------------------
// Device level

function statusOf(input: LiveInput, ref: DeviceRef): DeviceStatus {
  const live = input.devices.get(ref.id);
  const h = healthOf(input, ref, live);
  const s: DeviceStatus = {
    id: ref.id,
    kind: ref.kind,
    health: h.health,
    last_seen: live?.ts ?? null,
    metrics: live === undefined ? {} : { ...live.metrics },
  };
  if (ref.rack !== undefined) s.rack = ref.rack;
  if (ref.hall !== undefined) s.hall = ref.hall;
  if (ref.model.model !== undefined) s.model = ref.model.model;
  if (h.reason !== undefined) s.reason = h.reason;
  if (live?.power_source !== undefined) s.power_source = live.power_source;
  return s;
}

const NO_METRICS: DeviceStatus['metrics'] = Object.freeze({});

/**
 * Every device's status in index order, for a reader that only looks during the call (the alert engine
 * on each tick). Unlike deviceStatus() the metrics are the live object itself, not a copy: at 100,000
 * devices the copies were most of the alert pass's time and garbage. The visitor must neither keep nor
 * change the status or its metrics.
 */
export function visitDeviceStatuses(input: LiveInput, index: SiteIndex, visit: (d: Readonly<DeviceStatus>) => void): void {
  for (const ref of index.devices.values()) {
    const live = input.devices.get(ref.id);
    const h = healthOf(input, ref, live);
    // Every key always present (absent ones undefined): one object shape for all 100,000 keeps the
    // engine's property reads monomorphic. Readers test `=== undefined`, never `in`.
    visit({
      id: ref.id,
      kind: ref.kind,
      rack: ref.rack,
      hall: ref.hall,
      model: ref.model.model,
      health: h.health,
      reason: h.reason,
      last_seen: live?.ts ?? null,
      power_source: live?.power_source,
      metrics: live === undefined ? NO_METRICS : live.metrics,
    });
  }
}

export function deviceStatus(input: LiveInput, id: string, index?: SiteIndex): DeviceStatus | undefined {
  const ref = (index ?? indexFor(input.model)).devices.get(id);
  return ref === undefined ? undefined : statusOf(input, ref);
}

/** Statuses of a rack's devices in config order; [] for an unknown rack. */
export function deviceStatuses(input: LiveInput, rackId: string, index?: SiteIndex): DeviceStatus[] {
  const ri = (index ?? indexFor(input.model)).racks.get(rackId);
  return ri === undefined ? [] : ri.devices.map((ref) => statusOf(input, ref));
}
