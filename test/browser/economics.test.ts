// Issue 16 on the wall: the economics page in Debian's chromium against the built server on a site of our
// own, whose market price we push: a price 20 minutes old shows STALE (and is not replaced by the configured
// fallback), a fresh one clears it; the tiles and a cap bar per hall are there, in wall-sized type. And the
// money formatting, in node.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import type { EconomicsFigures } from '../../server/core/types.js';
import { formatUsd, formatUsdPerH, formatUsdPerMwh, priceSourceText } from '../../client/src/money.js';
import { freePort } from '../helpers/net.js';
import { SMALL_SITE_YAML, TOKEN } from '../helpers/site.js';

const ROOT = join(import.meta.dirname, '..', '..');
const CLI = join(ROOT, 'dist', 'server', 'cli.js');
const CHROMIUM = '/usr/bin/chromium';
const NB = '\u202f';
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('money on the wall', () => {
  it('formats dollars, per hour and per MWh, with a real minus and a dash for unknown', () => {
    expect(formatUsd(12.345)).toBe('$12.35');
    expect(formatUsd(1234.4)).toBe('$1,234');
    expect(formatUsd(-12_345)).toBe('\u2212$12.3k');
    expect(formatUsd(2_500_000)).toBe('$2.50M');
    expect(formatUsd(null)).toBe('—');
    expect(formatUsdPerH(327.4)).toBe('$327/h');
    expect(formatUsdPerMwh(110.19)).toBe(`$110${NB}/MWh`);
    expect(formatUsdPerMwh(-275.1)).toBe(`\u2212$275${NB}/MWh`);
    expect(formatUsdPerMwh(undefined)).toBe('—');
  });

  it('says where the price came from, and STALE when it is', () => {
    const e = { energy_source: 'market', energy_market: 'GRID', energy_age_s: 1200, energy_stale: true } as EconomicsFigures;
    expect(priceSourceText(e)).toBe(`STALE · GRID · 20${NB}min old`);
    expect(priceSourceText({ ...e, energy_stale: false, energy_age_s: 3 })).toBe(`GRID · 3${NB}s old`);
    expect(priceSourceText({ ...e, energy_source: 'time_of_use' })).toBe('time-of-use price (config)');
    expect(priceSourceText({ ...e, energy_source: null })).toBe('no price: no market, no fallback');
  });
});

