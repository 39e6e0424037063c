import net from 'node:net';
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { startScheduler } from '../../server/collectors/scheduler.js';
import type { DeviceModel } from '../../server/core/types.js';
import { collectorSettings } from '../helpers/collectors.js';
import { freePort } from '../helpers/net.js';
import { joined, startFakeMiner, type FakeMiner } from './collectors-fake-miner.js';

const fx = (name: string): string => readFileSync(new URL(`../fixtures/asic/${name}`, import.meta.url), 'utf8');
let miners: FakeMiner[] = [];
afterEach(async () => {
  await Promise.all(miners.map((m) => m.close()));
  miners = [];
});

describe('scheduler last good poll', () => {
  it('keeps, per collector, when its last good poll ended; a collector that only fails has none', async () => {
    const good = await startFakeMiner({ 'summary+stats': joined({ summary: fx('luxos_summary.json'), stats: fx('luxos_stats.json') }) });
    miners.push(good);
    const refused = await freePort();
    const devices: DeviceModel[] = [
      { id: 'ok', kind: 'asic', address: `127.0.0.1:${good.port}`, collector: 'cgminer' },
      { id: 'gone', kind: 'asic', address: `127.0.0.1:${refused}`, collector: 'whatsminer_v3' },
    ];
    const lastOkSeen: Record<string, number> = {};
    const t0 = Date.now();
    const sched = startScheduler({
      devices, catalogue: new Map(), settings: collectorSettings({ interval_s: 0.1, timeout_ms: 300, concurrency: 2 }),
      sink: { accept: () => {}, deviceError: () => {} },
      onPollDuration: (collector, _s, ok) => {
        if (ok) lastOkSeen[collector] = Date.now();
      },
    });
    await new Promise((r) => setTimeout(r, 500));
    await sched.stop();
    const lastOk = sched.lastOk();
    expect([...lastOk.keys()]).toEqual(['cgminer']);
    const at = lastOk.get('cgminer') ?? 0;
    expect(at).toBeGreaterThanOrEqual(t0);
    // the same poll onPollDuration reported as good, seen just before it was called
    expect(at).toBeLessThanOrEqual(lastOkSeen.cgminer);
    expect(lastOkSeen.cgminer - at).toBeLessThan(50);
    expect(sched.stats().per_collector.whatsminer_v3.failures).toBeGreaterThan(0);
  });
});
