// The bench's peers section (test/bench/peers.ts, `npm run bench -- --only peers`) at a tiny size, so it
// cannot rot: Floorwatch and a real VictoriaMetrics each ingest, are measured at rest and killed with -9,
// and every figure comes out finite for both. Not timed. VictoriaMetrics is required, not optional: a
// machine without it fails here (scripts/test-deps.sh installs it, as `npm test` and CI do), since a skip
// would hide the half of the section that compares.
import { afterAll, describe, expect, it } from 'vitest';
import Database from 'better-sqlite3';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../../server/store/paths.js';
import { tempDir } from '../helpers/tmp.js';
import { benchPeers, peersRows, type PeersOptions } from '../bench/peers.js';
import { VICTORIA_METRICS } from '../bench/remote-write.js';
import type { PeerName } from '../bench/peers-load.js';

const TINY: Omit<PeersOptions, 'dir' | 'log'> = {
  devices: 150, clients: 2, batch: 100, rounds: 2, sweeps: 10, raw_duration_s: 0.1,
  at_rest: { devices: 20, readings: 20, variants: ['device-like-jittered-ts'] },
  kill: { devices: 60, push_s: 0.5 },
};

const running = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** Processes whose parent is this one (the test worker), from /proc. */
function children(): { pid: number; cmd: string }[] {
  const out: { pid: number; cmd: string }[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === process.pid) out.push({ pid: Number(name), cmd: readFileSync(`/proc/${name}/cmdline`, 'utf8').replace(/\0/g, ' ') });
    } catch {
      /* gone meanwhile */
    }
  }
  return out;
}

describe('bench peers section (Floorwatch against VictoriaMetrics), tiny', () => {
  const t = tempDir('floorwatch-bench-peers-');
  afterAll(() => t.cleanup());

  it('gives finite figures for both stores and leaves no server running', async () => {
    expect(existsSync(VICTORIA_METRICS), `${VICTORIA_METRICS} is missing: run scripts/test-deps.sh (Debian package victoria-metrics), or point VICTORIA_METRICS_BIN at one`).toBe(true);
    expect(existsSync(join(packageRoot(), 'dist', 'test', 'bench', 'server-child.js')), 'npm test builds dist/ first (npm run build)').toBe(true);
    const before = new Set(children().map((c) => c.pid));
    const pids: { name: PeerName; pid: number }[] = [];
    const log: string[] = [];
    const r = await benchPeers({ ...TINY, dir: t.dir, log: (l) => log.push(l), spawned: (name, pid) => pids.push({ name, pid }) });

    expect(r.victoria_metrics, log.join('\n')).not.toHaveProperty('skipped');
    const fw = r.ingest.floorwatch;
    const vm = r.ingest.victoria_metrics!;
    expect(vm).not.toBeNull();
    for (const x of [fw, vm]) {
      expect(x.failed_bodies).toBe(0);
      expect(x.rounds).toHaveLength(TINY.rounds);
      expect(Number.isFinite(x.samples_per_s) && x.samples_per_s > 0).toBe(true);
      expect(Number.isFinite(x.cpu_s_per_million_samples) && x.cpu_s_per_million_samples > 0).toBe(true);
    }
    expect(r.raw_sqlite.samples_per_s).toBeGreaterThan(0);
    expect(r.raw_sqlite_without_rollups.samples_per_s).toBeGreaterThan(0);
    // The two baselines differ only by the rollup triggers: one file has device minute rows, the other none.
    const minuteRows = (file: string) => {
      const db = new Database(join(t.dir, file), { readonly: true });
      try {
        return db.prepare('SELECT count(*) FROM rollup_asic_minute').pluck().get() as number;
      } finally {
        db.close();
      }
    };
    expect(minuteRows('raw.db')).toBeGreaterThan(0);
    expect(minuteRows('raw-no-rollups.db')).toBe(0);
    expect(Number.isFinite(r.ratios.ingest_samples_per_s!)).toBe(true);
    expect(Number.isFinite(r.ratios.cpu_s_per_million_samples!)).toBe(true);

    // At rest: both hold every sample sent, each at a finite, positive size.
    expect(r.at_rest).toHaveLength(1);
    const a = r.at_rest[0];
    expect(a.floorwatch.readings).toBe(a.readings);
    expect(a.victoria_metrics!.rows).toBe(a.samples);
    for (const b of [a.floorwatch.bytes_per_sample, a.victoria_metrics!.bytes_per_sample]) expect(Number.isFinite(b) && b > 0).toBe(true);
    expect(Number.isFinite(r.ratios.bytes_per_sample_at_rest[a.variant]!)).toBe(true);
    // measured compacted: every closed window moved into chunks, and the readings' share counted apart
    expect(a.floorwatch.layout).toBe('compacted');
    expect(a.floorwatch.head_readings).toBe(0);
    expect(a.floorwatch.chunks_bytes).toBeGreaterThan(0);
    expect(a.floorwatch.raw_bytes).toBeLessThan(a.floorwatch.bytes);
    expect(Number.isFinite(r.ratios.raw_bytes_per_sample_at_rest[a.variant]!)).toBe(true);

    // kill -9: both acknowledged readings; Floorwatch acknowledges after its commit, so it keeps them all.
    // VictoriaMetrics 1.79 loses the last seconds it acknowledged (its in-memory buffer): any share is fine.
    const kf = r.kill.floorwatch;
    const kv = r.kill.victoria_metrics!;
    for (const k of [kf, kv]) {
      expect(k.acked_readings).toBeGreaterThan(0);
      expect(k.kept_pct).toBeGreaterThanOrEqual(0);
      expect(k.kept_pct).toBeLessThanOrEqual(100);
      expect(Number.isFinite(k.restart_ms)).toBe(true);
    }
    expect(kf.kept_pct).toBe(100);

    // Every server it started is gone: ingest, at rest and the kill phase's two of each.
    expect(pids.filter((p) => p.name === 'floorwatch').length).toBe(4);
    expect(pids.filter((p) => p.name === 'victoria_metrics').length).toBe(4);
    expect(pids.filter((p) => running(p.pid)), 'servers still running').toEqual([]);
    expect(children().filter((c) => !before.has(c.pid)), 'child processes left').toEqual([]);
    expect(log.some((l) => l.includes('still running at the end'))).toBe(false);

    const table = peersRows(r).map(([k, v]) => `${k} ${v}`).join('\n');
    for (const row of ['ingest', 'CPU a million samples', 'at rest', 'kill -9']) expect(table).toContain(row);
    expect(table).toContain('VictoriaMetrics');
  }, 60_000); // ~15 s alone on 2 cores
});
