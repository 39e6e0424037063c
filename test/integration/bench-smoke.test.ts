// The benchmark's small configuration, run through the same compiled entry as `npm run bench`, so the
// benchmark cannot rot. Not timed: it checks that every figure is produced and consistent, not how fast.
import { afterAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../../server/store/paths.js';
import { tempDir } from '../helpers/tmp.js';
import type { BenchResults } from '../bench/run.js';
import { benchSiteShape, markerPowerW, markerSeq } from '../bench/site.js';
import { percentile } from '../bench/proc.js';
import { sameJson } from '../../server/live/hub.js';

const RUN = join(packageRoot(), 'dist', 'test', 'bench', 'run.js');

describe('bench helpers', () => {
  it('sizes the site in whole racks: 100,000 devices = 2,694 mining racks of 36 + 88 GPU racks of 34', () => {
    // 3 % GPUs: round(100000 × 0.03 / 34) = 88 GPU racks (2,992 devices); (100000 − 2992) / 36 = 2694.6 → 2694.
    expect(benchSiteShape({ devices: 100_000 })).toEqual({ mining_racks: 2694, gpu_racks: 88 });
  });

  it('round-trips a marker through a rack power figure, and ignores ordinary rack powers', () => {
    expect(markerPowerW(1234)).toBe(110_001.234);
    expect(markerSeq(markerPowerW(1234))).toBe(1234);
    expect(markerSeq(119_000)).toBeNull(); // a real rack's draw, above the marker span
    expect(markerSeq(109_999)).toBeNull();
    expect(markerSeq(null)).toBeNull();
  });

  it('takes nearest-rank percentiles', () => {
    const xs = [10, 20, 30, 40, 50, 60, 70, 80, 90, 100];
    expect(percentile(xs, 50)).toBe(50);
    expect(percentile(xs, 99)).toBe(100);
    expect(percentile(xs, 10)).toBe(10);
    expect(percentile([], 50)).toBeNull();
  });
});

// The hub compares figures in place instead of by JSON.stringify (a speed fix): it must agree with JSON.
describe('sameJson agrees with JSON.stringify equality', () => {
  const cases: [unknown, unknown][] = [
    [{ id: 'r', p: 1, h: { up: 3, down: 0 } }, { id: 'r', p: 1, h: { up: 3, down: 0 } }],
    [{ id: 'r', p: 1 }, { id: 'r', p: 2 }],
    [{ id: 'r', p: null }, { id: 'r', p: Number.NaN }], // both "null" in JSON
    [{ id: 'r', p: Number.POSITIVE_INFINITY }, { id: 'r', p: null }],
    [{ id: 'r', p: 0 }, { id: 'r', p: -0 }], // both "0"
    [{ id: 'r', x: undefined }, { id: 'r' }], // undefined keys are absent
    [{ id: 'r', x: null }, { id: 'r' }], // null is not absent
    [{ id: 'r', h: { up: 1 } }, { id: 'r', h: { up: 1, down: 0 } }],
    [{ a: [1, 2] }, { a: [1, 2] }],
    [{ a: [1, 2] }, { a: [1, 2, 3] }],
    [{ a: 'x' }, { a: 'y' }],
    [{ a: true }, { a: 1 }],
  ];
  it.each(cases.map((c, i) => [i, ...c] as const))('case %i', (_i, a, b) => {
    expect(sameJson(a, b)).toBe(JSON.stringify(a) === JSON.stringify(b));
  });
});

describe('npm run bench -- --quick', () => {
  const t = tempDir('floorwatch-bench-smoke-');
  afterAll(() => t.cleanup());

  it('produces every figure, each naming the machine', () => {
    expect(existsSync(RUN), 'npm test builds dist/ first (npm run build)').toBe(true);
    const out = join(t.dir, 'bench.json');
    const r = spawnSync(process.execPath, [RUN, '--quick', '--out', out], { encoding: 'utf8', timeout: 150_000 });
    expect(r.status, `${r.stdout}\n${r.stderr}`).toBe(0);
    const b = JSON.parse(readFileSync(out, 'utf8')) as BenchResults;

    expect(b.scale).toBe('quick');
    expect(b.machine.cores).toBeGreaterThan(0);
    expect(b.machine.cpu.length).toBeGreaterThan(0);
    expect(b.machine.node).toBe(process.version);

    const s = b.results;
    expect(s.raw_insert.samples_per_s).toBeGreaterThan(0);
    // Every body acknowledged was committed: the rows are in the database (fill + ingest phases).
    expect(s.http_ingest.errors).toBe(0);
    expect(s.http_ingest.readings).toBeGreaterThan(0);
    expect(s.http_ingest.committed_rows).toBeGreaterThanOrEqual(s.http_ingest.readings);
    expect(s.http_ingest.ratio_to_raw).toBeCloseTo(s.http_ingest.samples_per_s / s.raw_insert.samples_per_s, 10);

    // Every marker reached every client, and the split adds up to the whole at the median's order.
    expect(s.latency.markers_sent).toBeGreaterThan(0);
    expect(s.latency.lost).toBe(0);
    expect(s.latency.arrivals).toBe(s.latency.markers_sent * s.latency.clients);
    expect(s.latency.p99_ms!).toBeGreaterThanOrEqual(s.latency.p50_ms!);
    expect(s.latency.wait_p99_ms!).toBeLessThanOrEqual(s.latency.p99_ms!);
    expect(s.latency.server.cpu_s).toBeGreaterThan(0);
    expect(s.latency.server.peak_rss_mb).toBeGreaterThan(0);

    expect(s.metrics_default.series).toBeGreaterThan(s.site.racks);
    expect(s.metrics_default.bytes).toBeGreaterThan(0);
    // Per-device series on: a device_up series for every miner too, so more series than devices.
    expect(s.metrics_per_device.series).toBeGreaterThan(s.metrics_per_device.devices);

    expect(b.polling).not.toHaveProperty('error');
    expect((b.polling as Record<string, unknown>).polls_per_s as number).toBeGreaterThan(0);
    expect(b.history).not.toHaveProperty('error');
    expect((b.history as Record<string, unknown>).bytes_per_sample as number).toBeGreaterThan(0);

    // The restart phase: kill -9 under load, started again on the same database, watched a few seconds.
    expect(s.restart.healthz_ms).not.toBeNull();
    expect(s.restart.ready_ms!).toBeGreaterThanOrEqual(s.restart.healthz_ms!);
    expect(s.restart.db_mb).toBeGreaterThan(0);
    expect(s.restart.devices_down).toBe(0);
    expect(s.restart.outage_alerts_started).toBe(0);
    expect(s.restart.alerts_firing).toBe(0);

    // Remote write to a real VictoriaMetrics (scripts/test-deps.sh installs it): on, off, an outage, the backlog sent.
    const rw = b.remote_write as Extract<BenchResults['remote_write'], { on_samples_per_s: number }>;
    expect(rw).not.toHaveProperty('error');
    expect(rw).not.toHaveProperty('skipped');
    expect(rw.on_samples_per_s).toBeGreaterThan(0);
    expect(rw.off_samples_per_s).toBeGreaterThan(0);
    expect(rw.outage_samples_per_s).toBeGreaterThan(0);
    expect(rw.outage.retried).toBeGreaterThan(0);
    expect(rw.after.sent).toBeGreaterThan(0);
    expect(rw.after.failed).toBe(0);

    // The codec section (issue 15): every data variant encoded smaller than today's raw layout holds it.
    const codec = b.codec as Extract<BenchResults['codec'], { variants: unknown }>;
    expect(codec).not.toHaveProperty('error');
    for (const v of Object.values(codec.variants)) {
      for (const w of v.windows) expect(w.bytes_per_sample).toBeGreaterThan(0);
      expect(v.windows[0].bytes_per_sample).toBeLessThan(v.raw_layout_bytes_per_sample);
    }

    // The peers section (issue 15) ran in the full bench too; its own smoke test (bench-peers.test.ts) checks its figures.
    expect(b.peers).not.toHaveProperty('error');

    expect(b.targets.map((x) => x.figure).length).toBe(9);
    // The table names the machine and every phase.
    for (const row of ['machine', 'raw insert', 'http ingest', 'socket latency', '/metrics default', '/metrics per-device', 'restart (kill -9)', 'polling', 'history', 'remote write', 'codec (issue 15)', 'peers (issue 15)']) {
      expect(r.stdout).toContain(row);
    }
  }, 180_000); // ~50–65 s alone (~35 s before the peers section, ~17 s before remote write); the whole suite shares 2 cores
});