describe('the economics page in chromium', () => {
  let dir = '';
  let base = '';
  let child: ChildProcess | null = null;
  let log = '';
  let browser: Browser;
  let page: Page;
  const errors: string[] = [];

  const push = async (readings: unknown[]) => {
    const res = await fetch(`${base}/api/v1/ingest`, {
      method: 'POST', headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' }, body: JSON.stringify({ readings }),
    });
    expect(res.status, await res.clone().text()).toBe(200);
  };
  const site = (ts: number) => [
    ...['M-01-01', 'M-01-02', 'M-01-03'].map((device) => ({ device, ts, metrics: { hashrate_ths: 200, power_w: 3500 } })),
    { device: 'M-01-pdu', ts, metrics: { power_w: 10_600 } },
    { device: 'G-01-n1/gpu0', ts, metrics: { util_pct: 95, power_w: 680 } },
    { device: 'G-01-n1/gpu1', ts, metrics: { util_pct: 0, power_w: 90 } },
    { device: 'FAC', ts, metrics: { power_w: 13_380 } },
  ];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'fw-econ-'));
    const config = join(dir, 'site.yaml');
    writeFileSync(config, `${SMALL_SITE_YAML}
markets:
  - { id: GRID, stale_after_s: 900 }
economics:
  timezone: UTC
  energy_price_usd_per_mwh: 40
  ai:
    - { hall: G, usd_per_gpu_hour: 2.5, billing: allocated }
power:
  site_cap_kw: 16
  halls: { M: 11, G: 2 }
`);
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    child = spawn(process.execPath, [CLI, 'serve', '--config', config, '--port', String(port), '--host', '127.0.0.1', '--db', join(dir, 'fw.db')], {
      cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout?.on('data', (b: Buffer) => { log += b.toString(); });
    child.stderr?.on('data', (b: Buffer) => { log += b.toString(); });
    const deadline = Date.now() + 30_000;
    for (;;) {
      if (child.exitCode !== null || Date.now() > deadline) throw new Error(`server did not start:\n${log}`);
      try {
        if ((await fetch(`${base}/readyz`)).ok) break;
      } catch {
        // not listening yet
      }
      await sleep(100);
    }
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
    page = await browser.newPage({ viewport: { width: 1920, height: 1080 } });
    page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
    page.on('pageerror', (e) => errors.push(e.message));
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    if (child && child.exitCode === null) {
      const exited = new Promise((r) => child!.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    }
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('a stale market price shows STALE, in the crit colour, still the market’s price; a fresh one clears it', async () => {
    const now = Date.now();
    await push([...site(now), { device: 'GRID', ts: now - 20 * 60_000, metrics: { energy_price_usd_per_mwh: 62, btc_usd: 100_000, network_difficulty: 150e12, fees_btc_per_block: 0.03 } }]);
    await page.goto(`${base}/?view=economics`);
    await page.waitForFunction(() => /STALE/.test(document.querySelector('[data-tile="energy_price"] .tile-sub')?.textContent ?? ''), null, { timeout: 10_000 });
    expect(await page.textContent('[data-tile="energy_price"] .tile-value')).toBe(`$62${NB}/MWh`); // not the $40 fallback
    expect(await page.textContent('[data-tile="energy_price"] .tile-sub')).toMatch(/^STALE · GRID · 20\u202fmin old$/);
    expect(await page.getAttribute('[data-tile="energy_price"]', 'data-level')).toBe('crit');

    await push([...site(Date.now()), { device: 'GRID', metrics: { energy_price_usd_per_mwh: 75, btc_usd: 100_000, network_difficulty: 150e12, fees_btc_per_block: 0.03 } }]);
    await page.waitForFunction(() => document.querySelector('[data-tile="energy_price"] .tile-value')?.textContent?.startsWith('$75'), null, { timeout: 10_000 });
    expect(await page.textContent('[data-tile="energy_price"] .tile-sub')).toMatch(/^GRID · \d+\u202fs old$/);
    expect(await page.getAttribute('[data-tile="energy_price"]', 'data-level')).toBe('ok');
  }, 60_000);

  it('shows mining against AI per MWh, the margin today, and a cap bar per hall, in wall-sized type', async () => {
    // Mining: 600 TH/s × $0.0423118/TH/day ÷ 24 = $1.0578/h on 10.6 kW of racks: $99.79/MWh. AI: 2 GPUs allocated × $2.50 on 770 W.
    expect(await page.textContent('[data-tile="mining_per_mwh"] .tile-value')).toBe(`$100${NB}/MWh`);
    expect(await page.textContent('[data-tile="ai_per_mwh"] .tile-value')).toBe(`$6,494${NB}/MWh`);
    await page.waitForFunction(() => /\$/.test(document.querySelector('[data-tile="margin_today"] .tile-value')?.textContent ?? ''), null, { timeout: 10_000 });
    // The site meter reads 13.38 kW of a 16 kW cap: 84 %; hall M (no meter) 10.6 kW of IT against 11 kW.
    expect(await page.textContent('[data-cap="site"] .cap-text')).toBe(`13.4${NB}kW of 16.0${NB}kW · 84${NB}%`);
    expect(await page.textContent('[data-cap="M"] .cap-text')).toBe(`10.6${NB}kW of 11.0${NB}kW · 96${NB}% (IT)`);
    expect(await page.getAttribute('[data-cap="M"]', 'data-level')).toBe('warn');
    const widthPct = await page.$eval('[data-cap="M"] .cap-fill', (el) => (el as HTMLElement).getBoundingClientRect().width / (el.parentElement as HTMLElement).getBoundingClientRect().width);
    expect(widthPct).toBeCloseTo(10.6 / 11, 2);
    expect(await page.isVisible('[data-cap="G"] .cap-track')).toBe(true);
    const small = await page.evaluate(() => Array.from(document.querySelectorAll('.economics-view *'))
      .filter((el) => Array.from(el.childNodes).some((n) => n.nodeType === Node.TEXT_NODE && (n.textContent ?? '').trim() !== ''))
      .map((el) => ({ text: (el.textContent ?? '').slice(0, 40), px: parseFloat(getComputedStyle(el).fontSize) }))
      .filter((x) => x.px < 24));
    expect(small).toEqual([]);
    expect(errors).toEqual([]);
  }, 30_000);
});
