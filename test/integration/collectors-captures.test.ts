// Every real capture in test/fixtures/asic/ (see its README for each file's exact source), served
// byte-exact over its real protocol and polled through the scheduler. cgminer family: one command per
// TCP connection, the reply read to EOF with bmminer's trailing NUL; Whatsminer API v3: 4-byte LE length
// prefix, then the JSON. Each expected number is read by hand from the file named in its row; the
// comment says which field it is.
import net from 'node:net';
import { readdirSync, readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { cgminerRaw, parseCgminerJson } from '../../server/collectors/cgminer.js';
import { startScheduler } from '../../server/collectors/scheduler.js';
import { whatsminerV3Request } from '../../server/collectors/whatsminer-v3.js';
import type { CollectorSink } from '../../server/collectors/types.js';
import type { CatalogueModel, DeviceModel, MetricOf, PoolEntry, Reading } from '../../server/core/types.js';
import { joined, startFakeMiner, type FakeBehaviour } from './collectors-fake-miner.js';
import { collectorSettings } from '../helpers/collectors.js';
import { deviceHealth } from '../../server/figures/health.js';

const fx = (name: string): string => readFileSync(new URL(`../fixtures/asic/${name}`, import.meta.url), 'utf8');
const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(closers.splice(0).map((c) => c()));
});

type Expected = Record<MetricOf<'asic'>, number | null>;

/** Polls one device through the scheduler until its first reading, and returns it. */
async function pollOnce(device: DeviceModel, catalogue = new Map<string, CatalogueModel>()): Promise<Reading> {
  const accepted: Reading[] = [];
  const errors: string[] = [];
  const sink: CollectorSink = { accept: (r) => accepted.push(...r), deviceError: (_d, reason) => errors.push(reason) };
  const sched = startScheduler({
    devices: [device], catalogue, sink,
    // 1 s: the scheduler starts each device at a random point of its first interval; stopped after one poll.
    settings: collectorSettings({ interval_s: 1, timeout_ms: 2000, concurrency: 4 }),
  });
  const t0 = Date.now();
  while (!accepted.length && !errors.length && Date.now() - t0 < 4000) await new Promise((r) => setTimeout(r, 10));
  await sched.stop();
  expect(errors).toEqual([]);
  return accepted[0];
}

interface CgCase {
  name: string;
  replies: Record<string, string>;
  commands: string[];
  power_source?: 'device' | 'estimate';
  metrics: Expected;
  /** the pool list read from the `pools` capture: [url, user, state, active, priority] */
  pools?: [string, string, PoolEntry['state'], boolean, number][];
}

/** No `pools` capture for this miner: the fake answers Invalid command, and the pool figures are unknown. */
const NO_POOLS = { pool_rejected_pct: null, pool_stale_pct: null, last_share_age_s: null };



