// Maps every cgminer-family firmware's summary/stats replies onto the asic vocabulary of docs/ARCHITECTURE.md §3
// (TH/s, W, °C). Pure: no I/O. Firmware variants handled:
//  - Antminer bmminer/cgminer stats: `GHS 5s` (number or string), `temp{i}` board, `temp2_{i}` chip,
//    `chain_acn{i}`, `chain_rate{i}`, `fan{i}`, `chain_power` (some L-series), Vnish `temp_chip{i}` "lo-hi".
//  - Antminer new API: `rate_5s` + `rate_unit`, `fan[]`, `chain[]` with temp_pcb/temp_chip arrays.
//  - Whatsminer btminer summary: `MHS 5s`/`HS RT`, `Power`/`Power_RT`, `Chip Temp Max`, `Fan Speed In/Out`,
//    `Env Temp`, `Temperature`.
//  - Avalon stats/estats: `MM ID{n}` strings of `Key[value]` pairs (GHSspd, WALLPOWER, TMax, Temp, Fan{i}).
//  - LuxOS / Braiins OS: cgminer-compatible summary (`GHS 5s` / `MHS 5s`) and stats, covered by the above.

import type { MetricOf, PowerSource, Reading } from '../core/types.js';
import type { JsonObject } from './types.js';

export interface CgminerReplies {
  /** the whole `summary` reply (STATUS + SUMMARY) */
  summary?: JsonObject;
  /** the whole `stats` or `estats` reply (STATUS + STATS) */
  stats?: JsonObject;
}

export interface ParseContext {
  device: string;
  ts: number;
  /** the model's nominal hashrate and power, for estimating power when the firmware reports none */
  nominal_ths?: number;
  nominal_power_w?: number;
}

type AsicMetrics = Record<MetricOf<'asic'>, number | null>;

/** A number from a firmware value: numbers, numeric strings ("140258.58", "13,500.00"); else null. */
export function num(v: unknown): number | null {
  if (typeof v === 'number') return Number.isFinite(v) ? v : null;
  if (typeof v === 'string') {
    const t = v.trim().replace(/,/gu, '');
    if (t === '' || !/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/u.test(t)) return null;
    const n = Number(t);
    return Number.isFinite(n) ? n : null;
  }
  return null;
}

/** Positive number or null: firmware writes 0 for absent sensors, fans and empty chain slots. */
function pos(v: unknown): number | null {
  const n = num(v);
  return n !== null && n > 0 ? n : null;
}

function maxOf(xs: (number | null)[]): number | null {
  const v = xs.filter((x): x is number => x !== null);
  return v.length ? Math.max(...v) : null;
}

function meanOf(xs: (number | null)[]): number | null {
  const v = xs.filter((x): x is number => x !== null);
  return v.length ? v.reduce((a, b) => a + b, 0) / v.length : null;
}

function round(n: number | null, digits = 6): number | null {
  if (n === null) return null;
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}

function entries(reply: JsonObject | undefined, key: string): JsonObject[] {
  const v = reply?.[key];
  if (!Array.isArray(v)) return [];
  return v.filter((e): e is JsonObject => !!e && typeof e === 'object' && !Array.isArray(e));
}

/** Hashrate in TH/s from a value and its unit. */
function toThs(value: number | null, unit: string): number | null {
  if (value === null) return null;
  const u = unit.trim().toUpperCase().replace(/\/S$/u, '').replace(/S$/u, '');
  const factor: Record<string, number> = { H: 1e-12, KH: 1e-9, MH: 1e-6, GH: 1e-3, TH: 1, PH: 1e3 };
  const f = factor[u];
  return f === undefined ? null : value * f;
}

/** Avalon `Key[value] Key2[v1 v2]` strings → map of key to the raw bracket content. */
export function parseAvalonMm(s: string): Map<string, string> {
  const out = new Map<string, string>();
  const re = /([A-Za-z][\w.]*)\[([^\]]*)\]/gu;
  for (let m = re.exec(s); m; m = re.exec(s)) out.set(m[1], m[2].trim());
  return out;
}

function avalonNums(v: string | undefined): number[] {
  if (v === undefined) return [];
  return v.split(/\s+/u).map((x) => num(x.replace(/%$/u, ''))).filter((x): x is number => x !== null);
}

