import { describe, expect, it } from 'vitest';
import { validateReading, validateReadings, MAX_FUTURE_SKEW_MS } from '../../server/core/validate.js';
import type { DeviceModel } from '../../server/core/types.js';

const devices = new Map<string, DeviceModel>([
  ['A-01', { id: 'A-01', kind: 'asic', model: 'antminer-s21', rack: 'R1', hall: 'M' }],
  ['n1/gpu0', { id: 'n1/gpu0', kind: 'gpu', model: 'h100-sxm', node: 'n1', gpu_index: 0 }],
]);
const now = Date.UTC(2026, 10, 25, 12, 0, 0);
const ctx = { devices, now, oldest_ts: now - 48 * 3_600_000 };

describe('validateReading', () => {
  it('keeps a good reading as typed values, ts defaulting to now', () => {
    const r = validateReading({ device: 'A-01', metrics: { hashrate_ths: 201.5, power_w: 3510 } }, 0, ctx);
    expect(r.errors).toEqual([]);
    expect(r.reading).toEqual({ device: 'A-01', ts: now, metrics: { hashrate_ths: 201.5, power_w: 3510 } });
  });

  it('accepts RFC 3339 with a zone and epoch ms, rejects zone-less and future times', () => {
    expect(validateReading({ device: 'A-01', ts: '2026-11-25T11:59:00Z', metrics: { power_w: 1 } }, 0, ctx).reading?.ts).toBe(now - 60_000);
    expect(validateReading({ device: 'A-01', ts: '2026-11-25T13:59:00+02:00', metrics: { power_w: 1 } }, 0, ctx).reading?.ts).toBe(now - 60_000);
    expect(validateReading({ device: 'A-01', ts: now - 5, metrics: { power_w: 1 } }, 0, ctx).reading?.ts).toBe(now - 5);
    const local = validateReading({ device: 'A-01', ts: '2026-11-25T11:59:00', metrics: { power_w: 1 } }, 4, ctx);
    expect(local.reading).toBeNull();
    expect(local.errors[0]).toMatchObject({ index: 4, path: 'readings[4].ts', reason: 'bad_timestamp' });
    const future = validateReading({ device: 'A-01', ts: now + MAX_FUTURE_SKEW_MS + 1, metrics: { power_w: 1 } }, 0, ctx);
    expect(future.errors[0].error).toMatch(/future/);
    const y1970 = validateReading({ device: 'A-01', ts: 0, metrics: { power_w: 1 } }, 0, ctx);
    expect(y1970.errors[0]).toMatchObject({ path: 'readings[0].ts', reason: 'bad_timestamp' });
  });

  it('drops each bad metric by path and keeps the good ones beside it', () => {
    const r = validateReading(
      { device: 'A-01', ts: now, metrics: { hashrate_ths: 200, power_w: '3500', chip_temp_c: -300, util_pct: 5, fan_rpm: null } },
      2, ctx,
    );
    expect(r.reading?.metrics).toEqual({ hashrate_ths: 200, fan_rpm: null });
    expect(r.errors.map((e) => [e.path, e.reason])).toEqual([
      ['readings[2].metrics.power_w', 'bad_value'],
      ['readings[2].metrics.chip_temp_c', 'out_of_range'],
      ['readings[2].metrics.util_pct', 'unknown_metric'],
    ]);
  });

  it('null is kept as null (a device that does not know), never turned into 0', () => {
    const r = validateReading({ device: 'n1/gpu0', metrics: { mem_temp_c: null, util_pct: 0 } }, 0, ctx);
    expect(r.reading?.metrics).toEqual({ mem_temp_c: null, util_pct: 0 });
  });

  it('rejects unknown devices, non-objects and readings with nothing valid', () => {
    expect(validateReading({ device: '../../etc/passwd', metrics: { power_w: 1 } }, 0, ctx).errors[0]).toMatchObject({ reason: 'unknown_device', path: 'readings[0].device' });
    expect(validateReading(42, 1, ctx).errors[0]).toMatchObject({ path: 'readings[1]', error: 'expected an object' });
    expect(validateReading({ device: 'A-01', metrics: [] }, 0, ctx).errors[0].path).toBe('readings[0].metrics');
    const onlyBad = validateReading({ device: 'A-01', metrics: { power_w: Number.NaN } }, 0, ctx);
    expect(onlyBad.reading).toBeNull();
    expect(onlyBad.errors[0].error).toBe('expected a finite number');
  });

  it('a batch keeps the good readings and reports the bad ones by index', () => {
    const b = validateReadings([
      { device: 'A-01', metrics: { power_w: 3500 } },
      { device: 'nope', metrics: { power_w: 3500 } },
      { device: 'n1/gpu0', metrics: { util_pct: 101 } },
      { device: 'n1/gpu0', metrics: { util_pct: 99 } },
    ], ctx);
    expect(b.readings.map((r) => r.reading.device)).toEqual(['A-01', 'n1/gpu0']);
    expect(b.errors.map((e) => e.index)).toEqual([1, 2]);
  });
});