const CASES: CgCase[] = [
  {
    name: 'stock Antminer S19 Pro, bmminer 49.0.1.3 legacy stats with "rate_unit":"GH" (antminer-bmminer/S19Pro_*)',
    replies: {
      'summary+stats': joined({ summary: fx('antminer-bmminer/S19Pro_summary.json'), stats: fx('antminer-bmminer/S19Pro_stats.json') }),
      pools: fx('antminer-bmminer/S19Pro_pools.json'),
    },
    commands: ['summary+stats', 'pools'],
    metrics: {
      hashrate_ths: 110.56689, // stats "GHS 5s": 110566.89 GH/s
      power_w: null, // stock bmminer reports no power; no model given here, so no estimate
      chip_temp_c: 78, // max(temp2_1..3 = 78, 71, 69); temp_chip1 "78-50-69-70"
      board_temp_c: 73, // max(temp1..3 = 73, 66, 64); temp_pcb1 "73-45-64-65"
      inlet_temp_c: null, outlet_temp_c: null, // no labelled inlet/outlet sensor in bmminer stats
      fan_rpm: 5490, // fan_num 4: (6000 + 5880 + 5040 + 5040) / 4
      fan_min_rpm: 5040,
      accepted_shares: 4057, rejected_shares: 11, // summary Accepted, Rejected
      hw_errors: 562, // summary "Hardware Errors" (= stats no_matching_work 562 = chain_hw 183+195+184)
      chains_ok: 3, chains_total: 3, // chain_acn 114,114,114,0; chain 4 empty; miner_count 3
      uptime_s: 50474, // summary Elapsed
      nameplate_ths: 110, // stats total_rateideal 110000.0 (GH)
      // pools POOL 0 (Stratum Active): "Pool Rejected%" says 0.0, but its sums say Difficulty Rejected
      // 2490368 of 1305083904 + 2490368 + 0 = 0.1905 %: the sums are read, by cgminer's own formula
      pool_rejected_pct: 0.1905, pool_stale_pct: 0, // Difficulty Stale 0.0
      last_share_age_s: 3, // "Last Share Time": "0:00:03"
    },
    pools: [
      ['stratum+tcp://btc.global.luxor.tech:700', 'satokierepair.H04YK', 'alive', true, 0],
      ['stratum+tcp://btc.global.luxor.tech:700', 'satokierepair.H04YK', 'alive', false, 1],
      ['stratum+tcp://btc.global.luxor.tech:700', 'satokierepair.H04YK', 'alive', false, 2],
    ],
  },
  {
    name: 'LuxOS 2025.4.8 on an S19k Pro: summary+stats, then power (luxos/S19kPro_*)',
    replies: {
      'summary+stats': joined({ summary: fx('luxos/S19kPro_summary.json'), stats: fx('luxos/S19kPro_stats.json') }),
      power: fx('luxos/S19kPro_power.json'),
      pools: fx('luxos/S19kPro_pools.json'),
    },
    commands: ['summary+stats', 'power', 'pools'],
    power_source: 'device',
    metrics: {
      hashrate_ths: 59.75606, // stats "GHS 5s": 59756.06
      power_w: 1051, // power: POWER[0].Watts
      chip_temp_c: 47, board_temp_c: 47, // temp2_1..3 and temp1..3 all 47.0
      inlet_temp_c: null, outlet_temp_c: null, // labelled only in `temps` (Board Intake/Exhaust), not asked
      fan_rpm: 2130, // (1920 + 1920 + 2340 + 2340) / 4
      fan_min_rpm: 1920,
      accepted_shares: 1483, rejected_shares: 1, hw_errors: 0,
      chains_ok: 3, chains_total: 3, // chain_acn 77,77,77,0; chain_rate4 "0", chain_acs4 "" (no board)
      uptime_s: 3453,
      nameplate_ths: 61.9542, // stats total_rateideal 61954.2 (GH)
      // two groups, each with an active pool: POOL 0 (Priority 0) is the miner's; Difficulty Rejected 0
      pool_rejected_pct: 0, pool_stale_pct: 0, last_share_age_s: 1, // "Last Share Time": "00:00:01"
    },
    pools: [
      ['stratum+tcp://ca.stratum.braiins.com:3333', 'asic-rs.user1', 'alive', true, 0],
      ['stratum+tcp://stratum.braiins.com:3333', 'asic-rs.user1', 'dead', false, 1],
      ['stratum+tcp://ca.stratum.braiins.com:3333', 'asic-rs.user2', 'alive', true, 2],
      ['stratum+tcp://stratum.braiins.com:3333', 'asic-rs.user2', 'dead', false, 3],
    ],
  },
  {
    name: 'Whatsminer btminer API v1, M30S (fw 20210322.22.REL): summary, then devs (whatsminer-btminer/v1_M30S_*)',
    replies: {
      summary: fx('whatsminer-btminer/v1_M30S_summary.json'), devs: fx('whatsminer-btminer/v1_M30S_devs.json'),
      pools: fx('whatsminer-btminer/v1_M30S_pools.json'),
    },
    commands: ['summary+stats', 'summary', 'devs', 'pools'], // "Firmware Version" names btminer: no `stats` asked
    power_source: 'device',
    metrics: {
      hashrate_ths: 70.668115, // "MHS 5s": 70668114.52 / 1e6
      power_w: 3427, // Power_RT (Power 3417)
      chip_temp_c: 92.5, // "Chip Temp Max"
      board_temp_c: 71.5, // Temperature
      inlet_temp_c: null, // no "Env Temp" in this firmware's summary
      outlet_temp_c: null,
      fan_rpm: 6465, // ("Fan Speed In" 6450 + "Fan Speed Out" 6480) / 2
      fan_min_rpm: 6450,
      accepted_shares: 2338, rejected_shares: 0, hw_errors: 69,
      chains_ok: 3, chains_total: 3, // devs: 3 boards, Status Alive, MHS 5s 20053438.74 / 25567317.81 / 24351292.28
      uptime_s: 10154, // Elapsed
      nameplate_ths: 68.796, // "Factory GHS" 68796
      pool_rejected_pct: 0, pool_stale_pct: 0, // POOL 1: Difficulty Rejected 0.0, Stale 0.0 of 158334976
      last_share_age_s: 7, // "Last Share Time" 1761061364 (epoch s) against STATUS When 1761061371
    },
    pools: [
      ['stratum+tcp://btc.example.pool:3333', 'asic-rs.test', 'alive', true, 0],
      ['stratum+tcp://btc2.example.pool:3333', 'asic-rs.test', 'alive', false, 1],
      ['stratum+tcp://btc3.example.pool:3333', 'asic-rs.test', 'alive', false, 2],
    ],
  },
  {
    name: 'Whatsminer btminer API v2 (sample): summary, then devs (whatsminer-btminer/v2_*)',
    replies: { summary: fx('whatsminer-btminer/v2_summary.json'), devs: fx('whatsminer-btminer/v2_devs.json'), pools: fx('whatsminer-btminer/v2_pools.json') },
    commands: ['summary+stats', 'summary', 'stats', 'devs', 'pools'],
    power_source: 'device',
    metrics: {
      hashrate_ths: 124.5, // no "MHS 5s"; "HS RT" 124500000.0 / 1e6
      power_w: 3200, // Power
      chip_temp_c: 81, // "Chip Temp Max" 81.0
      board_temp_c: 67, // no summary Temperature: max devs Temperature 65, 66, 67
      inlet_temp_c: 28.5, // "Env Temp"
      outlet_temp_c: null,
      fan_rpm: 5340, fan_min_rpm: 5280, // In 5400, Out 5280
      accepted_shares: 5412,
      rejected_shares: null, hw_errors: null, // not in this summary
      chains_ok: 3, chains_total: 3, // devs Alive, "MHS av" 41.5/41.8/41.7 TH/s
      uptime_s: 25000,
      nameplate_ths: 126, // "Factory GHS" 126000
      // this pools reply has only Accepted 5412 and Rejected 0: no stale count, no last share time
      pool_rejected_pct: 0, pool_stale_pct: null, last_share_age_s: null,
    },
    pools: [
      ['stratum+tcp://btc.example.pool:3333', 'asic-rs.test', 'alive', true, 0],
      ['stratum+tcp://btc2.example.pool:3333', 'asic-rs.test', 'alive', false, 1],
      ['stratum+tcp://btc3.example.pool:3333', 'asic-rs.test', 'alive', false, 2],
    ],
  },
  {
    name: 'Avalon A1246 (Ver 1246-83-21072802) stats only (avalon/1246_stats.json)',
    replies: { 'summary+stats': joined({ stats: fx('avalon/1246_stats.json') }) },
    commands: ['summary+stats', 'pools'],
    power_source: 'device',
    metrics: {
      hashrate_ths: 81.07268, // GHSspd[81072.68]
      power_w: 3504, // no WALLPOWER; last PS[] field: PS[0 1214 1316 242 3189 1320 3504]
      chip_temp_c: 77, // TMax[77]
      board_temp_c: null, // no board sensor in the MM string (MTmax are per-board chip maxima)
      inlet_temp_c: 30, // Temp[30]
      outlet_temp_c: null,
      fan_rpm: 5348.5, // (5344 + 5392 + 5349 + 5309) / 4
      fan_min_rpm: 5309,
      accepted_shares: null, rejected_shares: null, // no summary in this capture
      hw_errors: 2735, // HW[2735]
      chains_ok: 3, chains_total: 3, // MGHS[26907.01 26025.06 26724.56]
      uptime_s: 24684, // Elapsed[24684]
      nameplate_ths: null, // Avalon states none (GHSmm is the rate for its clock)
      ...NO_POOLS,
    },
  },
  {
    name: 'Avalon Q (MM319, "MM ID0:Summary" layout), idle at capture (avalon/Q_*)',
    replies: { 'summary+stats': joined({ summary: fx('avalon/Q_summary.json'), stats: fx('avalon/Q_stats.json') }), pools: fx('avalon/Q_pools.json') },
    commands: ['summary+stats', 'pools'],
    power_source: 'device',
    metrics: {
      hashrate_ths: 0, // GHSspd[0.00]: "SYSTEMSTATU[Work: In Idle …]"
      power_w: 146, // last PS[] field: PS[0 1222 4 0 0 2245 146]
      chip_temp_c: null, // TMax[0]: no reading while idle
      board_temp_c: null,
      inlet_temp_c: 26, // ITemp[26]
      outlet_temp_c: null,
      fan_rpm: null, fan_min_rpm: null, // Fan1..4 all 0 on an idle unit: no fan runs
      accepted_shares: 890, rejected_shares: 2,
      hw_errors: 0, // summary "Hardware Errors" 0 (HW[0])
      chains_ok: 1, chains_total: 1, // MGHS[44499.41]
      uptime_s: 37714, // summary Elapsed (MM Elapsed[37850] is the controller's)
      nameplate_ths: null,
      pool_rejected_pct: 0.2129, // Difficulty Rejected 786432 of 368550176 + 786432 + 0 (= its "Pool Rejected%")
      pool_stale_pct: 0,
      last_share_age_s: null, // "Last Share Time": 31279, neither a time since nor an epoch beside When 1753431847
    },
    pools: [['stratum+tcp://pool.example.com:4444', 'worker1', 'alive', true, 0]],
  },
  {
    name: 'Auradine GCMiner: summary, then devs and fan (auradine/*)',
    replies: { summary: fx('auradine/summary.json'), devs: fx('auradine/devs.json'), fan: fx('auradine/fan.json'), pools: fx('auradine/pools.json') },
    commands: ['summary+stats', 'summary', 'stats', 'devs', 'fan', 'pools'],
    metrics: {
      hashrate_ths: 20.599767, // "MHS 5s": 20599767.1774699
      power_w: null, // only in `psu` (PowerIn), captured from another build and idle: not asked
      chip_temp_c: null,
      board_temp_c: 30.12, // max devs Temperature 28.25, 29.06, 30.12
      inlet_temp_c: null, outlet_temp_c: null,
      fan_rpm: 7055, // fan: Speed 7080, 7020, 7100, 7020
      fan_min_rpm: 7020,
      accepted_shares: 3310, rejected_shares: 1, hw_errors: 0,
      chains_ok: 3, chains_total: 3, // devs: 3 ASICBoard, Alive, MHS 5s > 0
      uptime_s: 56696,
      nameplate_ths: null, // GCMiner's summary states none
      // GCMiner's pools gives only counts: Rejected 1 of Accepted 10 + 1; no stale, no last share time
      pool_rejected_pct: 9.0909, pool_stale_pct: null, last_share_age_s: null,
    },
    pools: [
      ['stratum+tcp://btc.viabtc.io:3333', 'username.suffix', 'alive', true, 0],
      ['stratum+tcp://stratum.slushpool.com:3333', 'username.suffix', 'dead', false, 1],
      ['stratum+tcp://stratum.slushpool.com:3333', 'username.suffix', 'dead', false, 2],
    ],
  },
  {
    name: 'SealMiner A2, bdminer 4.11.1 (sealminer/*)',
    replies: { 'summary+stats': joined({ summary: fx('sealminer/summary.json'), stats: fx('sealminer/stats.json') }), pools: fx('sealminer/pools.json') },
    commands: ['summary+stats', 'pools'],
    power_source: 'device',
    metrics: {
      hashrate_ths: 368.479433, // summary "MHS 5s": 368479432.78 (the firmware's own 5 s figure)
      power_w: 3504, // stats "PSU Input Power"
      chip_temp_c: null,
      board_temp_c: 70, // max "{i} Temp {j}" = 70 (0 Temp 2, 1 Temp 2, 2 Temp 2)
      inlet_temp_c: null, outlet_temp_c: null,
      fan_rpm: 3730.5, // "Fan Count" 4: "0..3 Speed" 3723, 3723, 3753, 3723
      fan_min_rpm: 3723,
      accepted_shares: 1421, rejected_shares: 3, hw_errors: 54,
      chains_ok: 3, chains_total: 3, // "Board Count" 3, each "{i} MHS(Sample)" > 0
      uptime_s: 2481,
      nameplate_ths: 221.663472, // stats "MHS(Ideal)" 221663472
      pool_rejected_pct: 0.313, // Difficulty Rejected 131072 of 41746432 + 131072 + 0 = 0.31299 (its field: 0.313)
      pool_stale_pct: 0,
      last_share_age_s: 2, // "Last Share Time" 1773869544 against When 1773869546
    },
    pools: [['stratum+tcp://stratum.braiins.com:3333', 'Dow_Mining.SealMinerA2', 'alive', true, 0]],
  },
  {
    name: 'Elphapex DG-Home1, Bitmain new-API layout, idle at capture (elphapex/*)',
    replies: { 'summary+stats': joined({ summary: fx('elphapex/summary.json'), stats: fx('elphapex/stats.json') }), pools: fx('elphapex/pools.json') },
    commands: ['summary+stats', 'pools'],
    metrics: {
      hashrate_ths: 0, // rate_5s 0 (MH/s)
      power_w: null,
      chip_temp_c: null, // temp_chip "" on idle boards and "25687" on board 3: not °C
      board_temp_c: 67, // max temp_pcb 47, 46, 67, 66
      inlet_temp_c: null, outlet_temp_c: null,
      fan_rpm: 570, // fan_num 4: "420","420","420","1020"
      fan_min_rpm: 420,
      accepted_shares: null, rejected_shares: null,
      hw_errors: 0, // summary hw_all 0 (the miner's total; chain[3].hw says 120)
      chains_ok: 0, chains_total: 4, // chain_num 4; no chain has asic_num > 0 and rate_real > 0
      uptime_s: 0, // elapsed 0
      nameplate_ths: 0.003004, // rate_ideal 3003.75 MH/s (a Scrypt miner: its hashes are not SHA-256's)
      // every pool "Unreachable" and none marked active: no active pool, so no pool figures
      pool_rejected_pct: null, pool_stale_pct: null, last_share_age_s: null,
    },
    pools: [
      ['stratum+tcp://pool.invalid:3333', 'worker', 'dead', false, 0],
      ['stratum+tcp://backup.invalid:3333', 'worker', 'dead', false, 1],
      ['stratum+tcp://tertiary.invalid:3333', 'worker', 'dead', false, 2],
    ],
  },
  // --- Foreman's captures (delawr0190/foreman-apps, see the fixtures README) ------------------------------
  {
    name: 'Braiins OS+ 0.2.0 on an S9, cgminer API: summary, then devs, temps, fans (braiins-os/foreman_S9_bosplus_*)',
    replies: {
      summary: fx('braiins-os/foreman_S9_bosplus_summary.json'), devs: fx('braiins-os/foreman_S9_bosplus_devs.json'),
      temps: fx('braiins-os/foreman_S9_bosplus_temps.json'), fans: fx('braiins-os/foreman_S9_bosplus_fans.json'),
    },
    commands: ['summary+stats', 'summary', 'stats', 'devs', 'temps', 'fans', 'pools'],
    metrics: {
      ...NO_POOLS, // Foreman kept no pools reply: asked on the first poll, unanswered, so null
      hashrate_ths: 15.740916, // summary "MHS 5s": 15740915.842676325
      power_w: null, // BOSminer's cgminer API reports none; no model given, so no estimate
      chip_temp_c: null, // temps Chip 0.0 on every board: no chip sensor read
      board_temp_c: 75, // temps Board 75.0, 63.0, 70.0
      inlet_temp_c: null, outlet_temp_c: null,
      fan_rpm: 3300, fan_min_rpm: 2820, // fans RPM 2820, 3780 (headers 2, 3 read 0: not fitted on an S9)
      accepted_shares: 153, rejected_shares: 0, hw_errors: 186, // summary Accepted, Rejected, "Hardware Errors"
      chains_ok: 3, chains_total: 3, // devs: 3 boards, Status Alive, MHS 5s 4683070 / 4687913 / 4213098
      uptime_s: 3680, // summary Elapsed
      nameplate_ths: 14.0049, // devs "Nominal MHS" 4668300.0 × 3
    },
  },
  {
    name: 'Braiins OS 0.2.0 on an S9: summary, temps, fans, no devs (braiins-os/foreman_S9_bos_*)',
    replies: {
      summary: fx('braiins-os/foreman_S9_bos_summary.json'),
      temps: fx('braiins-os/foreman_S9_bos_temps.json'), fans: fx('braiins-os/foreman_S9_bos_fans.json'),
    },
    commands: ['summary+stats', 'summary', 'stats', 'devs', 'temps', 'fans', 'pools'],
    metrics: {
      ...NO_POOLS, // Foreman kept no pools reply: asked on the first poll, unanswered, so null
      hashrate_ths: 14.274425, // "MHS 5s": 14274425.317759488
      power_w: null,
      chip_temp_c: null, board_temp_c: 53, // temps Board 53.0, 46.0, 52.0; Chip 0.0
      inlet_temp_c: null, outlet_temp_c: null,
      fan_rpm: 1560, fan_min_rpm: 1560, // RPM 1560, 1560 (0, 0 unfitted)
      accepted_shares: 68, rejected_shares: 2, hw_errors: 0,
      chains_ok: null, chains_total: null, // devs not captured for this miner
      uptime_s: 92,
      nameplate_ths: null,
    },
  },
  {
    name: 'VNish 3.8.6 on an S9: stats only, fans in slots 5 and 6 (antminer-vnish/foreman_S9_vnish386_stats.json)',
    replies: { stats: fx('antminer-vnish/foreman_S9_vnish386_stats.json') },
    commands: ['summary+stats', 'summary', 'stats', 'pools'],
    power_source: 'device',
    metrics: {
      ...NO_POOLS, // Foreman kept no pools reply: asked on the first poll, unanswered, so null
      hashrate_ths: 12.79548, // "GHS 5s": "12795.48"
      power_w: 1485, // chain_consumption6..8: 495 + 495 + 495 (VNish's own per-board figure)
      chip_temp_c: 80, // temp2_6..8: 80, 71, 78
      board_temp_c: 65, // temp6..8: 65, 56, 63
      inlet_temp_c: null, outlet_temp_c: null,
      fan_rpm: 5640, fan_min_rpm: 5400, // fan_num 2: fan5 5400, fan6 5880
      accepted_shares: null, rejected_shares: null, // no summary captured
      hw_errors: 297, // no_matching_work (chain_hw6..8: 1 + 3 + 293)
      chains_ok: 3, chains_total: 3, // chain_acn6..8 63, chain_rate6..8 4264.48 / 4298.32 / 4232.67
      uptime_s: 3617, // stats Elapsed
      nameplate_ths: 12.9276, // total_rateideal 12927.60 (GH)
    },
  },
  {
    name: 'stock Antminer S17 Pro, bmminer 1.0.0 (antminer-bmminer/foreman_S17_stats.json)',
    replies: { stats: fx('antminer-bmminer/foreman_S17_stats.json') },
    commands: ['summary+stats', 'summary', 'stats', 'pools'],
    metrics: {
      ...NO_POOLS, // Foreman kept no pools reply: asked on the first poll, unanswered, so null
      hashrate_ths: 54.99701, // "GHS 5s": "54997.01"
      power_w: null,
      chip_temp_c: 80, // temp2_1..3 80, 75, 63; temp_chip1 "48-80-49-70"
      board_temp_c: 53, // temp1..3 50, 53, 45; temp_pcb1 "22-53-21-50"
      inlet_temp_c: null, outlet_temp_c: null,
      fan_rpm: 2730, fan_min_rpm: 2400, // fan1..4: 2400, 3000, 3120, 2400
      accepted_shares: null, rejected_shares: null,
      hw_errors: 2885, // no_matching_work (chain_hw 731 + 1074 + 1080)
      chains_ok: 3, chains_total: 3, // chain_acn1..3 48, rates 17968.26 / 18418.00 / 18610.75
      uptime_s: 253447,
      nameplate_ths: 53.619, // total_rateideal 53619.0, rate_unit GH
    },
  },
  {
    name: 'stock Antminer S19, sleeping: answers, hashes nothing (antminer-bmminer/foreman_S19_sleeping_stats.json)',
    replies: { stats: fx('antminer-bmminer/foreman_S19_sleeping_stats.json') },
    commands: ['summary+stats', 'summary', 'stats', 'pools'],
    metrics: {
      ...NO_POOLS, // Foreman kept no pools reply: asked on the first poll, unanswered, so null
      hashrate_ths: 0, // "GHS 5s": 0.0
      power_w: null,
      chip_temp_c: 40, board_temp_c: 40, // temp2_2/temp2_3 40; temp2/temp3 40; temp_pcb2 "39-37-40-39"
      inlet_temp_c: null, outlet_temp_c: null,
      fan_rpm: 1110, fan_min_rpm: 600, // fan1..4: 1560, 1560, 600, 720
      accepted_shares: null, rejected_shares: null,
      hw_errors: 0, // no_matching_work 0
      chains_ok: 0, chains_total: 2, // chain_acn2/3 76 but chain_rate2/3 "0.00"; miner_count 2
      uptime_s: 735,
      nameplate_ths: 63.919, // total_rateideal 63919.0 GH
    },
  },
  {
    name: 'Whatsminer M31S, btminer 20201202 (Description "btminer"): summary; its `edevs` not asked (whatsminer-btminer/foreman_M31S_*)',
    replies: { summary: fx('whatsminer-btminer/foreman_M31S_summary.json'), edevs: fx('whatsminer-btminer/foreman_M31S_edevs.json') },
    commands: ['summary+stats', 'summary', 'devs', 'pools'],
    power_source: 'device',
    metrics: {
      ...NO_POOLS, // Foreman kept no pools reply: asked on the first poll, unanswered, so null
      hashrate_ths: 92.768289, // "MHS 5s": 92768288.94
      power_w: 3552, // Power_RT (Power 3553)
      chip_temp_c: 93, // "Chip Temp Max": 93.0
      board_temp_c: 72, // Temperature 72.00
      inlet_temp_c: 7, // "Env Temp": 7.00
      outlet_temp_c: null,
      fan_rpm: 2850, fan_min_rpm: 0, // "Fan Speed In" 5700, "Fan Speed Out" 0: the stopped fan shows
      accepted_shares: 2296, rejected_shares: 1, hw_errors: 0,
      chains_ok: null, chains_total: null, // devs not captured (Foreman asked edevs)
      uptime_s: 33102,
      nameplate_ths: 75.697, // "Factory GHS": 75697
    },
  },
  {
    name: 'Whatsminer M20S, old firmware ("cgminer 4.9.2", no Firmware Version): summary (whatsminer-btminer/foreman_M20S_oldfw_summary.json)',
    replies: { summary: fx('whatsminer-btminer/foreman_M20S_oldfw_summary.json') },
    commands: ['summary+stats', 'summary', 'stats', 'devs', 'pools'],
    metrics: {
      ...NO_POOLS, // Foreman kept no pools reply: asked on the first poll, unanswered, so null
      hashrate_ths: 65.371303, // "MHS 5s": 65371302.78
      power_w: null, // this firmware's summary has no Power
      chip_temp_c: null, board_temp_c: 75, // Temperature 75.00
      inlet_temp_c: null, outlet_temp_c: null,
      fan_rpm: 4575, fan_min_rpm: 4560, // In 4590, Out 4560
      accepted_shares: 33825, rejected_shares: 185, hw_errors: 1601,
      chains_ok: null, chains_total: null,
      uptime_s: 97139,
      nameplate_ths: null,
    },
  },
  {
    name: 'Avalon 1047 (Ver 1047-20051101), a real joined reply to pools+summary+stats (avalon/foreman_10XX_pools_summary_stats.json)',
    // The capture is a joined reply (summary, stats and pools keyed by command), served as the answer to
    // the collector's summary+stats: the reader takes its summary and stats and leaves pools.
    replies: { 'summary+stats': fx('avalon/foreman_10XX_pools_summary_stats.json') },
    commands: ['summary+stats', 'pools'],
    metrics: {
      ...NO_POOLS, // Foreman kept no pools reply: asked on the first poll, unanswered, so null
      hashrate_ths: 25.536752, // no GHSspd in this MM string; summary "MHS av" 25536751.74 (no "MHS 5s")
      power_w: null, // PS[0 0 0 0 0 0], no WALLPOWER
      chip_temp_c: 64, // TMax[64]
      board_temp_c: null,
      inlet_temp_c: 18, // Temp[18]
      outlet_temp_c: null,
      fan_rpm: 2911.5, fan_min_rpm: 2896, // Fan1[2896] Fan2[2927]
      accepted_shares: 6, rejected_shares: 0, hw_errors: 0,
      chains_ok: 2, chains_total: 2, // MGHS[12362.61 12812.16]
      uptime_s: 155, // summary Elapsed
      nameplate_ths: null,
    },
  },
];

