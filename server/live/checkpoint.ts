// What a restart needs to come back without a false outage (issue 11), migration 004:
// - a checkpoint of the live view per device, written by the running server in small slices, only for
//   the devices whose view changed since the last pass (nothing is added to the ingest hot path: a pass
//   compares each device's live timestamp with the one it last wrote);
// - the raw rows committed after the checkpoint, found by timestamp (runtime.replay_from);
// - a heartbeat of when Floorwatch was last running, from which the spans it was away are kept, so that
//   ages leave them out (server/figures/health.ts runningAgeMs).
// A restart loads the checkpoint, then replays raw rows from replay_from, both in slices that yield to
// the event loop, while the server already listens (/readyz: "restoring live state").

import { runRetryingBusy } from '../store/busy.js';
import type { Db } from '../store/db.js';
import type { SqlStatement } from '../store/thread.js';
import type { LiveState } from './state.js';
import type { OfflineSpan } from '../figures/health.js';
import {
  DEVICE_KINDS, METRICS_BY_KIND,
  type DeviceKind, type DeviceLive, type MetricName, type Reading,
} from '../core/types.js';
import { powerSourceCode, powerSourceOf } from '../store/samples.js';
import { decodeChunkRows } from '../store/chunks.js';

/** The raw window replayed when there is no checkpoint yet (a database from before migration 004). */
export const LEGACY_REPLAY_MS = 15 * 60_000;
/** Spans kept: a crash loop must not make every age computation walk a long list. */
const OFFLINE_KEEP = 20;
/** ...and none older than this: past it, any device silent since before the span is long stale anyway. */
const OFFLINE_KEEP_MS = 24 * 3_600_000;

export interface Runtime {
  running_at: number;
  replay_from: number | null;
  clean: boolean;
  offline: OfflineSpan[];
}

function parseOffline(text: string): OfflineSpan[] {
  try {
    const v = JSON.parse(text) as unknown;
    if (!Array.isArray(v)) return [];
    const out: OfflineSpan[] = [];
    for (const p of v) {
      if (Array.isArray(p) && typeof p[0] === 'number' && typeof p[1] === 'number' && p[1] > p[0]) out.push({ from: p[0], to: p[1] });
    }
    return out;
  } catch {
    return [];
  }
}

export function readRuntime(db: Db): Runtime | null {
  const row = db.prepare('SELECT running_at, replay_from, clean, offline FROM runtime WHERE id = 1').get() as
    { running_at: number; replay_from: number | null; clean: number; offline: string } | undefined;
  if (row === undefined) return null;
  return { running_at: row.running_at, replay_from: row.replay_from, clean: row.clean === 1, offline: parseOffline(row.offline) };
}

export interface StartPlan {
  /** spans Floorwatch was away, the one that ends now included */
  offline: OfflineSpan[];
  /** replay raw rows with ts >= this; null = nothing to replay (clean stop after a final checkpoint) */
  replayFrom: number | null;
  /** whether a checkpoint exists to load */
  checkpoint: boolean;
}

/**
 * Start-up bookkeeping, before anything is committed: the span since the last heartbeat becomes an
 * offline span, and the runtime row says "running, not stopped cleanly" from now on (a crash during the
 * restore then replays the same rows again next time: replay_from is left as it was).
 */
export function beginRun(db: Db, now: number, staleAfterMs: number): StartPlan {
  const rt = readRuntime(db);
  const legacyFrom = now - Math.max(LEGACY_REPLAY_MS, staleAfterMs);
  let offline = rt?.offline ?? [];
  if (rt !== null && now > rt.running_at) offline.push({ from: rt.running_at, to: now });
  offline = offline.filter((s) => s.to > now - OFFLINE_KEEP_MS).slice(-OFFLINE_KEEP);
  const plan: StartPlan = {
    offline,
    replayFrom: rt === null || rt.replay_from === null ? legacyFrom : rt.clean ? null : rt.replay_from,
    checkpoint: rt !== null && rt.replay_from !== null,
  };
  db.prepare(`INSERT INTO runtime (id, running_at, replay_from, clean, offline) VALUES (1, ?, ?, 0, ?)
    ON CONFLICT(id) DO UPDATE SET running_at = excluded.running_at, clean = 0, offline = excluded.offline`)
    .run(now, rt?.replay_from ?? null, JSON.stringify(offline.map((s) => [s.from, s.to])));
  return plan;
}

