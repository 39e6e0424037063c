// What one device's live entry says now, as the figures read it: a metric or null, the larger of two
// readings, and its health against the tick's clock.

import type { DeviceLive, LiveInput } from '../core/types.js';
import { deviceHealth, type HealthContext, type HealthResult } from './health.js';
import type { DeviceRef } from './site-index.js';

export function maxOf(a: number | null, b: number | null | undefined): number | null {
  if (b === null || b === undefined) return a;
  return a === null || b > a ? b : a;
}

/** The device's live entry: by its place when the input carries byRef, else by id. */
export function liveOf(input: LiveInput, ref: DeviceRef): DeviceLive | undefined {
  return input.byRef !== undefined ? input.byRef[ref.ord] : input.devices.get(ref.id);
}

export function metric(live: DeviceLive | undefined, k: keyof DeviceLive['metrics']): number | null {
  const v = live?.metrics[k];
  return v === undefined ? null : v;
}

/**
 * A miner's nominal hashrate: the config's or catalogue's (site-index), else the nameplate its own firmware
 * states (nameplate_ths: total_rateideal, Factory GHS, …), so a model the site did not describe still has one.
 */
export function nominalOf(ref: DeviceRef, live: DeviceLive | undefined): number | null {
  return ref.nominal_ths ?? (ref.kind === 'asic' ? metric(live, 'nameplate_ths') : null);
}

// One context reused for every device: allocating one per device costs more than the health check itself.
const sharedCtx: HealthContext = { now: 0, stale_after_ms: 0, nominal_ths: null };

export function healthOf(input: LiveInput, ref: DeviceRef, live: DeviceLive | undefined): HealthResult {
  sharedCtx.now = input.now;
  sharedCtx.stale_after_ms = input.stale_after_ms;
  sharedCtx.offline = input.offline;
  sharedCtx.nominal_ths = nominalOf(ref, live);
  return deviceHealth(ref.kind, live, sharedCtx);
}
