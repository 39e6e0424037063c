import type { DeviceLive, Reading, SiteModel } from '../core/types.js';

/**
 * The latest reading of every configured device, in memory: what the dashboard and /metrics read.
 * Only the ingest pipeline applies readings here, after they are committed.
 */
export interface LiveState {
  devices: Map<string, DeviceLive>;
  /** racks with a device that changed since the last takeChangedRacks() (device-level socket updates) */
  takeChangedRacks(): Set<string>;
  apply(reading: Reading): void;
  setError(device: string, reason: string, ts: number): void;
  /** epoch ms of the newest reading applied, null before the first */
  lastReadingTs(): number | null;
}

export function createLiveState(model: SiteModel): LiveState {
  const devices = new Map<string, DeviceLive>();
  for (const d of model.devices.values()) devices.set(d.id, { model: d, ts: null, metrics: {} });
  let changedRacks = new Set<string>();
  let last: number | null = null;

  return {
    devices,
    takeChangedRacks() {
      const out = changedRacks;
      changedRacks = new Set();
      return out;
    },
    apply(reading) {
      const live = devices.get(reading.device);
      if (!live) return;
      // A late reading (older than what we show) is stored for history but must not roll the live view back.
      if (live.ts !== null && reading.ts < live.ts) return;
      // A reading may carry a subset of metrics (one push with hashrate, another with power): merge, but a
      // new reading replaces the device's view of each metric it names, nulls included.
      Object.assign(live.metrics, reading.metrics);
      live.ts = reading.ts;
      if (reading.power_source) live.power_source = reading.power_source;
      if (live.error && live.error.ts <= reading.ts) delete live.error;
      if (live.model.rack) changedRacks.add(live.model.rack);
      if (last === null || reading.ts > last) last = reading.ts;
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
