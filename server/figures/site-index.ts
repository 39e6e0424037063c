// The site's index (docs/ARCHITECTURE.md §4): built once per model, so the per-second compute does no map
// building. Devices grouped by rack, racks by hall and loop, meters by scope; each device's nominal hashrate
// resolved once.

import type { CoolingLoopModel, DeviceKind, DeviceLive, DeviceModel, HallModel, RackModel, SiteModel } from '../core/types.js';
import { effectiveFigures, type EffectiveFigures } from '../core/catalogue.js';

export interface DeviceRef {
  id: string;
  /** its place in `SiteIndex.devices` (0, 1, …): where LiveInput.byRef holds its live entry */
  ord: number;
  kind: DeviceKind;
  model: DeviceModel;
  /** config override, else catalogue; null when unknown (sensors, unknown models) */
  nominal_ths: number | null;
  /** the chip (asic) or GPU temperature limit: config override, else catalogue; null when unknown */
  max_temp_c: number | null;
  /** all its nameplate figures (the two above are copies, flat on the ref for the figures' per-device loop) */
  nameplate: EffectiveFigures;
  rack?: string;
  hall?: string;
}

export interface RackIndex {
  rack: RackModel;
  devices: DeviceRef[];
}

export interface HallIndex {
  hall: HallModel;
  racks: RackIndex[];
  /** meter ids scoped to this hall */
  meters: string[];
  /** devices of this hall outside any rack (its meters, its loops' devices, loose sensors) */
  extras: DeviceRef[];
}

export interface LoopIndex {
  loop: CoolingLoopModel;
  racks: RackIndex[];
}

export interface SiteIndex {
  model: SiteModel;
  halls: HallIndex[];
  racks: Map<string, RackIndex>;
  loops: LoopIndex[];
  site_meters: string[];
  /** devices in no rack and no hall */
  site_extras: DeviceRef[];
  devices: Map<string, DeviceRef>;
}

export function prepareIndex(model: SiteModel): SiteIndex {
  const devices = new Map<string, DeviceRef>();
  const ref = (d: DeviceModel, rack?: string, hall?: string): DeviceRef => {
    const fig = effectiveFigures(model.catalogue, d);
    const r: DeviceRef = { id: d.id, ord: devices.get(d.id)?.ord ?? devices.size, kind: d.kind, model: d, nominal_ths: fig.nominal_ths, max_temp_c: fig.max_temp_c, nameplate: fig };
    const rk = rack ?? d.rack;
    const hl = hall ?? d.hall;
    if (rk !== undefined) r.rack = rk;
    if (hl !== undefined) r.hall = hl;
    devices.set(d.id, r);
    return r;
  };

  const racks = new Map<string, RackIndex>();
  const halls: HallIndex[] = [];
  const hallById = new Map<string, HallIndex>();
  for (const hall of model.halls) {
    const hi: HallIndex = { hall, racks: [], meters: [], extras: [] };
    for (const rack of hall.racks) {
      const ri: RackIndex = { rack, devices: rack.devices.map((d) => ref(d, rack.id, rack.hall)) };
      racks.set(rack.id, ri);
      hi.racks.push(ri);
    }
    halls.push(hi);
    hallById.set(hall.id, hi);
  }

  const site_meters: string[] = [];
  const hallOfLoose = new Map<string, string>();
  for (const m of model.meters) {
    if (m.scope === 'site') site_meters.push(m.id);
    else {
      hallById.get(m.scope.hall)?.meters.push(m.id);
      hallOfLoose.set(m.id, m.scope.hall);
    }
  }
  const loops: LoopIndex[] = model.loops.map((loop) => {
    if (loop.hall !== undefined) hallOfLoose.set(loop.id, loop.hall);
    const lr: RackIndex[] = [];
    for (const id of loop.racks) {
      const r = racks.get(id);
      if (r !== undefined) lr.push(r);
    }
    return { loop, racks: lr };
  });

  const site_extras: DeviceRef[] = [];
  for (const d of model.devices.values()) {
    if (devices.has(d.id)) continue;
    const hall = hallOfLoose.get(d.id) ?? d.hall;
    const r = ref(d, undefined, hall);
    const hi = hall === undefined ? undefined : hallById.get(hall);
    if (hi !== undefined) hi.extras.push(r);
    else site_extras.push(r);
  }
  return { model, halls, racks, loops, site_meters, site_extras, devices };
}

/**
 * Every indexed device's live entry by `ord`, for LiveInput.byRef: valid as long as the map's entries are
 * the same objects (the live state updates them in place and never replaces one: live/state.ts).
 */
export function liveByRef(index: SiteIndex, devices: ReadonlyMap<string, DeviceLive>): (DeviceLive | undefined)[] {
  const out = new Array<DeviceLive | undefined>(index.devices.size);
  for (const r of index.devices.values()) out[r.ord] = devices.get(r.id);
  return out;
}

const indexCache = new WeakMap<SiteModel, SiteIndex>();

/** The model's index, built on first use and kept as long as the model object lives. */
export function indexFor(model: SiteModel): SiteIndex {
  let idx = indexCache.get(model);
  if (idx === undefined) {
    idx = prepareIndex(model);
    indexCache.set(model, idx);
  }
  return idx;
}
