// The cooling loops and the site's meters: each becomes a device (kind cooling_loop or meter) of its own,
// polled when it names a Redfish resource, and a loop joins the racks that list it or that it lists.

import { defaultCollectorFor } from '../collectors/config.js';
import { asObject, checkKeys, err, field, keySet, readEnum, readId, readList, readString, readUrl } from '../core/schema.js';
import type { CoolingLoopModel, DeviceModel, Fluid, HallModel, MeterModel } from '../core/types.js';
import { addDevice, type SiteCtx, type SiteIndex, type Where } from './topology.js';

const LOOP_KEYS = keySet('id', 'hall', 'fluid', 'racks', 'redfish');
const METER_KEYS = keySet('id', 'scope', 'redfish');
const FLUIDS: readonly Fluid[] = ['water', 'pg25', 'eg30', 'immersion_oil', 'pao'];
/** The collector that polls a `redfish` URL. */
const REDFISH = defaultCollectorFor('redfish');

export function readLoops(
  c: SiteCtx, v: unknown, reg: SiteIndex, hallWhere: ReadonlyMap<string, string>, halls: HallModel[],
): CoolingLoopModel[] {
  const loops: CoolingLoopModel[] = [];
  const byId = new Map<string, CoolingLoopModel>();
  const member = new Map<string, string>();
  if (v !== undefined && v !== null) {
    const list = readList(c, v, 'cooling_loops') ?? [];
    list.forEach((l, li) => {
      const lp = `cooling_loops[${li}]`;
      const o = asObject(c, l, lp);
      if (o === undefined) return;
      checkKeys(c, o, lp, LOOP_KEYS);
      const id = field(c, o, 'id', lp, readId, true, 'expected a string');
      const hall = field(c, o, 'hall', lp, readId, false, '');
      const fluid = field(c, o, 'fluid', lp, readEnum(FLUIDS), true, `expected one of ${FLUIDS.join(', ')}`);
      if (hall !== undefined && !hallWhere.has(hall)) err(c, `${lp}.hall`, `unknown hall "${hall}"`);
      const redfish = field(c, o, 'redfish', lp, readUrl, false, '');
      const rackIds = field(c, o, 'racks', lp, readList, false, '') ?? [];
      const racks: string[] = [];
      rackIds.forEach((r, ri) => {
        const rp = `${lp}.racks[${ri}]`;
        const rid = readString(c, r, rp);
        if (rid === undefined) return;
        const rack = reg.racks.get(rid);
        if (rack === undefined) {
          // Over budget the racks were never built: "unknown" would be noise, not a finding.
          if (!c.overBudget) err(c, rp, `unknown rack "${rid}"`);
          return;
        }
        if (hall !== undefined && rack.hall !== hall) err(c, rp, `rack "${rid}" is in hall ${rack.hall}, not ${hall}`);
        const other = member.get(rid);
        if (other !== undefined) {
          err(c, rp, `rack "${rid}" is already on cooling loop "${other}"`);
          return;
        }
        if (id !== undefined) member.set(rid, id);
        racks.push(rid);
      });
      if (id === undefined || fluid === undefined) return;
      const loop: CoolingLoopModel = { id, fluid, racks };
      if (hall !== undefined) loop.hall = hall;
      const where: Where = { path: `${lp}.id` };
      if (byId.has(id)) {
        err(c, where.path, `duplicate cooling loop id "${id}", first at ${reg.deviceWhere.get(id)?.path ?? 'cooling_loops'}`);
        return;
      }
      byId.set(id, loop);
      loops.push(loop);
      const dev: DeviceModel = { id, kind: 'cooling_loop' };
      if (hall !== undefined) dev.hall = hall;
      if (redfish !== undefined) {
        dev.redfish = redfish;
        dev.collector = REDFISH;
      }
      addDevice(c, reg, dev, where);
    });
  }

  // A rack may name its loop instead of (or as well as) the loop listing the rack; both end up the same.
  const reportedRaw = new Set<string>();
  for (const hall of halls) {
    for (const rack of hall.racks) {
      const listed = member.get(rack.id);
      const named = reg.rackLoop.get(rack.id);
      if (named !== undefined) {
        const where = reg.rackWhere.get(rack.id);
        const path = `${(where?.path ?? 'halls.id').slice(0, -'.id'.length)}.loop`;
        const loop = byId.get(named);
        if (loop === undefined) {
          if (!reportedRaw.has(path)) err(c, path, `unknown cooling loop "${named}"`);
          reportedRaw.add(path);
          continue;
        }
        if (loop.hall !== undefined && loop.hall !== rack.hall) {
          err(c, path, `rack "${rack.id}" is in hall ${rack.hall}, but cooling loop "${named}" serves hall ${loop.hall}`);
          continue;
        }
        if (listed !== undefined && listed !== named) {
          err(c, path, `rack "${rack.id}" names loop "${named}" but cooling loop "${listed}" lists it`);
          continue;
        }
        if (listed === undefined) {
          loop.racks.push(rack.id);
          member.set(rack.id, loop.id);
        }
        rack.loop = named;
      } else if (listed !== undefined) {
        rack.loop = listed;
      }
    }
  }
  // A loop that names no hall but serves racks of one hall belongs to that hall (hall-level figures use it).
  for (const loop of loops) {
    if (loop.hall !== undefined || loop.racks.length === 0) continue;
    const first = reg.racks.get(loop.racks[0] ?? '')?.hall;
    if (first !== undefined && loop.racks.every((r) => reg.racks.get(r)?.hall === first)) {
      loop.hall = first;
      const dev = reg.devices.get(loop.id);
      if (dev !== undefined && dev.kind === 'cooling_loop') dev.hall = first;
    }
  }
  return loops;
}

export function readMeters(c: SiteCtx, v: unknown, reg: SiteIndex, hallWhere: ReadonlyMap<string, string>): MeterModel[] {
  const meters: MeterModel[] = [];
  if (v === undefined || v === null) return meters;
  const list = readList(c, v, 'meters') ?? [];
  list.forEach((m, mi) => {
    const mp = `meters[${mi}]`;
    const o = asObject(c, m, mp);
    if (o === undefined) return;
    checkKeys(c, o, mp, METER_KEYS);
    const id = field(c, o, 'id', mp, readId, true, 'expected a string');
    const scopeText = field(c, o, 'scope', mp, readString, true, 'expected "site" or "hall:<id>"');
    let scope: MeterModel['scope'] | undefined;
    if (scopeText === 'site') scope = 'site';
    else if (scopeText !== undefined && scopeText.startsWith('hall:')) {
      const hall = scopeText.slice(5);
      if (hallWhere.has(hall)) scope = { hall };
      else err(c, `${mp}.scope`, `unknown hall "${hall}"`);
    } else if (scopeText !== undefined) err(c, `${mp}.scope`, 'expected "site" or "hall:<id>"');
    const redfish = field(c, o, 'redfish', mp, readUrl, false, '');
    if (id === undefined || scope === undefined) return;
    meters.push({ id, scope });
    const dev: DeviceModel = { id, kind: 'meter' };
    if (scope !== 'site') dev.hall = scope.hall;
    if (redfish !== undefined) {
      dev.redfish = redfish;
      dev.collector = REDFISH;
    }
    addDevice(c, reg, dev, { path: `${mp}.id` });
  });
  return meters;
}
