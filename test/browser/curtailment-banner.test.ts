// The curtailment banner (issue 16) in Debian's chromium against the built demo server: an event posted
// through the API shows as a band the width of the screen with the target, the achieved kW and a running
// response clock, in text of at least 24 px like the rest of the wall, without scrollbars or clipped text;
// the mining racks on the hall's floor map read "curtailed"; a cancelled event's banner goes away.
// Screenshots land in test-output/screenshots/.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { freePort } from '../helpers/net.js';

const ROOT = join(import.meta.dirname, '..', '..');
const CLI = join(ROOT, 'dist', 'server', 'cli.js');
const CHROMIUM = '/usr/bin/chromium';
const SHOTS = join(ROOT, 'test-output', 'screenshots');
const MIN_TEXT_PX = 24;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('curtailment banner on the wall', () => {
  let dir = '';
  let base = '';
  let child: ChildProcess | null = null;
  let log = '';
  let browser: Browser;
  let page: Page;
  let id = '';
  const errors: string[] = [];

  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true });
    dir = mkdtempSync(join(tmpdir(), 'fw-curtail-'));
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    child = spawn(process.execPath, [CLI, 'serve', '--port', String(port), '--host', '127.0.0.1', '--db', join(dir, 'fw.db')], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout?.on('data', (b: Buffer) => { log += b.toString(); });
    child.stderr?.on('data', (b: Buffer) => { log += b.toString(); });
    const deadline = Date.now() + 30_000;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`server exited ${child.exitCode}:\n${log}`);
      try {
        if ((await fetch(`${base}/readyz`)).ok) break;
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline) throw new Error(`server not ready:\n${log}`);
      await sleep(100);
    }
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
    page = await browser.newPage({ viewport: { width: 1920, height: 1080 } });
    page.on('pageerror', (e) => errors.push(e.message));
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    if (child && child.exitCode === null) {
      const exited = new Promise<void>((r) => child!.once('exit', () => r()));
      child.kill('SIGTERM');
      await exited;
    }
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('no banner without an event', async () => {
    await page.goto(`${base}/?view=site`);
    await page.waitForFunction(() => /\d/.test(document.querySelector('[data-tile="it_power"] .tile-value')?.textContent ?? ''), null, { timeout: 20_000 });
    // The demo's own drill runs at :00 and :30 UTC for 5 min: at most its row is there, and none outside it.
    const rows = await page.$$eval('#curtailment-banner .curtail-row', (els) => els.map((e) => e.getAttribute('data-event') ?? ''));
    expect(rows.filter((r) => !r.startsWith('recurring:drill:'))).toEqual([]);
    if (rows.length === 0) expect(await page.isHidden('#curtailment-banner')).toBe(true);
  }, 30_000);

  it('an event posted through the API shows target, achieved and a running response clock, at wall size', async () => {
    const start = Date.now() + 1000;
    const res = await fetch(`${base}/api/v1/curtailments`, {
      method: 'POST', headers: { authorization: 'Bearer demo-token', 'content-type': 'application/json' },
      body: JSON.stringify({ scope: 'hall:M', target_reduction_kw: 540, start, end: start + 10 * 60_000, program: 'ERCOT ERS', note: 'browser test' }),
    });
    expect(res.status).toBe(201);
    id = ((await res.json()) as { curtailment: { id: string } }).curtailment.id;
    const row = `#curtailment-banner .curtail-row[data-event="${id}"]`;
    await page.waitForSelector(row, { state: 'visible', timeout: 10_000 });
    expect(await page.textContent(`${row} .curtail-scope`)).toBe('Mining hall · ERCOT ERS');
    expect(await page.textContent(`${row} [data-curtail="target"]`)).toBe('target 540\u202fkW');
    await page.waitForFunction((sel) => /^achieved \d/.test(document.querySelector(`${sel} [data-curtail="achieved"]`)?.textContent ?? ''), row, { timeout: 15_000 });
    const clock1 = await page.textContent(`${row} [data-curtail="response"]`);
    expect(clock1).toMatch(/^response clock \d+:\d\d$/);
    await sleep(2100);
    const clock2 = await page.textContent(`${row} [data-curtail="response"]`);
    expect(clock2).toMatch(/^response clock \d+:\d\d$/);
    expect(clock2).not.toBe(clock1);

    // The band spans the screen, every text in it is at least 24 px and none is cut off; no scrollbars.
    const audit = await page.evaluate(() => {
      const banner = document.getElementById('curtailment-banner')!;
      const small: string[] = [];
      const clipped: string[] = [];
      for (const el of Array.from(banner.querySelectorAll<HTMLElement>('span'))) {
        const px = parseFloat(getComputedStyle(el).fontSize);
        if (px < 24) small.push(`${el.textContent} ${px}`);
        if (el.scrollWidth > el.clientWidth + 1) clipped.push(el.textContent ?? '');
        const r = el.getBoundingClientRect();
        if (r.right > window.innerWidth + 1) clipped.push(`${el.textContent} past the right edge`);
      }
      return {
        width: banner.getBoundingClientRect().width, screen: window.innerWidth, small, clipped,
        scroll: document.documentElement.scrollWidth > window.innerWidth || document.documentElement.scrollHeight > window.innerHeight,
      };
    });
    expect(audit.width).toBe(audit.screen);
    expect(audit.small, `banner text under ${MIN_TEXT_PX} px`).toEqual([]);
    expect(audit.clipped).toEqual([]);
    expect(audit.scroll).toBe(false);
    await page.screenshot({ path: join(SHOTS, 'curtailment-site-1920x1080.png') });
  }, 40_000);

  it('the hall view shows the banner and the mining racks as curtailed', async () => {
    await page.goto(`${base}/?view=hall&hall=M`);
    await page.waitForSelector(`#curtailment-banner .curtail-row[data-event="${id}"]`, { state: 'visible', timeout: 10_000 });
    await page.waitForSelector('[data-rack="M-A01"][data-curtailed="true"]', { timeout: 10_000 });
    expect(await page.textContent('[data-rack="M-A01"] .rack-member')).toBe('⏻ curtailed');
    // on the inlet map the same rack is judged by its inlet as always: a hot curtailed rack must still show
    await page.goto(`${base}/?view=hall&hall=M&color=inlet`);
    await page.waitForSelector('[data-rack="M-A01"][data-curtailed="false"]', { timeout: 10_000 });
    expect(await page.textContent('[data-rack="M-A01"] .rack-member')).toBe('⏻ curtailed');
    // the AI hall is not in the event
    await page.goto(`${base}/?view=hall&hall=G`);
    await page.waitForSelector('[data-rack="G-01"]', { timeout: 10_000 });
    expect(await page.getAttribute('[data-rack="G-01"]', 'data-curtailed')).toBe('false');
    await page.goto(`${base}/?view=hall&hall=M`);
    await page.waitForSelector('[data-rack="M-A01"][data-curtailed="true"]', { timeout: 10_000 });
    await sleep(500);
    await page.screenshot({ path: join(SHOTS, 'curtailment-hall-M-1920x1080.png') });
  }, 40_000);

  it('a cancelled event leaves the banner', async () => {
    const res = await fetch(`${base}/api/v1/curtailments/${encodeURIComponent(id)}`, { method: 'DELETE', headers: { authorization: 'Bearer demo-token' } });
    expect(res.status).toBe(200);
    await page.waitForSelector(`#curtailment-banner .curtail-row[data-event="${id}"]`, { state: 'detached', timeout: 10_000 });
    expect(errors).toEqual([]);
  }, 20_000);
});