export function parseCgminerReplies(replies: CgminerReplies, ctx: ParseContext): Reading {
  const m: AsicMetrics = {
    hashrate_ths: null, power_w: null, chip_temp_c: null, board_temp_c: null, inlet_temp_c: null,
    outlet_temp_c: null, fan_rpm: null, accepted_shares: null, rejected_shares: null, hw_errors: null,
    chains_ok: null, chains_total: null, uptime_s: null,
  };
  const summary = entries(replies.summary, 'SUMMARY')[0] ?? {};
  // STATS holds a version header, the device entry(ies), and on some forks POOL{n} entries: merge the
  // device ones (Avalon and Antminer both put telemetry in the entries that are not pools).
  const stats: JsonObject = {};
  for (const e of entries(replies.stats, 'STATS')) {
    if (typeof e.ID === 'string' && /^POOL\d+$/u.test(e.ID)) continue;
    Object.assign(stats, e);
  }

  const avalon = [...Object.keys(stats)].filter((k) => /^MM ID\d+$/u.test(k))
    .map((k) => parseAvalonMm(String(stats[k])));

  if (avalon.length) readAvalon(avalon, m);
  else if (stats.rate_5s !== undefined || stats.rate_unit !== undefined || Array.isArray(stats.chain)) readNewApi(stats, m);
  else readBmminer(stats, m);

  // Summary: the same in every fork; fills what stats did not say.
  if (m.hashrate_ths === null) {
    m.hashrate_ths =
      num(summary['GHS 5s']) !== null ? num(summary['GHS 5s'])! / 1e3
      : num(summary['MHS 5s']) !== null ? num(summary['MHS 5s'])! / 1e6
      : num(summary['HS RT']) !== null ? num(summary['HS RT'])! / 1e6
      : num(summary.rate_5s) !== null ? toThs(num(summary.rate_5s), String(summary.rate_unit ?? 'GH/s'))
      : num(summary['GHS av']) !== null ? num(summary['GHS av'])! / 1e3
      : num(summary['MHS av']) !== null ? num(summary['MHS av'])! / 1e6
      : null;
  }
  if (m.power_w === null) m.power_w = pos(summary.Power_RT) ?? pos(summary.Power);
  if (m.chip_temp_c === null) m.chip_temp_c = pos(summary['Chip Temp Max']);
  if (m.board_temp_c === null) m.board_temp_c = pos(summary.Temperature);
  if (m.inlet_temp_c === null) m.inlet_temp_c = num(summary['Env Temp']);
  if (m.fan_rpm === null) m.fan_rpm = meanOf([pos(summary['Fan Speed In']), pos(summary['Fan Speed Out'])]);
  m.accepted_shares = num(summary.Accepted);
  m.rejected_shares = num(summary.Rejected);
  m.hw_errors = num(summary['Hardware Errors']) ?? num(summary.hw_all);
  m.uptime_s = num(summary.Elapsed) ?? num(summary.elapsed) ?? num(stats.Elapsed) ?? num(stats.elapsed) ?? m.uptime_s;

  m.hashrate_ths = round(m.hashrate_ths);
  m.fan_rpm = round(m.fan_rpm, 1);

  let power_source: PowerSource | undefined;
  if (m.power_w !== null) power_source = 'device';
  else if (m.hashrate_ths !== null && ctx.nominal_power_w && ctx.nominal_ths) {
    // No power from the firmware: the model's nominal power scaled by how hard it is hashing.
    m.power_w = round(ctx.nominal_power_w * Math.min(m.hashrate_ths / ctx.nominal_ths, 1.5), 1);
    power_source = 'estimate';
  }
  const reading: Reading = { device: ctx.device, ts: ctx.ts, metrics: m };
  if (power_source) reading.power_source = power_source;
  return reading;
}

