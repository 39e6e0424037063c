// The emulators speak the real protocols: what the collectors parse out of them over real TCP/HTTP must be
// exactly what the emulator meant to say (emulatedMinerState / emulatedGpuState at the same instant).
import net from 'node:net';
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { pollCgminer } from '../../server/collectors/cgminer.js';
import { dcgmGpus, parsePrometheusText, scrapeText } from '../../server/collectors/dcgm.js';
import type { DeviceModel } from '../../server/core/types.js';
import { emulatedMinerState, startEmulatedMiners, type EmulatedMiners, type MinerVariant } from '../../server/emulate/miners.js';
import { emulatedGpuState, startEmulatedDcgm, type EmulatedDcgm } from '../../server/emulate/dcgm.js';

const S21 = { name: 'Antminer S21', nominal_ths: 200, nominal_power_w: 3500, max_temp_c: 95 };
const T = 1_764_010_800_000; // a fixed instant: 2025-11-24T19:00:00Z
const clock = (): number => T;

let stops: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(stops.map((s) => s()));
  stops = [];
});

async function miners(variant: MinerVariant, count: number): Promise<EmulatedMiners> {
  const em = await startEmulatedMiners({ count, basePort: 0, model: S21, variant, clock });
  stops.push(em.stop);
  return em;
}

const dev = (port: number): DeviceModel => ({ id: 'm', kind: 'asic', address: `127.0.0.1:${port}`, collector: 'cgminer', nominal_ths: 200, nominal_power_w: 3500 });
const estimate = (ths: number): number => Math.round(3500 * Math.min(ths / 200, 1.5) * 10) / 10;

