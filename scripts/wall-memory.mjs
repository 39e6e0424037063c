#!/usr/bin/env node
// Soak check for the wall display (issue 4): the demo server and the site view in Debian's headless
// chromium for a while, sampling the page's JS heap, DOM size and the renderer's resident memory.
// Usage: npm run build && node scripts/wall-memory.mjs [minutes=60] [view=site]
import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

const minutes = Number(process.argv[2] ?? 60);
const view = process.argv[3] ?? 'site';
const port = 18000 + Math.floor(Math.random() * 1000);
const dir = mkdtempSync(join(tmpdir(), 'fw-soak-'));
const server = spawn(process.execPath, ['dist/server/cli.js', 'serve', '--port', String(port), '--host', '127.0.0.1', '--db', join(dir, 'demo.db')], { stdio: 'ignore' });
await new Promise((r) => setTimeout(r, 3000));

const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
const page = await browser.newPage({ viewport: { width: 1920, height: 1080 } });
const errors = [];
page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
await page.goto(`http://127.0.0.1:${port}/?view=${view}`);
await page.waitForTimeout(10_000);
const cdp = await page.context().newCDPSession(page);
await cdp.send('Performance.enable');

// Memory of the chromium this script launched (browser, renderer, GPU/utility processes): the sum of
// their proportional set sizes (PSS), so pages shared between them are not counted twice.
function descendants(pid) {
  let out = [];
  try {
    const kids = execFileSync('pgrep', ['-P', String(pid)]).toString().trim().split('\n').filter(Boolean).map(Number);
    for (const k of kids) out = out.concat([k], descendants(k));
  } catch { /* none */ }
  return out;
}
function chromiumPssMb(onlyRenderers = false, field = 'Pss') {
  let kb = 0;
  for (const pid of descendants(process.pid)) {
    try {
      const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      if (!cmd.includes('chromium') || (onlyRenderers && !cmd.includes('--type=renderer'))) continue;
      const rollup = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
      // 'Private' = Private_Clean + Private_Dirty: memory no other process shares (what the tab costs).
      const names = field === 'Private' ? ['Private_Clean', 'Private_Dirty'] : [field];
      for (const n of names) {
        const m = new RegExp(`^${n}:\\s+(\\d+)`, 'm').exec(rollup);
        if (m) kb += Number(m[1]);
      }
    } catch { /* exited */ }
  }
  return kb / 1024;
}

const samples = [];
const start = Date.now();
for (;;) {
  const { metrics } = await cdp.send('Performance.getMetrics');
  const get = (n) => metrics.find((m) => m.name === n)?.value ?? null;
  const s = {
    minute: Math.round((Date.now() - start) / 6000) / 10,
    js_heap_used_mb: Math.round((get('JSHeapUsedSize') / 1048576) * 10) / 10,
    js_heap_total_mb: Math.round((get('JSHeapTotalSize') / 1048576) * 10) / 10,
    dom_nodes: get('Nodes'),
    listeners: get('JSEventListeners'),
    renderer_pss_mb: Math.round(chromiumPssMb(true)),
    renderer_private_mb: Math.round(chromiumPssMb(true, 'Private')),
    // dirty alone: what the page wrote (heaps, canvases), without binary pages no other chromium maps now
    renderer_private_dirty_mb: Math.round(chromiumPssMb(true, 'Private_Dirty')),
    chromium_pss_mb: Math.round(chromiumPssMb()),
  };
  samples.push(s);
  console.log(JSON.stringify(s));
  if (Date.now() - start >= minutes * 60_000) break;
  await new Promise((r) => setTimeout(r, Math.min(300_000, minutes * 60_000 / 12)));
}
mkdirSync('test-output', { recursive: true });
writeFileSync('test-output/wall-memory.json', JSON.stringify({ minutes, view, samples, console_errors: errors }, null, 2));
await browser.close();
server.kill('SIGTERM');
console.log(`console errors: ${errors.length}`);
