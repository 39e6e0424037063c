import { createServer, type Server as HttpServer } from 'node:http';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import express from 'express';
import type { Server as IoServer } from 'socket.io';
import type { SiteModel } from './core/types.js';
import { MAIN_BUSY_TIMEOUT_MS, openDatabase, type Db } from './store/db.js';
import { registerDevices } from './store/samples.js';
import { beginRun, createCheckpointer, heartbeatStatement, type RestoreProgress } from './live/checkpoint.js';
import { createThreadWriter, createWriter, type Writer, type WriterOptions } from './store/writer.js';
import { createIntegrityMonitor } from './store/integrity.js';
import { packageRoot } from './store/paths.js';
import { createLiveState, type LiveState } from './live/state.js';
import { createHub, type Hub } from './live/hub.js';
import { createIngestPipeline, type IngestPipeline } from './ingest/pipeline.js';
import { ingestRouter, bodyErrorHandler } from './http/ingest.js';
import { apiRouter } from './http/api.js';
import { attachLive } from './realtime/live.js';
import { createExposition, type Exposition } from './exposition/metrics.js';
import { createScopeRollups, registerScopes, scopeNames } from './store/rollups.js';
import { createRetention } from './store/retention.js';
import { historyRouter } from './http/history.js';
import { prepareIndex } from './core/compute.js';
import { createSiteAlerts, type SiteAlerts } from './live/alerts.js';
import { alertsRouter } from './http/alerts.js';
import { startScheduler } from './collectors/scheduler.js';
import type { SchedulerHandle } from './collectors/types.js';
import { createLogger, requestLogger, type Logger } from './log.js';
import { createBackgroundTasks } from './lifecycle/background.js';
import { runRetryingBusy } from './store/busy.js';
import { healthRouter } from './http/health.js';
import { cors, guardSocket, ingestRateLimit, securityHeaders } from './http/security.js';
import { requireMetricsToken, requireRead } from './http/auth.js';
import { canonicalUrl } from './http/paths.js';
import { finalErrorHandler, notFoundHandler } from './http/errors.js';
import { createBodyBudget } from './http/body.js';

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
}

