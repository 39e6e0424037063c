// The wall judged from five metres (issue 17), in Debian's chromium against the built server:
// - every visible text on the site, hall and economics views at 1920×1080 is at least 24 px (SVG text at its rendered
//   size, chart ticks by the size their canvas was drawn with) and none is cut off by its box;
// - a device-level alert shows in its hall's view (and not in another hall's);
// - with the socket up, readings that stop turn the header's data age amber, then raise DATA STALE;
// - screenshots of every view at 1920×1080 and 3840×2160, and of a generated 600-rack hall, land in
//   test-output/screenshots/ for a person to look at.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import type { DeviceStatus, LiveSnapshot } from '../../server/core/types.js';
import { freePort } from '../helpers/net.js';

const ROOT = join(import.meta.dirname, '..', '..');
const CLI = join(ROOT, 'dist', 'server', 'cli.js');
const CHROMIUM = '/usr/bin/chromium';
const SHOTS = join(ROOT, 'test-output', 'screenshots');
const MIN_TEXT_PX = 24;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

interface Served { child: ChildProcess; base: string; log: () => string }

async function serve(dir: string, extra: string[] = []): Promise<Served> {
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  let log = '';
  const child = spawn(process.execPath, [CLI, 'serve', '--port', String(port), '--host', '127.0.0.1', '--db', join(dir, 'fw.db'), ...extra], {
    cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.on('data', (b: Buffer) => { log += b.toString(); });
  child.stderr?.on('data', (b: Buffer) => { log += b.toString(); });
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`server exited ${child.exitCode}:\n${log}`);
    try {
      if ((await fetch(`${base}/healthz`)).ok) return { child, base, log: () => log };
    } catch {
      // not listening yet
    }
    await sleep(100);
  }
  throw new Error(`server did not answer /healthz:\n${log}`);
}

async function stop(s: Served | null): Promise<void> {
  if (!s || s.child.exitCode !== null) return;
  const exited = new Promise<void>((r) => s.child.once('exit', () => r()));
  s.child.kill('SIGTERM');
  const timer = setTimeout(() => s.child.kill('SIGKILL'), 5000);
  await exited;
  clearTimeout(timer);
}

interface TextProblem { text: string; tag: string; px?: number; why?: string }

/**
 * Every element that holds text of its own and is drawn: its rendered font size (an SVG text's computed
 * size times its scale on screen), and whether its text is cut off, by its own box (scrollWidth past
 * clientWidth) or by an ancestor that clips (overflow other than visible) and ends before it does.
 */
async function auditText(page: Page): Promise<{ small: TextProblem[]; clipped: TextProblem[]; measured: number }> {
  return page.evaluate((minPx) => {
    const small: TextProblem[] = [];
    const clipped: TextProblem[] = [];
    let measured = 0;
    const label = (el: Element): string => (el.textContent ?? '').trim().slice(0, 60);
    for (const el of Array.from(document.querySelectorAll('#app *'))) {
      const own = Array.from(el.childNodes).some((n) => n.nodeType === Node.TEXT_NODE && (n.textContent ?? '').trim() !== '');
      if (!own) continue;
      const r = el.getBoundingClientRect();
      if (r.width === 0 || r.height === 0) continue;
      const cs = getComputedStyle(el);
      if (cs.visibility === 'hidden' || cs.display === 'none') continue;
      // Off the screen entirely (a nav link scrolled out of the header) counts as cut off, not as small.
      let px = parseFloat(cs.fontSize);
      if (el instanceof SVGGraphicsElement) {
        const m = el.getScreenCTM();
        if (m) px *= Math.hypot(m.a, m.b);
      }
      measured++;
      if (px < minPx - 0.05) small.push({ text: label(el), tag: el.tagName, px: Math.round(px * 10) / 10 });
      if (el instanceof HTMLElement && el.scrollWidth > el.clientWidth + 1 && el.clientWidth > 0) {
        clipped.push({ text: label(el), tag: el.tagName, why: `scrollWidth ${el.scrollWidth} > clientWidth ${el.clientWidth}` });
        continue;
      }
      for (let a = el.parentElement; a && a !== document.body; a = a.parentElement) {
        const acs = getComputedStyle(a);
        if (acs.overflowX === 'visible' && acs.overflowY === 'visible') continue;
        const ar = a.getBoundingClientRect();
        if (r.right > ar.right + 1 || r.bottom > ar.bottom + 1 || r.left < ar.left - 1 || r.top < ar.top - 1) {
          clipped.push({ text: label(el), tag: el.tagName, why: `outside ${a.tagName}.${a.className}` });
          break;
        }
      }
    }
    for (const c of Array.from(document.querySelectorAll<HTMLCanvasElement>('canvas'))) {
      if (c.getBoundingClientRect().width === 0) continue;
      measured++;
      const tick = Number(c.getAttribute('data-tick-px'));
      if (!(tick >= minPx)) small.push({ text: 'chart ticks', tag: 'CANVAS', px: tick });
    }
    return { small, clipped, measured };
  }, MIN_TEXT_PX);
}

