// Requests per sweep (issue 13: "a sweep stays one or two requests per miner"). Each family's real
// captures (test/fixtures/asic/, sources in its README) are served byte-exact by a fake miner that either
// answers joined commands as cgminer's API does (`summary+devs` → one object keyed by command) or refuses
// them; the collector's per-miner memory is kept between sweeps as the scheduler keeps it. Counted: the
// commands the miner received in each sweep, one per TCP connection.
import net from 'node:net';
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { freshCgminerMemory, MAX_SWEEP_REQUESTS, pollCgminer } from '../../server/collectors/cgminer.js';
import { freshV3Memory, pollWhatsminerV3 } from '../../server/collectors/whatsminer-v3.js';
import type { DeviceModel, Reading } from '../../server/core/types.js';
import { startFakeMiner, type FakeBehaviour } from './collectors-fake-miner.js';
import { freePort } from '../helpers/net.js';

const fx = (name: string): string => readFileSync(new URL(`../fixtures/asic/${name}`, import.meta.url), 'utf8');
const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(closers.splice(0).map((c) => c()));
});
const dev = (port: number, collector: 'cgminer' | 'whatsminer_v3' = 'cgminer'): DeviceModel =>
  ({ id: 'M', kind: 'asic', address: `127.0.0.1:${port}`, collector });

/** Three sweeps with one memory; the commands of each. */
async function sweeps(replies: Record<string, string>, joins: boolean, behaviour: FakeBehaviour = 'reply') {
  const miner = await startFakeMiner(replies, behaviour, { joins });
  closers.push(() => miner.close());
  const memory = freshCgminerMemory();
  const commands: string[][] = [];
  const readings: Reading[] = [];
  for (let i = 0; i < 3; i++) {
    const before = miner.commands.length;
    readings.push(await pollCgminer(dev(miner.port), new Map(), 2000, () => 1, memory));
    commands.push(miner.commands.slice(before));
  }
  return { commands, readings };
}

interface Family {
  name: string;
  replies: Record<string, string>;
  /** the first sweep's commands and the later sweeps' where joins are honoured */
  joined: [string[], string[]];
  /** the same where they are refused: first, second (trying the join once), then steady */
  refused: [string[], string[], string[]];
  /** what the steady sweep without joins no longer reads (the plan's third command, left out) */
  refusedLoses?: Partial<Reading['metrics']>;
}

