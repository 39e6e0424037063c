import { createServer, type Server as HttpServer } from 'node:http';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import express from 'express';
import type { SiteModel } from './core/types.js';
import { openDatabase, type Db } from './store/db.js';
import { readRecent, registerDevices } from './store/samples.js';
import { createWriter, type Writer } from './store/writer.js';
import { packageRoot } from './store/paths.js';
import { createLiveState, type LiveState } from './live/state.js';
import { createHub, type Hub } from './live/hub.js';
import { createIngestPipeline, type IngestPipeline } from './ingest/pipeline.js';
import { ingestRouter, bodyErrorHandler } from './http/ingest.js';
import { apiRouter } from './http/api.js';
import { attachLive } from './realtime/live.js';
import { createExposition, type Exposition } from './exposition/metrics.js';

export interface ServerOptions {
  model: SiteModel;
  dbPath: string;
  port?: number;
  host?: string;
  /** seconds without a reading after which a device is down */
  staleAfterS?: number;
  /** figures and socket updates period (ms) */
  tickMs?: number;
  log?: (line: string) => void;
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
  close(): Promise<void>;
}

/** The live window replayed from the store on restart: older readings are stale anyway. */
const REPLAY_WINDOW_MS = 15 * 60_000;

export async function startServer(opts: ServerOptions): Promise<RunningServer> {
  const { model } = opts;
  const log = opts.log ?? ((line: string) => console.log(line));
  const db = openDatabase(opts.dbPath);
  const keys = registerDevices(db, model.devices.values());
  const live = createLiveState(model);
  const staleAfterMs = (opts.staleAfterS ?? 60) * 1000;

  // Restart: the live state continues from what was committed, so the wall shows the last known
  // values (and their age) at once instead of an empty site.
  const since = Date.now() - Math.max(REPLAY_WINDOW_MS, staleAfterMs);
  for (const r of readRecent(db, since)) live.apply(r);

  const hub = createHub({ model, live, staleAfterMs });
  const exposition = createExposition(model, hub);
  const writer = createWriter(db, {
    afterCommit: (rows) => {
      for (const r of rows) live.apply(r.reading);
    },
    onError: (err) => log(`store: commit failed: ${err.message}`),
  });
  const pipeline = createIngestPipeline({
    model, keys, writer, live,
    counters: {
      samples: (n) => exposition.ingestSamples.inc(n),
      rejected: (reason, n) => exposition.ingestRejected.inc({ reason }, n),
    },
  });

  const app = express();
  app.disable('x-powered-by');
  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.use(ingestRouter({ model, pipeline }));
  app.use(apiRouter(hub));
  app.get('/metrics', async (_req, res) => {
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
  app.use(bodyErrorHandler);

  const http = createServer(app);
  attachLive(http, hub);
  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen(opts.port ?? 8080, opts.host ?? '0.0.0.0', () => resolve());
  });
  hub.start(opts.tickMs ?? 1000);
  const port = (http.address() as AddressInfo).port;
  const host = opts.host && opts.host !== '0.0.0.0' && opts.host !== '::' ? opts.host : 'localhost';

  let closed = false;
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    port, http, db, live, hub, pipeline, writer, exposition,
    async close() {
      if (closed) return;
      closed = true;
      hub.stop();
      http.closeAllConnections();
      await new Promise<void>((resolve) => http.close(() => resolve()));
      writer.close();
      db.close();
    },
  };
}