describe('real captures, served byte-exact and polled through the scheduler', () => {
  it.each(CASES)('$name', async (c) => {
    const miner = await startFakeMiner(c.replies);
    closers.push(() => miner.close());
    const r = await pollOnce({ id: 'M', kind: 'asic', address: `127.0.0.1:${miner.port}`, collector: 'cgminer' });
    expect(miner.commands).toEqual(c.commands);
    expect(r.power_source).toBe(c.power_source);
    expect(r.metrics).toEqual(c.metrics);
    expect(r.pools?.map((p) => [p.url, p.user, p.state, p.active, p.priority])).toEqual(c.pools);
  });

  it('the S19 Pro estimate uses the model when the firmware reports no power', async () => {
    const s19 = CASES[0];
    const miner = await startFakeMiner(s19.replies);
    closers.push(() => miner.close());
    const catalogue = new Map<string, CatalogueModel>([
      ['s19-pro', { key: 's19-pro', kind: 'asic', name: 'S19 Pro', nominal_ths: 110, nominal_power_w: 3250, max_temp_c: 95 }],
    ]);
    const r = await pollOnce({ id: 'M', kind: 'asic', model: 's19-pro', address: `127.0.0.1:${miner.port}`, collector: 'cgminer' }, catalogue);
    expect(r.power_source).toBe('estimate');
    expect(r.metrics.power_w).toBe(3266.7); // 3250 W × 110.56689 / 110 = 3266.749
  });

  it('an uncatalogued model with no nominal hashrate takes the nameplate its reply states for the estimate', async () => {
    const miner = await startFakeMiner(CASES[0].replies);
    closers.push(() => miner.close());
    // config gives power only; the catalogue knows no "prototype"; the reply states total_rateideal 110000 GH
    const r = await pollOnce({ id: 'M', kind: 'asic', model: 'prototype', nominal_power_w: 3250, address: `127.0.0.1:${miner.port}`, collector: 'cgminer' });
    expect(r.power_source).toBe('estimate');
    expect(r.metrics.nameplate_ths).toBe(110);
    expect(r.metrics.power_w).toBe(3266.7); // 3250 W × 110.56689 / 110 (the reply's nameplate)
  });

  it('the sleeping S19 (answers, 0 TH/s) is degraded "not hashing", not up', async () => {
    const c = CASES.find((x) => x.name.includes('sleeping'))!;
    const miner = await startFakeMiner(c.replies);
    closers.push(() => miner.close());
    const device: DeviceModel = { id: 'M', kind: 'asic', model: 'antminer-s19', address: `127.0.0.1:${miner.port}`, collector: 'cgminer' };
    const r = await pollOnce(device);
    const h = deviceHealth('asic', { model: device, ts: r.ts, metrics: r.metrics }, { now: r.ts, stale_after_ms: 60_000, nominal_ths: 95 });
    expect(h.health).not.toBe('up');
    expect(h.reason).toContain('not hashing');
  });

  it.each<FakeBehaviour>(['split', 'no-nul'])('the S19 Pro capture reads the same when the reply comes %s', async (b) => {
    const miner = await startFakeMiner(CASES[0].replies, b);
    closers.push(() => miner.close());
    const r = await pollOnce({ id: 'M', kind: 'asic', address: `127.0.0.1:${miner.port}`, collector: 'cgminer' });
    expect(r.metrics).toEqual(CASES[0].metrics);
  });
});

