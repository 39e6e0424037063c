// Maps every cgminer-family firmware's replies onto the asic vocabulary of docs/ARCHITECTURE.md §3
// (TH/s, W, °C). Pure: no I/O. The firmware is told from the reply itself (detectFirmware: the STATS
// header entry, STATUS Description, the new API's STATUS/INFO block), then one reader per family reads
// `stats` (asic-antminer.ts, asic-avalon.ts); `summary` is the same cgminer command everywhere and fills
// what stats did not say; `devs`, `power` and `fan` fill chains, power and fans on the firmware whose
// stats carry none (fetched only then, cgminer.ts).

import type { PowerSource, Reading } from '../core/types.js';
import { readBmminerStats, readNewApiStats, type StatsExtras } from './asic-antminer.js';
import { avalonMms, readAvalonStats } from './asic-avalon.js';
import {
  emptyAsic, entries, fanFigures, isObject, maxOf, num, pos, round, sumOf, toThs, type AsicMetrics,
} from './asic-values.js';
import type { JsonObject } from './types.js';

export { num } from './asic-values.js';
export { parseAvalonMm } from './asic-avalon.js';

export interface CgminerReplies {
  /** the whole `summary` reply (STATUS + SUMMARY) */
  summary?: JsonObject;
  /** the whole `stats` or `estats` reply (STATUS + STATS) */
  stats?: JsonObject;
  /** `devs` (DEVS[]: one entry per hash board on btminer/Auradine/LuxOS), asked for when chains are unknown */
  devs?: JsonObject;
  /** LuxOS `power` (POWER[0].Watts), asked for when no power was read */
  power?: JsonObject;
  /** Auradine `fan` (Fan[].Speed), asked for when no fan was read */
  fan?: JsonObject;
  /** Braiins OS (BOSminer) `temps` (TEMPS[].Board/Chip): its summary and devs carry no temperature */
  temps?: JsonObject;
  /** Braiins OS (BOSminer) `fans` (FANS[].RPM) */
  fans?: JsonObject;
}

export interface ParseContext {
  device: string;
  ts: number;
  /** the model's nominal hashrate and power, for estimating power when the firmware reports none */
  nominal_ths?: number;
  nominal_power_w?: number;
}

/** Firmware families with a reader of their own. 'cgminer' is any other fork: summary only. */
export type AsicFirmware =
  | 'antminer' | 'antminer-newapi' | 'luxos' | 'vnish' | 'braiins' | 'avalon' | 'whatsminer' | 'auradine'
  | 'sealminer' | 'cgminer';

function statusOf(reply: JsonObject | undefined): JsonObject | undefined {
  const st = reply?.STATUS;
  if (Array.isArray(st)) return isObject(st[0]) ? st[0] : undefined;
  return isObject(st) ? st : undefined;
}

function text(v: unknown): string {
  return typeof v === 'string' ? v : '';
}

/**
 * The firmware, from what the reply says about itself: the new API's STATUS object (`api_version`) and
 * INFO block; the STATUS `Description` ("LUXminer …", "bdminer …", "GCMiner-…", "BOSminer …"); the STATS
 * header entry (`Type` "Antminer S19 Pro", `BMMiner`/`CGMiner` version, VNish's `Miner` string) and the
 * device entry's driver `ID` ("BTM_SOC0", "AVA100", "AVALON0"); btminer's `Firmware Version`, or its
 * boards' driver name `SM` in devs.
 */
export function detectFirmware(r: CgminerReplies): AsicFirmware {
  const st = statusOf(r.stats) ?? statusOf(r.summary);
  const desc = [statusOf(r.stats), statusOf(r.summary), statusOf(r.devs)].map((s) => text(s?.Description)).join(' ');
  if (/luxminer/iu.test(desc)) return 'luxos';
  if (/bosminer|boser|braiins/iu.test(desc)) return 'braiins';
  if (/bdminer/iu.test(desc)) return 'sealminer';
  if (/gcminer/iu.test(desc)) return 'auradine';
  if (st && st.api_version !== undefined && !Array.isArray(r.stats?.STATUS)) return 'antminer-newapi';
  if (isObject(r.stats?.INFO) || isObject(r.summary?.INFO)) return 'antminer-newapi';
  const statsEntries = entries(r.stats, 'STATS');
  const header = statsEntries[0] ?? {};
  const ids = statsEntries.map((e) => text(e.ID)).join(' ');
  if (/vnish/iu.test(`${text(header.Miner)} ${text(header.Type)}`)) return 'vnish';
  if (/^AVA|AVALON/u.test(ids)) return 'avalon';
  if (/antminer/iu.test(text(header.Type)) || /BTM_SOC/u.test(ids)) return 'antminer';
  const summary = entries(r.summary, 'SUMMARY')[0];
  if (summary && text(summary['Firmware Version']) !== '') return 'whatsminer';
  if (entries(r.devs, 'DEVS').some((d) => d.Name === 'SM')) return 'whatsminer';
  return 'cgminer';
}

