// Bad input, second round (issue 11 case 9): a compact-form config whose counts multiply to more devices
// than a site may have, through the real CLI (`node dist/server/cli.js check-config`, after `npm run build`).
// Before the bound, 100,000 racks × 100,000 nodes × 64 GPUs ran 72 s and 4.4 GB and died with
// `Map maximum size exceeded` and no path. Now: exit 1 at once, each line naming its entry and the total.
// No server runs here (check-config is offline), so there is no /healthz to watch.
import { afterAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from '../helpers/tmp.js';

const CLI = join(process.cwd(), 'dist', 'server', 'cli.js');
// Prints the child's peak RSS on its way out, so the test can see the memory the check took.
const REPORT_RSS = 'data:text/javascript,process.on("exit",()=>process.stderr.write(`maxrss_kb=${process.resourceUsage().maxRSS}\\n`))';

const HUGE = `site: { name: Too big }
halls:
  - id: H
    racks:
      - id: "R{n}"
        count: 100000
        row: 1
        col: "{n}"
        rated_kw: 40
        devices:
          - { id: "{rack}-n{n}", kind: gpu_node, model: h100-sxm, gpus: 64, count: 100000 }
          - { id: "{rack}-env", kind: env, colour: red }
`;

function checkConfig(path: string) {
  const t0 = Date.now();
  // A 256 MB heap: the unbounded expansion dies of it in seconds instead of taking the box's memory.
  const r = spawnSync(process.execPath, ['--max-old-space-size=256', '--import', REPORT_RSS, CLI, 'check-config', path], {
    encoding: 'utf8', timeout: 60_000,
  });
  const ms = Date.now() - t0;
  const rss = /maxrss_kb=(\d+)/.exec(r.stderr ?? '');
  return { status: r.status, signal: r.signal, stdout: r.stdout ?? '', stderr: r.stderr ?? '', ms, rss_mb: rss ? Number(rss[1]) / 1024 : null };
}

describe('check-config on a config that would expand past the device budget', () => {
  const t = tempDir();
  afterAll(() => t.cleanup());

  it('exits 1 quickly with small memory, each error naming its path and the total it would make', () => {
    const path = join(t.dir, 'huge.yaml');
    writeFileSync(path, HUGE);
    const r = checkConfig(path);
    console.log(`check-config 100,000 × 100,000 × 64: exit ${r.status}${r.signal ? ` (${r.signal})` : ''} in ${r.ms} ms, peak RSS ${r.rss_mb?.toFixed(0)} MB`);
    expect(r.stderr).not.toMatch(/Map maximum size exceeded|heap out of memory/);
    expect(r.status).toBe(1);
    expect(r.stdout.trim().split('\n')).toEqual([
      'halls[0].racks[0].devices[1].colour: unknown key',
      'halls[0].racks[0].devices[0].count: 100,000 gpu nodes × 64 GPUs = 6,400,000 devices in each rack, ' +
        'over the limit of 1,000,000 devices a site may have',
      'halls[0].racks[0].count: 100,000 racks × 6,400,001 devices = 640,000,100,000 devices, ' +
        'over the limit of 1,000,000 devices a site may have',
      `${path}: 3 errors`,
    ]);
    // Node itself starts in ~100 ms and ~45 MB here; the check adds next to nothing.
    expect(r.ms).toBeLessThan(3000);
    expect(r.rss_mb).not.toBeNull();
    expect(r.rss_mb!).toBeLessThan(150);
  });

  it('a 100,000-device compact config still checks ok, quickly', () => {
    const path = join(t.dir, 'big.yaml');
    writeFileSync(path, `site: { name: Big }
halls:
  - id: B
    racks:
      - id: "B-{n:03}"
        count: 500
        row: 1
        col: "{n}"
        rated_kw: 700
        devices:
          - { id: "{rack}-{n:03}", kind: asic, model: antminer-s21, count: 199, address: "10.{r}.0.{n}:4028" }
          - { id: "{rack}-pdu", kind: pdu }
`);
    const r = checkConfig(path);
    console.log(`check-config 100,000 devices: exit ${r.status} in ${r.ms} ms, peak RSS ${r.rss_mb?.toFixed(0)} MB`);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^ok: .*1 hall, 500 racks, 100000 devices \(99500 asic, 500 pdu\)$/m);
    expect(r.ms).toBeLessThan(5000);
  });
});
