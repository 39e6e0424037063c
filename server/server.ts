// The composition root: opens the store, builds the live view, the hub, alerts, ingest and the HTTP app,
// starts the background steps, and stops it all in order. Each part is in its own module; this file only
// wires them (docs/ARCHITECTURE.md §1 has the layers).

import { createServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Server as IoServer } from 'socket.io';
import type { SiteModel } from './core/types.js';
import type { Db } from './store/db.js';
import { openStore } from './store/open.js';
import type { IntegrityMonitor } from './store/integrity.js';
import { runRetryingBusy } from './store/busy.js';
import type { Writer } from './store/writer.js';
import { createScopeRollups, registerScopes, scopeNames } from './store/rollups.js';
import { seedDayLedger } from './store/economics-day-store.js';
import { scheduleStoreSteps } from './store/housekeeping.js';
import { beginRun, createCheckpointer, heartbeatStatement } from './live/checkpoint.js';
import { createLiveState, type LiveState } from './live/state.js';
import { createHub, type Hub } from './live/hub.js';
import { createSiteAlerts, type SiteAlerts } from './live/alerts.js';
import { createCurtailments, type Curtailments } from './live/curtailments.js';
import { prepareIndex } from './figures/site-index.js';
import { createIngestPipeline, type IngestPipeline } from './ingest/pipeline.js';
import { createParsePool, defaultParseThreads, type ParsePool } from './ingest/parse-pool.js';
import { attachLive } from './realtime/live.js';
import { createExposition, type Exposition } from './exposition/prometheus.js';
import type { SchedulerHandle } from './collectors/types.js';
import { createLogger, type Logger } from './log.js';
import { createBackgroundTasks, type BackgroundTasks } from './lifecycle/background.js';
import { createRequestTracker } from './lifecycle/requests.js';
import { startRestore } from './lifecycle/restore.js';
import { startCollectors, type RunningCollectors } from './lifecycle/collectors.js';
import { createNotifications } from './lifecycle/notify.js';
import { createRemoteWriting } from './lifecycle/remote.js';
import { guardSocket } from './http/security.js';
import { createApp } from './app.js';

export interface ServerOptions {
  model: SiteModel;
  dbPath: string;
  port?: number;
  host?: string;
  /** seconds without a reading after which a device is down */
  staleAfterS?: number;
  /** figures and socket updates period (ms) */
  tickMs?: number;
  /** receives each log line (pino JSON) instead of stdout; ignored when `logger` is given */
  log?: (line: string) => void;
  logger?: Logger;
  /** how long close() waits for in-flight requests (a push waiting for its commit) before cutting them (ms) */
  drainMs?: number;
  /** poll the devices that have an address or exporter (default true) */
  collectors?: boolean;
  /** start a new database in a 0-byte --db file instead of refusing it (`serve --init-db`) */
  initDb?: boolean;
  /** alert-state save period (ms, default 10 s) */
  alertsSaveMs?: number;
  /** scope (rack/hall/site) rollups are written at least this often (ms, default 10 s) */
  rollupFlushMs?: number;
  /** PRAGMA quick_check period after the one at start (ms, default 1 h) */
  integrityCheckMs?: number;
  /** bytes all in-flight request bodies may hold at once; beyond, 503 with Retry-After (default 64 MiB) */
  maxBufferedBodyBytes?: number;
  /** how long a request body may take to arrive in full; beyond, 408 and its share is released (default 30 s) */
  bodyTimeoutMs?: number;
  /** period of the live-view checkpoint a restart starts from (ms) */
  checkpointMs?: number;
  /** threads that parse and validate large push bodies off the main thread (default: cores − 2, 0 to 4; 0: none) */
  ingestThreads?: number;
}

export interface RunningServer {
  url: string;
  port: number;
  http: HttpServer;
  db: Db;
  live: LiveState;
  hub: Hub;
  pipeline: IngestPipeline;
  /** the ingest threads (absent with ingestThreads: 0) */
  parsePool?: ParsePool;
  writer: Writer;
  exposition: Exposition;
  alerts: SiteAlerts;
  curtailments: Curtailments;
  scheduler?: SchedulerHandle;
  /** socket.io server (/live) */
  io: IoServer;
  /** settles once the live view is restored from the store (/readyz says "restoring live state" until then) */
  restored: Promise<void>;
  close(): Promise<void>;
}

