// Utilisation (docs/ARCHITECTURE.md §4): ASIC hashrate against nominal, miners hashing; GPU mean utilisation, busy/idle.
// Aggregates are ratios of sums over devices (rack, hall and site alike), never means of per-rack ratios.

import { GPU_IDLE_UTIL_PCT } from './bands.js';

/** hashrate ÷ nominal; null when either is unknown or there is no nominal. */
export function hashrateRatio(hashrate_ths: number | null, nominal_ths: number | null): number | null {
  if (hashrate_ths === null || nominal_ths === null || !(nominal_ths > 0)) return null;
  return hashrate_ths / nominal_ths;
}

/** A miner hashes when it is up (not down) and reports hashrate > 0. */
export function isHashing(hashrate_ths: number | null | undefined, is_down: boolean): boolean {
  return !is_down && hashrate_ths !== null && hashrate_ths !== undefined && hashrate_ths > 0;
}

/** 'busy' | 'idle' by util_pct; null when utilisation is unknown. */
export function gpuActivity(util_pct: number | null | undefined): 'busy' | 'idle' | null {
  if (util_pct === null || util_pct === undefined) return null;
  return util_pct < GPU_IDLE_UTIL_PCT ? 'idle' : 'busy';
}

/**
 * Running sums that fold devices into a rack, racks into a hall, halls into the site. Mutable on purpose:
 * compute folds 100 000 devices per second and allocating per device would dominate.
 */
export interface UtilAcc {
  /** Σ current hashrate of miners that are not down (null contributes nothing) */
  hashrate_ths: number;
  hashrate_known: boolean;
  /** Σ nominal of every miner expected to hash: down ones included, so lost capacity lowers the ratio */
  nominal_ths: number;
  nominal_known: boolean;
  miners_total: number;
  miners_hashing: number;
  util_sum_pct: number;
  util_count: number;
  gpus_total: number;
  gpus_busy: number;
  gpus_idle: number;
}

export function emptyUtil(): UtilAcc {
  return {
    hashrate_ths: 0, hashrate_known: false, nominal_ths: 0, nominal_known: false, miners_total: 0, miners_hashing: 0,
    util_sum_pct: 0, util_count: 0, gpus_total: 0, gpus_busy: 0, gpus_idle: 0,
  };
}

/** One miner. A down miner's last hashrate is not current: pass is_down and it counts as not hashing. */
export function addMiner(acc: UtilAcc, hashrate_ths: number | null | undefined, nominal_ths: number | null | undefined, is_down: boolean): void {
  acc.miners_total++;
  if (nominal_ths !== null && nominal_ths !== undefined && nominal_ths > 0) {
    acc.nominal_ths += nominal_ths;
    acc.nominal_known = true;
  }
  if (is_down || hashrate_ths === null || hashrate_ths === undefined) return;
  acc.hashrate_ths += hashrate_ths;
  acc.hashrate_known = true;
  if (hashrate_ths > 0) acc.miners_hashing++;
}

/** One GPU. A down GPU counts in the total but is neither busy nor idle. */
export function addGpu(acc: UtilAcc, util_pct: number | null | undefined, is_down: boolean): void {
  acc.gpus_total++;
  if (is_down) return;
  const activity = gpuActivity(util_pct);
  if (activity === null) return;
  acc.util_sum_pct += util_pct as number;
  acc.util_count++;
  if (activity === 'idle') acc.gpus_idle++;
  else acc.gpus_busy++;
}

export function mergeUtil(into: UtilAcc, from: UtilAcc): void {
  into.hashrate_ths += from.hashrate_ths;
  into.hashrate_known ||= from.hashrate_known;
  into.nominal_ths += from.nominal_ths;
  into.nominal_known ||= from.nominal_known;
  into.miners_total += from.miners_total;
  into.miners_hashing += from.miners_hashing;
  into.util_sum_pct += from.util_sum_pct;
  into.util_count += from.util_count;
  into.gpus_total += from.gpus_total;
  into.gpus_busy += from.gpus_busy;
  into.gpus_idle += from.gpus_idle;
}

export interface UtilFigures {
  hashrate_ths: number | null;
  nominal_ths: number | null;
  /**
   * Σhashrate ÷ Σnominal. Down miners add nominal but no hashrate, so lost capacity lowers it; null when no
   * miner's hashrate is known at all (all down = unknown, shown as no data, with the down count beside it).
   */
  hashrate_ratio: number | null;
  miners_hashing: number;
  miners_total: number;
  /** miners hashing ÷ miners total */
  miners_hashing_ratio: number | null;
  gpu_util_pct: number | null;
  gpus_busy: number;
  gpus_idle: number;
  gpus_total: number;
}

export function utilFigures(acc: UtilAcc): UtilFigures {
  const hashrate_ths = acc.hashrate_known ? acc.hashrate_ths : null;
  const nominal_ths = acc.nominal_known ? acc.nominal_ths : null;
  return {
    hashrate_ths,
    nominal_ths,
    hashrate_ratio: hashrateRatio(hashrate_ths, nominal_ths),
    miners_hashing: acc.miners_hashing,
    miners_total: acc.miners_total,
    miners_hashing_ratio: acc.miners_total > 0 ? acc.miners_hashing / acc.miners_total : null,
    gpu_util_pct: acc.util_count > 0 ? acc.util_sum_pct / acc.util_count : null,
    gpus_busy: acc.gpus_busy,
    gpus_idle: acc.gpus_idle,
    gpus_total: acc.gpus_total,
  };
}

/** Mean of the known utilisations (nulls ignored, not counted as 0); null when none is known. */
export function meanGpuUtilPct(utils: Iterable<number | null | undefined>): number | null {
  let sum = 0;
  let n = 0;
  for (const u of utils) {
    if (u === null || u === undefined) continue;
    sum += u;
    n++;
  }
  return n > 0 ? sum / n : null;
}