/** Merged STATS device entries: skips POOL{n} entries (some forks append them) and keeps telemetry. */
function statsEntry(stats: JsonObject | undefined): JsonObject {
  const out: JsonObject = {};
  for (const e of entries(stats, 'STATS')) {
    if (typeof e.ID === 'string' && /^POOL\d+$/u.test(e.ID)) continue;
    Object.assign(out, e);
  }
  return out;
}

function readStats(fw: AsicFirmware, r: CgminerReplies, m: AsicMetrics): StatsExtras {
  const s = statsEntry(r.stats);
  switch (fw) {
    case 'avalon': return readAvalonStats(avalonMms(s), m);
    case 'antminer-newapi': return readNewApiStats(s, m);
    case 'antminer': case 'luxos': case 'vnish': case 'braiins': return readBmminerStats(s, m);
    case 'sealminer': return readSealminerStats(s, m);
    default: return { nameplate_ths: null };
  }
}

/** SealMiner bdminer stats: `Board Count`, per-board `{i} MHS(Sample)`, `{i} Temp {j}`, PSU input power. */
function readSealminerStats(s: JsonObject, m: AsicMetrics): StatsExtras {
  const boards = num(s['Board Count']);
  if (boards !== null) {
    const rates = Array.from({ length: boards }, (_, i) => num(s[`${i} MHS(Sample)`]));
    m.chains_total = boards;
    m.chains_ok = rates.filter((x) => x !== null && x > 0).length;
    const temps = Object.entries(s).filter(([k]) => /^\d+ Temp \d+$/u.test(k)).map(([, v]) => pos(v));
    m.board_temp_c = maxOf(temps);
  }
  // `{i} Speed` for i below `Fan Count` are the fans (rpm); the board entries carry no fan of their own.
  const fanCount = num(s['Fan Count']);
  if (fanCount !== null) fanFigures(Array.from({ length: fanCount }, (_, i) => num(s[`${i} Speed`])), m);
  m.power_w = pos(s['PSU Input Power']);
  m.uptime_s = num(s.Elapsed);
  return { nameplate_ths: toThs(pos(s['MHS(Ideal)']), 'MH') };
}

/** `summary`: the cgminer fields every fork keeps, plus btminer's own (Power, Chip Temp Max, Fan Speed). */
function readSummary(summary: JsonObject, m: AsicMetrics): number | null {
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
  // btminer's summary carries both fans of the unit; a 0 there is a fan not turning (the M31S capture's
  // "Fan Speed Out":0 while "Power Fanspeed" 7608 shows the unit powered), so it is kept as a reading.
  if (m.fan_rpm === null) fanFigures([num(summary['Fan Speed In']), num(summary['Fan Speed Out'])], m);
  m.accepted_shares = num(summary.Accepted) ?? m.accepted_shares;
  m.rejected_shares = num(summary.Rejected) ?? m.rejected_shares;
  // The summary's count is the miner's own total; stats' per-board counts are the fallback.
  m.hw_errors = num(summary['Hardware Errors']) ?? num(summary.hw_all) ?? m.hw_errors;
  m.uptime_s = num(summary.Elapsed) ?? num(summary.elapsed) ?? m.uptime_s;
  // btminer's Factory GHS and the new API's rate_ideal: what the unit was built to do.
  return toThs(pos(summary['Factory GHS']), 'GH') ?? toThs(pos(summary.rate_ideal), String(summary.rate_unit ?? 'GH/s'));
}

