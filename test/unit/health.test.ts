import { describe, expect, it } from 'vitest';
import type { DeviceLive, DeviceModel } from '../../server/core/types.js';
import { countHealth, deviceHealth, emptyHealthCounts, healthCounts } from '../../server/figures/health.js';
import { HASHRATE_WARMUP_S } from '../../server/figures/bands.js';

const NOW = 1_764_010_800_000;
const ctx = { now: NOW, stale_after_ms: 30_000, nominal_ths: 200 };
const asicModel: DeviceModel = { id: 'A-01-01', kind: 'asic', model: 'antminer-s21' };
const gpuModel: DeviceModel = { id: 'n1/gpu0', kind: 'gpu', model: 'h100-sxm' };

function live(model: DeviceModel, metrics: DeviceLive['metrics'], ts: number | null = NOW - 5000, error?: DeviceLive['error']): DeviceLive {
  const l: DeviceLive = { model, ts, metrics };
  if (error) l.error = error;
  return l;
}

const okAsic = { hashrate_ths: 195, chains_ok: 3, chains_total: 3, uptime_s: 7200 };

describe('down', () => {
  it('never seen', () => {
    expect(deviceHealth('asic', undefined, ctx)).toEqual({ health: 'down', reason: 'no data' });
    expect(deviceHealth('asic', live(asicModel, {}, null), ctx)).toEqual({ health: 'down', reason: 'no data' });
  });
  it('stale after stale_after_ms (30 s): 30 s old is fresh, 30.001 s is stale', () => {
    expect(deviceHealth('asic', live(asicModel, okAsic, NOW - 30_000), ctx).health).toBe('up');
    expect(deviceHealth('asic', live(asicModel, okAsic, NOW - 30_001), ctx)).toEqual({ health: 'down', reason: 'stale' });
  });
  it('a collector error newer than the last reading', () => {
    expect(deviceHealth('asic', live(asicModel, okAsic, NOW - 5000, { reason: 'refused', ts: NOW - 1000 }), ctx))
      .toEqual({ health: 'down', reason: 'refused' });
    expect(deviceHealth('asic', live(asicModel, {}, null, { reason: 'timeout', ts: NOW - 1000 }), ctx))
      .toEqual({ health: 'down', reason: 'timeout' });
  });
  it('an error older than the last reading does not count', () => {
    expect(deviceHealth('asic', live(asicModel, okAsic, NOW - 1000, { reason: 'refused', ts: NOW - 5000 }), ctx).health).toBe('up');
  });
});

describe('asic not hashing (issue 13)', () => {
  it('a miner that answers with 0 TH/s, or with no hashrate at all, is degraded: not hashing', () => {
    expect(deviceHealth('asic', live(asicModel, { ...okAsic, hashrate_ths: 0 }), ctx)).toEqual({ health: 'degraded', reason: 'not hashing' });
    expect(deviceHealth('asic', live(asicModel, { chains_ok: 3, chains_total: 3 }), ctx)).toEqual({ health: 'degraded', reason: 'not hashing' });
    expect(deviceHealth('asic', live(asicModel, { hashrate_ths: null, uptime_s: 7200 }), ctx)).toEqual({ health: 'degraded', reason: 'not hashing' });
  });
  it('not hashing with chains down says both, and never also "hashrate low"', () => {
    expect(deviceHealth('asic', live(asicModel, { hashrate_ths: 0, chains_ok: 0, chains_total: 3, uptime_s: 7200 }), ctx))
      .toEqual({ health: 'degraded', reason: 'not hashing, chains down' });
  });
  it('any positive hashrate is hashing', () => {
    expect(deviceHealth('asic', live(asicModel, { ...okAsic, hashrate_ths: 0.001, uptime_s: 60 }), ctx).health).toBe('up');
  });
});