const HEARTBEAT_SQL = 'UPDATE runtime SET running_at = ? WHERE id = 1';

export function heartbeat(db: Db, now: number): void {
  db.prepare(HEARTBEAT_SQL).run(now);
}

/** The heartbeat as a statement for the writer's connection (Writer.exec). */
export function heartbeatStatement(now: number): SqlStatement {
  return [HEARTBEAT_SQL, [now]];
}

export interface RestoreProgress {
  phase: 'checkpoint' | 'replay' | 'done';
  /** checkpoint rows and raw rows read so far */
  checkpoint_rows: number;
  replay_rows: number;
  /** a step threw (logged and counted by the guard): the rest of that part was skipped */
  failed?: boolean;
}

export interface CheckpointOptions {
  /** a pass's rows are committed in transactions of at most this many devices */
  sliceRows?: number;
  /** a restore step reads for at most about this long before yielding to the event loop (ms) */
  sliceMs?: number;
  /**
   * The restore's first steps run without yielding for up to this long (ms): a small site is then fully
   * restored before the first request is served, as before; a large one goes on in slices.
   */
  firstSliceMs?: number;
  /**
   * How far before a pass's start the next restart replays raw rows. A reading committed after the pass
   * wrote its device may carry any older timestamp; one older than stale_after when it is committed makes
   * its device stale on arrival, so missing it on restart changes no device's health, only the values
   * of a device that is down anyway. So the stale window is the margin that keeps health exact.
   */
  marginMs: number;
  /** runs one synchronous step under the server's background guard; false = it threw (logged, counted) */
  guard?: (task: string, fn: () => void) => boolean;
  /**
   * Runs a pass's statements on the writer's connection (Writer.exec), in turn with the ingest commits.
   * Without it a pass writes on `db` and retries when the lock is taken; under the bench's 100k-device
   * ingest the passes still lost it (a pass that fails leaves the next restart more raw rows to replay).
   */
  exec?: (statements: readonly SqlStatement[], opts: { durable: boolean }) => Promise<void>;
}

export interface Checkpointer {
  /**
   * Loads the checkpoint and replays the raw rows after it into the live state, in slices that yield.
   * Readings applied meanwhile by ingest are newer and win (the live state never rolls back).
   */
  restore(plan: StartPlan, onProgress?: (p: RestoreProgress) => void): Promise<RestoreProgress>;
  /** One pass over the live view in slices that yield; resolves when written (or stopped). */
  pass(): Promise<void>;
  /** The whole pass at once (shutdown, after the last commit): a restart then replays nothing. */
  final(now: number): void;
  stop(): void;
}

interface Written {
  ts: number;
  ets: number;
}

const yieldToLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

