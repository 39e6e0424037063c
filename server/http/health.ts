import express, { type Router } from 'express';
import type { Db } from '../store/db.js';

export interface HealthOptions {
  db: Db;
  /** true once shutdown began: a load balancer should stop sending before the listener goes */
  draining: () => boolean;
  /** while the live view is being restored after a start: what is left to do; null once done */
  restoring?: () => string | null;
  /** collectors: 'off' when the site polls nothing; otherwise the last successful poll per collector */
  collectors: () => { running: boolean; last_ok: Record<string, number> } | null;
  /** the last commit error of the ingest writer, cleared by the next good commit */
  lastStoreError: () => { at: number; message: string } | null;
  /** a probe is at most this old before it is repeated (ms) */
  probeEveryMs?: number;
}

const STORE_ERROR_HOLD_MS = 10_000;

export interface ProbeResult {
  ok: boolean;
  at: number;
  error?: string;
}

/**
 * Whether the database takes a write now: a committed write of one fresh page (a 4 KiB blob, inserted
 * and deleted in one transaction) so a full database or disk fails here as an ingest commit would, not
 * only later when a push is lost. The row never outlives the transaction.
 */
export function probeWrite(db: Db): ProbeResult {
  const at = Date.now();
  try {
    db.transaction(() => {
      db.prepare('CREATE TABLE IF NOT EXISTS health_probe (id INTEGER PRIMARY KEY, ts INTEGER NOT NULL, pad BLOB)').run();
      db.prepare('INSERT OR REPLACE INTO health_probe (id, ts, pad) VALUES (1, ?, zeroblob(4096))').run(at);
      db.prepare('DELETE FROM health_probe').run();
    })();
    return { ok: true, at };
  } catch (e) {
    return { ok: false, at, error: (e as Error).message };
  }
}

/**
 * GET /healthz: the process answers (liveness; never touches the database, so a full disk does not get
 * the process restarted in a loop). GET /readyz: 200 only when the database takes a write, the process
 * is not draining, and the collectors' scheduler runs where the site has polled devices; 503 naming why.
 */
export function healthRouter(opts: HealthOptions): Router {
  const router = express.Router();
  const every = opts.probeEveryMs ?? 1000;
  let last: ProbeResult | null = null;

  router.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });

  router.get('/readyz', (_req, res) => {
    if (last === null || Date.now() - last.at >= every || !last.ok) last = probeWrite(opts.db);
    const collectors = opts.collectors();
    const problems: string[] = [];
    if (opts.draining()) problems.push('draining: shutting down');
    const restoring = opts.restoring?.() ?? null;
    if (restoring !== null) problems.push(restoring);
    if (!last.ok) problems.push(`database: not writable (${last.error})`);
    const storeError = opts.lastStoreError();
    // A failed ingest commit counts for a while even if the small probe got through (a page freed by the
    // probe's own delete can be reused); the next good commit clears it.
    if (last.ok && storeError !== null && Date.now() - storeError.at < STORE_ERROR_HOLD_MS) problems.push(`database: last commit failed (${storeError.message})`);
    if (collectors !== null && !collectors.running) problems.push('collectors: stopped');
    const body = {
      status: problems.length === 0 ? 'ready' : 'not ready',
      problems,
      database: { writable: last.ok, probed_at: last.at, last_commit_error: storeError },
      collectors: collectors === null ? 'off' : collectors,
    };
    res.status(problems.length === 0 ? 200 : 503).json(body);
  });
  return router;
}