/** A Whatsminer API v3 fake: answers get.miner.status by its param from the captures, length-prefixed. */
async function startV3(byParam: Record<string, string>): Promise<{ port: number; params: unknown[] }> {
  const params: unknown[] = [];
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    let buf = Buffer.alloc(0);
    socket.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      if (buf.length < 4 || buf.length < 4 + buf.readUInt32LE(0)) return;
      const req = JSON.parse(buf.subarray(4, 4 + buf.readUInt32LE(0)).toString('utf8')) as { cmd?: unknown; param?: unknown };
      buf = Buffer.alloc(0);
      // get.miner.status is keyed by its param, any other command by its name
      const key = req.param === undefined ? String(req.cmd) : String(req.param);
      params.push(key);
      const body = Buffer.from(byParam[key] ?? '{"code":-2,"msg":"invalid command"}', 'utf8');
      const head = Buffer.alloc(4);
      head.writeUInt32LE(body.length, 0);
      // the capture's bytes as they are, behind the v3 length prefix (not re-serialised)
      socket.write(Buffer.concat([head, body]));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  closers.push(() => new Promise<void>((r) => {
    for (const s of sockets) s.destroy();
    server.close(() => r());
  }));
  return { port: (server.address() as net.AddressInfo).port, params };
}

describe('Whatsminer API v3 captures', () => {
  it('M60S sample: summary, then edevs for the chains (whatsminer-v3/get_miner_status_*)', async () => {
    const v3 = await startV3({
      summary: fx('whatsminer-v3/get_miner_status_summary.json'), edevs: fx('whatsminer-v3/get_miner_status_edevs.json'),
      pools: fx('whatsminer-v3/get_miner_status_pools.json'),
    });
    const r = await pollOnce({ id: 'W', kind: 'asic', address: `127.0.0.1:${v3.port}`, collector: 'whatsminer_v3' });
    expect(v3.params).toEqual(['summary', 'edevs', 'pools']);
    // get_miner_status_pools.json: msg.pools[] account, status, stratum-active, pool-priority
    expect(r.pools).toEqual([
      { url: 'stratum+tcp://btc.example.pool:3333', user: 'asic-rs.test', state: 'alive', active: true, priority: 0 },
      { url: 'stratum+tcp://btc2.example.pool:3333', user: 'asic-rs.test', state: 'alive', active: false, priority: 1 },
      { url: 'stratum+tcp://btc3.example.pool:3333', user: 'asic-rs.test', state: 'alive', active: false, priority: 2 },
    ]);
    expect(r.power_source).toBe('device');
    expect(r.metrics).toEqual({
      hashrate_ths: 171.259, // hash-realtime (TH/s)
      power_w: 3156, // power-realtime
      chip_temp_c: 82, // chip-temp-max
      board_temp_c: 41.5, // max board-temperature 41.1, 40.1, 41.5
      inlet_temp_c: 28.5, // environment-temperature
      outlet_temp_c: null,
      fan_rpm: 5340, fan_min_rpm: 5280, // fan-speed-in 5400, fan-speed-out 5280
      accepted_shares: null, rejected_shares: null, hw_errors: null, // not in get.miner.status summary
      chains_ok: 3, chains_total: 3, // edevs: 3 boards, status alive, hash-realtime 57.2/57.0/57.1
      uptime_s: 50000, // elapsed
      nameplate_ths: 181.051, // factory-hash (TH/s)
      // the v3 pool entries carry no share counts and no last share time
      pool_rejected_pct: null, pool_stale_pct: null, last_share_age_s: null,
    });
  });

  it('M60S_VK40: without edevs, get.device.info gives the board count (whatsminer-v3/get_device_info.json)', async () => {
    const v3 = await startV3({ summary: fx('whatsminer-v3/get_miner_status_summary.json'), 'get.device.info': fx('whatsminer-v3/get_device_info.json') });
    const r = await pollOnce({ id: 'W', kind: 'asic', address: `127.0.0.1:${v3.port}`, collector: 'whatsminer_v3' });
    expect(v3.params).toEqual(['summary', 'edevs', 'get.device.info', 'pools']); // no pools capture served: code -2
    expect(r.pools).toBeUndefined();
    expect(r.metrics.pool_rejected_pct).toBeNull();
    expect(r.metrics.chains_total).toBe(3); // msg.miner["board-num"] "3"
    expect(r.metrics.chains_ok).toBeNull(); // device info says what is fitted, not what hashes
    expect(r.metrics.hashrate_ths).toBe(171.259);
  });
});

