#!/usr/bin/env node
// Where the wall page allocates: the demo server, the site view in headless chromium, and V8's sampling
// heap profiler over a window, counting objects collected since (garbage is what grows the heap).
// Usage: npm run build && node scripts/wall-alloc-profile.mjs [warmup_s=20] [window_s=60] [view=site]
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

const warmupS = Number(process.argv[2] ?? 20);
const windowS = Number(process.argv[3] ?? 60);
const view = process.argv[4] ?? 'site';
const port = 19000 + Math.floor(Math.random() * 1000);
const dir = mkdtempSync(join(tmpdir(), 'fw-prof-'));
const server = spawn(process.execPath, ['dist/server/cli.js', 'serve', '--port', String(port), '--host', '127.0.0.1', '--db', join(dir, 'demo.db')], { stdio: 'ignore' });
await new Promise((r) => setTimeout(r, 3000));
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking'] });
const page = await browser.newPage({ viewport: { width: 1920, height: 1080 } });
await page.goto(`http://127.0.0.1:${port}/?view=${view}`);
await page.waitForTimeout(warmupS * 1000);
const cdp = await page.context().newCDPSession(page);
await cdp.send('HeapProfiler.enable');
await cdp.send('HeapProfiler.startSampling', { samplingInterval: 1024, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true });
await page.waitForTimeout(windowS * 1000);
const { profile } = await cdp.send('HeapProfiler.stopSampling');
const self = new Map();
const stacks = new Map();
let total = 0;
const walk = (n, stack) => {
  const f = n.callFrame;
  const name = `${f.functionName || '(anon)'} ${f.url.split('/').pop()}:${f.lineNumber}:${f.columnNumber}`;
  if (n.selfSize) {
    self.set(name, (self.get(name) ?? 0) + n.selfSize);
    total += n.selfSize;
    if (process.env.STACKS) {
      const key = [...stack.slice(-8), name].map((x) => x.split(' ')[0] + '@' + x.split(':').slice(-1)[0]).join(' < ');
      stacks.set(key, (stacks.get(key) ?? 0) + n.selfSize);
    }
  }
  for (const c of n.children) walk(c, [...stack, name]);
};
walk(profile.head, []);
console.log(`allocated in ${windowS} s: ${(total / 1048576).toFixed(1)} MB (${(total / windowS / 1024).toFixed(0)} KB/s)`);
for (const [k, v] of [...self].sort((a, b) => b[1] - a[1]).slice(0, 30)) console.log(`${(v / 1024).toFixed(0).padStart(8)} KB  ${k}`);
for (const [k, v] of [...stacks].sort((a, b) => b[1] - a[1]).slice(0, 15)) console.log(`${(v / 1024).toFixed(0).padStart(8)} KB  ${k}`);
await browser.close();
server.kill('SIGTERM');
