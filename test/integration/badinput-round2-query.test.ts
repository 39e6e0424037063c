// Issue 11, cases 3, 4 and 5: a history query whose cost is the range asked for rather than what is
// stored; a reading stamped ahead of the server clock that froze a device's live view; a duplicate
// (device, ts) that the store replaced while the live view merged it.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { io, type Socket } from 'socket.io-client';
import { startServer, type RunningServer } from '../../server/server.js';
import type { DeviceStatus, MetricName, RackDevicesUpdate } from '../../server/core/types.js';
import { METRICS_BY_KIND } from '../../server/core/types.js';
import { registerScopes, SCOPE_METRIC_CODE } from '../../server/store/rollups.js';
import { HEALTHZ_MAX_MS, watchHealthz } from '../helpers/health.js';
import { post, SMALL_SITE_YAML, smallSite, tempDir } from '../helpers/site.js';

const MIN = 60_000;
const H = 3_600_000;
const DAY = 86_400_000;

const start = (dbPath: string, yaml = SMALL_SITE_YAML) =>
  startServer({ model: smallSite(yaml), dbPath, port: 0, host: '127.0.0.1', log: () => {}, collectors: false, tickMs: 200 });

const device = async (s: RunningServer, id: string): Promise<DeviceStatus> => {
  const res = await fetch(`${s.url}/api/v1/devices/${encodeURIComponent(id)}`);
  expect(res.status).toBe(200);
  return (await res.json()) as DeviceStatus;
};

