import express, { type Router } from 'express';
import type { ProbeResult } from '../store/probe.js';
import type { IntegrityResult } from '../store/integrity.js';

export { probeWrite, type ProbeResult } from '../store/probe.js';

export interface HealthOptions {
  /** a write probe on the ingest writer's connection (Writer.probe) */
  probe: () => Promise<ProbeResult>;
  /** the last finished PRAGMA quick_check and whether one is running; absent: not checked */
  integrity?: () => { last: IntegrityResult | null; running: boolean };
  /** true once shutdown began: a load balancer should stop sending before the listener goes */
  draining: () => boolean;
  /** while the live view is being restored after a start: what is left to do; null once done */
  restoring?: () => string | null;
  /** collectors: 'off' when the site polls nothing; otherwise the last successful poll per collector */
  collectors: () => { running: boolean; last_ok: Record<string, number> } | null;
  /** the last commit error of the ingest writer, cleared by the next good commit */
  lastStoreError: () => { at: number; message: string } | null;
  /**
   * each Alertmanager that has failed for 5 minutes, named (server/notify/); absent = none configured.
   * A warning on /readyz, not a problem: a balancer that took Floorwatch out of service for it would stop
   * the ingest and the wall too, and an Alertmanager outage loses no reading (Prometheus' own readiness
   * ignores its Alertmanagers as well).
   */
  alertmanagers?: () => string[];
  /** each remote-write store that has failed for 5 minutes (server/remote/): a warning too, for the same reasons */
  remotes?: () => string[];
  /** a probe is at most this old before it is repeated (ms) */
  probeEveryMs?: number;
}

const STORE_ERROR_HOLD_MS = 10_000;
/**
 * How long /readyz waits for a probe whose answer it needs: the first one (nothing is known yet; a probe
 * takes 1-5 ms on the writer thread when nothing is ahead of it), and one after a failure (which must be
 * seen to persist, or to have cleared, before it is reported).
 */
const FIRST_PROBE_WAIT_MS = 1000;
const REPROBE_WAIT_MS = 100;
/**
 * A probe still unanswered after this long means the writer is stuck behind a lock (another process's
 * BEGIN IMMEDIATE, a backup): not ready, without waiting for its 5 s busy timeout. Above the few hundred
 * ms a 50,000-reading commit ahead of the probe takes.
 */
const PROBE_STUCK_MS = 2000;

/**
 * GET /healthz: the process answers (liveness; never touches the database, so a full disk does not get
 * the process restarted in a loop). GET /readyz: 200 only when the database takes a write, its last
 * integrity check found nothing, the process is not draining, the collectors' scheduler runs where
 * the site has polled devices, and no Alertmanager has failed for 5 minutes; 503 naming why. It never waits
 * on the database for more than REPROBE_WAIT_MS (FIRST_PROBE_WAIT_MS for the first probe): the probe runs on the writer thread, and a stale good result is answered at once while
 * a fresh probe runs.
 */
export function healthRouter(opts: HealthOptions): Router {
  const router = express.Router();
  const every = opts.probeEveryMs ?? 1000;
  let last: ProbeResult | null = null;
  let probing: Promise<void> | null = null;
  let probeStarted = 0;

  const startProbe = (): Promise<void> => {
    if (probing === null) {
      probeStarted = Date.now();
      probing = opts.probe().then((r) => {
        last = r;
        probing = null;
      });
    }
    return probing;
  };

  router.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });

  router.get('/readyz', async (_req, res) => {
    if (last === null || !last.ok) {
      // an answer is needed (none yet, or a failure that must be seen to persist before it is reported)
      const p = startProbe();
      const wait = last === null ? FIRST_PROBE_WAIT_MS : REPROBE_WAIT_MS;
      await Promise.race([p, new Promise((r) => setTimeout(r, wait))]);
    } else if (Date.now() - last.at >= every) void startProbe();
    const collectors = opts.collectors();
    const problems: string[] = [];
    if (opts.draining()) problems.push('draining: shutting down');
    const restoring = opts.restoring?.() ?? null;
    if (restoring !== null) problems.push(restoring);
    const pendingMs = probing === null ? 0 : Date.now() - probeStarted;
    const probe: ProbeResult | null = last;
    if (probe === null || (probing !== null && pendingMs >= PROBE_STUCK_MS)) {
      problems.push(`database: not writable (a write has waited ${pendingMs} ms for the database; another process may hold its write lock)`);
    } else if (!probe.ok) problems.push(`database: not writable (${probe.error})`);
    const storeError = opts.lastStoreError();
    // A failed ingest commit counts for a while even if the small probe got through (a page freed by the
    // probe's own delete can be reused); the next good commit clears it.
    if (probe !== null && probe.ok && storeError !== null && Date.now() - storeError.at < STORE_ERROR_HOLD_MS) problems.push(`database: last commit failed (${storeError.message})`);
    const integrity = opts.integrity?.();
    if (integrity?.last && !integrity.last.ok) problems.push(`database: integrity check failed (${integrity.last.problems.slice(0, 3).join('; ')})`);
    if (collectors !== null && !collectors.running) problems.push('collectors: stopped');
    const warnings = [...(opts.alertmanagers?.() ?? []), ...(opts.remotes?.() ?? [])];
    const body = {
      status: problems.length === 0 ? 'ready' : 'not ready',
      problems,
      ...(warnings.length === 0 ? {} : { warnings }),
      database: {
        writable: probe?.ok ?? false, probed_at: probe?.at ?? null, last_commit_error: storeError,
        ...(integrity === undefined ? {} : { integrity: integrity.last === null ? { running: integrity.running } : { ...integrity.last, running: integrity.running } }),
      },
      collectors: collectors === null ? 'off' : collectors,
    };
    res.status(problems.length === 0 ? 200 : 503).json(body);
  });
  return router;
}
