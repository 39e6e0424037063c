// The connectivity panel at wall size (issue 19), in Debian's chromium against the built server with a
// site of two push-fed uplinks and a UPS: the rows read at 24 px or more and are not cut off, a UPS on
// battery turns its row red, and with every uplink down one line across the page says so.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromium, type Browser, type Page } from 'playwright-core';
import { freePort, waitForHttp } from '../helpers/net.js';

const ROOT = join(import.meta.dirname, '..', '..');
const CLI = join(ROOT, 'dist', 'server', 'cli.js');
const TOKEN = 'wall-token';

const SITE = `
site: { name: Connectivity wall }
halls:
  - id: H
    racks:
      - { id: R1, row: 1, col: 1, rated_kw: 20, devices: [{ id: UPS-A, kind: ups }, { id: R1-pdu, kind: pdu }] }
links:
  - { id: WAN-FIBRE, capacity_bps: 10000000000 }
  - { id: WAN-LTE, capacity_bps: 100000000 }
auth:
  ingest_tokens: [{ name: t, token: ${TOKEN} }]
`;

async function push(base: string, readings: unknown[]): Promise<void> {
  const r = await fetch(`${base}/api/v1/ingest`, {
    method: 'POST', headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' }, body: JSON.stringify({ readings }),
  });
  expect(r.status).toBe(200);
}

describe('the connectivity panel on the wall', () => {
  let dir = '';
  let child: ChildProcess | undefined;
  let browser: Browser;
  let page: Page;
  let base = '';

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'fw-conn-'));
    writeFileSync(join(dir, 'site.yaml'), SITE);
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    child = spawn(process.execPath, [CLI, 'serve', '--config', join(dir, 'site.yaml'), '--port', String(port), '--host', '127.0.0.1', '--db', join(dir, 'fw.db')], { cwd: ROOT, stdio: 'ignore' });
    await waitForHttp(`${base}/healthz`);
    browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox', '--disable-gpu'] });
    page = await browser.newPage({ viewport: { width: 1920, height: 1080 } });
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

  /** Each row's and the banner's font size and whether its text overflows its box. */
  const audit = (): Promise<{ text: string; px: number; clipped: boolean }[]> => page.evaluate(() =>
    Array.from(document.querySelectorAll<HTMLElement>('.conn-row span, .connectivity h2, .uplinks-down-text'))
      .filter((e) => e.getBoundingClientRect().width > 0)
      .map((e) => {
        const box = e.closest<HTMLElement>('.panel, .uplinks-down')!.getBoundingClientRect();
        const r = e.getBoundingClientRect();
        return {
          text: e.textContent ?? '', px: parseFloat(getComputedStyle(e).fontSize),
          clipped: e.scrollWidth > e.clientWidth + 1 || r.right > box.right + 1 || r.left < box.left - 1,
        };
      }));

  it('shows the uplinks against capacity and the UPS, legibly', async () => {
    await push(base, [
      { device: 'WAN-FIBRE', metrics: { oper_up: 1, rx_bps: 4.2e9, tx_bps: 1e9 } },
      { device: 'WAN-LTE', metrics: { oper_up: 1, rx_bps: 9e7, tx_bps: 1e7 } },
      { device: 'UPS-A', metrics: { on_battery: 1, battery_charge_pct: 71, battery_runtime_s: 1200 } },
    ]);
    await page.goto(`${base}/?view=site`);
    await page.waitForSelector('[data-conn="ups:UPS-A"]', { timeout: 15_000 });
    expect(await page.textContent('[data-conn="link:WAN-FIBRE"] .conn-text')).toBe('4.20\u202fGbit/s of 10.0\u202fGbit/s');
    // 90 of 100 Mbit/s: past the 80 % band
    expect(await page.getAttribute('[data-conn="link:WAN-LTE"]', 'data-level')).toBe('warn');
    expect(await page.textContent('[data-conn="ups:UPS-A"] .conn-text')).toBe('ON BATTERY · 71\u202f% · 20\u202fmin left');
    expect(await page.getAttribute('[data-conn="ups:UPS-A"]', 'data-level')).toBe('crit');
    expect(await page.isHidden('[data-uplinks-down]')).toBe(true);
    const a = await audit();
    expect(a.length).toBeGreaterThanOrEqual(7);
    expect(a.filter((x) => x.px < 24 || x.clipped)).toEqual([]);
  });

  it('says in one line across the page when every uplink is down', async () => {
    await push(base, [
      { device: 'WAN-FIBRE', metrics: { oper_up: 0 } },
      { device: 'WAN-LTE', metrics: { oper_up: 0 } },
    ]);
    await page.waitForSelector('[data-uplinks-down]:not([hidden])', { timeout: 10_000 });
    expect(await page.textContent('[data-uplinks-down]')).toBe('✖ ALL 2 UPLINKS DOWN: the site is offline');
    const a = await audit();
    const line = a.find((x) => x.text.startsWith('✖ ALL'))!;
    expect(line.px).toBeGreaterThanOrEqual(36);
    expect(a.filter((x) => x.px < 24 || x.clipped)).toEqual([]);
    expect(await page.evaluate(() => document.documentElement.scrollHeight <= window.innerHeight)).toBe(true);
    await page.screenshot({ path: join(ROOT, 'test-output', 'screenshots', 'site-uplinks-down-1920x1080.png') });
  });
});