describe('emulated miners parse back to what they meant', () => {
  it('state is plausible and slowly varying: S21 miner 0 within ±4 % of 200 TH/s, < 1 % change in 10 s', () => {
    const a = emulatedMinerState(S21, 0, T);
    const b = emulatedMinerState(S21, 0, T + 10_000);
    expect(a.hashrate_ths).toBeGreaterThan(192);
    expect(a.hashrate_ths).toBeLessThan(208);
    expect(Math.abs(b.hashrate_ths - a.hashrate_ths) / a.hashrate_ths).toBeLessThan(0.01);
    // chain sum is the total, to the GH/s the firmware prints
    expect(a.hashrate_ths).toBeCloseTo(a.chain_rate_ths[0] + a.chain_rate_ths[1] + a.chain_rate_ths[2], 6);
    // miner 49 is the one with its third board down: two thirds of the rate
    const down = emulatedMinerState(S21, 49, T);
    expect(down.chain_rate_ths[2]).toBe(0);
    expect([down.chains_ok, down.chains_total]).toEqual([2, 3]);
  });

  it.each(['bmminer', 'luxos'] as const)('%s: summary+stats with GHS, temp{i}/temp2_{i}, chains, 4 fans; bmminer power estimated, LuxOS from `power`', async (variant) => {
    const em = await miners(variant, 50);
    for (const i of [0, 49]) {
      const s = emulatedMinerState(S21, i, T);
      const r = await pollCgminer(dev(em.ports[i]), new Map(), 2000, clock);
      expect(r.metrics).toEqual({
        hashrate_ths: s.hashrate_ths, power_w: variant === 'luxos' ? s.power_w : estimate(s.hashrate_ths), chip_temp_c: s.chip_temp_c,
        board_temp_c: s.board_temp_c, inlet_temp_c: null, outlet_temp_c: null, fan_rpm: s.fan_rpm,
        fan_min_rpm: Math.min(...s.fans_rpm),
        accepted_shares: s.accepted_shares, rejected_shares: s.rejected_shares, hw_errors: s.hw_errors,
        chains_ok: s.chains_ok, chains_total: 3, uptime_s: s.uptime_s,
        nameplate_ths: null, // the emulated stats state no total_rateideal
      });
      expect(r.power_source).toBe(variant === 'luxos' ? 'device' : 'estimate');
    }
  });

  it('btminer: refuses summary+stats, the collector falls back to summary; power and env temp from the device', async () => {
    const em = await miners('btminer', 1);
    const s = emulatedMinerState(S21, 0, T);
    const r = await pollCgminer(dev(em.ports[0]), new Map(), 2000, clock);
    expect(r.metrics).toMatchObject({
      hashrate_ths: s.hashrate_ths, power_w: s.power_w, chip_temp_c: s.chip_temp_c, board_temp_c: s.board_temp_c,
      inlet_temp_c: s.inlet_temp_c, fan_rpm: (s.fans_rpm[0] + s.fans_rpm[1]) / 2, uptime_s: s.uptime_s,
      accepted_shares: s.accepted_shares, chains_ok: s.chains_ok, chains_total: 3,
    });
    expect(r.power_source).toBe('device');
    // joined (refused), then summary (names Whatsminer firmware, so no `stats`), then devs for the chains:
    // three connections, one at a time
    expect(em.served()).toBe(3);
  });

  it('avalon: MM ID0 Key[value] string: GHSspd, WALLPOWER, TMax, Temp, MGHS boards', async () => {
    const em = await miners('avalon', 50);
    for (const i of [0, 49]) {
      const s = emulatedMinerState(S21, i, T);
      const r = await pollCgminer(dev(em.ports[i]), new Map(), 2000, clock);
      expect(r.metrics).toMatchObject({
        hashrate_ths: s.hashrate_ths, power_w: s.power_w, chip_temp_c: s.chip_temp_c, inlet_temp_c: s.inlet_temp_c,
        fan_rpm: s.fan_rpm, chains_ok: s.chains_ok, chains_total: 3, uptime_s: s.uptime_s,
      });
      expect(r.power_source).toBe('device');
    }
  });

  it('braiins: MHS 5s only, no temperatures, power estimated', async () => {
    const em = await miners('braiins', 1);
    const s = emulatedMinerState(S21, 0, T);
    const r = await pollCgminer(dev(em.ports[0]), new Map(), 2000, clock);
    expect(r.metrics).toMatchObject({
      hashrate_ths: s.hashrate_ths, power_w: estimate(s.hashrate_ths), fan_rpm: null,
      chains_ok: s.chains_ok, chains_total: 3, // from devs, asked because BOSer's stats carry no chains
      chip_temp_c: s.chip_temp_c, board_temp_c: s.board_temp_c, // devs' Chip Temp Max and Temperature
    });
    expect(r.power_source).toBe('estimate');
  });

  it('hand-worked: a plain-text `summary` over TCP carries the GH/s string the parser divides by 1000', async () => {
    const em = await miners('bmminer', 1);
    const s = emulatedMinerState(S21, 0, T);
    const text = await new Promise<string>((resolve, reject) => {
      const chunks: Buffer[] = [];
      const c = net.connect(em.ports[0], '127.0.0.1', () => c.write('summary'));
      c.on('data', (d) => chunks.push(d));
      c.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
      c.on('error', reject);
    });
    expect(text.endsWith('\0')).toBe(true);
    const ghs = /"GHS 5s":"([\d.]+)"/u.exec(text)?.[1];
    expect(Number(ghs) / 1000).toBe(s.hashrate_ths);
  });

  it('serves one connection at a time: a second concurrent one waits until the first is answered and closed', async () => {
    const em = await miners('bmminer', 1);
    const port = em.ports[0];
    const events: string[] = [];
    const first = net.connect(port, '127.0.0.1');
    await new Promise<void>((r) => first.once('connect', () => r()));
    // give the server time to take `first` as its current connection
    await new Promise((r) => setTimeout(r, 50));
    const second = net.connect(port, '127.0.0.1', () => second.write('{"command":"summary"}'));
    const secondReply = new Promise<string>((resolve) => {
      const chunks: Buffer[] = [];
      second.on('data', (d) => chunks.push(d));
      second.on('end', () => {
        events.push('second answered');
        resolve(Buffer.concat(chunks).toString('utf8'));
      });
    });
    await new Promise((r) => setTimeout(r, 300));
    expect(events).toEqual([]); // the first connection has sent nothing yet: the second must still wait
    const firstReply = new Promise<void>((resolve) => {
      first.on('data', () => undefined);
      first.on('end', () => {
        events.push('first answered');
        first.destroy();
        resolve();
      });
    });
    first.write('{"command":"summary"}');
    await firstReply;
    const text = await secondReply;
    expect(events).toEqual(['first answered', 'second answered']);
    expect(text).toContain('"SUMMARY"');
    second.destroy();
  });

  it('unknown commands get cgminer\'s Invalid command status', async () => {
    const em = await miners('bmminer', 1);
    const text = await new Promise<string>((resolve) => {
      const chunks: Buffer[] = [];
      const c = net.connect(em.ports[0], '127.0.0.1', () => c.write('{"command":"frobnicate"}'));
      c.on('data', (d) => chunks.push(d));
      c.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    });
    expect(text).toContain('"Msg":"Invalid command"');
  });
});