/**
 * `devs`: one entry per hash board; a board is ok when Alive and hashing. Returns the nameplate BOSminer
 * states per board (`Nominal MHS`, summed), null where a board lacks it.
 */
function readDevs(devs: JsonObject, m: AsicMetrics): number | null {
  const boards = entries(devs, 'DEVS');
  if (!boards.length) return null;
  const rate = (d: JsonObject): number | null => num(d['MHS 5s']) ?? num(d['MHS av']);
  // Stock Antminer answers devs with one BTM_SOC entry for the whole miner: no board count there.
  if (boards.length === 1 && /BTM/u.test(text(boards[0].Name))) return null;
  if (m.chains_total === null) {
    m.chains_total = boards.length;
    m.chains_ok = boards.filter((d) => /alive/iu.test(text(d.Status)) && (rate(d) ?? 0) > 0).length;
  }
  if (m.board_temp_c === null) m.board_temp_c = maxOf(boards.map((d) => pos(d.Temperature)));
  if (m.chip_temp_c === null) m.chip_temp_c = maxOf(boards.map((d) => pos(d['Chip Temp Max'])));
  const nominal = boards.map((d) => pos(d['Nominal MHS']));
  return nominal.every((n) => n !== null) ? toThs(sumOf(nominal), 'MH') : null;
}

/** BOSminer `temps`: one entry per hash board, Board (PCB) and Chip °C; 0 where the sensor reads none. */
function readTemps(temps: JsonObject, m: AsicMetrics): void {
  const boards = entries(temps, 'TEMPS');
  if (m.board_temp_c === null) m.board_temp_c = maxOf(boards.map((t) => pos(t.Board)));
  if (m.chip_temp_c === null) m.chip_temp_c = maxOf(boards.map((t) => pos(t.Chip)));
}

export function parseCgminerReplies(replies: CgminerReplies, ctx: ParseContext): Reading {
  const m = emptyAsic();
  const fw = detectFirmware(replies);
  const extras = readStats(fw, replies, m);
  const summary = entries(replies.summary, 'SUMMARY')[0];
  const summaryPlate = summary ? readSummary(summary, m) : null;
  const devsPlate = replies.devs ? readDevs(replies.devs, m) : null;
  if (m.power_w === null) m.power_w = pos(entries(replies.power, 'POWER')[0]?.Watts);
  if (m.fan_rpm === null && replies.fan) fanFigures(entries(replies.fan, 'Fan').map((f) => num(f.Speed)), m);
  if (replies.temps) readTemps(replies.temps, m);
  // BOSminer lists every fan header (4 on an S9, 2 fitted) with no fitted count: a 0 is an empty header.
  if (m.fan_rpm === null && replies.fans) fanFigures(entries(replies.fans, 'FANS').map((f) => pos(f.RPM)).filter((f) => f !== null), m);

  m.hashrate_ths = round(m.hashrate_ths);
  m.fan_rpm = round(m.fan_rpm, 1);

  const nameplate = extras.nameplate_ths ?? summaryPlate ?? devsPlate;
  m.nameplate_ths = round(nameplate);
  let power_source: PowerSource | undefined;
  if (m.power_w !== null) power_source = 'device';
  else {
    const est = estimatePower(m.hashrate_ths, ctx.nominal_power_w, ctx.nominal_ths ?? nameplate ?? undefined);
    if (est !== null) {
      m.power_w = est;
      power_source = 'estimate';
    }
  }
  const reading: Reading = { device: ctx.device, ts: ctx.ts, metrics: m };
  if (power_source) reading.power_source = power_source;
  return reading;
}

/**
 * No power from the firmware: the model's nominal power scaled by how hard it is hashing (capped at
 * 1.5×). The nominal hashrate is the catalogue's or config's, else the nameplate the reply states.
 */
export function estimatePower(hashrate_ths: number | null, nominal_power_w?: number, nominal_ths?: number): number | null {
  // A miner hashing nothing still draws fans and controller (the idle Avalon Q capture: 146 W): 0 W would
  // drop it from its rack's power without a word, so no estimate, and the rack says "without power_w".
  if (hashrate_ths === null || hashrate_ths <= 0 || !nominal_power_w || !nominal_ths) return null;
  return round(nominal_power_w * Math.min(hashrate_ths / nominal_ths, 1.5), 1);
}