const FAMILIES: Family[] = [
  {
    name: 'stock Antminer S19 Pro (antminer-bmminer/S19Pro_*)',
    replies: { summary: fx('antminer-bmminer/S19Pro_summary.json'), stats: fx('antminer-bmminer/S19Pro_stats.json') },
    joined: [['summary+stats'], ['summary+stats']],
    refused: [['summary+stats', 'summary', 'stats'], ['summary', 'stats'], ['summary', 'stats']],
  },
  {
    name: 'Antminer L3+ (antminer-bmminer/L3plus_*)',
    replies: { summary: fx('antminer-bmminer/L3plus_summary.json'), stats: fx('antminer-bmminer/L3plus_stats.json') },
    joined: [['summary+stats'], ['summary+stats']],
    refused: [['summary+stats', 'summary', 'stats'], ['summary', 'stats'], ['summary', 'stats']],
  },
  {
    name: 'LuxOS S19k Pro (luxos/S19kPro_*): power as the extra command',
    replies: { summary: fx('luxos/S19kPro_summary.json'), stats: fx('luxos/S19kPro_stats.json'), power: fx('luxos/S19kPro_power.json') },
    joined: [['summary+stats', 'power'], ['summary+stats+power']],
    refused: [['summary+stats', 'summary', 'stats', 'power'], ['summary', 'stats'], ['summary', 'stats']],
    refusedLoses: { power_w: null }, // POWER[0].Watts is the third command
  },
  {
    name: 'Whatsminer btminer v1 M30S (whatsminer-btminer/v1_M30S_*)',
    replies: { summary: fx('whatsminer-btminer/v1_M30S_summary.json'), devs: fx('whatsminer-btminer/v1_M30S_devs.json') },
    joined: [['summary+stats', 'summary', 'devs'], ['summary+devs']],
    refused: [['summary+stats', 'summary', 'devs'], ['summary+devs', 'summary', 'devs'], ['summary', 'devs']],
  },
  {
    name: 'Whatsminer btminer v2 (whatsminer-btminer/v2_*)',
    replies: { summary: fx('whatsminer-btminer/v2_summary.json'), devs: fx('whatsminer-btminer/v2_devs.json') },
    joined: [['summary+stats', 'summary', 'stats', 'devs'], ['summary+devs']],
    refused: [['summary+stats', 'summary', 'stats', 'devs'], ['summary+devs', 'summary', 'devs'], ['summary', 'devs']],
  },
  {
    name: 'Avalon Q (avalon/Q_*)',
    replies: { summary: fx('avalon/Q_summary.json'), stats: fx('avalon/Q_stats.json') },
    joined: [['summary+stats'], ['summary+stats']],
    refused: [['summary+stats', 'summary', 'stats'], ['summary', 'stats'], ['summary', 'stats']],
  },
  {
    name: 'Auradine GCMiner (auradine/*): devs and fan as extra commands',
    replies: { summary: fx('auradine/summary.json'), devs: fx('auradine/devs.json'), fan: fx('auradine/fan.json') },
    joined: [['summary+stats', 'summary', 'stats', 'devs', 'fan'], ['summary+devs+fan']],
    refused: [['summary+stats', 'summary', 'stats', 'devs', 'fan'], ['summary+devs+fan', 'summary', 'devs'], ['summary', 'devs']],
    refusedLoses: { fan_rpm: null, fan_min_rpm: null }, // Fan[].Speed is the third command
  },
  {
    name: 'Braiins OS+ cgminer API (braiins-os/foreman_S9_bosplus_*): devs, temps and fans as extra commands',
    replies: {
      summary: fx('braiins-os/foreman_S9_bosplus_summary.json'), devs: fx('braiins-os/foreman_S9_bosplus_devs.json'),
      temps: fx('braiins-os/foreman_S9_bosplus_temps.json'), fans: fx('braiins-os/foreman_S9_bosplus_fans.json'),
    },
    joined: [['summary+stats', 'summary', 'stats', 'devs', 'temps', 'fans'], ['summary+devs+temps+fans']],
    refused: [['summary+stats', 'summary', 'stats', 'devs', 'temps', 'fans'], ['summary+devs+temps+fans', 'summary', 'devs'], ['summary', 'devs']],
    refusedLoses: { board_temp_c: null, fan_rpm: null, fan_min_rpm: null }, // temps and fans are the 3rd and 4th
  },
  {
    name: 'SealMiner A2 (sealminer/*)',
    replies: { summary: fx('sealminer/summary.json'), stats: fx('sealminer/stats.json') },
    joined: [['summary+stats'], ['summary+stats']],
    refused: [['summary+stats', 'summary', 'stats'], ['summary', 'stats'], ['summary', 'stats']],
  },
];

describe('cgminer family: one request a sweep where joins are taken, at most two where not', () => {
  it.each(FAMILIES)('$name, joins honoured', async (f) => {
    const { commands, readings } = await sweeps(f.replies, true);
    expect(commands).toEqual([f.joined[0], f.joined[1], f.joined[1]]);
    expect(commands[2].length).toBe(1);
    // The joined sweep reads what the first one read, field for field.
    expect(readings[2].metrics).toEqual(readings[0].metrics);
    expect(readings[1].metrics).toEqual(readings[0].metrics);
  });

  it.each(FAMILIES)('$name, joins refused', async (f) => {
    const { commands, readings } = await sweeps(f.replies, false);
    expect(commands).toEqual(f.refused);
    expect(commands[2].length).toBeLessThanOrEqual(MAX_SWEEP_REQUESTS);
    expect(readings[2].metrics).toEqual({ ...readings[0].metrics, ...f.refusedLoses });
  });

  it.each<FakeBehaviour>(['split', 'no-nul'])('later sweeps read the same when replies come %s', async (b) => {
    const s19 = FAMILIES[0];
    const { commands, readings } = await sweeps(s19.replies, true, b);
    expect(commands[2]).toEqual(['summary+stats']);
    expect(readings[2].metrics).toEqual(readings[0].metrics);
    expect(readings[0].metrics.hashrate_ths).toBe(110.56689);
  });

  it('a hung miner times out within the timeout and its memory is forgotten; a refused port says refused', async () => {
    const good = await startFakeMiner(FAMILIES[0].replies, 'reply', { joins: true });
    closers.push(() => good.close());
    const memory = freshCgminerMemory();
    await pollCgminer(dev(good.port), new Map(), 2000, () => 1, memory);
    expect(memory.plan).toEqual(['summary', 'stats']);
    const hung = await startFakeMiner(FAMILIES[0].replies, 'hang');
    closers.push(() => hung.close());
    const t0 = Date.now();
    await expect(pollCgminer(dev(hung.port), new Map(), 300, () => 1, memory)).rejects.toMatchObject({ reason: 'timeout' });
    expect(Date.now() - t0).toBeLessThan(300 + 300);
    expect(memory.plan).toBeNull();
    await pollCgminer(dev(good.port), new Map(), 2000, () => 1, memory);
    const port = await freePort();
    await expect(pollCgminer(dev(port), new Map(), 1000, () => 1, memory)).rejects.toMatchObject({ reason: 'refused' });
    expect(memory.plan).toBeNull();
  });

  it('a join it took before and now refuses (reflashed) is learnt again in the same sweep', async () => {
    const joins = await startFakeMiner(FAMILIES[0].replies, 'reply', { joins: true });
    closers.push(() => joins.close());
    const memory = freshCgminerMemory();
    await pollCgminer(dev(joins.port), new Map(), 2000, () => 1, memory);
    const btminer = FAMILIES[3];
    const other = await startFakeMiner(btminer.replies);
    closers.push(() => other.close());
    const r = await pollCgminer(dev(other.port), new Map(), 2000, () => 1, memory);
    expect(other.commands).toEqual(['summary+stats', 'summary+stats', 'summary', 'devs']);
    expect(r.metrics.chains_total).toBe(3);
    expect(memory.firmware).toBe('whatsminer');
  });
});

