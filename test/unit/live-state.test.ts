// The live state's one rule (issue 11, cases 4 and 5): place = min(ts, arrival); the newest reading
// plus, for the metrics it has no value for, values of older readings within the carry window; a
// duplicate (device, ts) replaces that reading whole, as the store does.
import { describe, expect, it } from 'vitest';
import { createLiveState } from '../../server/live/state.js';
import type { Reading } from '../../server/core/types.js';
import { smallSite } from '../helpers/site.js';

const NOW = 1_800_000_000_000;
const r = (ts: number, metrics: Reading['metrics']): Reading => ({ device: 'M-01-01', ts, metrics });

describe('live state', () => {
  it('a reading ahead of the clock counts as of its arrival: the next correct one replaces it', () => {
    const live = createLiveState(smallSite(), { now: () => NOW });
    live.apply(r(NOW + 240_000, { hashrate_ths: 50 }), NOW);
    const d = live.devices.get('M-01-01')!;
    expect(d.ts).toBe(NOW); // last_seen never in the future
    live.apply(r(NOW + 1000, { hashrate_ths: 200 }), NOW + 1000);
    expect(d.metrics.hashrate_ths).toBe(200);
    expect(d.ts).toBe(NOW + 1000);
    expect(live.lastReadingTs()).toBe(NOW + 1000);
  });

  it('restore gives the view the readings gave on arrival, in any replay order', () => {
    const readings: [Reading, number][] = [
      [r(NOW + 240_000, { hashrate_ths: 50, power_w: 1 }), NOW],
      [r(NOW + 10_000, { hashrate_ths: 200, power_w: 3500 }), NOW + 10_000],
      [r(NOW + 20_000, { hashrate_ths: 201 }), NOW + 20_000],
    ];
    const before = createLiveState(smallSite());
    for (const [x, at] of readings) before.apply(x, at);
    const want = before.devices.get('M-01-01')!;
    expect(want.metrics).toEqual({ hashrate_ths: 201, power_w: 3500 });
    for (const order of [[0, 1, 2], [2, 1, 0], [1, 2, 0]]) {
      const after = createLiveState(smallSite());
      for (const i of order) after.restore(readings[i][0], NOW + 30_000);
      const got = after.devices.get('M-01-01')!;
      expect(got.metrics, order.join()).toEqual(want.metrics);
      expect(got.ts, order.join()).toBe(want.ts);
    }
  });

  it('a duplicate of the newest reading replaces it whole; null is no value; the carry window bounds old values', () => {
    const live = createLiveState(smallSite(), { carryMs: 60_000 });
    const d = live.devices.get('M-01-01')!;
    live.apply(r(NOW - 15_000, { hashrate_ths: 190, power_w: 3400, fan_rpm: 6000 }), NOW);
    live.apply(r(NOW, { hashrate_ths: 200, power_w: 3500, chip_temp_c: 70 }), NOW);
    live.apply(r(NOW, { hashrate_ths: 210, power_w: null }), NOW + 5);
    expect(d.metrics).toEqual({ hashrate_ths: 210, power_w: 3400, fan_rpm: 6000 });
    // a late reading between them fills in what the newest lacks
    live.apply(r(NOW - 5000, { power_w: 3450 }), NOW + 10);
    expect(d.metrics.power_w).toBe(3450);
    expect(d.ts).toBe(NOW);
    // 61 s later, the older values are past the window
    live.apply(r(NOW + 61_000, { hashrate_ths: 205 }), NOW + 61_000);
    expect(d.metrics).toEqual({ hashrate_ths: 205 });
  });

  it('a metric the newest reading names as null ("[N/A]") shows null, unless an older value within the window is carried', () => {
    const live = createLiveState(smallSite());
    live.apply(r(NOW, { hashrate_ths: 200, fan_rpm: null }), NOW);
    const d = live.devices.get('M-01-01')!;
    expect(d.metrics).toEqual({ hashrate_ths: 200, fan_rpm: null });
    expect('fan_rpm' in d.metrics).toBe(true);
    live.apply(r(NOW + 1000, { hashrate_ths: null, power_w: 3500 }), NOW + 1000);
    expect(d.metrics).toEqual({ hashrate_ths: 200, power_w: 3500 });
    // restored from the store, where null and absent are both NULL: no key, which is the same "no value"
    const after = createLiveState(smallSite());
    after.restore(r(NOW, { hashrate_ths: 200, fan_rpm: null }), NOW + 2000);
    expect(after.devices.get('M-01-01')!.metrics).toEqual({ hashrate_ths: 200 });
  });
});