async function expectReadable(page: Page, what: string): Promise<void> {
  const a = await auditText(page);
  expect(a.measured, `${what}: texts measured`).toBeGreaterThan(20);
  expect(a.small, `${what}: text under ${MIN_TEXT_PX} px`).toEqual([]);
  expect(a.clipped, `${what}: clipped text`).toEqual([]);
}

async function noScrollbars(page: Page): Promise<boolean> {
  return page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth
    && document.documentElement.scrollHeight <= window.innerHeight);
}

async function shootBoth(page: Page, name: string): Promise<void> {
  await page.setViewportSize({ width: 1920, height: 1080 });
  await sleep(400);
  await page.screenshot({ path: join(SHOTS, `${name}-1920x1080.png`) });
  await page.setViewportSize({ width: 3840, height: 2160 });
  // Charts take the new type size on their next once-a-second refresh.
  await sleep(1500);
  expect(await noScrollbars(page), `${name} at 3840×2160 without scrollbars`).toBe(true);
  await page.screenshot({ path: join(SHOTS, `${name}-3840x2160.png`) });
  await page.setViewportSize({ width: 1920, height: 1080 });
  await sleep(300);
}

let browser: Browser;
const consoleErrors: string[] = [];

async function newPage(): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: 1920, height: 1080 } });
  page.on('console', (msg) => {
    if (msg.type() === 'error') consoleErrors.push(`${msg.text()} @ ${msg.location().url}`);
  });
  page.on('pageerror', (err) => consoleErrors.push(`pageerror: ${err.message}`));
  return page;
}

beforeAll(async () => {
  mkdirSync(SHOTS, { recursive: true });
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
}, 60_000);

afterAll(async () => {
  await browser?.close();
});

