// The firmware told from each real capture's own header, and the fields issue 13 names read from `stats`
// alone (no summary to fall back on). Captures: test/fixtures/asic/README.md gives each file's source.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseCgminerJson } from '../../server/collectors/cgminer.js';
import { detectFirmware, parseCgminerReplies, type AsicFirmware, type CgminerReplies } from '../../server/collectors/cgminer-parse.js';
import { extraCommands } from '../../server/collectors/cgminer.js';
import type { JsonObject } from '../../server/collectors/types.js';

const fx = (name: string): JsonObject => parseCgminerJson(readFileSync(new URL(`../fixtures/asic/${name}`, import.meta.url), 'utf8'));
const ctx = { device: 'd', ts: 1 };

describe('detectFirmware: from what the reply says about itself', () => {
  const cases: [string, CgminerReplies, AsicFirmware][] = [
    // STATS header Type "Antminer S19 Pro", device entry ID "BTM_SOC0"; rate_unit "GH" does not make it new-API
    ['stock S19 Pro bmminer', { stats: fx('antminer-bmminer/S19Pro_stats.json') }, 'antminer'],
    ['stock L3+ bmminer', { stats: fx('antminer-bmminer/L3plus_stats.json') }, 'antminer'],
    // Description "LUXminer 2025.4.8.220305-57b389c7", though its stats are bmminer's layout
    ['LuxOS', { stats: fx('luxos/S19kPro_stats.json') }, 'luxos'],
    ['Avalon A1246 (ID AVA100)', { stats: fx('avalon/1246_stats.json') }, 'avalon'],
    ['Avalon Q (ID AVALON0)', { stats: fx('avalon/Q_stats.json') }, 'avalon'],
    // summary "Firmware Version" "'20210322.22.REL'"
    ['Whatsminer v1', { summary: fx('whatsminer-btminer/v1_M30S_summary.json') }, 'whatsminer'],
    // v2's summary names no firmware; its devs' driver name "SM" does
    ['Whatsminer v2 with devs', { summary: fx('whatsminer-btminer/v2_summary.json'), devs: fx('whatsminer-btminer/v2_devs.json') }, 'whatsminer'],
    ['Whatsminer v2 summary alone', { summary: fx('whatsminer-btminer/v2_summary.json') }, 'cgminer'],
    ['Auradine (Description GCMiner-…)', { summary: fx('auradine/summary.json') }, 'auradine'],
    ['SealMiner (Description bdminer 4.11.1)', { stats: fx('sealminer/stats.json') }, 'sealminer'],
    // STATUS is one object with api_version, and an INFO block: the new API
    ['Elphapex new API', { stats: fx('elphapex/stats.json') }, 'antminer-newapi'],
    // Foreman's captures: STATUS Description "BOSminer+ 0.2.0-36c56a9363"; STATS header Type "Antminer S9 (vnish 3.8.6)"
    ['Braiins OS+ (BOSminer+)', { summary: fx('braiins-os/foreman_S9_bosplus_summary.json') }, 'braiins'],
    ['VNish 3.8.6', { stats: fx('antminer-vnish/foreman_S9_vnish386_stats.json') }, 'vnish'],
    ['Whatsminer M31S (Description "btminer")', { summary: fx('whatsminer-btminer/foreman_M31S_summary.json') }, 'whatsminer'],
    ['Braiins OS (reconstructed summary, Description BOSer)', { summary: fx('braiins-os/summary.reconstructed.json') }, 'braiins'],
  ];
  it.each(cases)('%s', (_name, replies, fw) => {
    expect(detectFirmware(replies)).toBe(fw);
  });
});

describe('stats alone: hashrate, temps, fans, chains and hardware errors (issue 13)', () => {
  it('stock S19 Pro legacy stats with "rate_unit":"GH": everything from stats, hw from no_matching_work', () => {
    const r = parseCgminerReplies({ stats: fx('antminer-bmminer/S19Pro_stats.json') }, ctx);
    expect(r.metrics).toMatchObject({
      hashrate_ths: 110.56689, chip_temp_c: 78, board_temp_c: 73, fan_rpm: 5490, fan_min_rpm: 5040,
      chains_ok: 3, chains_total: 3,
      hw_errors: 562, // no_matching_work 562
      uptime_s: 50474, nameplate_ths: 110,
    });
  });
  it('without no_matching_work, the chain_hw{i} sum', () => {
    const s = fx('antminer-bmminer/S19Pro_stats.json');
    const entries = s.STATS as JsonObject[];
    delete entries[1].no_matching_work;
    expect(parseCgminerReplies({ stats: s }, ctx).metrics.hw_errors).toBe(562); // 183 + 195 + 184 + 0
  });
  it('new API: the chain[].hw sum when there is no summary', () => {
    // Elphapex chain[].hw: 0, 0, 0, 120
    expect(parseCgminerReplies({ stats: fx('elphapex/stats.json') }, ctx).metrics.hw_errors).toBe(120);
  });
  it('Avalon HW[]', () => {
    expect(parseCgminerReplies({ stats: fx('avalon/1246_stats.json') }, ctx).metrics.hw_errors).toBe(2735);
  });
});

describe('extra commands only for what the first reply lacks', () => {
  const extra = (r: CgminerReplies): string[] => extraCommands(r, parseCgminerReplies(r, ctx));
  it('none for a stock Antminer or an Avalon whose stats say it all', () => {
    expect(extra({ summary: fx('antminer-bmminer/S19Pro_summary.json'), stats: fx('antminer-bmminer/S19Pro_stats.json') })).toEqual([]);
    expect(extra({ stats: fx('avalon/1246_stats.json') })).toEqual([]);
  });
  it('LuxOS: power (its stats report none)', () => {
    expect(extra({ summary: fx('luxos/S19kPro_summary.json'), stats: fx('luxos/S19kPro_stats.json') })).toEqual(['power']);
    expect(extra({ summary: fx('luxos/S19kPro_summary.json'), stats: fx('luxos/S19kPro_stats.json'), power: fx('luxos/S19kPro_power.json') })).toEqual([]);
  });
  it('btminer: devs for the chains; Auradine: devs and fan', () => {
    expect(extra({ summary: fx('whatsminer-btminer/v1_M30S_summary.json') })).toEqual(['devs']);
    expect(extra({ summary: fx('auradine/summary.json') })).toEqual(['devs', 'fan']);
  });
});

describe('the same DEVS layout from btminer edevs and BOSminer devs', () => {
  it('M31S edevs: 3 boards Alive and hashing (whatsminer-btminer/foreman_M31S_edevs.json)', () => {
    const r = parseCgminerReplies({ summary: fx('whatsminer-btminer/foreman_M31S_summary.json'), devs: fx('whatsminer-btminer/foreman_M31S_edevs.json') }, ctx);
    // edevs: Status Alive, "MHS 5s" 25012892.74 / 26032487.18 / 25944861.70
    expect([r.metrics.chains_ok, r.metrics.chains_total]).toEqual([3, 3]);
    expect(r.metrics.board_temp_c).toBe(72); // summary Temperature first (edevs' max is 72.0 too)
  });
  it('BOSminer asks for devs, temps and fans, which its summary lacks', () => {
    expect(extraCommands({ summary: fx('braiins-os/foreman_S9_bosplus_summary.json') },
      parseCgminerReplies({ summary: fx('braiins-os/foreman_S9_bosplus_summary.json') }, ctx))).toEqual(['devs', 'temps', 'fans']);
  });
});
