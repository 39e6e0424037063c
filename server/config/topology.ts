// What the topology readers (racks, devices, loops, meters) share: the load's device budget, where each
// id was defined, the pattern-capable readers of compact entries, and the index the expansion fills.

import { at, err, field, ID_MESSAGE, ID_RE, readNonNegInt, readPosInt, readString, type Ctx, type Obj, type Reader } from '../core/schema.js';
import type { DeviceModel, RackModel } from '../core/types.js';
import { compilePattern, expandPattern, type Pattern, type PatternVar } from './pattern.js';

/** The error list, and how far the compact entries have got against the site's device budget. */
export interface SiteCtx extends Ctx {
  /** devices the compact entries expanded so far (or would have: see overBudget) */
  devices: number;
  /** the budget was passed: later entries are not expanded, and checks that need the racks stay quiet */
  overBudget: boolean;
}

/**
 * Devices a site may have once compact entries are expanded. Ten times the largest site measured
 * (100,000 devices load in ~0.3 s and ~130 MB RSS through check-config), and far under the 2^24 entries
 * where a JS Map gives up: 100,000 × 100,000 × 64 used to run 72 s and 4.4 GB before dying there.
 */
export const MAX_SITE_DEVICES = 1_000_000;
/** No single `count` may exceed what a whole site may hold: it is refused by itself, before any multiplying. */
export const MAX_COUNT = MAX_SITE_DEVICES;

export function fmtCount(n: number): string {
  return n.toLocaleString('en-US');
}

export const BUDGET = `over the limit of ${fmtCount(MAX_SITE_DEVICES)} devices a site may have`;

/** A pattern-capable string (id, address, exporter); `check` validates the literal parts that can be checked early. */
export const readPattern: Reader<Pattern> = (c, v, p) => {
  const s = readString(c, v, p);
  if (s === undefined) return undefined;
  const pat = compilePattern(s);
  if (typeof pat === 'string') {
    err(c, p, pat);
    return undefined;
  }
  return pat;
};

/** An id that may hold placeholders: its literal text must be id-safe, and placeholders expand to digits or ids. */
export const readIdPattern: Reader<Pattern> = (c, v, p) => {
  const pat = readPattern(c, v, p);
  if (pat === undefined) return undefined;
  const probe = expandPattern(pat, { n: 1, r: 1, rack: 'R' });
  if (ID_RE.test(probe)) return pat;
  err(c, p, ID_MESSAGE);
  return undefined;
};

export function checkVars(c: Ctx, pat: Pattern, path: string, allowed: ReadonlySet<PatternVar>): boolean {
  for (const v of pat.vars) {
    if (allowed.has(v)) continue;
    err(c, path, v === 'n' ? '{n} needs count' : v === 'r' ? '{r} needs a rack with count' : '{rack} is only known inside a rack');
    return false;
  }
  return true;
}

export function readCount(c: Ctx, o: Obj, path: string): { counted: boolean; count: number; start: number } {
  let count = field(c, o, 'count', path, readPosInt, false, '');
  const start = field(c, o, 'start', path, readNonNegInt, false, '');
  if (start !== undefined && count === undefined) err(c, at(path, 'start'), 'start needs count');
  if (count !== undefined && count > MAX_COUNT) {
    err(c, at(path, 'count'), `at most ${fmtCount(MAX_COUNT)}`);
    // Still counted (so the id's {n} raises nothing more), but nothing to expand.
    count = 0;
  }
  return { counted: count !== undefined, count: count ?? 1, start: start ?? 1 };
}

/** Where an id was defined: the entry's path plus, for counted entries, which instance. */
export interface Where {
  path: string;
  n?: number;
  r?: number;
}

export function instance(w: Where): string {
  const tags: string[] = [];
  if (w.r !== undefined) tags.push(`rack n=${w.r}`);
  if (w.n !== undefined) tags.push(`n=${w.n}`);
  return tags.length === 0 ? '' : ` (${tags.join(', ')})`;
}

export function duplicate(c: Ctx, what: string, id: string, here: Where, first: Where): void {
  err(c, here.path, `duplicate ${what} "${id}"${instance(here)}, first at ${first.path}${instance(first)}`);
}

/** Everything built so far, by id, with where each was defined (for the duplicate errors). */
export interface SiteIndex {
  devices: Map<string, DeviceModel>;
  deviceWhere: Map<string, Where>;
  nodeWhere: Map<string, Where>;
  racks: Map<string, RackModel>;
  rackWhere: Map<string, Where>;
  /** the loop each rack's own entry named; RackModel.loop is set only once the loop is known to exist */
  rackLoop: Map<string, string>;
}

export function addDevice(c: Ctx, index: SiteIndex, dev: DeviceModel, where: Where): boolean {
  const first = index.deviceWhere.get(dev.id);
  if (first !== undefined) {
    duplicate(c, 'device id', dev.id, where, first);
    return false;
  }
  index.devices.set(dev.id, dev);
  index.deviceWhere.set(dev.id, where);
  return true;
}
