import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { pollCgminer } from '../../server/collectors/cgminer.js';
import type { CatalogueModel, DeviceModel } from '../../server/core/types.js';
import { joined, startFakeMiner, type FakeMiner } from './collectors-fake-miner.js';

const fx = (name: string): string => readFileSync(new URL(`../fixtures/asic/${name}`, import.meta.url), 'utf8');
const catalogue = new Map<string, CatalogueModel>([
  ['s19-pro-plus', { key: 's19-pro-plus', kind: 'asic', name: 'S19 Pro+', nominal_ths: 120, nominal_power_w: 3300, max_temp_c: 95 }],
  ['s19-pro', { key: 's19-pro', kind: 'asic', name: 'S19 Pro (Braiins)', nominal_ths: 100, nominal_power_w: 3250, max_temp_c: 95 }],
  ['s19j-pro', { key: 's19j-pro', kind: 'asic', name: 'S19j Pro', nominal_ths: 104, nominal_power_w: 3068, max_temp_c: 95 }],
]);

let miners: FakeMiner[] = [];
afterEach(async () => {
  await Promise.all(miners.map((m) => m.close()));
  miners = [];
});

async function poll(replies: Record<string, string>, model?: string) {
  const m = await startFakeMiner(replies);
  miners.push(m);
  const device: DeviceModel = { id: 'A-01-01', kind: 'asic', model, address: `127.0.0.1:${m.port}`, collector: 'cgminer' };
  const reading = await pollCgminer(device, catalogue, 2000, () => 1_700_000_000_000);
  return { reading, miner: m };
}