export interface RunningServer {
  url: string;
  port: number;
  http: HttpServer;
  db: Db;
  live: LiveState;
  hub: Hub;
  pipeline: IngestPipeline;
  writer: Writer;
  exposition: Exposition;
  alerts: SiteAlerts;
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

export async function startServer(opts: ServerOptions): Promise<RunningServer> {
  const { model } = opts;
  const logger = opts.logger ?? createLogger({ sink: opts.log });
  const log = (line: string) => logger.warn(line);
  const db = openDatabase(opts.dbPath, { initDb: opts.initDb, busyTimeoutMs: MAIN_BUSY_TIMEOUT_MS });
  const keys = registerDevices(db, model.devices.values());
  const staleAfterMs = (opts.staleAfterS ?? 60) * 1000;
  const live = createLiveState(model, { carryMs: staleAfterMs });
  // Restart: the live state continues from what was committed (the checkpoint, then the raw rows after
  // it, restored in slices once listening), and the time since the last heartbeat is an offline span
  // that no device's age counts.
  const plan = beginRun(db, Date.now(), staleAfterMs);

  const index = prepareIndex(model);
  const collectorsLastOk = new Map<string, number>();
  const alerts = createSiteAlerts({ model, index, db, staleAfterS: staleAfterMs / 1000, collectorsLastOk: () => collectorsLastOk });
  const hub = createHub({ model, live, staleAfterMs, alerts, index, offline: () => plan.offline });
  const exposition = createExposition(model, hub, () => alerts.firingCounts());
  const background = createBackgroundTasks({
    log: (task, err) => logger.error({ task, err: err.message }, 'background step failed'),
    count: (task) => exposition.backgroundErrors.inc({ task }),
  });
  let lastStoreError: { at: number; message: string } | null = null;
  let draining = false;
  let inFlight = 0;
  let lastRequestAt = 0;
  let scheduler: SchedulerHandle | undefined;
  const writerOpts: WriterOptions = {
    afterCommit: (rows) => {
      lastStoreError = null;
      for (const r of rows) live.apply(r.reading);
    },
    onError: (err) => {
      lastStoreError = { at: Date.now(), message: err.message };
      log(`store: commit failed: ${err.message}`);
    },
  };
  // Ingest commits on their own thread and connection (store/writer.ts); an in-memory database has no
  // file for a second connection to open.
  const writer = opts.dbPath === ':memory:' ? createWriter(db, writerOpts) : createThreadWriter(opts.dbPath, { ...writerOpts, retention: model.retention });
  const integrity = opts.dbPath === ':memory:' ? null : createIntegrityMonitor(opts.dbPath, {
    onResult: (r) => { if (!r.ok) logger.error({ problems: r.problems }, 'database: integrity check failed'); },
  });
  const pipeline = createIngestPipeline({
    model, keys, writer, live,
    counters: {
      samples: (n) => exposition.ingestSamples.inc(n),
      rejected: (reason, n) => exposition.ingestRejected.inc({ reason }, n),
    },
  });

  // History: rack/hall/site rollups from each tick's figures (device rollups are SQL triggers), and
  // retention in small steps on a timer.
  const scopeRollups = createScopeRollups(db, { scopes: registerScopes(db, scopeNames(hub.figures())), flushEveryMs: opts.rollupFlushMs });
  hub.on('update', (u) => {
    background.run('rollups', () => scopeRollups.record(hub.figures(), u.ts));
  });
  // On the writer thread where there is one (it takes turns with the commits there instead of losing
  // the lock to them), else on the main connection.
  const retentionStep = writer.retentionStep?.bind(writer);
  if (retentionStep !== undefined) background.every('retention', 1000, () => background.runAsync('retention', retentionStep), { unref: true });
  else {
    const retention = createRetention(db, model.retention);
    background.every('retention', 1000, () => void retention.step(), { unref: true });
  }

  const app = express();
  app.disable('x-powered-by');
  app.use((_req, res, next) => {
    inFlight++;
    lastRequestAt = Date.now();
    res.once('close', () => inFlight--);
    // While draining, keep-alive clients are told to reconnect (to another instance, or after restart).
    if (draining) res.setHeader('Connection', 'close');
    next();
  });
  app.use(canonicalUrl());
  app.use(requestLogger(logger));
  app.use(securityHeaders());
  app.use(cors(model.auth.cors_origins ?? []));
  app.use(healthRouter({
    probe: () => writer.probe(),
    integrity: integrity === null ? undefined : () => ({ last: integrity.last(), running: integrity.running() }),
    draining: () => draining,
    restoring: () => (restoring === null ? null
      : `restoring live state (${restoring.phase}: ${restoring.checkpoint_rows} checkpoint rows, ${restoring.replay_rows} raw rows so far)`),
    lastStoreError: () => lastStoreError,
    collectors: () => (scheduler === undefined ? null : { running: !draining, last_ok: Object.fromEntries(collectorsLastOk) }),
  }));
  app.use(ingestRateLimit(model.auth));
  app.use(requireRead(model.auth));
  app.use(ingestRouter({ model, pipeline, bodyBudget: createBodyBudget(opts.maxBufferedBodyBytes), bodyTimeoutMs: opts.bodyTimeoutMs }));
  app.use(apiRouter(hub));
  app.use(historyRouter(db, model));
  app.use(alertsRouter({ model, alerts, db }));
  app.get('/metrics', requireMetricsToken(model.auth), async (_req, res) => {
    res.set('Content-Type', exposition.contentType).send(await exposition.render());
  });
  const clientDir = join(packageRoot(), 'dist', 'client');
  if (existsSync(clientDir)) {
    app.use(express.static(clientDir, { index: 'index.html', maxAge: '1h', setHeaders: (res, path) => {
      if (path.endsWith('index.html')) res.setHeader('Cache-Control', 'no-cache');
    } }));
  }
  app.use('/api', (_req, res) => {
    res.status(404).json({ error: 'no such API endpoint' });
  });
  app.use(notFoundHandler());
  app.use(bodyErrorHandler);
  app.use(finalErrorHandler(logger));

  // The restore runs while the server listens; the figures tick (and with it the alert engine) starts
  // only once the live view is back, so no device is judged on a half-restored view.
  const checkpoint = createCheckpointer(db, keys, live, {
    marginMs: staleAfterMs, guard: background.run, exec: (statements, o) => writer.exec(statements, o),
  });
  let restoring: RestoreProgress | null = { phase: 'checkpoint', checkpoint_rows: 0, replay_rows: 0 };
  let closed = false;
  const t0Restore = performance.now();
  const restored = checkpoint.restore(plan, (p) => void (restoring = p)).catch((e: unknown) => {
    // Each step runs under the background guard; this is for anything outside one. The live view then
    // fills from new readings, and the server still serves.
    logger.error({ task: 'restore', err: e instanceof Error ? e.message : String(e) }, 'background step failed');
    return null;
  }).then((p) => {
    restoring = null;
    if (closed) return;
    if (p !== null) logger.info({ ...p, ms: Math.round(performance.now() - t0Restore) }, 'live state restored');
    background.run('tick', () => hub.tick());
    background.every('tick', opts.tickMs ?? 1000, () => hub.tick());
    background.every('checkpoint', opts.checkpointMs ?? CHECKPOINT_MS, () => void checkpoint.pass());
  });
  // On the writer's connection, in turn with the commits; without its own fsync (the next commit's
  // makes it durable): a heartbeat lost to a power cut only starts the offline span up to 2 s earlier.
  background.every('heartbeat', HEARTBEAT_MS, () => background.runAsync('heartbeat', () => writer.exec([heartbeatStatement(Date.now())], { durable: false })), { unref: true });

  const http = createServer(app);
  const { io } = attachLive(http, hub, { corsOrigins: model.auth.cors_origins ?? [] });
  guardSocket(io, model.auth);
  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen(opts.port ?? 8080, opts.host ?? '0.0.0.0', () => resolve());
  });
  background.every('alerts_save', opts.alertsSaveMs ?? 10_000, () => void runRetryingBusy(background, 'alerts_save', () => alerts.save()));
  if (integrity !== null) {
    background.run('integrity_check', () => integrity.check());
    background.every('integrity_check', opts.integrityCheckMs ?? 3_600_000, () => integrity.check(), { unref: true });
  }

  // Collectors hand their readings to the same pipeline as a push; a poll failure marks the device
  // down with its reason (and counts it), a success feeds the "collector stopped delivering" rule.
  const polled = [...model.devices.values()].filter((d) => d.collector !== undefined);
  if ((opts.collectors ?? true) && polled.length > 0) {
    scheduler = startScheduler({
      devices: polled,
      catalogue: model.catalogue,
      settings: model.collectors,
      sink: {
        accept(readings) {
          pipeline.submit(readings).then(
            (r) => {
              if (r.rejected.length > 0) log(`collectors: ${r.rejected.length} values rejected, first: ${r.rejected[0].path}: ${r.rejected[0].error}`);
            },
            (err: Error) => log(`collectors: readings not stored: ${err.message}`),
          );
        },
        deviceError(device, reason, ts) {
          live.setError(device, reason, ts);
          const collector = model.devices.get(device)?.collector ?? 'unknown';
          exposition.pollFailures.inc({ collector, reason: reason.split(':')[0] });
        },
      },
      onPollDuration(collector, seconds, ok) {
        exposition.pollDuration.observe({ collector }, seconds);
        if (ok) collectorsLastOk.set(collector, Date.now());
      },
    });
  }
  const port = (http.address() as AddressInfo).port;
  const host = opts.host && opts.host !== '0.0.0.0' && opts.host !== '::' ? opts.host : 'localhost';

  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    port, http, db, live, hub, pipeline, writer, exposition, alerts, scheduler, io, restored,
    async close() {
      if (closed) return;
      closed = true;
      draining = true;
      // Drain: /readyz now fails, so balancers stop sending. Requests already on their way (a body sent
      // but not yet parsed while the loop was busy, a push waiting for its group commit) are still
      // served until none has come or been in flight for a quiet moment; only then does the listener
      // close. Node's close() also drops connections it considers idle, which includes one whose request
      // it has not parsed yet: closing first lost such pushes under load.
      const drainUntil = Date.now() + (opts.drainMs ?? 10_000);
      const QUIET_MS = 250;
      while (Date.now() < drainUntil && (inFlight > 0 || Date.now() - lastRequestAt < QUIET_MS)) {
        await new Promise((r) => setTimeout(r, 10));
      }
      http.close();
      http.closeIdleConnections();
      while (inFlight > 0 && Date.now() < drainUntil) await new Promise((r) => setTimeout(r, 10));
      background.stopAll();
      await scheduler?.stop();
      // Upgraded websockets are not among closeAllConnections()'s: socket.io closes them, then the server.
      http.closeAllConnections();
      await new Promise<void>((resolve) => void io.close(() => resolve()));
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
