// Live state → figures (DESIGN.md §4): one pass over the devices, grouped by rack through a precomputed
// index, folded into racks, halls and the site. Pure: no I/O, no clock (input.now is the time).

import type {
  AggregateFigures, DeviceKind, DeviceLive, DeviceModel, DeviceStatus, Figures, HallFigures, HallModel, HealthCounts,
  LiveInput, LoopFigures, CoolingLoopModel, RackFigures, RackModel, SiteFigures, SiteModel,
} from '../core/types.js';
import { deviceHealth, emptyHealthCounts, mergeHealth, type HealthContext, type HealthResult } from './health.js';
import { addGpu, addMiner, emptyUtil, mergeUtil, utilFigures, type UtilAcc } from './utilisation.js';
import { feedCheck, headroomW, jPerTh, loadRatio, pduPowerW, pue, pueDataFault, rackPower, wPerGpu } from './power.js';
import { airDeltaTC, ashraeState, captureRatio, liquidHeatW } from './cooling.js';
import { energyFigures, type EnergyWindow } from './energy.js';

export { createEnergyWindow, recordEnergy, type EnergyWindow } from './energy.js';

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
  /** racks folded in, and those of them whose power is not from current, complete inputs */
  racks: number;
  incomplete: number;
  /** the first incomplete rack and why ('M-02 (1 of 2 devices down)'), for the reason an operator reads */
  first_incomplete: string | null;
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
    it_w: 0, it_known: false, racks: 0, incomplete: 0, first_incomplete: null, util: emptyUtil(), jpt_w: 0, jpt_ths: 0, gpu_w: 0, gpu_w_count: 0,
    worst_inlet_c: null, health: emptyHealthCounts(),
  };
}

