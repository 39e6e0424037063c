// Compact entries → racks and devices: each rack entry is expanded once per `count`, each device entry once
// per its own count within each rack, with the duplicate ids, taken positions and bad endpoints reported by
// the entry and instance they come from.

import { err } from '../core/schema.js';
import type { DeviceModel, HallModel, RackModel } from '../core/types.js';
import type { RawDevice, RawEndpoint } from './devices.js';
import { expandPattern, type PatternContext } from './pattern.js';
import { withinBudget, type Coord, type RawRack } from './racks.js';
import { addDevice, duplicate, instance, type SiteCtx, type SiteIndex, type Where } from './topology.js';

function coordValue(c: SiteCtx, coord: Coord, ctx: PatternContext, path: string): number | undefined {
  if (typeof coord === 'number') return coord;
  const text = expandPattern(coord, ctx);
  const n = Number(text);
  if (Number.isInteger(n) && n > 0 && /^\d+$/.test(text)) return n;
  err(c, path, `expected a positive integer, got "${text}"${ctx.n === undefined ? '' : ` (n=${ctx.n})`}`);
  return undefined;
}

/** Copies an entry's model and figure overrides onto one of its devices. */
function addFigures(dev: DeviceModel, d: RawDevice): void {
  if (d.model !== undefined) dev.model = d.model;
  if (d.nominal_ths !== undefined && dev.kind === 'asic') dev.nominal_ths = d.nominal_ths;
  if (d.nominal_power_w !== undefined) dev.nominal_power_w = d.nominal_power_w;
  if (d.max_temp_c !== undefined) dev.max_temp_c = d.max_temp_c;
}

/** An instance's endpoint: which of the entry's endpoints polls it, and its expanded value. */
interface Polled {
  raw: RawEndpoint;
  value: string;
}

/**
 * Expands and checks one instance's endpoints; the first usable one polls it. A bad value is reported once
 * per entry and key (the first instance it happens at): a pattern that is wrong once is wrong throughout.
 */
function polledAt(c: SiteCtx, d: RawDevice, ctx: PatternContext, where: Where, reported: Set<string>): Polled | undefined {
  let polled: Polled | undefined;
  for (const raw of d.endpoints) {
    const value = expandPattern(raw.pat, ctx);
    const problem = raw.ep.check(value);
    if (problem !== null) {
      const path = `${d.path}.${raw.ep.key}`;
      if (!reported.has(path)) err(c, path, problem + instance(where));
      reported.add(path);
    } else if (polled === undefined) polled = { raw, value };
  }
  return polled;
}

// Each device object is built in one literal of its final shape: adding address/collector to a spread
// copy afterwards made a 100,000-miner site three times slower to load.
function expandRackDevices(c: SiteCtx, index: SiteIndex, raw: RawRack, rack: RackModel, rackN: number | undefined, reported: Set<string>): void {
  const hall = rack.hall;
  const rackId = rack.id;
  for (const d of raw.devices) {
    if (d.idPat === undefined || d.kind === undefined) continue;
    const kind = d.kind;
    for (let i = 0; i < d.count; i++) {
      const ctx: PatternContext = { rack: rackId };
      if (d.counted) ctx.n = d.start + i;
      if (rackN !== undefined) ctx.r = rackN;
      const id = expandPattern(d.idPat, ctx);
      const where: Where = { path: `${d.path}.id` };
      if (ctx.n !== undefined) where.n = ctx.n;
      if (ctx.r !== undefined) where.r = ctx.r;

      if (kind === 'gpu_node') {
        const first = index.nodeWhere.get(id) ?? index.deviceWhere.get(id);
        if (first !== undefined) {
          duplicate(c, 'device id', id, where, first);
          continue;
        }
        index.nodeWhere.set(id, where);
        // The node's endpoint (its exporter) polls each of its GPUs.
        const polled = d.endpoints.length === 0 ? undefined : polledAt(c, d, ctx, where, reported);
        for (let g = 0; g < d.gpus; g++) {
          const gid = `${id}/gpu${g}`;
          const gpu: DeviceModel = polled !== undefined
            ? { id: gid, kind: 'gpu', hall, rack: rackId, node: id, gpu_index: g, [polled.raw.ep.key]: polled.value, collector: polled.raw.collector }
            : { id: gid, kind: 'gpu', hall, rack: rackId, node: id, gpu_index: g };
          addFigures(gpu, d);
          if (addDevice(c, index, gpu, where)) rack.devices.push(gpu);
        }
        continue;
      }

      const polled = d.endpoints.length === 0 ? undefined : polledAt(c, d, ctx, where, reported);
      const dev: DeviceModel = polled !== undefined
        ? { id, kind, hall, rack: rackId, [polled.raw.ep.key]: polled.value, collector: polled.raw.collector }
        : { id, kind, hall, rack: rackId };
      if (polled?.raw.extra !== undefined) Object.assign(dev, polled.raw.extra);
      addFigures(dev, d);
      if (addDevice(c, index, dev, where)) rack.devices.push(dev);
    }
  }
}

export function expandRacks(c: SiteCtx, index: SiteIndex, hall: HallModel, raws: RawRack[]): void {
  const positions = new Map<string, Where & { id: string }>();
  const reported = new Set<string>();
  for (const raw of raws) {
    if (raw.idPat === undefined || raw.row === undefined || raw.col === undefined) continue;
    if (!withinBudget(c, raw)) continue;
    for (let i = 0; i < raw.count; i++) {
      const n = raw.counted ? raw.start + i : undefined;
      const ctx: PatternContext = n === undefined ? {} : { n };
      const id = expandPattern(raw.idPat, ctx);
      const where: Where = { path: `${raw.path}.id` };
      if (n !== undefined) where.n = n;
      const row = coordValue(c, raw.row, ctx, `${raw.path}.row`);
      const col = coordValue(c, raw.col, ctx, `${raw.path}.col`);
      if (row === undefined || col === undefined) continue;
      const firstRack = index.rackWhere.get(id);
      if (firstRack !== undefined) {
        duplicate(c, 'rack id', id, where, firstRack);
        continue;
      }
      const key = `${row},${col}`;
      const taken = positions.get(key);
      if (taken !== undefined) {
        err(c, raw.path, `rack "${id}"${instance(where)} is at row ${row}, col ${col} of hall ${hall.id}, ` +
          `where rack "${taken.id}" already is (${taken.path})`);
      } else {
        positions.set(key, { ...where, path: raw.path, id });
      }
      const rack: RackModel = {
        id, hall: hall.id, row, col, rated_kw: raw.rated_kw, feeds: [...raw.feeds],
        feed_rated_kw: raw.feed_rated_kw ?? raw.rated_kw, cooling: raw.cooling, devices: [],
      };
      index.racks.set(id, rack);
      index.rackWhere.set(id, where);
      if (raw.loop !== undefined) index.rackLoop.set(id, raw.loop);
      hall.racks.push(rack);
      if (row > hall.rows) hall.rows = row;
      if (col > hall.cols) hall.cols = col;
      expandRackDevices(c, index, raw, rack, n, reported);
    }
  }
}