describe('cgminer collector over TCP, one fixture per firmware variant', () => {
  it('Antminer L3+ bmminer (captured; `}{` fault; no joined command -> one command per connection)', async () => {
    const { reading, miner } = await poll({ summary: fx('antminer-bmminer/L3plus_summary.json'), stats: fx('antminer-bmminer/L3plus_stats.json') });
    expect(miner.commands).toEqual(['summary+stats', 'summary', 'stats']);
    expect(reading.ts).toBe(1_700_000_000_000);
    expect(reading.power_source).toBe('device');
    expect(reading.metrics).toEqual({
      hashrate_ths: 0.415065, // stats "GHS 5s":"415.065" GH/s / 1000
      power_w: 562.48, // chain_power
      chip_temp_c: 46, // max(temp2_1..4 = 0,46,44,42), 0 = empty slot
      board_temp_c: 37, // max(temp1..4 = 0,37,37,36)
      inlet_temp_c: null,
      outlet_temp_c: null,
      fan_rpm: 3135, // fan_num 2: (3180 + 3090) / 2
      fan_min_rpm: 3090, // the slower of the two
      accepted_shares: 46423,
      rejected_shares: 530,
      hw_errors: 338,
      chains_ok: 3, // chain_acn 0,72,72,72 with rates "",138.50,138.85,137.72
      chains_total: 3, // miner_count 3
      uptime_s: 384063, // summary Elapsed
      nameplate_ths: null, // this bmminer's stats state no total_rateideal
    });
  });

  it('Avalon 1566 stats (MM ID0 Key[value] string)', async () => {
    const { reading, miner } = await poll({ 'summary+stats': joined({ stats: fx('avalon/1566_stats.transcribed.json') }) });
    expect(miner.commands).toEqual(['summary+stats']);
    expect(reading.power_source).toBe('device');
    expect(reading.metrics).toMatchObject({
      hashrate_ths: 199.24107, // GHSspd[199241.07] / 1000
      power_w: 3731, // WALLPOWER[3731]
      chip_temp_c: 78, // TMax[78]
      inlet_temp_c: 31, // Temp[31]
      fan_rpm: 4278.5, // (Fan1 4275 + Fan2 4282) / 2
      chains_ok: 3, // MGHS[59459.52 61407.83 63139.66] all > 0
      chains_total: 3,
      uptime_s: 975, // Elapsed
      accepted_shares: null,
    });
  });

  it('Whatsminer btminer summary (reconstructed; invalid cmd to joined and stats)', async () => {
    const invalid = fx('whatsminer-btminer/invalid-cmd.reconstructed.json');
    const { reading, miner } = await poll({ 'summary+stats': invalid, stats: invalid, summary: fx('whatsminer-btminer/M30Spp_summary.reconstructed.json') });
    // The summary's "Firmware Version" names btminer, which has no `stats`: not asked. devs: btminer's
    // boards are DEVS entries, asked for because summary carries no chain count; the fake answers it as
    // invalid, so chains stay null.
    expect(miner.commands).toEqual(['summary+stats', 'summary', 'devs']);
    expect(reading.power_source).toBe('device');
    expect(reading.metrics).toMatchObject({
      hashrate_ths: 105.123457, // MHS 5s 105123456.78 / 1e6, 6 decimals
      power_w: 3362, // Power_RT preferred over Power 3350
      chip_temp_c: 78.28, // Chip Temp Max
      board_temp_c: 66, // Temperature
      inlet_temp_c: 27.5, // Env Temp
      fan_rpm: 3795, // (In 3810 + Out 3780) / 2
      accepted_shares: 12345,
      rejected_shares: 12,
      hw_errors: 0,
      uptime_s: 86400,
      chains_total: null,
    });
  });

  it('Antminer new API stats: rate_5s in rate_unit, chain arrays, power estimated from the model', async () => {
    const { reading } = await poll({ 'summary+stats': joined({ stats: fx('antminer-newapi/S19Proplus_stats.reconstructed.json') }) }, 's19-pro-plus');
    expect(reading.power_source).toBe('estimate');
    expect(reading.metrics).toMatchObject({
      hashrate_ths: 121.05623, // 121056.23 GH/s
      power_w: 3329, // 3300 W × 121.05623 / 120 = 3329.046 -> 3329.0
      chip_temp_c: 66, // max temp_chip over chains (63, 66, 63)
      board_temp_c: 61, // max temp_pcb (58, 61, 58)
      fan_rpm: 3427.5, // (3270 + 3420 + 3510 + 3510) / 4
      chains_ok: 3,
      chains_total: 3,
      uptime_s: 17065,
    });
  });

  it('Braiins OS summary (MHS only, no power, no temperatures)', async () => {
    const { reading } = await poll({ 'summary+stats': joined({ summary: fx('braiins-os/summary.reconstructed.json') }) }, 's19-pro');
    expect(reading.power_source).toBe('estimate');
    expect(reading.metrics).toMatchObject({
      hashrate_ths: 96.123, // MHS 5s 96123000 / 1e6
      power_w: 3124, // 3250 × 0.96123 = 3123.9975 -> 3124.0
      chip_temp_c: null,
      board_temp_c: null,
      fan_rpm: null,
      accepted_shares: 500,
      rejected_shares: 1,
      hw_errors: 3,
      uptime_s: 3600,
    });
  });

  it('LuxOS stats + summary with a dead chain', async () => {
    const { reading } = await poll(
      { 'summary+stats': joined({ summary: fx('luxos/summary.reconstructed.json'), stats: fx('luxos/stats.reconstructed.json') }) },
      's19j-pro',
    );
    expect(reading.power_source).toBe('estimate');
    expect(reading.metrics).toMatchObject({
      hashrate_ths: 104.2505, // stats GHS 5s 104250.5 / 1000
      power_w: 3075.4, // 3068 × 104.2505 / 104 = 3075.389 -> 3075.4
      chip_temp_c: 75, // max(72, 75, 73)
      board_temp_c: 60, // max(58, 60, 59)
      fan_rpm: 4365, // (4320 + 4380 + 4410 + 4350) / 4
      chains_ok: 2, // chain 3: acn 0, rate 0.00
      chains_total: 3,
      accepted_shares: 2200,
      hw_errors: 17,
      uptime_s: 7200,
    });
  });
});