describe('case 3: a history query costs what it scans, never the range it names', () => {
  const t = tempDir();
  let s: RunningServer;
  const now = Date.now();
  // the last 2 hours of one miner, through the real ingest (raw rows, device minute and hour rollups)
  const T0 = Math.floor((now - 2 * H) / H) * H;

  beforeAll(async () => {
    // A site that keeps ten years of device minute and hour rollups: the bound must hold whatever
    // retention allows, not only with the defaults.
    s = await start(join(t.dir, 'h.db'), `${SMALL_SITE_YAML}\nretention: { device_minute_days: 3650, hour_days: 3650, minute_days: 3650 }\n`);
    const readings = [];
    for (let ts = T0; ts < now - MIN; ts += 30_000) readings.push({ device: 'M-01-01', ts, metrics: { power_w: 3000 + (ts % 7), hashrate_ths: 200 } });
    expect((await post(`${s.url}/api/v1/ingest`, { readings })).status).toBe(200);
    // and data from four years ago, as a long-running site would hold: one device minute and hour
    // row, one rack minute and hour row
    const key = s.db.prepare('SELECT id FROM devices WHERE name = ?').pluck().get('M-01-01') as number;
    const old = Math.floor((now - 1500 * DAY) / H) * H;
    s.db.prepare('INSERT INTO rollup_asic_minute (bucket, device, n, power_w_sum, power_w_cnt, power_w_min, power_w_max) VALUES (?, ?, 1, 2500, 1, 2500, 2500)').run(old, key);
    s.db.prepare('INSERT INTO rollup_asic_hour (bucket, device, n, power_w_sum, power_w_cnt, power_w_min, power_w_max) VALUES (?, ?, 1, 2500, 1, 2500, 2500)').run(old, key);
    // and another miner's minute rows, 120,000 of them: the range is too large for a scan of every
    // device's rows, so a device series there is a walk of its buckets
    const key2 = s.db.prepare('SELECT id FROM devices WHERE name = ?').pluck().get('M-01-02') as number;
    s.db.prepare(`WITH RECURSIVE b(t) AS (VALUES (?) UNION ALL SELECT t + ${MIN} FROM b LIMIT 120000)
      INSERT INTO rollup_asic_minute (bucket, device, n, power_w_sum, power_w_cnt, power_w_min, power_w_max) SELECT t, ?, 1, 3000, 1, 3000, 3000 FROM b`)
      .run(Math.floor((now - 1400 * DAY) / MIN) * MIN, key2);
    const scopes = registerScopes(s.db, ['rack:M-01']);
    for (const g of ['minute', 'hour']) {
      s.db.prepare(`INSERT INTO rollup_scope_${g} (scope, metric, bucket, sum, cnt, vmin, vmax) VALUES (?, ?, ?, 600, 6, 99, 101)`)
        .run(scopes.get('rack:M-01'), SCOPE_METRIC_CODE.get('power_w'), old);
    }
  });
  afterAll(async () => {
    await s?.close();
    t.cleanup();
  });

  const get = async (q: string) => {
    const t0 = performance.now();
    const res = await fetch(`${s.url}/api/v1/history?${q}`);
    const json = (await res.json()) as Record<string, unknown>;
    return { status: res.status, json, ms: performance.now() - t0 };
  };

  it('rejects a negative or absurd from/to with 400 naming the field', async () => {
    const cases: [string, string][] = [
      ['scope=site&metric=power_w&from=-1', 'from'],
      [`scope=device:M-01-01&metric=power_w&from=-${30 * DAY}&to=${now}&step=1d`, 'from'],
      ['scope=site&metric=power_w&from=0&to=-5', 'to'],
      ['scope=site&metric=power_w&from=0&to=99999999999999999999', 'to'],
      ['scope=site&metric=power_w&from=99999999999999999999', 'from'],
    ];
    for (const [q, param] of cases) {
      const r = await get(q);
      expect(r.status, q).toBe(400);
      expect(r.json.param, q).toBe(param);
      expect(r.json.error as string, q).toMatch(new RegExp(`^${param}: `));
    }
  });

  it('whole-history queries answer within tens of ms (or 400 naming the limit) and /healthz keeps answering', async () => {
    const watch = watchHealthz(s.url);
    const seen: { q: string; status: number; ms: number; json: Record<string, unknown> }[] = [];
    const queries = [
      // minute tier over 56 years: 9.5 s of bucket walking before
      'scope=device:M-01-01&metric=power_w&from=0&step=4321m',
      // hour tier over 56 years (the default step for from=0 is a whole number of days)
      'scope=device:M-01-01&metric=power_w&from=0',
      `scope=device:M-01-01&metric=power_w&from=${now - 3650 * DAY}`,
      `scope=device:M-01-01&metric=power_w&from=${now - 3650 * DAY}&step=1441m`,
      'scope=rack:M-01&metric=power_w&from=0&step=4321m',
      'scope=site&metric=power_w&from=0',
      // raw samples: a device below a minute over all it could hold
      `scope=device:M-01-01&metric=power_w&from=0&to=${now}&step=30s`,
    ];
    try {
      // the prober's own first connection is not the server's time
      await new Promise((r) => setTimeout(r, 200));
      for (let round = 0; round < 3; round++) {
        for (const q of queries) {
          const r = await get(q);
          if (round === 0) seen.push({ q, ...r });
          else expect(r.status, q).toBe(seen.find((x) => x.q === q)!.status);
        }
      }
    } finally {
      const h = await watch.stop();
      expect(h.failures).toEqual([]);
      expect(h.count).toBeGreaterThan(0);
      expect(h.max_ms).toBeLessThan(HEALTHZ_MAX_MS);
    }
    for (const r of seen) {
      // a few tens of ms of work each; the rest is HTTP on a shared 2-core machine
      expect(r.ms, `${r.q}: ${r.ms.toFixed(0)} ms`).toBeLessThan(250);
      if (r.status === 400) {
        // too much to scan: the answer says which parameter and the limit
        expect(['from', 'step'], r.q).toContain(r.json.param);
        expect(r.json.error as string, r.q).toMatch(/at most \d/);
      } else {
        expect(r.status, r.q).toBe(200);
      }
    }
    // the hour-tier whole-history answer still holds the data: today's and four years ago's
    const all = seen[1];
    expect(all.status).toBe(200);
    const values = (all.json.points as [number, number | null][]).filter(([, v]) => v !== null);
    expect(values.length).toBe(2);
    expect(values[0][1]).toBe(2500);
    expect(values[1][1]).toBeGreaterThan(2999);
    // 2.16 M minute buckets from four years ago to now, and more rows than a scan may read: 400
    expect(seen[0].status).toBe(400);
    expect(seen[0].json.param).toBe('from');
    expect(seen[0].json.error).toMatch(/^from: a query may scan at most 50,000 minute buckets of one device/);
    expect(seen[6].status).toBe(400); // 10,000 points at most: a raw range over 56 years is too many
  });

  it('a normal query gives the same answer as before (data from the raw rows)', async () => {
    const r = await get(`scope=device:M-01-01&metric=power_w&from=${T0}&to=${T0 + 2 * MIN}&step=1m`);
    expect(r.status).toBe(200);
    expect(r.json.source).toBe('minute');
    const p = r.json.points as [number, number][];
    expect(p.map(([ts]) => ts)).toEqual([T0, T0 + MIN]);
    expect(p[0][1]).toBeCloseTo(3000 + ((T0 % 7) + ((T0 + 30_000) % 7)) / 2, 6);
  });
});