function mergeAcc(into: Acc, from: Acc): void {
  if (from.it_known) {
    into.it_w += from.it_w;
    into.it_known = true;
  }
  into.racks += from.racks;
  into.incomplete += from.incomplete;
  into.first_incomplete ??= from.first_incomplete;
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

/** A facility power figure, or why there is none (the first half of a PUE's reason). */
interface Facility {
  w: number | null;
  reason: string | null;
}

/**
 * Power of a set of meters: their sum when every one is fresh and reports power_w; null otherwise, since
 * a partial sum would understate the facility and make PUE look better than it is.
 */
function metersPowerW(input: LiveInput, idx: SiteIndex, ids: string[]): Facility {
  if (ids.length === 0) return { w: null, reason: 'no meter' };
  let sum = 0;
  for (const id of ids) {
    const ref = idx.devices.get(id);
    const live = input.devices.get(id);
    if (ref === undefined || live === undefined) return { w: null, reason: `meter ${id}: no data` };
    const h = healthOf(input, ref, live);
    if (h.health === 'down') return { w: null, reason: `meter ${id}: ${h.reason ?? 'down'}` };
    const p = metric(live, 'power_w');
    if (p === null) return { w: null, reason: `meter ${id}: no power_w` };
    sum += p;
  }
  return { w: sum, reason: null };
}

/** The IT half of a reason: which racks' power is not current ('IT incomplete: M-02 (1 of 2 devices down)'). */
function itIncomplete(racks: number, incomplete: number, first: string | null): string {
  return incomplete === 1 ? `IT incomplete: ${first ?? '1 rack'}` : `IT incomplete: ${incomplete} of ${racks} racks not current, first ${first ?? '?'}`;
}

/**
 * Instantaneous PUE = facility power ÷ IT power (The Green Grid WP #49; ISO/IEC 30134-2 defines it on the
 * energies of a period, of which this is the ratio of powers now), or partial PUE of a hall. Only when both
 * halves measure the same load now: a meter that is current over racks that went stale (a site-wide outage,
 * where racks time out before the meter) read 13.08 instead of about 1.2. Returns the figure or why not.
 */
function pueOf(acc: Acc, it_w: number | null, fac: Facility): { pue: number | null; reason: string | null } {
  const reasons: string[] = [];
  if (fac.reason !== null) reasons.push(fac.reason);
  if (acc.incomplete > 0) reasons.push(itIncomplete(acc.racks, acc.incomplete, acc.first_incomplete));
  if (reasons.length === 0) {
    if (it_w === null || !(it_w > 0)) reasons.push('no IT load');
    else if (pueDataFault(fac.w, it_w)) reasons.push('facility below IT (metering fault)');
  }
  if (reasons.length > 0) return { pue: null, reason: reasons.join('; ') };
  return { pue: pue(fac.w, it_w), reason: null };
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
  // Completeness of the device sum: miners and GPUs that draw IT power, those down, those up without power_w.
  let power_devices = 0;
  let power_down = 0;
  let power_missing = 0;
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
        power_devices++;
        if (down) {
          power_down++;
          break;
        }
        const p = metric(live, 'power_w');
        if (p === null) power_missing++;
        else {
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
        power_devices++;
        if (down) {
          power_down++;
          break;
        }
        const p = metric(live, 'power_w');
        if (p === null) power_missing++;
        else {
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
  // Complete when every PDU measured the rack, or else every device that draws power reported it now
  // (a rack with neither PDUs nor such devices has no IT load to miss). A PDU rack's own stale miners do
  // not matter: the strip measures what the rack draws whatever its miners say.
  const pduComplete = pdu_count > 0 && pdu_all_ok;
  const devicesComplete = power_down === 0 && power_missing === 0 && (power_devices > 0 || pdu_count === 0);
  acc.racks++;
  if (!pduComplete && !devicesComplete) {
    acc.incomplete++;
    if (acc.first_incomplete === null) {
      const why: string[] = [];
      if (pdu_count > 0) why.push(pdu_count === 1 ? 'PDU not current' : 'PDUs not current');
      if (power_down > 0) why.push(`${power_down} of ${power_devices} devices down`);
      if (power_missing > 0) why.push(`${power_missing} of ${power_devices} devices without power_w`);
      acc.first_incomplete = `${rack.id} (${why.join(', ')})`;
    }
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

function aggregate(acc: Acc, facility: Facility): AggregateFigures {
  const u = utilFigures(acc.util);
  const it = acc.it_known ? acc.it_w : null;
  const p = pueOf(acc, it, facility);
  return {
    it_power_w: it,
    it_power_complete: acc.incomplete === 0,
    facility_power_w: facility.w,
    pue: p.pue,
    pue_unknown_reason: p.reason,
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

/** A rack's power and, when its inputs were not all current, why (from rackFigures' accumulator). */
interface RackPowerState {
  power_w: number | null;
  incomplete: string | null;
}

function loopFigures(input: LiveInput, idx: SiteIndex, li: LoopIndex, rack_power: Map<string, RackPowerState>): LoopFigures {
  // The loop's sensors are the device that carries the loop's id.
  const ref = idx.devices.get(li.loop.id);
  const live = input.devices.get(li.loop.id);
  const h = ref !== undefined && live !== undefined ? healthOf(input, ref, live) : null;
  const fresh = h !== null && h.health !== 'down';
  const supply = fresh ? metric(live, 'supply_temp_c') : null;
  const ret = fresh ? metric(live, 'return_temp_c') : null;
  const flow = fresh ? metric(live, 'flow_lpm') : null;
  let it = 0;
  let it_known = false;
  let incomplete = 0;
  let first: string | null = null;
  for (const r of li.racks) {
    const st = rack_power.get(r.rack.id);
    if (st === undefined) continue;
    if (st.incomplete !== null) {
      incomplete++;
      first ??= st.incomplete;
    }
    if (st.power_w === null) continue;
    it += st.power_w;
    it_known = true;
  }
  const it_power_w = it_known ? it : null;
  const heat = liquidHeatW(flow, supply, ret, li.loop.fluid);
  // Heat removed ÷ IT power of the loop's racks: a sensor ratio against a sum of racks, so the same rule as PUE.
  const reasons: string[] = [];
  if (!fresh) reasons.push(`loop ${li.loop.id}: ${h === null ? 'no data' : (h.reason ?? 'down')}`);
  else if (heat === null) reasons.push(`loop ${li.loop.id}: no flow or temperature reading`);
  if (incomplete > 0) reasons.push(itIncomplete(li.racks.length, incomplete, first));
  if (reasons.length === 0 && !(it_power_w !== null && it_power_w > 0)) reasons.push('no IT load');
  return {
    id: li.loop.id,
    supply_temp_c: supply,
    return_temp_c: ret,
    flow_lpm: flow,
    delta_t_c: supply !== null && ret !== null ? ret - supply : null,
    heat_removed_w: heat,
    it_power_w,
    capture_ratio: reasons.length === 0 ? captureRatio(heat, it_power_w) : null,
    capture_unknown_reason: reasons.length === 0 ? null : reasons.join('; '),
  };
}

/**
 * Every figure of DESIGN.md §4 from the live state. Down devices (stale, failing) count as down and add
 * nothing to power or hashrate sums: their last values are not current. `energy` supplies the 24 h PUE and
 * the kWh totals; without it those are null / 0.
 *
 * A ratio of a meter to a sum of racks (PUE, a hall's partial PUE, a loop's heat ÷ IT) is null, with its
 * `*_unknown_reason`, unless both halves are current and complete: dropping the down racks from one side
 * only is what made a half-site PUE of 13.08. J/TH and W per GPU need no such rule: each device's power and
 * hashrate come from the same reading, so a down device leaves both sums together.
 */
export function computeFigures(input: LiveInput, energy?: EnergyWindow, index?: SiteIndex): Figures {
  const idx = index ?? indexFor(input.model);
  const racks: RackFigures[] = [];
  const halls: HallFigures[] = [];
  const rack_power = new Map<string, RackPowerState>();
  const site = emptyAcc();
  const hall_facility: Facility[] = [];

  for (const hi of idx.halls) {
    const hall = emptyAcc();
    for (const ri of hi.racks) {
      const acc = emptyAcc();
      const rf = rackFigures(input, ri, acc);
      racks.push(rf);
      rack_power.set(rf.id, { power_w: rf.power_w, incomplete: acc.first_incomplete });
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
  if (idx.site_meters.length === 0 && hall_facility.length > 0) {
    // Hall meters cover the whole site only when every hall has one; otherwise the sum would omit a hall.
    const unmetered = idx.halls.findIndex((hi) => hi.meters.length === 0);
    const failing = hall_facility.find((f) => f.w === null);
    if (unmetered !== -1) site_facility = { w: null, reason: `no site meter, hall ${idx.halls[unmetered].hall.id} has none` };
    else if (failing !== undefined) site_facility = failing;
    else site_facility = { w: hall_facility.reduce<number>((s, f) => s + (f.w ?? 0), 0), reason: null };
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
