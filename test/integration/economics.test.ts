// Issue 16 end to end: a real server on a free port with SQLite on a temp file; market readings pushed
// through /api/v1/ingest like any device's; the economics and power figures read back from the API, the
// socket, /metrics (promtool clean) and history.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { io, type Socket } from 'socket.io-client';
import { next } from '../helpers/socket.js';
import { startServer, type RunningServer } from '../../server/server.js';
import type { LiveSnapshot, LiveUpdate, SiteFigures, HallFigures } from '../../server/core/types.js';
import { post, SMALL_SITE_YAML, smallSite, tempDir } from '../helpers/site.js';

const YAML = `${SMALL_SITE_YAML}
markets:
  - { id: GRID, stale_after_s: 900 }
economics:
  timezone: UTC
  energy_price_usd_per_mwh: 40
  pool_fee_pct: 2
  ai:
    - { hall: G, usd_per_gpu_hour: 2.5, billing: allocated }
power:
  site_cap_kw: 16
  halls: { M: 11 }
`;
// 0.0423118472 $/TH/s/day (difficulty 150 T, 0.03 BTC fees, $100,000) × 600 TH/s ÷ 24 × 0.98
const MINING_USD_PER_H = (600 * 0.0423118472 * 0.98) / 24;


describe('economics against a real server', () => {
  const t = tempDir();
  let s: RunningServer;
  let socket: Socket | undefined;

  const pushSite = async (price: number) => {
    const r = await post(`${s.url}/api/v1/ingest`, {
      readings: [
        ...['M-01-01', 'M-01-02', 'M-01-03'].map((device) => ({ device, metrics: { hashrate_ths: 200, power_w: 3500 } })),
        { device: 'M-01-pdu', metrics: { power_w: 10_600 } },
        { device: 'G-01-n1/gpu0', metrics: { util_pct: 95, power_w: 680 } },
        { device: 'G-01-n1/gpu1', metrics: { util_pct: 0, power_w: 90 } },
        { device: 'FAC', metrics: { power_w: 13_380 } },
        { device: 'GRID', metrics: { energy_price_usd_per_mwh: price, btc_usd: 100_000, network_difficulty: 150e12, fees_btc_per_block: 0.03 } },
      ],
    });
    expect(r.status).toBe(200);
    expect(r.json).toEqual({ accepted: 8, rejected: [] });
  };

  beforeAll(async () => {
    s = await startServer({ model: smallSite(YAML), dbPath: join(t.dir, 'fw.db'), port: 0, host: '127.0.0.1', tickMs: 100, log: () => {}, rollupFlushMs: 100 });
    await s.restored;
  });
  afterAll(async () => {
    socket?.close();
    await s.close();
    t.cleanup();
  });

  it('a market price is validated like every reading: out of range is rejected by name, the good ones kept', async () => {
    const r = await post(`${s.url}/api/v1/ingest`, {
      readings: [
        { device: 'GRID', ts: Date.now() - 5000, metrics: { energy_price_usd_per_mwh: 1e9 } },
        { device: 'GRID', ts: Date.now() - 4000, metrics: { energy_price_usd_per_mwh: 41, btc_usd: 100_000 } },
      ],
    });
    expect(r.status).toBe(200);
    expect(r.json.accepted).toBe(1);
    expect(JSON.stringify(r.json.rejected)).toMatch(/energy_price_usd_per_mwh/);
  });

  it('the API, the socket and /metrics carry the figures of the pushed prices', async () => {
    socket = io(`${s.url}/live`, { transports: ['websocket'], forceNew: true });
    await next<LiveSnapshot>(socket, 'snapshot');
    await pushSite(60);
    const upd = await next<LiveUpdate>(socket, 'update', (u) => u.site?.economics?.energy_price_usd_per_mwh === 60);
    const e = upd.site!.economics!;
    expect(e).toMatchObject({ energy_source: 'market', energy_market: 'GRID', energy_stale: false, hashprice_source: 'computed', ai_revenue_usd_per_h: 5 });
    expect(e.energy_age_s).toBeLessThan(5);
    expect(e.mining_revenue_usd_per_h).toBeCloseTo(MINING_USD_PER_H, 9);
    expect(e.energy_cost_usd_per_h).toBeCloseTo(0.01338 * 60, 9);
    expect(upd.site!.power_budget).toMatchObject({ cap_w: 16_000, load_w: 13_380, headroom_w: 2620, load_basis: 'meter' });
    const hallUpd = upd.halls ?? (await next<LiveUpdate>(socket, 'update', (u) => u.halls !== undefined)).halls!;
    expect(hallUpd.find((h) => h.id === 'M')?.power_budget?.cap_w).toBe(11_000);

    const site = (await (await fetch(`${s.url}/api/v1/site`)).json()) as { figures: { site: SiteFigures; halls: HallFigures[] } };
    expect(site.figures.site.economics?.margin_usd_per_h).toBeCloseTo(MINING_USD_PER_H + 5 - 0.8028, 6);
    expect(site.figures.halls.find((h) => h.id === 'G')?.economics?.ai_revenue_usd_per_h).toBe(5);

    const text = await (await fetch(`${s.url}/metrics`)).text();
    expect(text).toMatch(/^floorwatch_site_energy_price_usd_per_mwh 60$/m);
    expect(text).toMatch(/^floorwatch_site_power_cap_watts 16000$/m);
    expect(text).toMatch(/^floorwatch_hall_power_cap_watts\{hall="M"\} 11000$/m);
    expect(text).toMatch(/^floorwatch_hall_revenue_usd_per_hour\{hall="G",load="ai"\} 5$/m);
    const mining = /^floorwatch_hall_revenue_usd_per_hour\{hall="M",load="mining"\} (\S+)$/m.exec(text);
    expect(Number(mining?.[1])).toBeCloseTo(MINING_USD_PER_H, 9);
    // Hall M has no meter and no assumed PUE: its energy cost is unknown, so no series (never 0).
    expect(text).not.toMatch(/^floorwatch_hall_energy_cost_usd_per_hour\{hall="M"\}/m);
    expect(text).toMatch(/^# TYPE floorwatch_hall_energy_cost_usd_per_hour gauge$/m);
    const r = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
    expect(r.error, 'promtool (Debian package prometheus) must be installed').toBeUndefined();
    expect(`${r.stdout}${r.stderr}`.trim()).toBe('');
    expect(r.status).toBe(0);
  });

  it('a new price moves the figures; history holds the price and today’s dollars', async () => {
    await pushSite(300);
    await new Promise((res) => setTimeout(res, 400));
    const site = (await (await fetch(`${s.url}/api/v1/site`)).json()) as { figures: { site: SiteFigures } };
    const e = site.figures.site.economics!;
    expect(e.energy_price_usd_per_mwh).toBe(300);
    expect(e.energy_cost_usd_per_h).toBeCloseTo(0.01338 * 300, 9);
    expect(e.today.energy_cost_usd).toBeGreaterThan(0);
    expect(e.today.day_start).toBe(Math.floor(site.figures.site.ts / 86_400_000) * 86_400_000); // UTC site: UTC midnight
    const now = Date.now();
    const q = (metric: string) => fetch(`${s.url}/api/v1/history?scope=site&metric=${metric}&from=${now - 120_000}&to=${now + 60_000}&step=1m`).then((x) => x.json()) as Promise<{ points: [number, number | null][] }>;
    const price = await q('energy_price_usd_per_mwh');
    const seen = price.points.map((p) => p[1]).filter((v): v is number => v !== null);
    expect(seen.length).toBeGreaterThan(0);
    expect(Math.max(...seen)).toBeGreaterThan(60);
    expect(Math.max(...seen)).toBeLessThanOrEqual(300);
    const cost = await q('energy_cost_usd');
    const dollars = cost.points.reduce((sum, p) => sum + (p[1] ?? 0), 0);
    expect(dollars).toBeGreaterThan(0);
    expect(dollars).toBeCloseTo(e.today.energy_cost_usd, 2);
    const cap = await q('power_cap_w');
    expect(cap.points.some((p) => p[1] === 16_000)).toBe(true);
    const bad = await fetch(`${s.url}/api/v1/history?scope=rack:M-01&metric=energy_cost_usd&from=0&to=1`);
    expect(bad.status).toBe(400);
  });
});
