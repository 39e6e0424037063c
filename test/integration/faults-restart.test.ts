// Faults (issue 11, case 11): a restart of a large site must not be a false site-wide outage. The real CLI
// is stopped (SIGTERM, then kill -9) while readings keep coming and started again on the same database:
// /healthz answers at once, /readyz says "restoring live state" until the live view is back, no device is
// shown down and no DeviceDown / RackDevicesDown / DataStale alert starts because Floorwatch itself was
// away, and a device that was already stale before the shutdown stays down.
import { afterAll, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { openDatabase } from '../../server/store/db.js';
import { prepareSampleInserts, registerDevices } from '../../server/store/samples.js';
import { beginRun, createCheckpointer, readRuntime } from '../../server/live/checkpoint.js';
import { createLiveState } from '../../server/live/state.js';
import { deviceHealth, runningAgeMs } from '../../server/figures/health.js';
import { createAlertEngine } from '../../server/alerts/engine.js';
import { defaultRules } from '../../server/alerts/builtin.js';
import { asic, figures, siteModel } from '../unit/alerts-fixture.js';
import type { AlertView, DeviceKind, DeviceStatus, LiveSnapshot, Reading, SiteModel } from '../../server/core/types.js';
import { BENCH_TOKEN, benchSite, benchSiteYaml } from '../bench/site.js';
import { benchMetrics } from '../bench/scale.js';
import { HEALTHZ_MAX_MS, watchHealthz } from '../helpers/health.js';
import { tempDir } from '../helpers/tmp.js';
import { exited, freePort } from '../helpers/net.js';

const CLI = join(process.cwd(), 'dist', 'server', 'cli.js');

/** The CLI's default: a device without a reading for 60 s is down. */
const STALE_AFTER_MS = 60_000;

function serve(config: string, db: string, port: number): ChildProcess {
  return spawn(process.execPath, [CLI, 'serve', '--config', config, '--db', db, '--port', String(port), '--host', '127.0.0.1'], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
}

/** Metrics a device of this site sends; the site meter reads 1.2 × the racks' PDUs (a plausible PUE). */
function metricsOf(model: SiteModel, kind: DeviceKind, n: number): Reading['metrics'] {
  if (kind === 'meter') {
    const pdus = [...model.devices.values()].filter((d) => d.kind === 'pdu').length;
    return { power_w: 1.2 * pdus * 118_500 };
  }
  if (kind === 'cooling_loop') return { supply_temp_c: 30, return_temp_c: 38, flow_lpm: 400 };
  return benchMetrics(kind, n);
}

/** Time from spawn to the first 200 of /healthz, and what /readyz said right then. */
async function firstAnswer(port: number, timeoutMs = 60_000): Promise<{ healthz_ms: number; readyz: { status: number; problems: string[] } }> {
  const t0 = performance.now();
  for (;;) {
    try {
      const res = await fetch(`http://127.0.0.1:${port}/healthz`);
      if (res.ok) {
        const healthz_ms = performance.now() - t0;
        const r = await fetch(`http://127.0.0.1:${port}/readyz`);
        const body = (await r.json()) as { problems: string[] };
        return { healthz_ms, readyz: { status: r.status, problems: body.problems } };
      }
    } catch {
      /* not listening yet */
    }
    if (performance.now() - t0 > timeoutMs) throw new Error(`/healthz did not answer within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Polls /readyz until 200; returns every problem list seen on the way and the time it took. */
async function untilReady(port: number, timeoutMs = 60_000): Promise<{ ms: number; seen: string[] }> {
  const t0 = performance.now();
  const seen: string[] = [];
  for (;;) {
    const r = await fetch(`http://127.0.0.1:${port}/readyz`);
    const body = (await r.json()) as { problems: string[] };
    if (r.status === 200) return { ms: performance.now() - t0, seen };
    seen.push(...body.problems);
    if (performance.now() - t0 > timeoutMs) throw new Error(`not ready within ${timeoutMs} ms: ${body.problems.join('; ')}`);
    await new Promise((res) => setTimeout(res, 20));
  }
}

async function getJson<T>(port: number, path: string): Promise<T> {
  const res = await fetch(`http://127.0.0.1:${port}${path}`);
  if (res.status !== 200) throw new Error(`${path}: ${res.status}`);
  return (await res.json()) as T;
}

/**
 * Every device of the site reports once per `cycleMs`, spread over pushes every `everyMs`, stamped `lagMs`
 * in the past (a feed that runs behind, as a BMS batching its readings does). Pushes go on while the
 * server is away: those are refused by the closed port and simply lost, as a real integrator's would be.
 */
function startLoad(model: SiteModel, port: () => number, opts: { lagMs: number; cycleMs: number; everyMs: number; skip: Set<string> }) {
  const devices = [...model.devices.values()].filter((d) => !opts.skip.has(d.id));
  const perPush = Math.ceil(devices.length / (opts.cycleMs / opts.everyMs));
  let cursor = 0;
  let sent = 0;
  let refused = 0;
  const last = new Map<string, Reading>();
  let stopped = false;
  const inFlight = new Set<Promise<void>>();
  const timer = setInterval(() => {
    if (stopped) return;
    const ts = Date.now() - opts.lagMs;
    const readings: Reading[] = [];
    for (let i = 0; i < perPush; i++) {
      const idx = cursor++ % devices.length;
      const d = devices[idx];
      readings.push({ device: d.id, ts, metrics: metricsOf(model, d.kind, idx) });
    }
    const p = fetch(`http://127.0.0.1:${port()}/api/v1/ingest`, {
      method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${BENCH_TOKEN}` },
      body: JSON.stringify({ readings }),
    }).then(async (res) => {
      const body = (await res.json()) as { accepted?: number };
      if (res.status === 200 && body.accepted === readings.length) {
        sent += readings.length;
        for (const r of readings) {
          const prev = last.get(r.device);
          if (prev === undefined || prev.ts <= r.ts) last.set(r.device, r);
        }
      } else refused++;
    }, () => void refused++);
    inFlight.add(p);
    void p.finally(() => inFlight.delete(p));
  }, opts.everyMs);
  return {
    /** the newest acknowledged reading per device */
    last,
    counts: () => ({ sent, refused }),
    async stop() {
      stopped = true;
      clearInterval(timer);
      await Promise.all([...inFlight]);
    },
  };
}

/** The alerts that a restart must never start: a device, a rack, or the whole site seen as gone. */
const OUTAGE_ALERTS = new Set(['DeviceDown', 'RackDevicesDown', 'DataStale']);

describe('restart of a real CLI child while readings keep coming', () => {
  const t = tempDir('floorwatch-restart-');
  const procs: ChildProcess[] = [];
  afterAll(() => {
    for (const p of procs) if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
    t.cleanup();
  });

  // 250 devices in 7 racks. The feed runs LAG_MS behind: a device's last reading is 45–47 s old when the
  // server stops, so after DOWNTIME_MS away it would be over a minute old by the wall clock, although
  // nothing happened to it: only Floorwatch was gone.
  const LAG_MS = 45_000;
  const DOWNTIME_MS = 17_000;
  const model = benchSite({ devices: 250 });
  const quiet = [...model.devices.values()].find((d) => d.kind === 'asic')!.id;
  const config = join(t.dir, 'site.yaml');
  const dbPath = join(t.dir, 'fw.db');
  let port = 0;
  let p: ChildProcess | undefined;
  let load: ReturnType<typeof startLoad> | undefined;

  async function stderrOf(child: ChildProcess): Promise<string> {
    let text = '';
    child.stderr?.on('data', (b: Buffer) => (text += b.toString()));
    return new Promise((resolve) => child.once('exit', () => resolve(text)));
  }

  async function checkAfterRestart(how: string): Promise<void> {
    const first = await firstAnswer(port);
    // Node's start, the config and the database open: well under the 5 s goal even on 2 shared cores.
    expect(first.healthz_ms, `${how}: /healthz after ${Math.round(first.healthz_ms)} ms`).toBeLessThan(5000);
    await untilReady(port);

    // The moment it is ready: every device that kept reporting is up, the quiet one is down (stale).
    const snap = await getJson<LiveSnapshot>(port, '/api/v1/site');
    expect(snap.figures.site.health.down, `${how}: devices down right after the restart`).toBe(1);
    const q = await getJson<DeviceStatus>(port, `/api/v1/devices/${quiet}`);
    expect(q.health).toBe('down');
    expect(q.reason).toBe('stale');

    // For the next 8 s (readings keep coming), nothing outage-like starts, not even pending; the quiet
    // device's own DeviceDown may be pending, never firing yet (it has not been down a minute of
    // Floorwatch's running time).
    const end = Date.now() + 8000;
    while (Date.now() < end) {
      const { alerts } = await getJson<{ alerts: AlertView[] }>(port, '/api/v1/alerts');
      const outage = alerts.filter((a) => OUTAGE_ALERTS.has(a.alertname) && a.key !== `DeviceDown:device:${quiet}`);
      expect(outage.map((a) => `${a.key} ${a.state}`), how).toEqual([]);
      expect(alerts.filter((a) => a.state === 'firing').map((a) => a.key), how).toEqual([]);
      const s = await getJson<LiveSnapshot>(port, '/api/v1/site');
      expect(s.figures.site.health.down, how).toBe(1);
      await new Promise((r) => setTimeout(r, 250));
    }
    // The restored live view is the last acknowledged reading of each device, not something older.
    const someDevice = [...load!.last.keys()][0];
    const got = await getJson<DeviceStatus>(port, `/api/v1/devices/${someDevice}`);
    expect(got.last_seen).toBeGreaterThanOrEqual(load!.last.get(someDevice)!.ts - 4000);
  }

  it('SIGTERM: the restarted server restores the live view, judges age by its own running time, and pages nobody', async () => {
    expect(existsSync(CLI), 'npm test builds dist/ first').toBe(true);
    writeFileSync(config, benchSiteYaml({ devices: 250 }));
    port = await freePort();
    p = serve(config, dbPath, port);
    procs.push(p);
    await firstAnswer(port);
    await untilReady(port);

    // The quiet device said something once, 5 minutes ago, and nothing since: stale before the shutdown.
    const r = await fetch(`http://127.0.0.1:${port}/api/v1/ingest`, {
      method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${BENCH_TOKEN}` },
      body: JSON.stringify({ readings: [{ device: quiet, ts: Date.now() - 5 * 60_000, metrics: benchMetrics('asic', 0) }] }),
    });
    expect(r.status).toBe(200);
    load = startLoad(model, () => port, { lagMs: LAG_MS, cycleMs: 2000, everyMs: 250, skip: new Set([quiet]) });
    await new Promise((res) => setTimeout(res, 4000));
    // Steady state before the restart: only the quiet device is down.
    expect((await getJson<LiveSnapshot>(port, '/api/v1/site')).figures.site.health.down).toBe(1);

    const gone = stderrOf(p);
    p.kill('SIGTERM');
    await exited(p);
    expect(p.exitCode).toBe(0);
    void gone;
    await new Promise((res) => setTimeout(res, DOWNTIME_MS));
    p = serve(config, dbPath, port);
    procs.push(p);
    await checkAfterRestart('SIGTERM');
  }, 60_000);

  it('kill -9: the same, from the last checkpoint plus what was committed after it', async () => {
    expect(p).toBeDefined();
    // Long enough for the periodic checkpoint to run at least once on this process.
    await new Promise((res) => setTimeout(res, 12_000));
    p!.kill('SIGKILL');
    await exited(p!);
    await new Promise((res) => setTimeout(res, DOWNTIME_MS));
    p = serve(config, dbPath, port);
    procs.push(p);
    await checkAfterRestart('kill -9');
    await load!.stop();
    expect(load!.counts().sent).toBeGreaterThan(0);
    p.kill('SIGTERM');
    await exited(p);
  }, 60_000);
});

describe('restore of a larger database', () => {
  const t = tempDir('floorwatch-restore-large-');
  const procs: ChildProcess[] = [];
  afterAll(() => {
    for (const p of procs) if (p.exitCode === null && p.signalCode === null) p.kill('SIGKILL');
    t.cleanup();
  });

  // 5,000 devices with 15 minutes of readings every 10 s: 450,000 rows in the raw tables.
  const DEVICES = 5000;
  const WINDOW_MS = 15 * 60_000;
  const INTERVAL_MS = 10_000;

  it('listens at once, reports "restoring live state" until the live view is back, and /healthz stays under 100 ms throughout', async () => {
    expect(existsSync(CLI), 'npm test builds dist/ first').toBe(true);
    const model = benchSite({ devices: DEVICES });
    const config = join(t.dir, 'site.yaml');
    writeFileSync(config, benchSiteYaml({ devices: DEVICES }));
    const dbPath = join(t.dir, 'fw.db');
    const db = openDatabase(dbPath);
    const keys = registerDevices(db, model.devices.values());
    const stmts = prepareSampleInserts(db);
    const devices = [...model.devices.values()];
    const now = Date.now();
    const fill = db.transaction((ts: number) => {
      devices.forEach((d, i) => stmts.insertMetrics(d.kind, ts + (i % INTERVAL_MS), keys.get(d.id)!, null, metricsOf(model, d.kind, i)));
    });
    for (let ts = now - WINDOW_MS; ts <= now - INTERVAL_MS; ts += INTERVAL_MS) fill(ts);
    db.close();

    const port = await freePort();
    const p = serve(config, dbPath, port);
    procs.push(p);
    const first = await firstAnswer(port);
    const watch = watchHealthz(`http://127.0.0.1:${port}`);
    const ready = await untilReady(port);
    const health = await watch.stop();
    expect(first.readyz.status, `/healthz answered after ${Math.round(first.healthz_ms)} ms; /readyz then: ${first.readyz.problems.join('; ')}`).toBe(503);
    expect(first.readyz.problems.some((x) => x.startsWith('restoring live state')), first.readyz.problems.join('; ')).toBe(true);
    expect(ready.seen.some((x) => x.startsWith('restoring live state'))).toBe(true);
    expect(health.failures).toEqual([]);
    expect(health.max_ms, `restore took ${Math.round(ready.ms)} ms after the first /healthz`).toBeLessThan(HEALTHZ_MAX_MS);
    expect(health.count).toBeGreaterThan(0);

    // Every device is back with its last reading: none down.
    const snap = await getJson<LiveSnapshot>(port, '/api/v1/site');
    expect(snap.figures.site.health.down).toBe(0);
    p.kill('SIGKILL');
    await exited(p);
  }, 120_000);
});

describe('ages in Floorwatch running time', () => {
  const T = 1_764_000_000_000;
  it('leaves out the spans Floorwatch was away, clipped to the reading and now', () => {
    expect(runningAgeMs(T + 100_000, T, undefined)).toBe(100_000);
    expect(runningAgeMs(T + 100_000, T, [])).toBe(100_000);
    expect(runningAgeMs(T + 100_000, T, [{ from: T + 10_000, to: T + 70_000 }])).toBe(40_000);
    // a span that began before the reading counts only from the reading on; one still open only until now
    expect(runningAgeMs(T + 100_000, T, [{ from: T - 50_000, to: T + 20_000 }])).toBe(80_000);
    expect(runningAgeMs(T + 100_000, T, [{ from: T + 90_000, to: T + 500_000 }])).toBe(90_000);
    expect(runningAgeMs(T + 100_000, T, [{ from: T + 10_000, to: T + 20_000 }, { from: T + 30_000, to: T + 50_000 }])).toBe(70_000);
    expect(runningAgeMs(T + 100_000, T, [{ from: T - 90_000, to: T - 10_000 }])).toBe(100_000);
  });

  it('a device 50 s silent when Floorwatch stopped is up after 10 min away; one 70 s silent stays down', () => {
    const model = siteModel();
    const d = model.devices.get('A-01-01')!;
    const offline = [{ from: T, to: T + 600_000 }];
    const now = T + 600_000 + 1000;
    const ctx = { now, stale_after_ms: STALE_AFTER_MS, offline };
    // hashing (a miner that answers with no hashrate is degraded 'not hashing', issue 13)
    const metrics = { hashrate_ths: 200 };
    expect(deviceHealth('asic', { model: d, ts: T - 50_000, metrics }, ctx).health).toBe('up');
    expect(deviceHealth('asic', { model: d, ts: T - 70_000, metrics }, ctx)).toEqual({ health: 'down', reason: 'stale' });
    // without the span, as before: both down
    expect(deviceHealth('asic', { model: d, ts: T - 50_000, metrics }, { now, stale_after_ms: STALE_AFTER_MS }).health).toBe('down');
  });

  it("an alert's `for` counts running time only: pending before a restart, it still waits out the rest", () => {
    const model = siteModel();
    const engine = createAlertEngine(defaultRules().filter((r) => r.name === 'DeviceDown'));
    const down = [asic('A-01-01', {}, { health: 'down', reason: 'stale', last_seen: T - 70_000 })];
    engine.evaluate({ now: T, figures: figures(), devices: down, model });
    expect(engine.get('DeviceDown:device:A-01-01')?.state).toBe('pending');
    // 20 s of running time, then Floorwatch away for 5 min, then back: 25 s of running time so far.
    const restored = createAlertEngine(defaultRules().filter((r) => r.name === 'DeviceDown'));
    restored.restore(engine.snapshot());
    const offline = [{ from: T + 20_000, to: T + 320_000 }];
    restored.evaluate({ now: T + 325_000, figures: figures(), devices: down, model, offline });
    expect(restored.get('DeviceDown:device:A-01-01')?.state).toBe('pending');
    restored.evaluate({ now: T + 359_000, figures: figures(), devices: down, model, offline });
    expect(restored.get('DeviceDown:device:A-01-01')?.state).toBe('pending');
    restored.evaluate({ now: T + 361_000, figures: figures(), devices: down, model, offline });
    expect(restored.get('DeviceDown:device:A-01-01')?.state).toBe('firing');
  });

  it('DataStale does not fire for the time Floorwatch itself was away', () => {
    const model = siteModel();
    const engine = createAlertEngine(defaultRules().filter((r) => r.name === 'DataStale'));
    const up = [asic('A-01-01', {}, { last_seen: T - 5000 })];
    engine.evaluate({ now: T + 300_000, figures: figures(), devices: up, model, offline: [{ from: T, to: T + 299_000 }] });
    expect(engine.active()).toEqual([]);
    engine.evaluate({ now: T + 300_000, figures: figures(), devices: up, model });
    expect(engine.active().map((a) => a.key)).toEqual(['DataStale:site']);
  });
});

describe('the live-view checkpoint', () => {
  const t = tempDir('floorwatch-checkpoint-');
  afterAll(() => t.cleanup());

  it('restores the merged live view from the checkpoint plus the raw rows after it, and nothing after a clean stop', async () => {
    const model = benchSite({ devices: 250 });
    const dbPath = join(t.dir, 'cp.db');
    const db = openDatabase(dbPath);
    const keys = registerDevices(db, model.devices.values());
    const stmts = prepareSampleInserts(db);
    const now = Date.now();
    const plan0 = beginRun(db, now, STALE_AFTER_MS);
    // A database without a runtime row: the legacy window, no checkpoint.
    expect(plan0.checkpoint).toBe(false);
    expect(plan0.replayFrom).toBe(now - 15 * 60_000);

    const live = createLiveState(model);
    const cp = createCheckpointer(db, keys, live, { marginMs: STALE_AFTER_MS });
    await cp.restore(plan0);
    // Two readings of one miner, each naming different metrics, merge in the live view.
    const store = (r: Reading) => {
      stmts.insertMetrics(model.devices.get(r.device)!.kind, r.ts, keys.get(r.device)!, null, r.metrics);
      live.apply(r);
    };
    store({ device: 'M1-01-01', ts: now - 2000, metrics: { hashrate_ths: 201, power_w: 3500 } });
    store({ device: 'M1-01-01', ts: now - 1000, metrics: { chip_temp_c: 70 } });
    live.setError('M1-01-02', 'refused', now - 500);
    store({ device: 'M1-01-02', ts: now - 3000, metrics: { hashrate_ths: 190 } });
    await cp.pass();
    expect(readRuntime(db)?.replay_from).toBeGreaterThanOrEqual(now - STALE_AFTER_MS);
    // Committed after the pass: only the raw rows know it.
    store({ device: 'M1-01-03', ts: now - 100, metrics: { hashrate_ths: 199 } });
    store({ device: 'M1-01-01', ts: now, metrics: { power_w: 3600 } });

    // As after a kill -9: a new process restores the same view.
    const plan1 = beginRun(db, Date.now(), STALE_AFTER_MS);
    expect(plan1.checkpoint).toBe(true);
    const live1 = createLiveState(model);
    const p1 = await createCheckpointer(db, keys, live1, { marginMs: STALE_AFTER_MS }).restore(plan1);
    expect(p1.checkpoint_rows).toBe(2);
    for (const id of ['M1-01-01', 'M1-01-02', 'M1-01-03']) {
      const a = live.devices.get(id)!;
      const b = live1.devices.get(id)!;
      expect({ ts: b.ts, metrics: b.metrics, error: b.error }, id).toEqual({ ts: a.ts, metrics: a.metrics, error: a.error });
    }
    expect(live1.devices.get('M1-01-01')!.metrics).toEqual({ hashrate_ths: 201, power_w: 3600, chip_temp_c: 70 });

    // A clean stop writes the whole view: the next start loads it and replays no raw row.
    const cp1 = createCheckpointer(db, keys, live1, { marginMs: STALE_AFTER_MS });
    await cp1.restore(plan1);
    cp1.final(Date.now());
    const plan2 = beginRun(db, Date.now(), STALE_AFTER_MS);
    expect(plan2.replayFrom).toBeNull();
    const live2 = createLiveState(model);
    const p2 = await createCheckpointer(db, keys, live2, { marginMs: STALE_AFTER_MS }).restore(plan2);
    expect(p2.replay_rows).toBe(0);
    expect(live2.devices.get('M1-01-03')!.ts).toBe(now - 100);
    db.close();
  });
});