describe('asic degraded', () => {
  it('up when all chains hash near nominal', () => {
    expect(deviceHealth('asic', live(asicModel, okAsic), ctx)).toEqual({ health: 'up' });
  });
  it('chains down: 2 of 3', () => {
    expect(deviceHealth('asic', live(asicModel, { ...okAsic, chains_ok: 2 }), ctx))
      .toEqual({ health: 'degraded', reason: 'chains down' });
  });
  it('hashrate low: 159 < 0.8 × 200 = 160 after 30 min; 160 is not low', () => {
    expect(deviceHealth('asic', live(asicModel, { ...okAsic, hashrate_ths: 159 }), ctx))
      .toEqual({ health: 'degraded', reason: 'hashrate low' });
    expect(deviceHealth('asic', live(asicModel, { ...okAsic, hashrate_ths: 160 }), ctx).health).toBe('up');
  });
  it('hashrate low is not judged during the first 30 min of uptime', () => {
    expect(HASHRATE_WARMUP_S).toBe(1800);
    expect(deviceHealth('asic', live(asicModel, { ...okAsic, hashrate_ths: 50, uptime_s: 1799 }), ctx).health).toBe('up');
    expect(deviceHealth('asic', live(asicModel, { ...okAsic, hashrate_ths: 50, uptime_s: 1800 }), ctx).health).toBe('degraded');
  });
  it('no nominal known: hashrate not judged', () => {
    expect(deviceHealth('asic', live(asicModel, { ...okAsic, hashrate_ths: 1 }), { ...ctx, nominal_ths: null }).health).toBe('up');
  });
  it('reasons combine', () => {
    expect(deviceHealth('asic', live(asicModel, { ...okAsic, chains_ok: 1, hashrate_ths: 60 }), ctx))
      .toEqual({ health: 'degraded', reason: 'chains down, hashrate low' });
  });
});

describe('gpu degraded', () => {
  const okGpu = { util_pct: 95, throttle_thermal: 0, throttle_power: 0, xid_last: 0 };
  it('up', () => {
    expect(deviceHealth('gpu', live(gpuModel, okGpu), ctx)).toEqual({ health: 'up' });
  });
  it('thermal, power throttle and XID', () => {
    expect(deviceHealth('gpu', live(gpuModel, { ...okGpu, throttle_thermal: 1 }), ctx)).toEqual({ health: 'degraded', reason: 'thermal throttle' });
    expect(deviceHealth('gpu', live(gpuModel, { ...okGpu, throttle_power: 1 }), ctx)).toEqual({ health: 'degraded', reason: 'power throttle' });
    expect(deviceHealth('gpu', live(gpuModel, { ...okGpu, xid_last: 79 }), ctx)).toEqual({ health: 'degraded', reason: 'XID 79' });
  });
  it('null metrics are not faults', () => {
    expect(deviceHealth('gpu', live(gpuModel, { util_pct: null, throttle_thermal: null, xid_last: null }), ctx).health).toBe('up');
  });
});

describe('counts', () => {
  it('per rack', () => {
    expect(healthCounts(['up', 'up', 'down', 'degraded', 'up'])).toEqual({ up: 3, degraded: 1, down: 1 });
    const c = emptyHealthCounts();
    countHealth(c, 'down');
    expect(c).toEqual({ up: 0, degraded: 0, down: 1 });
  });

  it('a link whose interface is down and a UPS on battery answer, so they are degraded, not down (issue 19)', () => {
    const link: DeviceModel = { id: 'wan-a', kind: 'network_link' };
    const ups: DeviceModel = { id: 'ups-1', kind: 'ups' };
    expect(deviceHealth('network_link', live(link, { oper_up: 0 }), ctx)).toEqual({ health: 'degraded', reason: 'interface down' });
    expect(deviceHealth('network_link', live(link, { oper_up: 1 }), ctx).health).toBe('up');
    expect(deviceHealth('ups', live(ups, { on_battery: 1 }), ctx)).toEqual({ health: 'degraded', reason: 'on battery' });
    expect(deviceHealth('ups', live(ups, { on_battery: 0 }), ctx).health).toBe('up');
  });
});
