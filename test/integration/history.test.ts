import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { startServer, type RunningServer } from '../../server/server.js';
import { registerScopes, SCOPE_METRIC_CODE, type ScopeMetric } from '../../server/store/rollups.js';
import { post, smallSite, tempDir } from '../helpers/site.js';

const H = 3_600_000;
// an hour boundary a few hours ago: ingest refuses readings older than raw retention (48 h)
const T0 = Math.floor((Date.now() - 4 * H) / H) * H;

describe('GET /api/v1/history', () => {
  const t = tempDir();
  let s: RunningServer;
  const get = async (q: string) => {
    const res = await fetch(`${s.url}/api/v1/history?${q}`);
    return { status: res.status, json: (await res.json()) as Record<string, unknown> };
  };

  beforeAll(async () => {
    s = await startServer({ model: smallSite(), dbPath: join(t.dir, 'h.db'), port: 0, host: '127.0.0.1', log: () => {}, collectors: false, tickMs: 3_600_000 });
    // miner M-01-01: 15 s readings in minute 0, nothing in minute 1, one reading in minute 2 (late and duplicate too)
    const readings = [
      { device: 'M-01-01', ts: T0, metrics: { power_w: 3000, fan_rpm: 6000 } },
      { device: 'M-01-01', ts: T0 + 15_000, metrics: { power_w: 3100, fan_rpm: 6300 } },
      { device: 'M-01-01', ts: T0 + 120_000, metrics: { power_w: 2000 } },
    ];
    expect((await post(`${s.url}/api/v1/ingest`, { readings })).status).toBe(200);
    const late = [
      { device: 'M-01-01', ts: T0 + 30_000, metrics: { power_w: 3200 } },
      { device: 'M-01-01', ts: T0 + 15_000, metrics: { power_w: 3100 } },
    ];
    expect((await post(`${s.url}/api/v1/ingest`, { readings: late })).status).toBe(200);
    // rack figures: minute rows say 100 W, hour rows say 999 W, so each answer shows which table it read
    const scopes = registerScopes(s.db, ['rack:M-01', 'site', 'hall:M']);
    const ins = (g: string, scope: string, m: ScopeMetric, bucket: number, sum: number, cnt: number) => s.db
      .prepare(`INSERT INTO rollup_scope_${g} (scope, metric, bucket, sum, cnt, vmin, vmax) VALUES (?, ?, ?, ?, ?, ?, ?)`)
      .run(scopes.get(scope), SCOPE_METRIC_CODE.get(m), bucket, sum, cnt, sum / cnt - 1, sum / cnt + 1);
    ins('minute', 'rack:M-01', 'power_w', T0, 600, 6);
    ins('minute', 'rack:M-01', 'power_w', T0 + 2 * 60_000, 1200, 6);
    ins('hour', 'rack:M-01', 'power_w', T0, 999 * 3600, 3600);
    ins('hour', 'rack:M-01', 'power_w', T0 + 2 * H, 999 * 3600, 3600);
    ins('hour', 'site', 'pue_facility_wh', T0, 15_000, 3600);
    ins('hour', 'site', 'pue_it_wh', T0, 10_000, 3600);
    ins('hour', 'site', 'pue', T0, 1.5 * 3600, 3600);
    ins('hour', 'site', 'energy_wh', T0, 10_000, 3600);
    // what the wall's trends ask for by their figure names
    ins('minute', 'site', 'power_w', T0, 6 * 52_000, 6);
    ins('minute', 'site', 'inlet_temp_c', T0, 6 * 26.5, 6);
    ins('minute', 'site', 'facility_power_w', T0, 6 * 65_000, 6);
    ins('minute', 'site', 'pue', T0, 6 * 1.25, 6);
    ins('minute', 'site', 'hashrate_ths', T0, 6 * 600, 6);
    ins('minute', 'site', 'gpu_util_pct', T0, 6 * 80, 6);
    ins('minute', 'hall:M', 'power_w', T0, 6 * 11_000, 6);
    ins('minute', 'hall:M', 'inlet_temp_c', T0, 6 * 24, 6);
    ins('minute', 'rack:M-01', 'inlet_temp_c', T0, 6 * 22, 6);
    ins('minute', 'rack:M-01', 'outlet_temp_c', T0, 6 * 35, 6);
  });
  afterAll(async () => {
    await s.close();
    t.cleanup();
  });

  it('device below a minute from raw samples, with a late reading and a duplicate counted once', async () => {
    const r = await get(`scope=device:M-01-01&metric=power_w&from=${T0}&to=${T0 + 60_000}&step=30s`);
    expect(r.status).toBe(200);
    expect(r.json.source).toBe('raw');
    // [0,30 s): 3000, 3100 → 3050; [30 s, 60 s): 3200
    expect(r.json.points).toEqual([[T0, 3050], [T0 + 30_000, 3200]]);
    expect(r.json.max).toEqual([[T0, 3100], [T0 + 30_000, 3200]]);
  });

  it('device per minute from the minute rollup, gaps as null', async () => {
    const r = await get(`scope=device:M-01-01&metric=power_w&from=${T0}&to=${T0 + 180_000}&step=1m`);
    expect(r.json.source).toBe('minute');
    // minute 0: (3000 + 3100 + 3200) / 3 = 3100; minute 1: no data; minute 2: 2000
    expect(r.json.points).toEqual([[T0, 3100], [T0 + 60_000, null], [T0 + 120_000, 2000]]);
    expect(r.json.min).toEqual([[T0, 3000], [T0 + 60_000, null], [T0 + 120_000, 2000]]);
  });

  it('device per hour from the hour rollup', async () => {
    const r = await get(`scope=device:M-01-01&metric=power_w&from=${new Date(T0).toISOString()}&to=${T0 + 2 * H}&step=1h`);
    expect(r.json.source).toBe('hour');
    // (3000 + 3100 + 3200 + 2000) / 4 = 2825
    expect(r.json.points).toEqual([[T0, 2825], [T0 + H, null]]);
  });

  it('rack: minute table for a 5 min step, hour table for a 1 h step; never raw', async () => {
    const m = await get(`scope=rack:M-01&metric=power_w&from=${T0}&to=${T0 + 10 * 60_000}&step=5m`);
    expect(m.json.source).toBe('minute');
    // minute 0 (600/6) and minute 2 (1200/6) fall in the first 5 minutes: 1800/12 = 150
    expect(m.json.points).toEqual([[T0, 150], [T0 + 300_000, null]]);
    expect(m.json.min).toEqual([[T0, 99], [T0 + 300_000, null]]);
    const h = await get(`scope=rack:M-01&metric=power_w&from=${T0}&to=${T0 + 3 * H}&step=1h`);
    expect(h.json.source).toBe('hour');
    expect(h.json.points).toEqual([[T0, 999], [T0 + H, null], [T0 + 2 * H, 999]]);
    const fine = await get(`scope=rack:M-01&metric=power_w&from=${T0}&to=${T0 + 120_000}&step=10s`);
    expect(fine.json.source).toBe('minute');
    expect(fine.json.step_ms).toBe(60_000);
  });

  it('site PUE is facility ÷ IT energy, energy in kWh per step', async () => {
    const p = await get(`scope=site&metric=pue&from=${T0}&to=${T0 + H}&step=1h`);
    expect(p.json.points).toEqual([[T0, 1.5]]);
    const e = await get(`scope=site&metric=energy_kwh&from=${T0}&to=${T0 + H}&step=1h`);
    expect(e.json.points).toEqual([[T0, 10]]);
    expect(e.json.min).toBeUndefined();
  });

  it('site and hall metrics by their live figure names (it_power_w, worst_inlet_c), the old names too', async () => {
    const at = (q: string) => get(`${q}&from=${T0}&to=${T0 + 60_000}&step=1m`);
    const expected: [string, number][] = [
      ['scope=site&metric=it_power_w', 52_000], ['scope=site&metric=power_w', 52_000],
      ['scope=site&metric=worst_inlet_c', 26.5], ['scope=site&metric=inlet_temp_c', 26.5],
      ['scope=site&metric=facility_power_w', 65_000], ['scope=site&metric=hashrate_ths', 600],
      ['scope=site&metric=gpu_util_pct', 80], ['scope=hall:M&metric=it_power_w', 11_000],
      ['scope=hall:M&metric=worst_inlet_c', 24], ['scope=rack:M-01&metric=inlet_temp_c', 22],
      ['scope=rack:M-01&metric=outlet_temp_c', 35],
    ];
    for (const [q, v] of expected) {
      const r = await at(q);
      expect(r.status, q).toBe(200);
      expect(r.json.points, q).toEqual([[T0, v]]);
    }
    // the minute's instantaneous PUE values are there as extremes (1.25 ± 1 as inserted)
    expect((await at('scope=site&metric=pue')).status).toBe(200);
    // a rack has no worst_inlet_c: its figure is inlet_temp_c
    expect((await at('scope=rack:M-01&metric=worst_inlet_c')).json.param).toBe('metric');
  });

  it('a device metric that is not rolled up: from raw within raw retention, else 400 naming it', async () => {
    const r = await get(`scope=device:M-01-01&metric=fan_rpm&from=${T0}&to=${T0 + 120_000}&step=1m`);
    expect(r.status).toBe(200);
    expect(r.json.source).toBe('raw');
    // minute 0: 6000 only: the 15 s reading was sent again without fan_rpm and replaced the row (last
    // wins), so its 6300 is gone; minute 1: nothing
    expect(r.json.points).toEqual([[T0, 6000], [T0 + 60_000, null]]);
    expect(r.json.max).toEqual([[T0, 6000], [T0 + 60_000, null]]);
    const old = await get(`scope=device:M-01-01&metric=fan_rpm&from=${T0 - 50 * H}&to=${T0}&step=1h`);
    expect(old.status).toBe(400);
    expect(old.json.param).toBe('metric');
    expect(old.json.error).toMatch(/^metric: fan_rpm of a asic is not kept beyond raw retention \(48 h\)/);
    // a rolled-up metric over the same range answers from the hour rollup
    const kept = await get(`scope=device:M-01-01&metric=power_w&from=${T0 - 50 * H}&to=${T0 + H}&step=1h`);
    expect(kept.status).toBe(200);
    expect(kept.json.source).toBe('hour');
    expect((kept.json.points as unknown[][]).at(-1)).toEqual([T0, 2825]);
  });

  it('defaults: the last hour in about 300 points', async () => {
    const r = await get('scope=site&metric=power_w');
    expect(r.status).toBe(200);
    expect(r.json.to as number - (r.json.from as number)).toBe(H);
    expect(r.json.step_ms).toBe(60_000); // 12 s asked, a site is kept per minute at the finest
  });

  it('400 naming the parameter for bad input', async () => {
    const cases: [string, string][] = [
      ['metric=power_w', 'scope'],
      ['scope=rack:NOPE&metric=power_w', 'scope'],
      ['scope=planet&metric=power_w', 'scope'],
      ['scope=device:M-01-01&metric=util_pct', 'metric'],
      ['scope=site&metric=chip_temp_c', 'metric'],
      [`scope=site&metric=power_w&from=${T0 + 1}&to=${T0}`, 'from'],
      ['scope=site&metric=power_w&from=yesterday', 'from'],
      [`scope=device:M-01-01&metric=power_w&from=${T0}&to=${T0 + 30 * 86_400_000}&step=1s`, 'step'],
      ['scope=site&metric=power_w&step=soon', 'step'],
    ];
    for (const [q, param] of cases) {
      const r = await get(q);
      expect(r.status, q).toBe(400);
      expect(r.json.param, q).toBe(param);
      expect(r.json.error as string, q).toMatch(new RegExp(`^${param}: `));
    }
  });
});
