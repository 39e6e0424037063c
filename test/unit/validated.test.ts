import { describe, expect, it } from 'vitest';
import { DEVICE_KINDS, METRICS_BY_KIND, type DeviceKind, type Reading } from '../../server/core/types.js';
import { MAX_VALIDATED_ROW, readValidated, validatedWriter } from '../../server/ingest/validated.js';

// The buffer an ingest thread hands back (server/ingest/validated.ts) must give back the readings the
// validator produced: every value bit-exact, a metric named null as null, an absent one absent.
const rows: { kind: DeviceKind; key: number; reading: Reading }[] = [
  { kind: 'asic', key: 3, reading: { device: 'M-01-03', ts: 1_764_790_000_123, metrics: { hashrate_ths: 201.5, power_w: 3510, chains_ok: 0, fan_rpm: null }, power_source: 'estimate', pools: [{ url: 'stratum+tcp://pool.example:3333', user: 'acct.w1', state: 'alive', active: true, priority: 0 }] } },
  { kind: 'gpu', key: 7, reading: { device: 'G-01-n1/gpu1', ts: 1_764_790_000_124, metrics: { util_pct: 87, mem_temp_c: null, power_w: -0 } } },
  { kind: 'pdu', key: 0, reading: { device: 'M-01-pdu', ts: 1, metrics: { power_w: 5e-324 }, power_source: 'meter' } },
  { kind: 'asic', key: 4, reading: { device: 'M-01-04', ts: 2, metrics: { hashrate_ths: 1.7976931348623157e308, power_w: 0.1 + 0.2 } } },
];
const names = ['M-01-pdu', undefined, undefined, 'M-01-03', 'M-01-04', undefined, undefined, 'G-01-n1/gpu1'];

function back(capacity: number) {
  const w = validatedWriter(capacity);
  for (const r of rows) w.add(r.kind, r.key, r.reading);
  const v = w.done();
  const out: typeof rows = [];
  readValidated(v, names, (kind, key, reading) => out.push({ kind, key, reading }));
  return { v, out };
}

describe('validated rows (ingest thread to main thread)', () => {
  it('gives back every reading with its kind and key: values bit-exact, null as null, absent absent', () => {
    const { v, out } = back(rows.length);
    expect(v.rows).toBe(4);
    expect(out).toEqual(rows);
    expect(Object.is(out[1].reading.metrics.power_w, -0)).toBe(true);
    expect(out[2].reading.metrics.power_w).toBe(5e-324);
    expect(out[3].reading.metrics.power_w).toBe(0.1 + 0.2);
    expect('fan_rpm' in out[0].reading.metrics && out[0].reading.metrics.fan_rpm === null).toBe(true);
    expect('temp_c' in out[0].reading.metrics).toBe(false);
    expect(out[1].reading.pools).toBeUndefined();
    expect(out[1].reading.power_source).toBeUndefined();
  });

  it('grows past the capacity it was given', () => {
    expect(back(1).out).toEqual(rows);
  });

  it('holds every metric of every kind, each named null or valued', () => {
    const w = validatedWriter(DEVICE_KINDS.length * 2);
    const want: { kind: DeviceKind; key: number; reading: Reading }[] = [];
    DEVICE_KINDS.forEach((kind, k) => {
      const all: Reading['metrics'] = {};
      const nulls: Reading['metrics'] = {};
      METRICS_BY_KIND[kind].forEach((m, i) => {
        all[m] = i + 0.5;
        nulls[m] = null;
      });
      want.push({ kind, key: 2 * k, reading: { device: `d${2 * k}`, ts: k, metrics: all } });
      want.push({ kind, key: 2 * k + 1, reading: { device: `d${2 * k + 1}`, ts: k, metrics: nulls } });
    });
    for (const r of want) w.add(r.kind, r.key, r.reading);
    const v = w.done();
    expect(v.length).toBeLessThanOrEqual(want.length * MAX_VALIDATED_ROW);
    const got: typeof want = [];
    readValidated(v, want.map((r) => r.reading.device), (kind, key, reading) => got.push({ kind, key, reading }));
    expect(got).toEqual(want);
  });

  it('refuses a key it has no device for', () => {
    const { v } = back(4);
    expect(() => readValidated(v, [], () => {})).toThrow(/unknown device key/);
  });
});
