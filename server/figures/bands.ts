// The shared thresholds, declared once: the bands the figures, the built-in alert rules
// (server/alerts/builtin.ts) and the wall's colours (client/src/levels.ts) judge against, so they can only
// differ where this file says so and why. Pure data and one pure function: no I/O and no node imports, so
// the client bundles it too (client/tsconfig.json includes it).
//
// Where the wall's colour cut-offs differ from an alert threshold they sit beside it. The wall colours a
// whole rack (or hall, or site) at a glance, from sums over its devices; the alert judges one device and
// waits out a `for` duration before it pages anyone. So the wall turns yellow earlier, while there is still
// time to look, and the alert speaks only when a device is plainly short.

import type { AshraeState } from '../core/types.js';

// ---------------------------------------------------------------------------------------------------
// Hashrate against nominal

/**
 * A miner under this share of its nominal hashrate is degraded ('hashrate low', figures/health.ts), and
 * MinerHashrateLow fires on it (alerts/builtin.ts).
 */
export const HASHRATE_LOW_RATIO = 0.8;
/**
 * ...but only once it has been up this long: after a restart, chains warm up and the average lags for
 * minutes. Both the health and MinerHashrateLow wait it out.
 */
export const HASHRATE_WARMUP_S = 30 * 60;
/**
 * The wall: a rack, hall or site under 90 % of its nominal is 'warn', under 70 % 'crit'. Earlier than the
 * alert's 0.8 because the wall's ratio is one of sums: one miner of ten lost takes a rack to 0.9, where each
 * miner left is still above HASHRATE_LOW_RATIO and no alert fires.
 */
export const WALL_HASHRATE_WARN_RATIO = 0.9;
export const WALL_HASHRATE_CRIT_RATIO = 0.7;

/**
 * A chip or GPU this close to its model's limit (°C) is running hot: ChipTempNearLimit and GpuTempNearLimit
 * fire here (alerts/builtin.ts), and the wall names the rack's hottest member from here on (issue 17: a hot
 * miner still hashing at full rate left its rack's mean, and its health, 'ok').
 */
export const TEMP_NEAR_LIMIT_C = 5;

// ---------------------------------------------------------------------------------------------------
// Rack power against rated

/**
 * Share of a rack's rated power it may draw continuously: the 80 % continuous-load rule for branch circuits
 * (NEC 210.20(A) / 215.3; IEC practice is similar), which is how rack power budgets are set. The figures'
 * headroom is measured to it, RackPowerHigh fires above it, and the wall warns above it.
 */
export const RACK_CONTINUOUS_LOAD_FRACTION = 0.8;
/**
 * The wall is 'crit' at the nameplate itself (load_ratio ≥ 1: the breaker's rating, not the budget). No
 * alert has this level: RackPowerHigh already fires at the budget, 20 % before it.
 */
export const WALL_POWER_CRIT_RATIO = 1;

// ---------------------------------------------------------------------------------------------------
// Rack inlet temperature

/**
 * ASHRAE TC 9.9 "Thermal Guidelines for Data Processing Environments" (5th ed.): recommended inlet envelope
 * 18–27 °C for classes A1–A4, and allowable class A1 15–32 °C. RackInletWarm fires above the recommended
 * maximum, RackInletHot above the allowable one.
 */
export const ASHRAE_RECOMMENDED_MIN_C = 18;
export const ASHRAE_RECOMMENDED_MAX_C = 27;
export const ASHRAE_A1_ALLOWABLE_MIN_C = 15;
export const ASHRAE_A1_ALLOWABLE_MAX_C = 32;

/**
 * 'below' under the recommended minimum (a cold inlet wastes chiller energy and risks condensation, but
 * rarely hurts hardware, so it is one state however cold); 'recommended' 18–27 °C inclusive; 'allowable'
 * above 27 up to the A1 limit of 32 °C inclusive; 'above' over 32 °C. The wall colours 'below' and
 * 'allowable' alike ('warn'), so 15–18 °C reads the same there whichever of the two it is called.
 */
export function ashraeState(inlet_temp_c: number | null | undefined): AshraeState | null {
  if (inlet_temp_c === null || inlet_temp_c === undefined) return null;
  if (inlet_temp_c < ASHRAE_RECOMMENDED_MIN_C) return 'below';
  if (inlet_temp_c <= ASHRAE_RECOMMENDED_MAX_C) return 'recommended';
  if (inlet_temp_c <= ASHRAE_A1_ALLOWABLE_MAX_C) return 'allowable';
  return 'above';
}

// ---------------------------------------------------------------------------------------------------
// GPU utilisation

/** A GPU under this util_pct is idle: below it a GPU does housekeeping, not a job (DCGM GPU_UTIL). */
export const GPU_IDLE_UTIL_PCT = 5;
/**
 * The wall: mean utilisation under 50 % is 'warn', under 10 % 'crit'. These judge a rack's mean, not one
 * GPU: a rack whose mean is under 10 % is mostly idle GPUs, each under GPU_IDLE_UTIL_PCT or close to it.
 * Idle GPUs are money burning rather than hardware at risk, and no alert is built in for them.
 */
export const WALL_GPU_WARN_PCT = 50;
export const WALL_GPU_CRIT_PCT = 10;

// ---------------------------------------------------------------------------------------------------
// Age of the wall's data (the newest reading of any device, not the socket's last message)

/**
 * The header's data age turns amber past this. The demo simulator reads every 5 s and a site's many devices
 * are polled out of step, so the newest reading of the whole site is seldom more than a few seconds old;
 * 20 s is four missed simulator rounds, or most of a 30 s poll cycle of a site on one collector.
 */
export const WALL_DATA_AGE_WARN_MS = 20_000;
/**
 * Past this the full DATA STALE banner goes up: the figures' own stale window (a device with no reading
 * for 60 s is down, figures/health.ts), when every device on the wall would be grey anyway.
 */
export const WALL_DATA_STALE_MS = 60_000;

// ---------------------------------------------------------------------------------------------------
// Connectivity and UPS (issue 19)

/**
 * Packet loss on a WAN link above which it is judged unhealthy: past about 2 %, TCP throughput collapses
 * (Mathis et al., "The macroscopic behavior of the TCP congestion avoidance algorithm", 1997: rate ∝ 1/√p)
 * and stratum shares start to go stale; 5 % held for minutes is a link to fail over from. UplinkLossHigh
 * fires above it, the wall's connectivity panel turns red above it.
 */
export const UPLINK_LOSS_HIGH_PCT = 5;
/** The wall warns when a link carries more than this share of its capacity (a saturated uplink drops shares). */
export const UPLINK_UTILISATION_WARN_RATIO = 0.8;
/**
 * UPS battery charge below which the remaining ride-through is too short to count on: UpsBatteryLow fires
 * under it and the wall shows the charge red. RFC 1628's own batteryLow state is the vendor's threshold,
 * often at 2 minutes of runtime: too late for a site to shed load in order.
 */
export const UPS_BATTERY_LOW_PCT = 40;