// Every capture file of the cgminer-family folders and of Whatsminer v3, served byte-exact: the bytes the
// collector reads off the socket are the file's (plus the NUL / less the length prefix), and they parse.
// The tables above assert the readings of those that carry telemetry; this proves the rest cross the wire
// intact too (version, devs, temps, fans, psu replies).

const ROOT = new URL('../fixtures/asic/', import.meta.url);
const files = (dir: string): string[] => readdirSync(new URL(`${dir}/`, ROOT)).filter((f) => f.endsWith('.json')).map((f) => `${dir}/${f}`);
const CG_DIRS = ['antminer-bmminer', 'antminer-newapi', 'antminer-vnish', 'whatsminer-btminer', 'avalon', 'luxos', 'braiins-os', 'auradine', 'sealminer', 'elphapex'];

describe('every capture crosses the wire byte-exact', () => {
  it.each(CG_DIRS.flatMap(files))('cgminer TCP, NUL-terminated: %s', async (name) => {
    const text = fx(name);
    const miner = await startFakeMiner({ x: text });
    closers.push(() => miner.close());
    const raw = await cgminerRaw('127.0.0.1', miner.port, '{"command":"x"}', 2000);
    expect(raw).toBe(`${text}\0`);
    expect(parseCgminerJson(raw)).toBeTypeOf('object');
  });

  it.each(files('whatsminer-v3'))('Whatsminer v3, length-prefixed: %s', async (name) => {
    const text = fx(name);
    const v3 = await startV3({ summary: text });
    const reply = await whatsminerV3Request('127.0.0.1', v3.port, 'get.miner.status', 'summary', 2000);
    expect(reply).toEqual(JSON.parse(text));
  });
});
