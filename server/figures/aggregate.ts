// Folding racks into halls and halls into the site (docs/ARCHITECTURE.md §4): the running sums, the
// facility power of a set of meters, and the aggregate figures with PUE and its reason when unknown.

import type { AggregateFigures, HealthCounts, LiveInput } from '../core/types.js';
import { emptyHealthCounts, mergeHealth } from './health.js';
import { emptyUtil, mergeUtil, utilFigures, type UtilAcc } from './utilisation.js';
import { jPerTh, pue, pueDataFault, wPerGpu } from './power.js';
import { healthOf, liveOf, metric } from './device-reading.js';
import type { DeviceRef, SiteIndex } from './site-index.js';

/** Sums that fold racks into halls and halls into the site. */
export interface Acc {
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

export function emptyAcc(): Acc {
  return {
    it_w: 0, it_known: false, racks: 0, incomplete: 0, first_incomplete: null, util: emptyUtil(), jpt_w: 0, jpt_ths: 0, gpu_w: 0, gpu_w_count: 0,
    worst_inlet_c: null, health: emptyHealthCounts(),
  };
}

export function mergeAcc(into: Acc, from: Acc): void {
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
/** Health of loose devices (meters, loop devices) into counts. */
export function countExtras(input: LiveInput, refs: DeviceRef[], counts: HealthCounts): void {
  for (const ref of refs) counts[healthOf(input, ref, liveOf(input, ref)).health]++;
}

/** A facility power figure, or why there is none (the first half of a PUE's reason). */
export interface Facility {
  w: number | null;
  reason: string | null;
}

/**
 * Power of a set of meters: their sum when every one is fresh and reports power_w; null otherwise, since
 * a partial sum would understate the facility and make PUE look better than it is.
 */
export function metersPowerW(input: LiveInput, idx: SiteIndex, ids: string[]): Facility {
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
export function itIncomplete(racks: number, incomplete: number, first: string | null): string {
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

export function aggregate(acc: Acc, facility: Facility): AggregateFigures {
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
