// Readers for the two Bitmain `stats` layouts, and the firmware that reuse them:
//  - legacy bmminer/cgminer (stock Antminer, LuxOS, VNish, BOSminer's compatibility layer): one STATS
//    device entry with `GHS 5s`, `temp{i}` board, `temp2_{i}` chip, `temp_chip{i}`/`temp_pcb{i}` "a-b-c-d"
//    strings, `fan{i}`, `chain_acn{i}`/`chain_rate{i}`/`chain_hw{i}`, `no_matching_work`, `total_rateideal`.
//    Stock S19-generation bmminer also writes `rate_unit` ("GH") here: it names the unit of `rate_30m`,
//    it does not make the reply new-API (the old code took it for one and read nothing; issue 13).
//  - the new API (Antminer `uart_trans`/2022+ firmware, Elphapex): STATUS is one object with
//    `api_version`, an INFO block, and STATS[0] with `rate_5s` + `rate_unit`, `fan[]`, `chain[]`.
// Which one is told by detectFirmware (cgminer-parse.ts) from the reply's own header, never from keys.

import {
  fanFigures, isObject, maxOf, num, pos, sumOf, toThs, type AsicMetrics,
} from './asic-values.js';
import type { JsonObject } from './types.js';

/** What a stats reader found besides the vocabulary: the nameplate the firmware states, in TH/s. */
export interface StatsExtras {
  nameplate_ths: number | null;
}

export function readBmminerStats(s: JsonObject, m: AsicMetrics): StatsExtras {
  const ghs = num(s['GHS 5s']);
  if (ghs !== null) m.hashrate_ths = ghs / 1e3;
  else if (num(s['MHS 5s']) !== null) m.hashrate_ths = num(s['MHS 5s'])! / 1e6;

  const board: (number | null)[] = [];
  const chip: (number | null)[] = [];
  const fans: (number | null)[] = [];
  const acn = new Map<number, number | null>();
  const rate = new Map<number, number | null>();
  const acs = new Map<number, string>();
  const hw: (number | null)[] = [];
  const consumption: (number | null)[] = [];
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
    else if (/^chain_hw\d+$/u.test(k)) hw.push(num(v));
    else if (/^chain_consumption\d+$/u.test(k)) consumption.push(pos(v));
  }
  m.board_temp_c = maxOf(board);
  m.chip_temp_c = maxOf(chip);
  // fan_num says how many fan slots are fitted; beyond it the zeros are empty headers, not dead fans.
  // Within the fitted ones a 0 is a stopped fan: it is kept, so fan_min_rpm shows it.
  const fanNum = num(s.fan_num);
  // The fitted fans are not always the first slots (an S9 under VNish writes fan5, fan6 with fan_num 2): the
  // turning ones, and as many 0s as fan_num says are fitted beyond them (stopped fans).
  const turning = fans.filter((f): f is number => f !== null && f > 0);
  const fitted = fanNum !== null && fanNum >= turning.length ? [...turning, ...Array<number>(fanNum - turning.length).fill(0)] : turning;
  fanFigures(fitted, m);

  const slots = new Set([...acn.keys(), ...rate.keys(), ...acs.keys()]);
  if (slots.size) {
    let populated = 0;
    let ok = 0;
    for (const i of slots) {
      const a = acn.get(i) ?? null;
      const rt = rate.get(i) ?? null;
      const hasBoard = (a !== null && a > 0) || (rt !== null && rt > 0) || (acs.get(i) ?? '') !== '';
      if (!hasBoard) continue;
      populated++;
      if (a !== null && a > 0 && (rt === null || rt > 0)) ok++;
    }
    const declared = num(s.miner_count) ?? num(s.chain_num);
    m.chains_total = Math.max(populated, declared ?? 0);
    m.chains_ok = ok;
  }
  // Bitmain counts a nonce that matches no work as a hardware error; chain_hw{i} are the same per board.
  m.hw_errors = num(s.no_matching_work) ?? sumOf(hw);
  // L-series and some custom firmware report wall power; 0 there means "not measured".
  // VNish writes its own per-board power figure (chain_consumption{i}, W): their sum is the firmware's.
  m.power_w = pos(s.chain_power) ?? pos(s.Power) ?? sumOf(consumption);
  m.uptime_s = num(s.Elapsed);
  // total_rateideal is in the reply's rate_unit (GH on every capture; GH is bmminer's unit when absent).
  return { nameplate_ths: toThs(pos(s.total_rateideal), String(s.rate_unit ?? 'GH')) };
}

export function readNewApiStats(s: JsonObject, m: AsicMetrics): StatsExtras {
  const unit = String(s.rate_unit ?? 'GH/s');
  m.hashrate_ths = toThs(num(s.rate_5s), unit);
  const fanNum = num(s.fan_num);
  const fans = Array.isArray(s.fan) ? s.fan.map(num) : [];
  fanFigures(fanNum !== null ? fans.slice(0, fanNum) : fans.filter((f) => f !== null && f > 0), m);
  const chains = Array.isArray(s.chain) ? s.chain.filter(isObject) : [];
  if (chains.length) {
    // Elphapex DG-Home1 writes "25687" in an idle board's temp_chip: not °C, so above 150 is no reading.
    const arr = (c: JsonObject, k: string): (number | null)[] =>
      Array.isArray(c[k]) ? (c[k] as unknown[]).map(pos).map((t) => (t !== null && t <= 150 ? t : null)) : [];
    m.chip_temp_c = maxOf(chains.flatMap((c) => arr(c, 'temp_chip')));
    m.board_temp_c = maxOf(chains.flatMap((c) => arr(c, 'temp_pcb')));
    m.chains_total = Math.max(chains.length, num(s.chain_num) ?? 0);
    m.chains_ok = chains.filter((c) => (num(c.asic_num) ?? 0) > 0 && (num(c.rate_real) ?? 0) > 0).length;
    m.hw_errors = sumOf(chains.map((c) => num(c.hw)));
  }
  m.uptime_s = num(s.elapsed);
  return { nameplate_ths: toThs(pos(s.rate_ideal), unit) };
}
