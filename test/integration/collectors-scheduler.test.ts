import net from 'node:net';
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { startScheduler } from '../../server/collectors/scheduler.js';
import type { CollectorSink } from '../../server/collectors/types.js';
import type { DeviceModel, Reading } from '../../server/core/types.js';
import { joined, startFakeMiner, type FakeMiner } from './collectors-fake-miner.js';
import { collectorSettings } from '../helpers/collectors.js';
import { freePort } from '../helpers/net.js';

const fx = (name: string): string => readFileSync(new URL(`../fixtures/asic/${name}`, import.meta.url), 'utf8');
let miners: FakeMiner[] = [];
afterEach(async () => {
  await Promise.all(miners.map((m) => m.close()));
  miners = [];
});

describe('scheduler against faulty miners', () => {
  it('reports hung, reset, garbage and refused miners with their reasons while healthy ones keep their interval', async () => {
    // The stock S19 Pro capture: its summary+stats say everything, so one connection is one poll (and the
    // first poll's pools ask one more).
    const good = { 'summary+stats': joined({ summary: fx('antminer-bmminer/S19Pro_summary.json'), stats: fx('antminer-bmminer/S19Pro_stats.json') }) };
    const healthy = [await startFakeMiner(good), await startFakeMiner(good)];
    const hung = await startFakeMiner(good, 'hang');
    const reset = await startFakeMiner(good, 'reset-mid-reply');
    const garbage = await startFakeMiner(good, 'garbage');
    miners.push(...healthy, hung, reset, garbage);
    const refusedPort = await freePort();
    const dev = (id: string, port: number): DeviceModel => ({ id, kind: 'asic', address: `127.0.0.1:${port}`, collector: 'cgminer' });
    const devices = [
      dev('ok-1', healthy[0].port), dev('ok-2', healthy[1].port), dev('hung', hung.port),
      dev('reset', reset.port), dev('garbage', garbage.port), dev('refused', refusedPort),
    ];
    const accepted: Reading[] = [];
    const errors: { device: string; reason: string }[] = [];
    const sink: CollectorSink = {
      accept: (r) => accepted.push(...r),
      deviceError: (device, reason) => errors.push({ device, reason }),
    };
    const durations: { collector: string; ok: boolean }[] = [];
    const interval_s = 0.2;
    const s = { interval_s, timeout_ms: 300, concurrency: 3 };
    const sched = startScheduler({
      devices, catalogue: new Map(), sink,
      settings: collectorSettings(s),
      onPollDuration: (collector, _sec, ok) => durations.push({ collector, ok }),
    });
    await new Promise((r) => setTimeout(r, 1500));
    await sched.stop();

    const reasons = (id: string): Set<string> => new Set(errors.filter((e) => e.device === id).map((e) => e.reason));
    expect(reasons('hung')).toEqual(new Set(['timeout']));
    expect(reasons('reset')).toEqual(new Set(['closed mid-reply']));
    expect(reasons('garbage')).toEqual(new Set(['bad reply: not JSON']));
    expect(reasons('refused')).toEqual(new Set(['refused']));
    expect(reasons('ok-1').size + reasons('ok-2').size).toBe(0);

    // Healthy miners: started within the first interval, then every 200 ms despite a hung neighbour
    // holding a slot for 300 ms at a time: ≥ 6 polls in 1.5 s and no gap near two intervals.
    for (const m of healthy) {
      expect(m.connections.length).toBeGreaterThanOrEqual(6);
      const gaps = m.connections.slice(1).map((t, i) => t - m.connections[i]);
      expect(Math.max(...gaps)).toBeLessThan(330);
    }
    // One connection per poll, plus one `pools` ask on the first poll only (then not for 40 s: issue 19).
    expect(healthy[0].commands.filter((c) => c === 'pools')).toEqual(['pools']);
    expect(accepted.filter((r) => r.device === 'ok-1').length).toBe(healthy[0].connections.length - 1);
    expect(accepted[0].metrics.hashrate_ths).toBe(110.56689); // GHS 5s 110566.89 / 1000
    // Back-off: the refused miner is retried after 1, 2, 4 intervals, so far fewer attempts than a healthy one.
    expect(errors.filter((e) => e.device === 'refused').length).toBeLessThanOrEqual(4);
    expect(durations.some((d) => d.collector === 'cgminer' && !d.ok)).toBe(true);
    expect(sched.stats().in_flight).toBe(0);
  });
});