describe('the demo site at wall size', () => {
  let dir = '';
  let server: Served | null = null;
  let page: Page;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'fw-scale-'));
    server = await serve(dir);
    page = await newPage();
  }, 60_000);

  afterAll(async () => {
    await page?.close();
    await stop(server);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('site view: nothing under 24 px, nothing cut off, at 1920×1080', async () => {
    await page.goto(`${server!.base}/?view=site`);
    for (const name of ['it_power', 'pue', 'hashrate', 'gpus', 'worst_inlet', 'devices']) {
      await page.waitForFunction((n) => /\d/.test(document.querySelector(`[data-tile="${n}"] .tile-value`)?.textContent ?? ''),
        name, { timeout: 15_000 });
    }
    await page.waitForFunction(() => document.querySelectorAll('canvas[data-tick-px]').length === 4, null, { timeout: 10_000 });
    await sleep(1500);
    // The worst inlet names its rack.
    expect(await page.textContent('[data-tile="worst_inlet"] .tile-sub')).toMatch(/^rack \S+/);
    // The header shows the age of the newest reading, fresh while the simulator feeds.
    expect(await page.textContent('[data-age]')).toMatch(/^data \d+\u202fs old$/);
    expect(await page.getAttribute('[data-age]', 'data-fresh')).toBe('ok');
    await expectReadable(page, 'site view');
    expect(await noScrollbars(page)).toBe(true);
    // The audit itself can fail: a 20 px text and a sub-line cut off by its tile are both caught.
    await page.evaluate(() => {
      const sub = document.querySelector<HTMLElement>('[data-tile="it_power"] .tile-sub')!;
      const tiny = document.createElement('span');
      tiny.id = 'probe-small';
      tiny.style.fontSize = '20px';
      tiny.textContent = 'probe';
      sub.append(tiny);
      const long = document.createElement('div');
      long.id = 'probe-clip';
      long.style.cssText = 'white-space: nowrap; overflow: hidden';
      long.textContent = 'a sub-line far too long for its tile at twenty-four pixels, cut off';
      sub.append(long);
    });
    const probe = await auditText(page);
    expect(probe.small.map((p) => p.text)).toContain('probe');
    expect(probe.clipped.some((p) => p.text.startsWith('a sub-line far too long'))).toBe(true);
    await page.evaluate(() => { document.getElementById('probe-small')?.remove(); document.getElementById('probe-clip')?.remove(); });
    await shootBoth(page, 'site');
  }, 60_000);

  it('hall views: nothing under 24 px, nothing cut off; tiles that belong to the hall; power against budget', async () => {
    const snap = (await (await fetch(`${server!.base}/api/v1/site`)).json()) as LiveSnapshot;
    for (const hall of snap.layout.halls) {
      await page.goto(`${server!.base}/?view=hall&hall=${hall.id}`);
      await page.waitForFunction((n) => document.querySelectorAll('.floormap [data-rack]').length === n, hall.racks.length, { timeout: 10_000 });
      await page.waitForFunction(() => /\d/.test(document.querySelector('[data-tile="budget"] .tile-value')?.textContent ?? ''), null, { timeout: 10_000 });
      await sleep(800);
      const ratedW = hall.racks.reduce((s, r) => s + r.rated_kw, 0) * 1000;
      const sub = await page.textContent('[data-tile="budget"] .tile-sub');
      // "65 % of 4.22 MW rated": the hall's racks' rated kW, summed.
      expect(sub).toMatch(/^\d+\u202f% of [\d.]+\u202f(kW|MW) rated$/);
      const mw = Number(/of ([\d.]+)\u202fMW/.exec(sub ?? '')?.[1] ?? NaN);
      if (Number.isFinite(mw)) expect(Math.abs(mw * 1e6 - ratedW) / ratedW).toBeLessThan(0.01);
      const hasAsic = hall.racks.some((r) => r.load === 'asic' || r.load === 'mixed');
      const hasGpu = hall.racks.some((r) => r.load === 'gpu' || r.load === 'mixed');
      expect(await page.isVisible('[data-tile="hashrate"]'), `${hall.id} hashrate tile`).toBe(hasAsic);
      expect(await page.isVisible('[data-tile="gpu_util"]'), `${hall.id} GPU tile`).toBe(hasGpu);
      expect(await page.isVisible('.metric-buttons [data-metric="hashrate"]'), `${hall.id} Hashrate button`).toBe(hasAsic);
      expect(await page.isVisible('.metric-buttons [data-metric="gpu"]'), `${hall.id} GPU button`).toBe(hasGpu);
      expect(await page.isVisible('.metric-buttons [data-metric="inlet"]'), `${hall.id} Inlet button`).toBe(true);
      await expectReadable(page, `hall ${hall.id}`);
      expect(await noScrollbars(page)).toBe(true);
      await shootBoth(page, `hall-${hall.id}`);
    }
  }, 90_000);

  it('economics view (issue 16): nothing under 24 px, nothing cut off; the tiles and a cap bar per hall', async () => {
    const snap = (await (await fetch(`${server!.base}/api/v1/site`)).json()) as LiveSnapshot;
    await page.goto(`${server!.base}/?view=economics`);
    for (const name of ['mining_per_mwh', 'ai_per_mwh', 'energy_price', 'margin_today']) {
      await page.waitForFunction((n) => /\d/.test(document.querySelector(`[data-tile="${n}"] .tile-value`)?.textContent ?? ''),
        name, { timeout: 15_000 });
    }
    await page.waitForFunction(() => document.querySelectorAll('canvas[data-tick-px]').length === 1, null, { timeout: 10_000 });
    for (const hall of snap.layout.halls) expect(await page.isVisible(`[data-cap="${hall.id}"] .cap-fill`), `cap bar of ${hall.id}`).toBe(true);
    await sleep(1500);
    await expectReadable(page, 'economics view');
    expect(await noScrollbars(page)).toBe(true);
    await shootBoth(page, 'economics');
  }, 60_000);

  it('a device alert shows in its hall view, not in another hall, and site alerts show in every hall', async () => {
    const snap = (await (await fetch(`${server!.base}/api/v1/site`)).json()) as LiveSnapshot;
    const gHall = snap.layout.halls.find((h) => h.racks.some((r) => r.load === 'gpu'))!;
    const other = snap.layout.halls.find((h) => h.id !== gHall.id)!;
    const rack = (await (await fetch(`${server!.base}/api/v1/racks/${gHall.racks[0].id}`)).json()) as { devices: DeviceStatus[] };
    const gpu = rack.devices.find((d) => d.kind === 'gpu')!;
    expect(gpu, 'a GPU in the AI hall').toBeTruthy();
    // A new XID is a device-scoped alert that fires at once (GpuXidError, for 0 s, held 30 min), on the next
    // tick. The demo's simulator reports this GPU too (xid_last 0, every 5 s): when its reading lands between
    // ours and that tick, the tick sees 0 and nothing is new, so the report is repeated, as an agent would,
    // until the alert is there (a single push timed out here once in a full-suite run, 2026-12-06).
    const xidAlert = async () => ((await (await fetch(`${server!.base}/api/v1/alerts`)).json()) as { alerts: { key: string; state: string }[] })
      .alerts.some((a) => a.key === `GpuXidError:device:${gpu.id}` && a.state === 'firing');
    let fired = false;
    for (let i = 0; i < 10 && !fired; i++) {
      const res = await fetch(`${server!.base}/api/v1/ingest`, {
        method: 'POST',
        headers: { authorization: 'Bearer demo-token', 'content-type': 'application/json' },
        body: JSON.stringify({ readings: [{ device: gpu.id, metrics: { xid_last: 79 } }] }),
      });
      expect(res.status).toBe(200);
      for (let j = 0; j < 6 && !fired; j++) {
        await sleep(250);
        fired = await xidAlert();
      }
    }
    expect(fired, 'GpuXidError firing for the GPU').toBe(true);
    const sel = `.alerts [data-scope="device:${gpu.id}"]`;
    await page.goto(`${server!.base}/?view=hall&hall=${gHall.id}`);
    await page.waitForSelector(sel, { timeout: 10_000 });
    expect(await page.textContent(`${sel} .alert-text`)).toContain(`${gpu.id} reported XID 79`);
    await expectReadable(page, `hall ${gHall.id} with an alert`);
    await page.screenshot({ path: join(SHOTS, `hall-${gHall.id}-device-alert-1920x1080.png`) });
    await page.goto(`${server!.base}/?view=hall&hall=${other.id}`);
    await page.waitForSelector('.floormap [data-rack]', { timeout: 10_000 });
    await sleep(1500);
    expect(await page.$(sel)).toBeNull();
    // A site-scoped alert is in every hall's view: the alert list's filter takes any alert of no hall.
    const siteAlerts = (await (await fetch(`${server!.base}/api/v1/site`)).json() as LiveSnapshot).alerts
      .filter((a) => a.state === 'firing' && a.hall === undefined);
    for (const a of siteAlerts.slice(0, 3)) expect(await page.$(`.alerts [data-alert="${a.key}"]`), a.key).not.toBeNull();
  }, 60_000);

  it('rack and device pages (desk views): screenshots, no raw metric keys, no doubled status symbol', async () => {
    const snap = (await (await fetch(`${server!.base}/api/v1/site`)).json()) as LiveSnapshot;
    const rackId = snap.layout.halls[0].racks[0].id;
    await page.goto(`${server!.base}/?view=rack&rack=${rackId}`);
    await page.waitForSelector('table.devices tbody tr', { timeout: 10_000 });
    await sleep(1500);
    await shootBoth(page, 'rack');
    const rack = (await (await fetch(`${server!.base}/api/v1/racks/${rackId}`)).json()) as { devices: DeviceStatus[] };
    const miner = rack.devices.find((d) => d.kind === 'asic')!;
    await page.goto(`${server!.base}/?view=device&device=${miner.id}`);
    await page.waitForSelector('table.metrics tbody tr', { timeout: 10_000 });
    await sleep(1500);
    const names = await page.$$eval('table.metrics tbody td:first-child', (els) => els.map((e) => e.textContent ?? ''));
    expect(names.some((n) => n.includes('_'))).toBe(false);
    const status = await page.textContent('[data-tile="device_status"] .tile-value');
    expect(status).toMatch(/^(up|degraded|down)$/);
    await shootBoth(page, 'device');
  }, 60_000);

  it('logged no console errors', () => {
    expect(consoleErrors).toEqual([]);
  });
});

