// The HTTP application: middleware in the order a request meets it, then the routers. Pure wiring; each
// piece is in server/http/.

import { existsSync } from 'node:fs';
import { join } from 'node:path';
import express, { type Express } from 'express';
import type { SiteModel } from './core/types.js';
import type { Db } from './store/db.js';
import type { Writer } from './store/writer.js';
import type { IntegrityMonitor } from './store/integrity.js';
import { packageRoot } from './store/paths.js';
import type { Hub } from './live/hub.js';
import type { SiteAlerts } from './live/alerts.js';
import type { Curtailments } from './live/curtailments.js';
import type { IngestPipeline } from './ingest/pipeline.js';
import type { Exposition } from './exposition/prometheus.js';
import { requestLogger, type Logger } from './log.js';
import type { RequestTracker } from './lifecycle/requests.js';
import { ingestRouter, bodyErrorHandler } from './http/ingest.js';
import type { ParsePool } from './ingest/parse-pool.js';
import { apiRouter } from './http/api.js';
import { historyRouter } from './http/history.js';
import { alertsRouter } from './http/alerts.js';
import { curtailmentsRouter } from './http/curtailments.js';
import { healthRouter, type HealthOptions } from './http/health.js';
import { cors, ingestRateLimit, securityHeaders } from './http/security.js';
import { requireMetricsToken, requireRead } from './http/auth.js';
import { canonicalUrl } from './http/paths.js';
import { finalErrorHandler, notFoundHandler } from './http/errors.js';
import { createBodyBudget } from './http/body.js';

export interface AppDeps {
  model: SiteModel;
  db: Db;
  writer: Writer;
  integrity: IntegrityMonitor | null;
  hub: Hub;
  alerts: SiteAlerts;
  curtailments: Curtailments;
  pipeline: IngestPipeline;
  /** ingest threads for large push bodies (absent: parsed on the main thread) */
  parsePool?: ParsePool;
  exposition: Exposition;
  logger: Logger;
  requests: RequestTracker;
  health: Pick<HealthOptions, 'restoring' | 'lastStoreError' | 'collectors' | 'alertmanagers' | 'remotes'>;
  maxBufferedBodyBytes?: number;
  bodyTimeoutMs?: number;
}

export function createApp(d: AppDeps): Express {
  const { model, integrity, exposition } = d;
  const app = express();
  app.disable('x-powered-by');
  app.use(d.requests.middleware);
  // One normal form of the path before anything matches on it (the read guard included).
  app.use(canonicalUrl());
  app.use(requestLogger(d.logger));
  app.use(securityHeaders());
  app.use(cors(model.auth.cors_origins ?? []));
  app.use(healthRouter({
    ...d.health,
    probe: () => d.writer.probe(),
    integrity: integrity === null ? undefined : () => ({ last: integrity.last(), running: integrity.running() }),
    draining: () => d.requests.draining(),
  }));
  app.use(ingestRateLimit(model.auth));
  app.use(requireRead(model.auth));
  app.use(ingestRouter({ model, pipeline: d.pipeline, parsePool: d.parsePool, bodyBudget: createBodyBudget(d.maxBufferedBodyBytes), bodyTimeoutMs: d.bodyTimeoutMs }));
  app.use(apiRouter(d.hub));
  app.use(historyRouter(d.db, model));
  app.use(alertsRouter({ model, alerts: d.alerts, db: d.db, curtailmentScope: (id) => d.curtailments.scopeOf(id) }));
  app.use(curtailmentsRouter({ model, curtailments: d.curtailments, db: d.db }));
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
  app.use(finalErrorHandler(d.logger));
  return app;
}
