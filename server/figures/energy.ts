// Energy (docs/ARCHITECTURE.md §4): power integrated over time, and the 24 h energy window behind PUE.
// ISO/IEC 30134-2 defines PUE on energy over a period (E_facility ÷ E_IT), not on one instant, so the
// server records site IT and facility power every tick and the window keeps per-minute energy buckets.

export interface PowerSample {
  /** epoch ms */
  ts: number;
  power_w: number | null;
}

/** A gap longer than this many sampling intervals is a data gap: nothing is integrated across it. */
export const DEFAULT_MAX_GAP_FACTOR = 3;

const J_PER_KWH = 3_600_000;
const J_PER_WH = 3600;

/**
 * Trapezoid integral of a power series in Wh. Samples must be in time order. A segment is skipped when
 * either end is unknown or it spans more than max_gap_factor × interval_ms: interpolating across an
 * outage would invent energy nobody measured.
 */
export function integrateEnergyWh(
  samples: readonly PowerSample[],
  interval_ms: number,
  max_gap_factor = DEFAULT_MAX_GAP_FACTOR,
): number {
  const max_gap_ms = interval_ms * max_gap_factor;
  let joules = 0;
  for (let i = 1; i < samples.length; i++) {
    const a = samples[i - 1];
    const b = samples[i];
    const dt_ms = b.ts - a.ts;
    if (a.power_w === null || b.power_w === null || dt_ms <= 0 || dt_ms > max_gap_ms) continue;
    joules += ((a.power_w + b.power_w) / 2) * (dt_ms / 1000);
  }
  return joules / J_PER_WH;
}

// ---------------------------------------------------------------------------------------------------

const MINUTE_MS = 60_000;
export const ENERGY_WINDOW_MINUTES = 24 * 60;

interface MinuteBucket {
  /** epoch minute (floor(ts / 60 000)) this slot holds; -1 = empty */
  minute: number;
  /** energy of the segments where both IT and facility power were known: the PUE numerator/denominator */
  it_j: number;
  facility_j: number;
}

/** Plain data (serialisable): the server keeps one per site and feeds it once per tick. */
export interface EnergyWindow {
  max_gap_ms: number;
  /** ring of per-minute buckets, slot = minute % ENERGY_WINDOW_MINUTES */
  buckets: MinuteBucket[];
  /** comparable: the IT power covered the whole load the facility meter measured (see recordEnergy) */
  last: { ts: number; it_w: number | null; facility_w: number | null; comparable: boolean } | null;
  /** cumulative energy since the window was created, each side whenever it was known */
  total_it_j: number;
  total_facility_j: number;
}

/**
 * max_gap_ms: the longest interval between two recordings still integrated (the server ticks every second;
 * 10 s tolerates a few slow ticks but not a stopped process).
 */
export function createEnergyWindow(max_gap_ms = 10_000): EnergyWindow {
  const buckets: MinuteBucket[] = [];
  for (let i = 0; i < ENERGY_WINDOW_MINUTES; i++) buckets.push({ minute: -1, it_j: 0, facility_j: 0 });
  return { max_gap_ms, buckets, last: null, total_it_j: 0, total_facility_j: 0 };
}

function bucketFor(w: EnergyWindow, minute: number): MinuteBucket {
  const b = w.buckets[minute % ENERGY_WINDOW_MINUTES];
  if (b.minute !== minute) {
    b.minute = minute;
    b.it_j = 0;
    b.facility_j = 0;
  }
  return b;
}

/**
 * Fold one tick of site power into the window: the trapezoid from the previous recording to this one.
 * A segment crossing a minute boundary is split there (power linearly interpolated) so each minute holds
 * its own energy. Out-of-order or repeated timestamps only replace the latest values.
 * `comparable` false (some racks' power not current: figures' it_power_complete) keeps the segment out of
 * the PUE buckets, as instantaneous PUE is null then: 5 min of half-site ticks made a 1.2 site read 2.26.
 * The cumulative totals still take each side whenever it is known.
 */
export function recordEnergy(w: EnergyWindow, ts: number, it_w: number | null, facility_w: number | null, comparable = true): void {
  const prev = w.last;
  if (prev !== null && ts <= prev.ts) {
    if (ts === prev.ts) w.last = { ts, it_w, facility_w, comparable };
    return;
  }
  w.last = { ts, it_w, facility_w, comparable };
  if (prev === null || ts - prev.ts > w.max_gap_ms) return;

  const dt_s = (ts - prev.ts) / 1000;
  const it0_w = prev.it_w;
  const fac0_w = prev.facility_w;
  if (it0_w !== null && it_w !== null) w.total_it_j += ((it0_w + it_w) / 2) * dt_s;
  if (fac0_w !== null && facility_w !== null) w.total_facility_j += ((fac0_w + facility_w) / 2) * dt_s;
  if (it0_w === null || it_w === null || fac0_w === null || facility_w === null || !prev.comparable || !comparable) return;

  // Split [prev.ts, ts] at minute boundaries.
  const span_ms = ts - prev.ts;
  let t0 = prev.ts;
  while (t0 < ts) {
    const minute = Math.floor(t0 / MINUTE_MS);
    const t1 = Math.min(ts, (minute + 1) * MINUTE_MS);
    const f0 = (t0 - prev.ts) / span_ms;
    const f1 = (t1 - prev.ts) / span_ms;
    const it0 = it0_w + (it_w - it0_w) * f0;
    const it1 = it0_w + (it_w - it0_w) * f1;
    const fac0 = fac0_w + (facility_w - fac0_w) * f0;
    const fac1 = fac0_w + (facility_w - fac0_w) * f1;
    const seg_s = (t1 - t0) / 1000;
    const b = bucketFor(w, minute);
    b.it_j += ((it0 + it1) / 2) * seg_s;
    b.facility_j += ((fac0 + fac1) / 2) * seg_s;
    t0 = t1;
  }
}

export interface EnergyWindowFigures {
  /** E_facility ÷ E_IT over the 24 h ending at `now`, on the periods where both were metered */
  pue_24h: number | null;
  it_kwh_24h: number;
  facility_kwh_24h: number;
  /** cumulative since the window was created */
  energy_it_kwh: number;
  energy_facility_kwh: number;
}

/** Reads the window as of `now`: minutes older than 24 h are ignored (and overwritten later). */
export function energyFigures(w: EnergyWindow, now: number): EnergyWindowFigures {
  const now_minute = Math.floor(now / MINUTE_MS);
  const oldest = now_minute - ENERGY_WINDOW_MINUTES + 1;
  let it_j = 0;
  let fac_j = 0;
  for (const b of w.buckets) {
    if (b.minute < oldest || b.minute > now_minute) continue;
    it_j += b.it_j;
    fac_j += b.facility_j;
  }
  // Same rule as instantaneous PUE: below 1 is a metering fault, not a figure.
  const pue_24h = it_j > 0 && fac_j > 0 && fac_j >= it_j ? fac_j / it_j : null;
  return {
    pue_24h,
    it_kwh_24h: it_j / J_PER_KWH,
    facility_kwh_24h: fac_j / J_PER_KWH,
    energy_it_kwh: w.total_it_j / J_PER_KWH,
    energy_facility_kwh: w.total_facility_j / J_PER_KWH,
  };
}
