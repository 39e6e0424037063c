// Device health (docs/ARCHITECTURE.md §4): up, degraded (not hashing, chains down, hashrate low, throttling, XID) or
// down (no answer, stale), with the reason an operator reads on the wall.

import type { DeviceKind, DeviceLive, Health, HealthCounts, MetricName } from '../core/types.js';
import { HASHRATE_LOW_RATIO, HASHRATE_WARMUP_S } from './bands.js';

export interface HealthResult {
  health: Health;
  /** why it is degraded or down; several reasons joined with ', ' */
  reason?: string;
}

const UP: HealthResult = Object.freeze({ health: 'up' });

/** The reason of a miner that answers with no hashrate or 0; MinerNotHashing (alerts/builtin.ts) keys on it. */
export const NOT_HASHING = 'not hashing';

/** A span (epoch ms) during which Floorwatch itself was not running: nobody could hear the devices. */
export interface OfflineSpan {
  from: number;
  to: number;
}

/**
 * How long ago `ts` was in Floorwatch's own running time: the wall-clock age less the time Floorwatch was
 * away in between, so a restart never makes a device look silent for the minutes nobody was listening.
 */
export function runningAgeMs(now: number, ts: number, offline: readonly OfflineSpan[] | undefined): number {
  let age = now - ts;
  if (offline === undefined) return age;
  for (let i = 0; i < offline.length; i++) {
    const s = offline[i];
    const from = s.from > ts ? s.from : ts;
    const to = s.to < now ? s.to : now;
    if (to > from) age -= to - from;
  }
  return age;
}

export interface HealthContext {
  now: number;
  stale_after_ms: number;
  /** spans Floorwatch was not running: not counted in a reading's age */
  offline?: readonly OfflineSpan[];
  /** the miner's nominal hashrate (config override, else catalogue); null when unknown */
  nominal_ths?: number | null;
}

type Metrics = Partial<Record<MetricName, number | null>>;

function num(m: Metrics, k: MetricName): number | null {
  const v = m[k];
  return v === undefined ? null : v;
}

/**
 * Why a device with live state is down, or null while it answers with fresh readings: the rule
 * deviceHealth starts from, and the one /metrics' floorwatch_device_up and per-device families read.
 */
export function downReason(live: DeviceLive, ctx: Pick<HealthContext, 'now' | 'stale_after_ms' | 'offline'>): string | null {
  const { ts, error } = live;
  if (error !== undefined && (ts === null || error.ts > ts)) return error.reason;
  if (ts === null) return 'no data';
  // A feed with its own reporting period (a market) is stale by its own measure, not the site's.
  const staleMs = live.model.stale_after_s === undefined ? ctx.stale_after_ms : live.model.stale_after_s * 1000;
  if (runningAgeMs(ctx.now, ts, ctx.offline) > staleMs) return 'stale';
  return null;
}

/**
 * Down when it never answered, when a collector failure is newer than its last reading (the failure's
 * reason, e.g. 'refused'), or when its last reading is older than stale_after_ms ('stale') in Floorwatch's
 * running time (ctx.offline excluded: Floorwatch's own downtime is never a device's outage). Otherwise
 * degraded by kind-specific faults, else up. `live` undefined = a configured device never heard of.
 */
export function deviceHealth(kind: DeviceKind, live: DeviceLive | undefined, ctx: HealthContext): HealthResult {
  if (live === undefined) return { health: 'down', reason: 'no data' };
  const down = downReason(live, ctx);
  if (down !== null) return { health: 'down', reason: down };

  const m = live.metrics;
  let reasons: string[] | null = null;
  if (kind === 'asic') {
    const hashrate = num(m, 'hashrate_ths');
    // A miner that answers but hashes nothing (0, or no hashrate at all) is not up: it answers, so it is
    // not down, but it earns nothing (issue 13; a stock S19 read as 0 TH/s used to show 'up').
    if (hashrate === null || hashrate <= 0) (reasons ??= []).push(NOT_HASHING);
    const ok = num(m, 'chains_ok');
    const total = num(m, 'chains_total');
    if (ok !== null && total !== null && ok < total) (reasons ??= []).push('chains down');
    const uptime = num(m, 'uptime_s');
    const nominal = ctx.nominal_ths ?? null;
    if (
      hashrate !== null && uptime !== null && nominal !== null && nominal > 0 &&
      hashrate > 0 && uptime >= HASHRATE_WARMUP_S && hashrate < HASHRATE_LOW_RATIO * nominal
    ) (reasons ??= []).push('hashrate low');
  } else if (kind === 'network_link') {
    // The router answers but the link's interface is down (issue 19): UplinkDown's case, not a dead device.
    if (num(m, 'oper_up') === 0) (reasons ??= []).push('interface down');
  } else if (kind === 'ups') {
    if (num(m, 'on_battery') === 1) (reasons ??= []).push('on battery');
  } else if (kind === 'gpu') {
    if (num(m, 'throttle_thermal') === 1) (reasons ??= []).push('thermal throttle');
    if (num(m, 'throttle_power') === 1) (reasons ??= []).push('power throttle');
    const xid = num(m, 'xid_last');
    if (xid !== null && xid > 0) (reasons ??= []).push(`XID ${xid}`);
  }
  return reasons === null ? UP : { health: 'degraded', reason: reasons.join(', ') };
}

export function emptyHealthCounts(): HealthCounts {
  return { up: 0, degraded: 0, down: 0 };
}

export function countHealth(counts: HealthCounts, health: Health): void {
  counts[health]++;
}

export function mergeHealth(into: HealthCounts, from: HealthCounts): void {
  into.up += from.up;
  into.degraded += from.degraded;
  into.down += from.down;
}

/** Counts of a list of health states (e.g. one rack's devices). */
export function healthCounts(healths: Iterable<Health>): HealthCounts {
  const c = emptyHealthCounts();
  for (const h of healths) c[h]++;
  return c;
}