/** A Whatsminer API v3 fake serving the captures by param, length-prefixed; -2 (invalid) to anything else. */
async function startV3(byParam: Record<string, string>): Promise<{ port: number; asked: string[] }> {
  const asked: string[] = [];
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    let buf = Buffer.alloc(0);
    socket.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      if (buf.length < 4 || buf.length < 4 + buf.readUInt32LE(0)) return;
      const req = JSON.parse(buf.subarray(4, 4 + buf.readUInt32LE(0)).toString('utf8')) as { cmd?: unknown; param?: unknown };
      const key = req.param === undefined ? String(req.cmd) : String(req.param);
      asked.push(key);
      const body = Buffer.from(byParam[key] ?? '{"code":-2,"msg":"invalid command"}', 'utf8');
      const head = Buffer.alloc(4);
      head.writeUInt32LE(body.length, 0);
      socket.write(Buffer.concat([head, body]));
    });
    socket.on('error', () => undefined);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  closers.push(() => new Promise<void>((r) => {
    for (const s of sockets) s.destroy();
    server.close(() => r());
  }));
  return { port: (server.address() as net.AddressInfo).port, asked };
}

describe('Whatsminer API v3: two requests a sweep; get.device.info once per boot', () => {
  const summary = fx('whatsminer-v3/get_miner_status_summary.json');
  it('summary and edevs every sweep', async () => {
    const v3 = await startV3({ summary, edevs: fx('whatsminer-v3/get_miner_status_edevs.json') });
    const memory = freshV3Memory();
    const per: string[][] = [];
    for (let i = 0; i < 3; i++) {
      const before = v3.asked.length;
      const r = await pollWhatsminerV3(dev(v3.port, 'whatsminer_v3'), new Map(), 2000, () => 1, memory);
      per.push(v3.asked.slice(before));
      expect(r.metrics.chains_ok).toBe(3);
    }
    expect(per).toEqual([['summary', 'edevs'], ['summary', 'edevs'], ['summary', 'edevs']]);
  });

  it('a miner refusing edevs: get.device.info on the first sweep, then the summary alone', async () => {
    const v3 = await startV3({ summary, 'get.device.info': fx('whatsminer-v3/get_device_info.json') });
    const memory = freshV3Memory();
    const per: string[][] = [];
    for (let i = 0; i < 3; i++) {
      const before = v3.asked.length;
      const r = await pollWhatsminerV3(dev(v3.port, 'whatsminer_v3'), new Map(), 2000, () => 1, memory);
      per.push(v3.asked.slice(before));
      expect(r.metrics.chains_total).toBe(3); // msg.miner["board-num"] "3", cached
    }
    expect(per).toEqual([['summary', 'edevs', 'get.device.info'], ['summary'], ['summary']]);
  });
});