/** A 600-rack hall of 12 rows × 50 racks, each 2 miners, a PDU and an air sensor (2,400 devices): no simulator. */
function bigHallYaml(token: string): string {
  return `site: { name: Floorwatch 600-rack test site }
halls:
  - id: B
    name: Big hall
    racks:
${Array.from({ length: 12 }, (_, i) => `      - id: "B${i + 1}-{n:02}"
        count: 50
        row: ${i + 1}
        col: "{n}"
        rated_kw: 20
        devices:
          - { id: "{rack}-{n}", kind: asic, model: antminer-s21, count: 2 }
          - { id: "{rack}-pdu", kind: pdu }
          - { id: "{rack}-env", kind: env }`).join('\n')}
auth:
  ingest_tokens:
    - { name: test, token: ${token} }
  ingest_rate_per_s: 100000
`;
}

describe('a 600-rack hall fed by pushes, which then stop', () => {
  const TOKEN = 'scale-test-token';
  let dir = '';
  let server: Served | null = null;
  let page: Page;
  let pushing: ReturnType<typeof setInterval> | null = null;

  // Faults to find: a hot rack, a rack with one miner never reporting (down), one with a miner short of chains,
  // and one with a miner at 92 °C (the S21's limit is 95) still hashing at full rate: only its chip says so.
  const HOT = 'B3-07';
  const DOWN_MINER = 'B5-20-2';
  const DEGRADED_MINER = 'B9-33-1';
  const HOT_MINER = 'B7-12-1';

  async function pushAll(): Promise<void> {
    const readings: { device: string; metrics: Record<string, number> }[] = [];
    for (let row = 1; row <= 12; row++) {
      for (let n = 1; n <= 50; n++) {
        const rack = `B${row}-${String(n).padStart(2, '0')}`;
        readings.push({ device: `${rack}-pdu`, metrics: { power_w: 7200 } });
        readings.push({ device: `${rack}-env`, metrics: { inlet_temp_c: rack === HOT ? 36 : 22 + ((row * 7 + n) % 30) / 10 } });
        for (const m of [1, 2]) {
          const id = `${rack}-${m}`;
          if (id === DOWN_MINER) continue;
          readings.push({ device: id, metrics: { hashrate_ths: 200, power_w: 3500, chip_temp_c: id === HOT_MINER ? 92 : 70, chains_ok: id === DEGRADED_MINER ? 2 : 3, chains_total: 3 } });
        }
      }
    }
    const res = await fetch(`${server!.base}/api/v1/ingest`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ readings }),
    });
    if (res.status !== 200) throw new Error(`ingest ${res.status}: ${await res.text()}`);
  }

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'fw-600-'));
    const cfg = join(dir, 'site.yaml');
    writeFileSync(cfg, bigHallYaml(TOKEN));
    server = await serve(dir, ['--config', cfg]);
    await pushAll();
    pushing = setInterval(() => void pushAll().catch(() => {}), 1000);
    page = await newPage();
  }, 60_000);

  afterAll(async () => {
    if (pushing) clearInterval(pushing);
    await page?.close();
    await stop(server);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('draws 600 racks legibly: faults named by id in large type, nothing under 24 px', async () => {
    await page.goto(`${server!.base}/?view=hall&hall=B&color=inlet`);
    await page.waitForFunction(() => document.querySelectorAll('.floormap [data-rack]').length === 600, null, { timeout: 15_000 });
    await page.waitForSelector(`.floormap [data-rack="${HOT}"][data-level="crit"]`, { timeout: 10_000 });
    // Each fault is on the map (a member flag, not just the mean) and called out by id beside it.
    expect(await page.getAttribute(`.floormap [data-rack="B5-20"]`, 'data-member')).toBe('crit');
    expect(await page.getAttribute(`.floormap [data-rack="B9-33"]`, 'data-member')).toBe('warn');
    expect(await page.getAttribute(`.floormap [data-rack="B7-12"]`, 'data-member')).toBe('warn');
    const called = await page.$$eval('.attention-chip', (els) => els.map((e) => e.getAttribute('data-rack')));
    expect(called.slice(0, 2).sort()).toEqual(['B3-07', 'B5-20']);
    expect(called).toContain('B9-33');
    expect(called).toContain('B7-12');
    expect(await page.textContent('.attention-chip[data-rack="B5-20"] .attention-why')).toBe('1 down');
    expect(await page.textContent('.attention-chip[data-rack="B7-12"] .attention-why')).toBe('hot 92\u202f°C');
    const idPx = await page.$eval('.attention-chip .attention-id', (e) => parseFloat(getComputedStyle(e).fontSize));
    expect(idPx).toBeGreaterThanOrEqual(30);
    await sleep(500);
    await expectReadable(page, '600-rack hall');
    expect(await noScrollbars(page)).toBe(true);
    await shootBoth(page, 'hall-600-racks');
  }, 60_000);

  it('readings stop while the socket stays up: the header turns amber, then DATA STALE', async () => {
    await page.goto(`${server!.base}/?view=hall&hall=B&data_warn_s=3&data_stale_s=8`);
    await page.waitForSelector('[data-age][data-fresh="ok"]', { timeout: 10_000 });
    clearInterval(pushing!);
    pushing = null;
    const stoppedAt = Date.now();
    await page.waitForSelector('[data-age][data-fresh="warn"]', { timeout: 8_000 });
    const amberAt = Date.now() - stoppedAt;
    expect(await page.isVisible('#stale-banner')).toBe(false);
    expect(await page.getAttribute('[data-conn]', 'data-conn')).toBe('up');
    const ageText = await page.textContent('[data-age]');
    expect(ageText).toMatch(/^data \d+\u202fs old$/);
    await page.screenshot({ path: join(SHOTS, 'hall-600-racks-amber-1920x1080.png') });
    await page.waitForSelector('#stale-banner', { state: 'visible', timeout: 12_000 });
    const bannerAt = Date.now() - stoppedAt;
    expect(amberAt).toBeLessThan(bannerAt);
    // The socket was up throughout: the banner is about the data, and says so.
    expect(await page.getAttribute('[data-conn]', 'data-conn')).toBe('up');
    expect(await page.textContent('#stale-banner')).toMatch(/no new reading from any device for \d+ s/);
    await page.screenshot({ path: join(SHOTS, 'hall-600-racks-stale-1920x1080.png') });
    // Readings resume: the banner goes.
    await pushAll();
    pushing = setInterval(() => void pushAll().catch(() => {}), 1000);
    await page.waitForSelector('#stale-banner', { state: 'hidden', timeout: 10_000 });
  }, 60_000);
});