describe('case 4: a reading stamped ahead of the server clock does not freeze the live view', () => {
  const t = tempDir();
  const dbPath = join(t.dir, 'f.db');
  let s: RunningServer;
  let socket: Socket | undefined;
  afterAll(async () => {
    socket?.close();
    await s?.close();
    t.cleanup();
  });

  const check = async (label: string) => {
    const d = await device(s, 'M-01-01');
    expect(d.metrics.hashrate_ths, label).toBe(201);
    expect(d.metrics.chains_ok, label).toBe(3);
    expect(d.health, label).toBe('up');
    expect(d.last_seen, label).not.toBeNull();
    expect(d.last_seen!, label).toBeLessThanOrEqual(Date.now());
  };

  it('later correct readings replace the future one (API, socket, health, last_seen); the store keeps both', async () => {
    s = await start(dbPath);
    const now = Date.now();
    const ahead = now + 4 * MIN; // inside the 5 min skew allowance: accepted
    const r1 = await post(`${s.url}/api/v1/ingest`, {
      readings: [{ device: 'M-01-01', ts: ahead, metrics: { hashrate_ths: 50, power_w: 3000, chains_ok: 1, chains_total: 3 } }],
    });
    expect(r1.json.accepted).toBe(1);
    await new Promise((r) => setTimeout(r, 20));
    for (const dt of [0, 10]) {
      const ts = Date.now() + dt - 10;
      const r = await post(`${s.url}/api/v1/ingest`, {
        readings: [{ device: 'M-01-01', ts, metrics: { hashrate_ths: 200 + dt / 10, power_w: 3500, chains_ok: 3, chains_total: 3 } }],
      });
      expect(r.json.accepted).toBe(1);
    }
    await check('API');
    const n = s.db.prepare('SELECT count(*) FROM samples_asic a JOIN devices d ON d.id = a.device WHERE d.name = ?').pluck().get('M-01-01');
    expect(n).toBe(3);

    socket = io(`${s.url}/live`, { transports: ['websocket'], forceNew: true });
    const rack = new Promise<RackDevicesUpdate>((resolve) => socket!.on('rack', (u: RackDevicesUpdate) => resolve(u)));
    socket.emit('subscribe', 'M-01');
    const u = await rack;
    const m = u.devices.find((d) => d.id === 'M-01-01')!;
    expect(m.metrics.hashrate_ths).toBe(201);
    expect(m.health).toBe('up');
    expect(m.last_seen!).toBeLessThanOrEqual(Date.now());
    socket.close();
    socket = undefined;
  });

  it('also after a restart, while the future stamp is still ahead of the clock', async () => {
    await s.close();
    s = await start(dbPath);
    await check('after restart');
    // and the next correct reading is shown at once
    const ts = Date.now();
    await post(`${s.url}/api/v1/ingest`, { readings: [{ device: 'M-01-01', ts, metrics: { hashrate_ths: 202, chains_ok: 3, chains_total: 3 } }] });
    const d = await device(s, 'M-01-01');
    expect(d.metrics.hashrate_ths).toBe(202);
    expect(d.last_seen).toBe(ts);
  });
});