function readBmminer(s: JsonObject, m: AsicMetrics): void {
  const ghs = num(s['GHS 5s']);
  if (ghs !== null) m.hashrate_ths = ghs / 1e3;
  else if (num(s['MHS 5s']) !== null) m.hashrate_ths = num(s['MHS 5s'])! / 1e6;

  const board: (number | null)[] = [];
  const chip: (number | null)[] = [];
  const fans: (number | null)[] = [];
  const acn = new Map<number, number | null>();
  const rate = new Map<number, number | null>();
  const acs = new Map<number, string>();
  for (const [k, v] of Object.entries(s)) {
    let r: RegExpExecArray | null;
    // temp{i} (i ≤ 16) is the board (PCB) sensor; temp2_{i} the chip; temp31.. are unused slots on L3+.
    if ((r = /^temp(\d{1,2})$/u.exec(k)) && Number(r[1]) <= 16) board.push(pos(v));
    else if (/^temp2_\d+$/u.test(k)) chip.push(pos(v));
    else if (/^temp_chip\d+$/u.test(k) && typeof v === 'string') chip.push(maxOf(v.split('-').map(pos)));
    else if (/^temp_pcb\d+$/u.test(k) && typeof v === 'string') board.push(maxOf(v.split('-').map(pos)));
    else if ((r = /^fan(\d+)$/u.exec(k))) fans[Number(r[1]) - 1] = num(v);
    else if ((r = /^chain_acn(\d+)$/u.exec(k))) acn.set(Number(r[1]), num(v));
    else if ((r = /^chain_rate(\d+)$/u.exec(k))) rate.set(Number(r[1]), num(v));
    else if ((r = /^chain_acs(\d+)$/u.exec(k)) && typeof v === 'string') acs.set(Number(r[1]), v.trim());
  }
  m.board_temp_c = maxOf(board);
  m.chip_temp_c = maxOf(chip);
  // fan_num says how many fan slots are fitted; beyond it the zeros are empty headers, not dead fans.
  const fanNum = num(s.fan_num);
  const fitted = fanNum !== null ? fans.slice(0, fanNum) : fans.filter((f) => f !== null && f > 0);
  m.fan_rpm = meanOf(fitted.map((f) => f ?? null));

  const slots = new Set([...acn.keys(), ...rate.keys(), ...acs.keys()]);
  if (slots.size) {
    let populated = 0;
    let ok = 0;
    for (const i of slots) {
      const a = acn.get(i) ?? null;
      const r = rate.get(i) ?? null;
      const hasBoard = (a !== null && a > 0) || (r !== null && r > 0) || (acs.get(i) ?? '') !== '';
      if (!hasBoard) continue;
      populated++;
      if (a !== null && a > 0 && (r === null || r > 0)) ok++;
    }
    const declared = num(s.miner_count) ?? num(s.chain_num);
    m.chains_total = Math.max(populated, declared ?? 0);
    m.chains_ok = ok;
  }
  // L-series and some custom firmware report wall power; 0 there means "not measured".
  m.power_w = pos(s.chain_power) ?? pos(s.Power) ?? null;
  m.uptime_s = num(s.Elapsed);
}

function readNewApi(s: JsonObject, m: AsicMetrics): void {
  m.hashrate_ths = toThs(num(s.rate_5s), String(s.rate_unit ?? 'GH/s'));
  const fanNum = num(s.fan_num);
  const fans = Array.isArray(s.fan) ? s.fan.map(num) : [];
  m.fan_rpm = meanOf(fanNum !== null ? fans.slice(0, fanNum) : fans.filter((f) => f !== null && f > 0));
  const chains = Array.isArray(s.chain) ? s.chain.filter((c): c is JsonObject => !!c && typeof c === 'object') : [];
  if (chains.length) {
    const arr = (c: JsonObject, k: string): (number | null)[] => (Array.isArray(c[k]) ? (c[k] as unknown[]).map(pos) : []);
    m.chip_temp_c = maxOf(chains.flatMap((c) => arr(c, 'temp_chip')));
    m.board_temp_c = maxOf(chains.flatMap((c) => arr(c, 'temp_pcb')));
    m.chains_total = Math.max(chains.length, num(s.chain_num) ?? 0);
    m.chains_ok = chains.filter((c) => (num(c.asic_num) ?? 0) > 0 && (num(c.rate_real) ?? 0) > 0).length;
  }
  m.uptime_s = num(s.elapsed);
}

function readAvalon(mms: Map<string, string>[], m: AsicMetrics): void {
  // One entry per MM (controller); an AvalonMiner has one, a chained rig several: sum speed and power.
  const sum = (key: string): number | null => {
    const v = mms.map((mm) => num(mm.get(key))).filter((x): x is number => x !== null);
    return v.length ? v.reduce((a, b) => a + b, 0) : null;
  };
  const ghs = sum('GHSspd') ?? sum('GHSmm');
  m.hashrate_ths = ghs === null ? null : ghs / 1e3;
  m.power_w = (() => {
    const v = mms.map((mm) => pos(mm.get('WALLPOWER')) ?? (avalonNums(mm.get('PS')).at(-1) ?? null)).filter((x): x is number => x !== null && x > 0);
    return v.length ? v.reduce((a, b) => a + b, 0) : null;
  })();
  m.chip_temp_c = maxOf(mms.map((mm) => pos(mm.get('TMax'))));
  // Temp[] is the controller's intake sensor (ambient air at the miner's inlet).
  m.inlet_temp_c = maxOf(mms.map((mm) => num(mm.get('Temp'))));
  const fans: (number | null)[] = [];
  for (const mm of mms) for (const [k, v] of mm) if (/^Fan\d+$/u.test(k)) fans.push(pos(v));
  m.fan_rpm = meanOf(fans);
  const boards = mms.flatMap((mm) => avalonNums(mm.get('MGHS')));
  if (boards.length) {
    m.chains_total = boards.length;
    m.chains_ok = boards.filter((g) => g > 0).length;
  }
  m.uptime_s = maxOf(mms.map((mm) => num(mm.get('Elapsed'))));
}
