import type { DeviceLive, MetricName, PowerSource, Reading, SiteModel } from '../core/types.js';
import { MAX_FUTURE_SKEW_MS } from '../core/validate.js';

/**
 * The latest reading of every configured device, in memory: what the dashboard and /metrics read.
 * Only the ingest pipeline applies readings here, after they are committed.
 *
 * The rule, the same as the store's (issue 11, cases 4 and 5):
 * - A reading is what a device reported at one ts. The last arrival for a (device, ts) replaces that
 *   reading whole (the store's INSERT OR REPLACE, migrations/002_rollups.sql); a metric it does not
 *   carry, or carries as null, has no value in it (the store keeps both as NULL, so they are one thing).
 * - Readings are ordered by their place: min(ts, server clock at arrival). A reading stamped ahead of
 *   the clock (up to the 5 min skew allowance) counts as of its arrival, so the correct readings that
 *   follow it replace it; `ts` (last_seen) is that place, never in the future.
 * - A device's view is its newest reading, and for each metric that reading has no value for, the
 *   newest value from an older reading placed no more than `carryMs` (the stale window) before it:
 *   an integrator pushing hashrate and power in separate readings still sees both, and a value never
 *   outlives the window in which the device itself would count as seen.
 * Rebuilding from the store (restore()) gives the same view as the readings gave when they arrived.
 */
export interface LiveState {
  devices: Map<string, DeviceLive>;
  /** racks with a device that changed since the last takeChangedRacks() (device-level socket updates) */
  takeChangedRacks(): Set<string>;
  /** a committed reading, arrived at `arrivedAt` (default: the clock now) */
  apply(reading: Reading, arrivedAt?: number): void;
  /**
   * A reading replayed from the store at restart. Its arrival is not stored: one stamped ahead of
   * `restartedAt` is placed at the earliest it can have arrived (ts − 5 min, the skew allowance), so the
   * correct readings that followed it still win after the restart, as they did before it.
   */
  restore(reading: Reading, restartedAt: number): void;
  setError(device: string, reason: string, ts: number): void;
  /** epoch ms (place) of the newest reading applied, null before the first */
  lastReadingTs(): number | null;
}

export interface LiveStateOptions {
  /** how much older than a device's newest reading a carried metric value may be (default 60 s) */
  carryMs?: number;
  now?: () => number;
}

interface Held {
  ts: number;
  place: number;
}

interface Carried extends Held {
  value: number;
}

interface Track {
  /** the newest reading (by place): its ts, place, valued metrics and power source */
  latest: (Held & { metrics: Partial<Record<MetricName, number>>; power_source?: PowerSource }) | null;
  /** per metric, the newest value from an older reading */
  older: Map<MetricName, Carried>;
  olderPower: (Held & { value: PowerSource }) | null;
}

function valued(metrics: Reading['metrics']): Partial<Record<MetricName, number>> {
  const out: Partial<Record<MetricName, number>> = {};
  for (const k in metrics) {
    const v = metrics[k as MetricName];
    if (v !== null && v !== undefined) out[k as MetricName] = v;
  }
  return out;
}

export function createLiveState(model: SiteModel, opts: LiveStateOptions = {}): LiveState {
  const carryMs = opts.carryMs ?? 60_000;
  const clock = opts.now ?? Date.now;
  const devices = new Map<string, DeviceLive>();
  const tracks = new Map<string, Track>();
  for (const d of model.devices.values()) {
    devices.set(d.id, { model: d, ts: null, metrics: {} });
    tracks.set(d.id, { latest: null, older: new Map(), olderPower: null });
  }
  let changedRacks = new Set<string>();
  let last: number | null = null;

  /** Folds a reading that is not (or no longer) the newest into the per-metric older values. */
  function fold(t: Track, h: Held, metrics: Partial<Record<MetricName, number>>, power?: PowerSource): void {
    // the stored reading at this ts was replaced whole: what it alone supplied is gone
    for (const [m, c] of t.older) if (c.ts === h.ts && metrics[m] === undefined) t.older.delete(m);
    if (t.olderPower !== null && t.olderPower.ts === h.ts && power === undefined) t.olderPower = null;
    for (const k in metrics) {
      const m = k as MetricName;
      const c = t.older.get(m);
      if (c === undefined || h.place >= c.place || c.ts === h.ts) t.older.set(m, { ts: h.ts, place: h.place, value: metrics[m]! });
    }
    if (power !== undefined && (t.olderPower === null || h.place >= t.olderPower.place || t.olderPower.ts === h.ts)) {
      t.olderPower = { ts: h.ts, place: h.place, value: power };
    }
  }

  function view(live: DeviceLive, t: Track): void {
    const l = t.latest!;
    const metrics: Partial<Record<MetricName, number | null>> = {};
    const floor = l.place - carryMs;
    for (const [m, c] of t.older) {
      if (c.place < floor) t.older.delete(m); // outside the window for good: the window only moves on
      else if (l.metrics[m] === undefined) metrics[m] = c.value;
    }
    Object.assign(metrics, l.metrics);
    live.metrics = metrics;
    live.ts = l.place;
    if (t.olderPower !== null && t.olderPower.place < floor) t.olderPower = null;
    const power = l.power_source ?? t.olderPower?.value;
    if (power !== undefined) live.power_source = power;
    else delete live.power_source;
  }

  function place(reading: Reading, arrivedAt: number): void {
    const live = devices.get(reading.device);
    const t = tracks.get(reading.device);
    if (!live || !t) return;
    const h: Held = { ts: reading.ts, place: Math.min(reading.ts, arrivedAt) };
    const metrics = valued(reading.metrics);
    const l = t.latest;
    if (l !== null && h.ts === l.ts) {
      // the newest reading again: it replaces that reading whole, keeping its place
      t.latest = { ts: l.ts, place: l.place, metrics, power_source: reading.power_source };
    } else if (l === null || h.place >= l.place) {
      if (l !== null) fold(t, l, l.metrics, l.power_source);
      t.latest = { ...h, metrics, power_source: reading.power_source };
    } else {
      // older than what is shown: stored for history, and a candidate for the metrics the newest lacks
      fold(t, h, metrics, reading.power_source);
    }
    view(live, t);
    if (live.error && live.error.ts <= live.ts!) delete live.error;
    if (live.model.rack) changedRacks.add(live.model.rack);
    if (last === null || live.ts! > last) last = live.ts;
  }

  return {
    devices,
    takeChangedRacks() {
      const out = changedRacks;
      changedRacks = new Set();
      return out;
    },
    apply(reading, arrivedAt = clock()) {
      place(reading, arrivedAt);
    },
    restore(reading, restartedAt) {
      place(reading, reading.ts <= restartedAt ? restartedAt : Math.min(restartedAt, reading.ts - MAX_FUTURE_SKEW_MS));
    },
    setError(device, reason, ts) {
      const live = devices.get(device);
      if (!live) return;
      live.error = { reason, ts };
      if (live.model.rack) changedRacks.add(live.model.rack);
    },
    lastReadingTs: () => last,
  };
}