describe('emulated dcgm-exporter', () => {
  let dcgm: EmulatedDcgm;
  const start = async (gpus: number): Promise<EmulatedDcgm> => {
    dcgm = await startEmulatedDcgm({ port: 0, gpus, model: 'H100 80GB HBM3', hostname: 'gpu-node-7', clock });
    stops.push(dcgm.stop);
    return dcgm;
  };

  it('has the layout of the captured L40S scrape: same families in order, HELP/TYPE lines, same label names', async () => {
    await start(2);
    const text = await scrapeText(dcgm.url, 2000);
    const fixture = readFileSync('/work/shared/fixtures/gpu/dcgm-exporter_L40S_default-counters_drv595.58.03.prom', 'utf8');
    const meta = (t: string): string[] => t.split('\n').filter((l) => l.startsWith('# '));
    expect(meta(text)).toEqual(meta(fixture));
    const labelNames = (t: string): string[] => Object.keys(parsePrometheusText(t)[0].labels);
    expect(labelNames(text)).toEqual(labelNames(fixture));
    // 23 families × 2 GPUs
    expect(parsePrometheusText(text)).toHaveLength(46);
    expect(text).toContain('modelName="NVIDIA H100 80GB HBM3",Hostname="gpu-node-7",DCGM_FI_DRIVER_VERSION="590.48.01"}');
  });

  it('parses back, by UUID, to the values each GPU meant; H100 memory total 81559 MiB', async () => {
    await start(8);
    const gpus = dcgmGpus(parsePrometheusText(await scrapeText(dcgm.url, 2000)));
    expect(gpus.size).toBe(8);
    for (let i = 0; i < 8; i++) {
      const s = emulatedGpuState('H100 80GB HBM3', 'gpu-node-7', i, T);
      const g = gpus.get(s.uuid)!;
      expect(g.gpu_index).toBe(i);
      expect(g.hostname).toBe('gpu-node-7');
      expect(g.metrics).toEqual({
        sm_clock_mhz: s.sm_clock_mhz, mem_temp_c: s.mem_temp_raw, temp_c: s.temp_c, power_w: s.power_w,
        util_pct: s.util_pct, mem_util_pct: s.mem_util_pct, mem_used_mib: s.mem_used_mib, mem_total_mib: 81559,
      });
      expect(g.energy_j).toBe(s.energy_mj / 1000);
    }
    // GPU 7 is the idle one
    expect(gpus.get(emulatedGpuState('H100 80GB HBM3', 'gpu-node-7', 7, T).uuid)!.metrics.util_pct).toBe(0);
    expect(dcgm.scrapes()).toBe(1);
  });
});
