// A hall's rack entries, read and checked once per entry, and the device budget a compact entry is held
// to before it is expanded (server/config/expand.ts builds the racks and devices).

import { asObject, at, checkKeys, err, field, keySet, readEnum, readId, readList, readPosInt, readPositive, type Obj } from '../core/schema.js';
import type { CatalogueModel, CoolingKind, Feed } from '../core/types.js';
import { readDevice, type RawDevice } from './devices.js';
import { compilePattern, type Pattern, type PatternVar } from './pattern.js';
import { BUDGET, MAX_SITE_DEVICES, checkVars, fmtCount, readCount, readIdPattern, type SiteCtx } from './topology.js';

const RACK_KEYS = keySet('id', 'row', 'col', 'rated_kw', 'feeds', 'feed_rated_kw', 'cooling', 'loop', 'devices', 'count', 'start');
const COOLING: readonly CoolingKind[] = ['air', 'immersion', 'liquid'];
const FEEDS: readonly Feed[] = ['A', 'B'];

export type Coord = number | Pattern;

export interface RawRack {
  path: string;
  idPat?: Pattern;
  counted: boolean;
  count: number;
  start: number;
  row?: Coord;
  col?: Coord;
  rated_kw: number;
  feeds: Feed[];
  feed_rated_kw?: number;
  cooling: CoolingKind;
  loop?: string;
  devices: RawDevice[];
}

/**
 * Checks, before expanding a rack entry, how many devices it would make (its count × the devices of one
 * rack, a gpu_node counting its GPUs) and what that brings the site to. Multiplying the counts costs
 * nothing; building them is what took 72 s and 4.4 GB. Errors name the entry that passes the budget: a
 * device entry that alone passes it, else the rack entry's count (or its devices, for one rack), else the
 * entry with which the site total passes it. false = do not expand it.
 */
export function withinBudget(c: SiteCtx, raw: RawRack): boolean {
  if (c.overBudget) return false;
  let perRack = 0;
  let entryTooBig = false;
  for (const d of raw.devices) {
    if (d.idPat === undefined || d.kind === undefined) continue;
    const n = d.kind === 'gpu_node' ? d.count * d.gpus : d.count;
    if (n > MAX_SITE_DEVICES) {
      entryTooBig = true;
      err(c, `${d.path}.count`, d.kind === 'gpu_node'
        ? `${fmtCount(d.count)} gpu nodes × ${d.gpus} GPUs = ${fmtCount(n)} devices in each rack, ${BUDGET}`
        : `${fmtCount(n)} devices in each rack, ${BUDGET}`);
    }
    perRack += n;
  }
  const total = raw.count * perRack;
  const after = c.devices + total;
  c.devices = after;
  if (after <= MAX_SITE_DEVICES) return true;
  c.overBudget = true;
  if (raw.counted && raw.count > 1 && total > MAX_SITE_DEVICES) {
    err(c, `${raw.path}.count`, `${fmtCount(raw.count)} racks × ${fmtCount(perRack)} devices = ${fmtCount(total)} devices, ${BUDGET}`);
  } else if (total > MAX_SITE_DEVICES) {
    if (!entryTooBig) err(c, `${raw.path}.devices`, `${fmtCount(total)} devices in one rack, ${BUDGET}`);
  } else {
    const what = raw.counted ? `${fmtCount(raw.count)} racks × ${fmtCount(perRack)} devices = ${fmtCount(total)} devices` : `${fmtCount(total)} devices`;
    err(c, raw.counted ? `${raw.path}.count` : `${raw.path}.devices`, `${what} would bring the site to ${fmtCount(after)} devices, ${BUDGET}`);
  }
  return false;
}

function readCoord(c: SiteCtx, o: Obj, key: 'row' | 'col', path: string, counted: boolean): Coord | undefined {
  const v = o[key];
  const p = at(path, key);
  if (typeof v === 'string' && counted) {
    const pat = compilePattern(v);
    if (typeof pat === 'string') {
      err(c, p, pat);
      return undefined;
    }
    if (!checkVars(c, pat, p, new Set<PatternVar>(['n']))) return undefined;
    return pat;
  }
  return field(c, o, key, path, readPosInt, true, 'expected a positive integer');
}

export function readRack(c: SiteCtx, raw: unknown, path: string, catalogue: ReadonlyMap<string, CatalogueModel>): RawRack | undefined {
  const o = asObject(c, raw, path);
  if (o === undefined) return undefined;
  checkKeys(c, o, path, RACK_KEYS);
  const cnt = readCount(c, o, path);
  let idPat = field(c, o, 'id', path, readIdPattern, true, 'expected a string');
  if (idPat !== undefined) {
    const idPath = at(path, 'id');
    if (!checkVars(c, idPat, idPath, new Set<PatternVar>(cnt.counted ? ['n'] : []))) idPat = undefined;
    else if (cnt.count > 1 && !idPat.vars.has('n')) {
      err(c, idPath, 'with count, the id must contain {n}');
      idPat = undefined;
    }
  }
  const row = readCoord(c, o, 'row', path, cnt.counted);
  const col = readCoord(c, o, 'col', path, cnt.counted);
  const rated_kw = field(c, o, 'rated_kw', path, readPositive, true, 'expected a number');
  const feed_rated_kw = field(c, o, 'feed_rated_kw', path, readPositive, false, '');
  const cooling = field(c, o, 'cooling', path, readEnum(COOLING), false, '');
  const loop = field(c, o, 'loop', path, readId, false, '');

  let feeds: Feed[] = ['A', 'B'];
  const feedList = field(c, o, 'feeds', path, readList, false, '');
  if (feedList !== undefined) {
    const fp = at(path, 'feeds');
    const seen: Feed[] = [];
    feedList.forEach((f, i) => {
      const feed = readEnum(FEEDS)(c, f, `${fp}[${i}]`);
      if (feed === undefined) return;
      if (seen.includes(feed)) err(c, `${fp}[${i}]`, `duplicate feed "${feed}"`);
      else seen.push(feed);
    });
    if (feedList.length === 0) err(c, fp, 'expected at least one feed');
    if (seen.length > 0) feeds = seen;
  }

  const devices: RawDevice[] = [];
  const devList = field(c, o, 'devices', path, readList, false, '');
  if (devList !== undefined) {
    const dp = at(path, 'devices');
    devList.forEach((d, i) => {
      const dev = readDevice(c, d, `${dp}[${i}]`, cnt.counted, catalogue);
      if (dev !== undefined) devices.push(dev);
    });
  }

  const rack: RawRack = {
    path, counted: cnt.counted, count: cnt.count, start: cnt.start, rated_kw: rated_kw ?? 0, feeds,
    cooling: cooling ?? 'air', devices,
  };
  if (idPat !== undefined) rack.idPat = idPat;
  if (row !== undefined) rack.row = row;
  if (col !== undefined) rack.col = col;
  if (feed_rated_kw !== undefined) rack.feed_rated_kw = feed_rated_kw;
  if (loop !== undefined) rack.loop = loop;
  return rack;
}
