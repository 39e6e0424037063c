// Canaan Avalon `stats`/`estats`: telemetry sits in `MM ID{n}` strings of `Key[value]` pairs (A12xx-A15xx),
// or in `MM ID{n}:Summary` on the Avalon Q/Nano-era firmware ("'STATS':{Ver[..] .. GHSspd[..] ..}").
// Keys read: GHSspd (5 s rate, GH/s), WALLPOWER or the last PS[] field (wall W), TMax (chip max), Temp or
// ITemp (intake air), Fan{i}, MGHS[] (one rate per hash board), HW[] (hardware errors), Elapsed.

import { fanFigures, maxOf, num, pos, sumOf, type AsicMetrics } from './asic-values.js';
import type { StatsExtras } from './asic-antminer.js';
import type { JsonObject } from './types.js';

/** Avalon `Key[value] Key2[v1 v2]` strings → map of key to the raw bracket content (first one wins). */
export function parseAvalonMm(s: string): Map<string, string> {
  const out = new Map<string, string>();
  const re = /([A-Za-z][\w.]*)\[([^\]]*)\]/gu;
  for (let m = re.exec(s); m; m = re.exec(s)) if (!out.has(m[1])) out.set(m[1], m[2].trim());
  return out;
}

function avalonNums(v: string | undefined): number[] {
  if (v === undefined) return [];
  return v.split(/\s+/u).map((x) => num(x.replace(/%$/u, ''))).filter((x): x is number => x !== null);
}

/** The MM strings of a merged STATS device entry. */
export function avalonMms(stats: JsonObject): Map<string, string>[] {
  return Object.keys(stats).filter((k) => /^MM ID\d+(:Summary)?$/u.test(k)).map((k) => parseAvalonMm(String(stats[k])));
}

export function readAvalonStats(mms: Map<string, string>[], m: AsicMetrics): StatsExtras {
  // One entry per MM (controller); an AvalonMiner has one, a chained rig several: sum speed and power.
  const sum = (key: string): number | null => sumOf(mms.map((mm) => num(mm.get(key))));
  const ghs = sum('GHSspd');
  m.hashrate_ths = ghs === null ? null : ghs / 1e3;
  m.power_w = sumOf(mms.map((mm) => pos(mm.get('WALLPOWER')) ?? pos(avalonNums(mm.get('PS')).at(-1))));
  m.chip_temp_c = maxOf(mms.map((mm) => pos(mm.get('TMax'))));
  // Temp[] (A12xx-A15xx) and ITemp[] (Avalon Q) are the controller's intake sensor: the miner's inlet air.
  m.inlet_temp_c = maxOf(mms.map((mm) => num(mm.get('Temp') ?? mm.get('ITemp'))));
  const fans: (number | null)[] = [];
  for (const mm of mms) for (const [k, v] of mm) if (/^Fan\d+$/u.test(k)) fans.push(num(v));
  // A fan reading 0 on a hashing unit is a stopped fan; on an idle one (Q at rest) all read 0: no fans run.
  fanFigures(fans.some((f) => f !== null && f > 0) ? fans : [], m);
  const boards = mms.flatMap((mm) => avalonNums(mm.get('MGHS')));
  if (boards.length) {
    m.chains_total = boards.length;
    m.chains_ok = boards.filter((g) => g > 0).length;
  }
  m.hw_errors = sum('HW');
  m.uptime_s = maxOf(mms.map((mm) => num(mm.get('Elapsed'))));
  // GHSmm is the rate the controller computes for its clock, not a nameplate: no nameplate from Avalon.
  return { nameplate_ths: null };
}