describe('case 5: one rule for a duplicate (device, ts), in the store and in the live view', () => {
  const t = tempDir();
  const dbPath = join(t.dir, 'd.db');
  let s: RunningServer;
  afterAll(async () => {
    await s?.close();
    t.cleanup();
  });

  /**
   * The live view the store implies, by the documented rule: the newest stored row (the last arrival at
   * its ts replaced it whole), and for each metric it has no value for, the newest value of an older row
   * no more than stale_after (60 s) older. Only metrics with a value.
   */
  const storeView = (id: string): Partial<Record<MetricName, number>> => {
    const rows = s.db.prepare('SELECT a.* FROM samples_asic a JOIN devices d ON d.id = a.device WHERE d.name = ? ORDER BY ts DESC')
      .all(id) as Record<string, number | null>[];
    const out: Partial<Record<MetricName, number>> = {};
    if (rows.length === 0) return out;
    const newest = rows[0].ts as number;
    for (const row of rows) {
      if ((row.ts as number) < newest - 60_000) break;
      for (const m of METRICS_BY_KIND.asic) {
        const v = row[m];
        if (v !== null && v !== undefined && out[m] === undefined) out[m] = v;
      }
    }
    return out;
  };

  const liveMetrics = async (id: string) => {
    const d = await device(s, id);
    const out: Partial<Record<MetricName, number>> = {};
    for (const [k, v] of Object.entries(d.metrics)) if (v !== null && v !== undefined) out[k as MetricName] = v;
    return out;
  };

  it('a duplicate carrying fewer metrics replaces that reading, live as in the store, before and after a restart', async () => {
    s = await start(dbPath);
    const T = Date.now() - 5000;
    // M-01-02: an older full reading, then the latest reading, then that latest reading again with fewer metrics
    expect((await post(`${s.url}/api/v1/ingest`, { readings: [
      { device: 'M-01-02', ts: T - 15_000, metrics: { hashrate_ths: 190, power_w: 3400, fan_rpm: 6000 } },
      { device: 'M-01-02', ts: T, metrics: { hashrate_ths: 200, power_w: 3500, chip_temp_c: 70 } },
    ] })).json.accepted).toBe(2);
    expect((await post(`${s.url}/api/v1/ingest`, { readings: [{ device: 'M-01-02', ts: T, metrics: { hashrate_ths: 210 } }] })).json.accepted).toBe(1);
    // M-01-03: an integrator pushing hashrate and power in separate readings at different ts
    expect((await post(`${s.url}/api/v1/ingest`, { readings: [
      { device: 'M-01-03', ts: T - 2000, metrics: { hashrate_ths: 195 } },
      { device: 'M-01-03', ts: T, metrics: { power_w: 3450 } },
    ] })).json.accepted).toBe(2);

    // the store: the row at T was replaced whole (power_w and chip_temp_c now NULL)
    const row = s.db.prepare('SELECT hashrate_ths, power_w, chip_temp_c FROM samples_asic a JOIN devices d ON d.id = a.device WHERE d.name = ? AND ts = ?').get('M-01-02', T);
    expect(row).toEqual({ hashrate_ths: 210, power_w: null, chip_temp_c: null });

    const expected2 = { hashrate_ths: 210, power_w: 3400, fan_rpm: 6000 };
    const expected3 = { hashrate_ths: 195, power_w: 3450 };
    expect(storeView('M-01-02')).toEqual(expected2);
    expect(storeView('M-01-03')).toEqual(expected3);
    expect(await liveMetrics('M-01-02')).toEqual(expected2);
    expect(await liveMetrics('M-01-03')).toEqual(expected3);
    expect((await device(s, 'M-01-02')).last_seen).toBe(T);

    await s.close();
    s = await start(dbPath);
    expect(await liveMetrics('M-01-02')).toEqual(storeView('M-01-02'));
    expect(await liveMetrics('M-01-03')).toEqual(storeView('M-01-03'));
    expect(await liveMetrics('M-01-02')).toEqual(expected2);
    expect((await device(s, 'M-01-02')).last_seen).toBe(T);
  });
});
