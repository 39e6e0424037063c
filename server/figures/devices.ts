// Device level (docs/ARCHITECTURE.md §4): each device's status (health, reason, latest metrics) as the
// API, the wall and the alert engine read it.

import type { DeviceStatus, LiveInput } from '../core/types.js';
import { healthOf, liveOf } from './device-reading.js';
import { indexFor, type DeviceRef, type SiteIndex } from './site-index.js';

/**
 * A miner inside an active curtailment event: its health stays what it is (not hashing, or off, is true),
 * and its reason says first that this was asked for, so the wall and the API read "curtailed".
 */
function curtailedReason(input: LiveInput, ref: DeviceRef, reason: string | undefined): string | undefined {
  if (ref.kind !== 'asic' || input.curtailed === undefined || input.curtailed.size === 0 || !input.curtailed.has(ref.id)) return reason;
  return reason === undefined ? 'curtailed' : `curtailed, ${reason}`;
}

function statusOf(input: LiveInput, ref: DeviceRef): DeviceStatus {
  const live = liveOf(input, ref);
  const h = healthOf(input, ref, live);
  const reason = curtailedReason(input, ref, h.reason);
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
  if (reason !== undefined) s.reason = reason;
  if (reason !== h.reason) s.curtailed = true;
  if (live?.power_source !== undefined) s.power_source = live.power_source;
  if (live?.pools !== undefined) s.pools = live.pools.list;
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
  // One object for every device, its fields overwritten: 100,000 fresh ones a tick were a fifth of the
  // alert pass (hub bench). Every key always present (absent ones undefined): one shape keeps the engine's
  // property reads monomorphic. Readers test `=== undefined`, never `in`.
  const s: DeviceStatus = {
    id: '', kind: 'asic', rack: undefined, hall: undefined, model: undefined, health: 'up', reason: undefined,
    last_seen: null, power_source: undefined, metrics: NO_METRICS, curtailed: false, pools: undefined, nameplate: undefined,
  };
  const anyCurtailed = input.curtailed !== undefined && input.curtailed.size > 0;
  for (const ref of index.devices.values()) {
    const live = liveOf(input, ref);
    const h = healthOf(input, ref, live);
    s.id = ref.id;
    s.kind = ref.kind;
    s.rack = ref.rack;
    s.hall = ref.hall;
    s.model = ref.model.model;
    s.health = h.health;
    s.reason = curtailedReason(input, ref, h.reason);
    s.last_seen = live?.ts ?? null;
    s.power_source = live?.power_source;
    s.metrics = live === undefined ? NO_METRICS : live.metrics;
    s.curtailed = anyCurtailed && ref.kind === 'asic' && input.curtailed!.has(ref.id);
    s.pools = live?.pools?.list;
    s.nameplate = ref.nameplate;
    visit(s);
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