export function createCheckpointer(db: Db, keys: ReadonlyMap<string, number>, live: LiveState, opts: CheckpointOptions): Checkpointer {
  // 500 rows a transaction: 2,000 (with its commit) held the event loop 60-120 ms at 100k devices.
  const sliceRows = opts.sliceRows ?? 500;
  // About 12 ms of restore per turn of the event loop. With 100k devices pushing 10,000 readings/s
  // meanwhile, 8 ms slices (and whole-row replay) took 31 s to ready; 20 ms slices let /healthz reach
  // 108 ms on a loaded 2-core machine (5,000 devices, 450k rows), since a slice is timed in wall clock
  // and the process may lose its core mid-slice. Pages are small so one page never overshoots much.
  const sliceMs = opts.sliceMs ?? 12;
  const guard = opts.guard ?? ((_task: string, fn: () => void) => (fn(), true));
  const written = new Map<DeviceLive, Written>();
  let stopped = false;
  let passing = false;
  // Until the restore is complete the live view lacks part of what is on disk: no pass may record a
  // replay_from that would let the next start skip it.
  let restored = false;

  const UPSERT_SQL = `INSERT INTO live_checkpoint (device, ts, power_source, metrics, error_reason, error_ts) VALUES (?, ?, ?, ?, ?, ?)
    ON CONFLICT(device) DO UPDATE SET ts = excluded.ts, power_source = excluded.power_source, metrics = excluded.metrics,
      error_reason = excluded.error_reason, error_ts = excluded.error_ts`;
  const SET_REPLAY_FROM_SQL = 'UPDATE runtime SET replay_from = ?, running_at = max(running_at, ?) WHERE id = 1';
  const upsert = db.prepare(`INSERT INTO live_checkpoint (device, ts, power_source, metrics, error_reason, error_ts) VALUES (?, ?, ?, ?, ?, ?)
    ON CONFLICT(device) DO UPDATE SET ts = excluded.ts, power_source = excluded.power_source, metrics = excluded.metrics,
      error_reason = excluded.error_reason, error_ts = excluded.error_ts`);
  const setReplayFrom = db.prepare(SET_REPLAY_FROM_SQL);
  const writeRows = db.transaction((rows: { key: number; live: DeviceLive }[]) => {
    for (const { key, live: d } of rows) {
      const ts = d.ts as number;
      upsert.run(key, ts, powerSourceCode(d.power_source) ?? null, JSON.stringify(d.metrics), d.error?.reason ?? null, d.error?.ts ?? null);
      const w = written.get(d);
      if (w) {
        w.ts = ts;
        w.ets = d.error?.ts ?? -1;
      } else written.set(d, { ts, ets: d.error?.ts ?? -1 });
    }
  });

  // A slice is committed without its own fsync (synchronous = NORMAL for that one transaction, set back
  // before anything else runs on the connection): the next ingest commit's fsync makes it durable, and a
  // slice lost to a power cut only means replaying from the previous pass's replay_from, which WAL order
  // keeps consistent (a later replay_from is never durable without the slices before it). 200 fsyncs a
  // pass at 100k devices would otherwise hold the event loop for as long as the disk takes each.
  const syncMode = db.pragma('synchronous', { simple: true }) as number;
  function writeSlice(rows: { key: number; live: DeviceLive }[]): void {
    db.pragma('synchronous = NORMAL');
    try {
      writeRows(rows);
    } finally {
      db.pragma(`synchronous = ${syncMode}`);
    }
  }

  /** The same slice on the writer's connection; `written` is updated once it is committed. */
  async function execSlice(exec: NonNullable<CheckpointOptions['exec']>, rows: { key: number; live: DeviceLive }[]): Promise<void> {
    const done: [DeviceLive, number, number][] = [];
    const statements: SqlStatement[] = [];
    for (const { key, live: d } of rows) {
      const ts = d.ts as number;
      statements.push([UPSERT_SQL, [key, ts, powerSourceCode(d.power_source) ?? null, JSON.stringify(d.metrics), d.error?.reason ?? null, d.error?.ts ?? null]]);
      done.push([d, ts, d.error?.ts ?? -1]);
    }
    await exec(statements, { durable: false });
    for (const [d, ts, ets] of done) {
      const w = written.get(d);
      if (w) {
        w.ts = ts;
        w.ets = ets;
      } else written.set(d, { ts, ets });
    }
  }

  function changed(): { key: number; live: DeviceLive }[] {
    const out: { key: number; live: DeviceLive }[] = [];
    for (const [id, d] of live.devices) {
      if (d.ts === null) continue;
      const w = written.get(d);
      if (w !== undefined && w.ts === d.ts && w.ets === (d.error?.ts ?? -1)) continue;
      const key = keys.get(id);
      if (key !== undefined) out.push({ key, live: d });
    }
    return out;
  }

  async function restore(plan: StartPlan, onProgress?: (p: RestoreProgress) => void): Promise<RestoreProgress> {
    const progress: RestoreProgress = { phase: 'checkpoint', checkpoint_rows: 0, replay_rows: 0 };
    // Stored readings are placed in the live order as of the restart (live/state.ts restore()): one still
    // stamped ahead of the clock then loses to the correct readings that followed it, as before the stop.
    const restartedAt = Date.now();
    const syncUntil = performance.now() + (opts.firstSliceMs ?? 50);
    const byKey: (DeviceLive | undefined)[] = [];
    for (const [id, k] of keys) byKey[k] = live.devices.get(id);
    const step = async (task: string, fn: () => boolean): Promise<void> => {
      // Each step is a few short queries (LIMIT'ed keyset pages) within about sliceMs, then a yield: an
      // open iterate() across a yield would keep the connection busy for every other statement.
      for (let more = true; more && !stopped;) {
        const t0 = performance.now();
        const within = () => { const t = performance.now(); return t - t0 < sliceMs || t < syncUntil; };
        if (!guard(task, () => { while ((more = fn()) && within()); })) {
          progress.failed = true;
          return;
        }
        onProgress?.(progress);
        if (performance.now() >= syncUntil) await yieldToLoop();
      }
    };

    if (plan.checkpoint) {
      const page = db.prepare('SELECT device, ts, power_source, metrics, error_reason, error_ts FROM live_checkpoint WHERE device > ? ORDER BY device LIMIT 250').raw(true);
      let after = -1;
      await step('restore', () => {
        const rows = page.all(after) as [number, number, number | null, string, string | null, number | null][];
        for (const [key, ts, src, metrics, errReason, errTs] of rows) {
          after = key;
          const d = byKey[key];
          if (d === undefined) continue;
          const reading: Reading = { device: d.model.id, ts, metrics: JSON.parse(metrics) as Reading['metrics'] };
          if (src !== null) reading.power_source = powerSourceOf(src);
          live.restore(reading, restartedAt);
          if (errReason !== null && errTs !== null) live.setError(d.model.id, errReason, errTs);
          // What is on disk already: the first pass need not write it again.
          if (d.ts === ts) written.set(d, { ts, ets: d.error?.ts ?? -1 });
        }
        progress.checkpoint_rows += rows.length;
        return rows.length === 250;
      });
    }

    progress.phase = 'replay';
    if (plan.replayFrom !== null) {
      for (const kind of DEVICE_KINDS) await replayKind(kind, plan.replayFrom, byKey, progress, step, restartedAt);
    }
    if (!stopped) {
      progress.phase = 'done';
      restored = true;
    }
    onProgress?.(progress);
    return progress;
  }

  async function replayKind(
    kind: DeviceKind, from: number, byKey: (DeviceLive | undefined)[], progress: RestoreProgress,
    step: (task: string, fn: () => boolean) => Promise<void>, restartedAt: number,
  ): Promise<void> {
    const cols = METRICS_BY_KIND[kind] as readonly MetricName[];
    const PAGE = 500;
    // Keyset pages of (ts, device) alone on the primary key: a range search per page, never a scan of the
    // table. Most rows of the window are older than what the checkpoint already gave their device; only
    // the others are read whole, by key. Measured on 274,788 rows of 100k miners: the whole rows in pages
    // took 1,209 ms, the two keys 347 ms.
    const page = db.prepare(`SELECT ts, device FROM samples_${kind} WHERE (ts, device) > (?, ?) ORDER BY ts, device LIMIT ${PAGE}`).raw(true);
    const whole = db.prepare(`SELECT power_source, ${cols.join(', ')} FROM samples_${kind} WHERE ts = ? AND device = ?`).raw(true);
    // First the compacted windows that end after `from` (a long outage, or an old checkpoint), oldest
    // window first, in keyset pages of (window_end, device) on their index: every row of such a window
    // newer than what the device shows, in time order, like the raw rows below (the head is newer still).
    const chunkPage = db.prepare(`SELECT window_end, device, blob FROM chunks_${kind} WHERE (window_end, device) > (?, ?) ORDER BY window_end, device LIMIT 50`).raw(true);
    let afterEnd = from;
    let afterChunkDevice = Number.MAX_SAFE_INTEGER;
    await step('restore', () => {
      const rows = chunkPage.all(afterEnd, afterChunkDevice) as [number, number, Uint8Array][];
      for (const [end, key, blob] of rows) {
        afterEnd = end;
        afterChunkDevice = key;
        const d = byKey[key];
        if (d === undefined) continue;
        const w = decodeChunkRows(kind, blob);
        for (let i = 0; i < w.ts.length; i++) {
          const ts = w.ts[i];
          if (ts < from || (d.ts !== null && ts <= d.ts)) continue;
          const metrics: Reading['metrics'] = {};
          for (let j = 0; j < cols.length; j++) {
            const v = w.columns[1 + j][i];
            if (!Number.isNaN(v)) metrics[cols[j]] = v;
          }
          const reading: Reading = { device: d.model.id, ts, metrics };
          const src = w.columns[0][i];
          if (!Number.isNaN(src)) reading.power_source = powerSourceOf(src);
          live.restore(reading, restartedAt);
          progress.replay_rows++;
        }
      }
      return rows.length === 50;
    });
    let afterTs = from - 1;
    let afterDevice = Number.MAX_SAFE_INTEGER;
    await step('restore', () => {
      const rows = page.all(afterTs, afterDevice) as [number, number][];
      for (const [ts, key] of rows) {
        afterTs = ts;
        afterDevice = key;
        const d = byKey[key];
        // Not newer than what the device shows (from the checkpoint, or from ingest since the start): the
        // live state would ignore an older one, and the row at the checkpoint's own timestamp is the one
        // the checkpoint holds (re-reading those was 100k point queries, ~0.5 s, at 100k devices). A
        // duplicate of that (device, ts) committed after the pass wrote the device is the one case missed.
        if (d === undefined || (d.ts !== null && ts <= d.ts)) continue;
        const row = whole.get(ts, key) as (number | null)[] | undefined;
        if (row === undefined) continue; // deleted by retention meanwhile
        const metrics: Reading['metrics'] = {};
        // NULL is "not in that reading" (the store cannot tell it from a reported null): the restored view
        // keeps the metric the live view had merged from an earlier reading, as the live state did.
        for (let i = 0; i < cols.length; i++) {
          const v = row[1 + i];
          if (v !== null) metrics[cols[i]] = v;
        }
        const reading: Reading = { device: d.model.id, ts, metrics };
        const src = row[0];
        if (src !== null) reading.power_source = powerSourceOf(src);
        live.restore(reading, restartedAt);
      }
      progress.replay_rows += rows.length;
      return rows.length === PAGE;
    });
  }

  /** An async step's failure goes to the guard (logged, counted) like a synchronous one's. */
  async function execGuarded(fn: () => Promise<void>): Promise<boolean> {
    try {
      await fn();
      return true;
    } catch (e) {
      return guard('checkpoint', () => {
        throw e;
      });
    }
  }

  function finishPass(startedAt: number): void {
    setReplayFrom.run(startedAt - opts.marginMs, startedAt);
  }

  return {
    restore,
    async pass() {
      if (passing || stopped || !restored) return;
      passing = true;
      try {
        const startedAt = Date.now();
        let rows: { key: number; live: DeviceLive }[] = [];
        if (!guard('checkpoint', () => void (rows = changed()))) return;
        const exec = opts.exec;
        for (let i = 0; i < rows.length && !stopped; i += sliceRows) {
          const slice = rows.slice(i, i + sliceRows);
          if (exec !== undefined) {
            if (!(await execGuarded(() => execSlice(exec, slice)))) return;
          } else {
            if (!(await runRetryingBusy({ run: guard }, 'checkpoint', () => writeSlice(slice)))) return;
            await yieldToLoop();
          }
        }
        if (stopped) return;
        if (exec !== undefined) await execGuarded(() => exec([[SET_REPLAY_FROM_SQL, [startedAt - opts.marginMs, startedAt]]], { durable: true }));
        else await runRetryingBusy({ run: guard }, 'checkpoint', () => finishPass(startedAt));
      } finally {
        passing = false;
      }
    },
    final(now) {
      stopped = true;
      if (!restored) {
        // Closed mid-restore: leave the runtime row as it was, so the next start restores all of it.
        heartbeat(db, now);
        return;
      }
      db.transaction(() => {
        writeRows(changed());
        db.prepare('UPDATE runtime SET replay_from = ?, running_at = ?, clean = 1 WHERE id = 1').run(now - opts.marginMs, now);
      })();
    },
    stop() {
      stopped = true;
    },
  };
}