/**
 * The running-heartbeat period (ms): after a kill -9, up to this much of the time before the crash counts
 * as downtime, i.e. a device silent since then looks that much younger. One tiny UPDATE per period.
 */
const HEARTBEAT_MS = 2000;
/**
 * Live-view checkpoint period (ms): a restart after kill -9 replays about this plus stale_after of raw
 * rows. A pass writes every device whose view changed: at 100k devices reporting every 10 s that is all
 * of them, 450-700 ms of CPU and ~35 MB of WAL per pass (measured), so 15 s: ~4 % of a core, against a
 * restore of ~75 s of raw rows (4.4 s spawn to ready with a 10 s period under the bench's load).
 */
const CHECKPOINT_MS = 15_000;

/** The server's own URL for this machine: the host it listens on, or localhost when that is every address. */
function localUrl(listenHost: string | undefined, port: number): string {
  const host = listenHost && listenHost !== '0.0.0.0' && listenHost !== '::' ? listenHost : 'localhost';
  return `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
}

/** The ingest threads, or none with 0. A thread that fails leaves its bodies to the main thread. */
function startParsePool(threads: number, model: SiteModel, keys: ReadonlyMap<string, number>, logger: Logger): ParsePool | undefined {
  if (threads <= 0) return undefined;
  const onError = (err: Error) => logger.error({ err: err.message }, `ingest thread failed (its bodies are parsed on the main thread; replaced on the next one): ${err.message}`);
  return createParsePool({ model, keys, threads, onError });
}

/** PRAGMA quick_check once now and then every `everyMs`, on its own connection and thread. */
function scheduleIntegrityChecks(integrity: IntegrityMonitor, background: BackgroundTasks, everyMs: number): void {
  background.run('integrity_check', () => integrity.check());
  background.every('integrity_check', everyMs, () => integrity.check(), { unref: true });
}

export async function startServer(opts: ServerOptions): Promise<RunningServer> {
  const { model } = opts;
  const logger = opts.logger ?? createLogger({ sink: opts.log });
  const staleAfterMs = (opts.staleAfterS ?? 60) * 1000;
  const store = openStore({
    dbPath: opts.dbPath, initDb: opts.initDb, devices: model.devices.values(), retention: model.retention,
    onCommitError: (err) => logger.error({ err: err.message }, `store: commit failed: ${err.message}`),
    onIntegrityProblems: (problems) => logger.error({ problems }, 'database: integrity check failed'),
  });
  const { db, keys, writer, integrity } = store;
  const live = createLiveState(model, { carryMs: staleAfterMs });
  // Restart: the time since the last heartbeat is an offline span that no device's age counts.
  const plan = beginRun(db, Date.now(), staleAfterMs);
  const index = prepareIndex(model);
  let collectors: RunningCollectors | null = null;
  const notify = createNotifications(model, logger);
  const curtailments = createCurtailments({ model, db });
  const alerts = createSiteAlerts({ model, index, db, staleAfterS: staleAfterMs / 1000, collectorsLastOk: () => collectors?.lastOk() ?? new Map(), curtailments: () => curtailments.alertTargets(), observer: notify?.notifier.observer });
  const hub = createHub({ model, live, staleAfterMs, alerts, curtailments, index, offline: () => plan.offline, day: seedDayLedger(db, model, Date.now()), setTimer: (fn, ms) => background.once('update', ms, fn) });
  const exposition = createExposition(model, hub, () => alerts.firingCounts(), () => notify?.notifier.stats() ?? [], () => remote?.remote.stats() ?? []);
  const background = createBackgroundTasks({
    log: (task, err) => logger.error({ task, err: err.message }, 'background step failed'),
    count: (task) => exposition.backgroundErrors.inc({ task }),
  });
  const remote = createRemoteWriting(model, logger, background, hub);
  const pipeline = createIngestPipeline({
    model, keys, writer, live, committed: remote?.committed, changed: () => hub.changed(),
    counters: { samples: (n) => exposition.ingestSamples.inc(n), rejected: (reason, n) => exposition.ingestRejected.inc({ reason }, n) },
  });

  // History: scope rollups from each tick (device rollups are SQL triggers); retention and compaction in steps, on the writer thread.
  const scopeRollups = createScopeRollups(db, { scopes: registerScopes(db, scopeNames(hub.figures())), flushEveryMs: opts.rollupFlushMs });
  hub.on('tick', (f) => void background.run('rollups', () => scopeRollups.record(f, f.site.ts)));
  scheduleStoreSteps(db, writer, model.retention, background);

  // The restore runs while the server listens; the figures tick (and with it the alert engine) starts
  // only once the live view is back, so no device is judged on a half-restored view.
  const checkpoint = createCheckpointer(db, keys, live, { marginMs: staleAfterMs, guard: background.run, exec: (st, o) => writer.exec(st, o) });
  let closed = false;
  const restoring = startRestore(checkpoint, plan, logger, () => {
    if (closed) return;
    background.run('tick', () => hub.tick());
    background.every('tick', opts.tickMs ?? 1000, () => hub.tick());
    background.every('checkpoint', opts.checkpointMs ?? CHECKPOINT_MS, () => void checkpoint.pass());
  });
  // On the writer's connection, in turn with the commits; without its own fsync (the next commit's makes
  // it durable): a heartbeat lost to a power cut only starts the offline span up to 2 s earlier.
  background.every('heartbeat', HEARTBEAT_MS, () => background.runAsync('heartbeat', () => writer.exec([heartbeatStatement(Date.now())], { durable: false })), { unref: true });

  const parsePool = startParsePool(opts.ingestThreads ?? defaultParseThreads(), model, keys, logger);
  const requests = createRequestTracker();
  const app = createApp({
    model, db, writer, integrity, hub, alerts, curtailments, pipeline, parsePool, exposition, logger, requests,
    maxBufferedBodyBytes: opts.maxBufferedBodyBytes, bodyTimeoutMs: opts.bodyTimeoutMs,
    health: {
      restoring: restoring.message, lastStoreError: store.lastError, alertmanagers: () => notify?.notifier.problems() ?? [], remotes: () => remote?.remote.problems() ?? [],
      collectors: () => (collectors === null ? null : { running: !requests.draining(), last_ok: Object.fromEntries(collectors.lastOk()) }),
    },
  });
  const http = createServer(app);
  const { io } = attachLive(http, hub, { corsOrigins: model.auth.cors_origins ?? [] });
  guardSocket(io, model.auth);
  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen(opts.port ?? 8080, opts.host ?? '0.0.0.0', () => resolve());
  });
  background.every('alerts_save', opts.alertsSaveMs ?? 10_000, () => void runRetryingBusy(background, 'alerts_save', () => alerts.save()));
  if (integrity !== null) scheduleIntegrityChecks(integrity, background, opts.integrityCheckMs ?? 3_600_000);
  if (opts.collectors ?? true) collectors = startCollectors({ model, pipeline, live, exposition, logger });

  const port = (http.address() as AddressInfo).port;
  notify?.start({ background, active: () => alerts.active(), host: opts.host, port });
  return {
    url: localUrl(opts.host, port),
    port, http, db, live, hub, pipeline, parsePool, writer, exposition, alerts, curtailments, scheduler: collectors?.scheduler, io, restored: restoring.restored,
    async close() {
      if (closed) return;
      closed = true;
      // Drain: /readyz now fails, so balancers stop sending; requests already on their way are served.
      await requests.drain(http, opts.drainMs ?? 10_000);
      background.stopAll(); // the ticks, and a socket update still waiting for its window (hub.setTimer)
      checkpoint.stop(); // a pass under way sends no more slices: the writer closes below
      await Promise.all([collectors?.scheduler.stop(), notify?.notifier.stop(), remote?.remote.stop()]);
      // Upgraded websockets are not among closeAllConnections()'s: socket.io closes them, then the server.
      http.closeAllConnections();
      await new Promise<void>((resolve) => void io.close(() => resolve()));
      await parsePool?.close();
      background.run('rollups', () => scopeRollups.flush());
      await writer.close();
      await integrity?.stop();
      // Every commit is applied: the whole live view goes to the checkpoint, so the next start replays nothing.
      background.run('checkpoint', () => checkpoint.final(Date.now()));
      background.run('alerts_save', () => alerts.save());
      db.close();
    },
  };
}
