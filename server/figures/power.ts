// Power figures (docs/ARCHITECTURE.md §4): rack power and its budget, A/B feeds, hall/site IT power, PUE, J/TH, W per GPU.
// Pure functions over plain numbers; null means "not known" and propagates rather than turning into 0.

import { RACK_CONTINUOUS_LOAD_FRACTION } from './bands.js';

/** Sum of the values that are known; null when none is (an empty sum is unknown, not 0 W). */
export function sumKnown(values: Iterable<number | null | undefined>): number | null {
  let sum = 0;
  let known = false;
  for (const v of values) {
    if (v === null || v === undefined || !Number.isFinite(v)) continue;
    sum += v;
    known = true;
  }
  return known ? sum : null;
}

export interface RackPower {
  power_w: number | null;
  power_source: 'pdu' | 'estimated' | null;
}

/**
 * The rack's power: the PDU's measurement when there is a fresh one, else the sum of its devices' own
 * power (which may include model estimates), marked 'estimated'; null when neither is known.
 */
export function rackPower(pdu_power_w: number | null, devices_sum_w: number | null): RackPower {
  if (pdu_power_w !== null) return { power_w: pdu_power_w, power_source: 'pdu' };
  if (devices_sum_w !== null) return { power_w: devices_sum_w, power_source: 'estimated' };
  return { power_w: null, power_source: null };
}

/**
 * What one PDU says the rack draws: its power_w, else the sum of its two feed meters when both are
 * known (some strips only meter per inlet); null when it says neither.
 */
export function pduPowerW(power_w: number | null | undefined, feed_a_w: number | null | undefined, feed_b_w: number | null | undefined): number | null {
  if (power_w !== null && power_w !== undefined) return power_w;
  if (feed_a_w !== null && feed_a_w !== undefined && feed_b_w !== null && feed_b_w !== undefined) return feed_a_w + feed_b_w;
  return null;
}

/** Watts left under 80 % of rated power; negative = over budget. */
export function headroomW(power_w: number | null, rated_kw: number): number | null {
  if (power_w === null || !(rated_kw > 0)) return null;
  return RACK_CONTINUOUS_LOAD_FRACTION * rated_kw * 1000 - power_w;
}

/** power ÷ rated power (1 = at nameplate, not at the 80 % budget). */
export function loadRatio(power_w: number | null, rated_kw: number): number | null {
  if (power_w === null || !(rated_kw > 0)) return null;
  return power_w / (rated_kw * 1000);
}

export interface FeedCheck {
  /** could either feed alone carry the whole rack's load? null when both feeds are not metered */
  failover_ok: boolean | null;
  /** |A − B| ÷ (A + B): 0 = perfectly shared, 1 = all on one feed; null when unknown or no load */
  imbalance: number | null;
}

/**
 * A/B (2N) feed check: when one feed fails the other picks up the whole load, so each feed's rated
 * capacity must be at least A + B. Racks with a single feed have nothing to fail over to: null.
 */
export function feedCheck(feed_a_w: number | null, feed_b_w: number | null, feed_rated_kw: number, feeds_count = 2): FeedCheck {
  if (feeds_count < 2 || feed_a_w === null || feed_b_w === null) return { failover_ok: null, imbalance: null };
  const total_w = feed_a_w + feed_b_w;
  return {
    failover_ok: feed_rated_kw > 0 ? feed_rated_kw * 1000 >= total_w : null,
    imbalance: total_w > 0 ? Math.abs(feed_a_w - feed_b_w) / total_w : null,
  };
}

/**
 * Power Usage Effectiveness = facility power ÷ IT power (The Green Grid; ISO/IEC 30134-2). Also the
 * partial PUE of a hall when given the hall's meter and the hall's IT power.
 * null when IT is unknown or 0, when facility is unknown, or when facility < IT: a PUE below 1 is
 * physically impossible and means a data fault (a meter missing part of the load, a stale meter);
 * the caller flags it with `pueDataFault`.
 */
export function pue(facility_w: number | null, it_w: number | null): number | null {
  if (facility_w === null || it_w === null || !(it_w > 0)) return null;
  if (facility_w < it_w) return null;
  return facility_w / it_w;
}

/** true when both are known and the facility reads less than its own IT load (PUE < 1). */
export function pueDataFault(facility_w: number | null, it_w: number | null): boolean {
  return facility_w !== null && it_w !== null && it_w > 0 && facility_w < it_w;
}

/**
 * Fleet efficiency J/TH = ΣW ÷ Σ(TH/s). A fleet's energy per hash is total energy over total hashes,
 * which is the ratio of sums; the mean of per-miner ratios would over-weight small, inefficient miners.
 */
export function jPerTh(sum_power_w: number, sum_hashrate_ths: number): number | null {
  if (!(sum_hashrate_ths > 0)) return null;
  return sum_power_w / sum_hashrate_ths;
}

export interface MinerSample {
  power_w: number | null;
  hashrate_ths: number | null;
}

/** J/TH over the hashing miners (hashrate > 0) whose power is known; null when none. */
export function fleetJPerTh(miners: Iterable<MinerSample>): number | null {
  let w = 0;
  let ths = 0;
  for (const m of miners) {
    if (m.power_w === null || m.hashrate_ths === null || !(m.hashrate_ths > 0)) continue;
    w += m.power_w;
    ths += m.hashrate_ths;
  }
  return jPerTh(w, ths);
}

/** Mean board power per GPU over the GPUs whose power is known. */
export function wPerGpu(sum_power_w: number, gpus_with_power: number): number | null {
  return gpus_with_power > 0 ? sum_power_w / gpus_with_power : null;
}
