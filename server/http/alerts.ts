import express, { type Request, type Response, type Router } from 'express';
import type { SiteModel } from '../core/types.js';
import type { SiteAlerts } from '../live/alerts.js';
import { withAlertHall } from '../live/hub.js';
import { parseDurationMs } from '../alerts/rules.js';
import { readAudit } from '../store/alerts.js';
import type { Db } from '../store/db.js';
import { bearerToken, matchToken } from './auth.js';

const MAX_NOTE = 2000;

/**
 * GET /api/v1/alerts (pending and firing, worst first; recent resolved ones; the audit trail) and the
 * operator actions: acknowledge, shelve, unshelve. Actions need a write token (an ingest token: the
 * same integrators' credentials) and are audited with the token's name and the operator's note.
 */
export function alertsRouter(opts: { model: SiteModel; alerts: SiteAlerts; db?: Db; curtailmentScope?: (id: string) => string | undefined }): Router {
  const router = express.Router();
  const json = express.json({ limit: '16kb', type: () => true });

  router.get('/api/v1/alerts', (req, res) => {
    const key = typeof req.query.key === 'string' ? req.query.key : undefined;
    res.json({
      // each names its hall, as on the socket (a hall's wall and an integrator filter by it)
      alerts: opts.alerts.active().map((a) => withAlertHall(opts.model, a, opts.curtailmentScope)),
      recent: opts.alerts.recent().map((a) => withAlertHall(opts.model, a, opts.curtailmentScope)),
      ...(opts.db ? { audit: readAudit(opts.db, key, 100) } : {}),
    });
  });

  function action(name: 'acknowledge' | 'shelve' | 'unshelve') {
    return (req: Request, res: Response) => {
      const who = matchToken(bearerToken(req), opts.model.auth.ingest_tokens);
      if (who === null) {
        res.set('WWW-Authenticate', 'Bearer realm="floorwatch"');
        res.status(401).json({ error: 'Authorization: a valid Bearer token with write rights is required' });
        return;
      }
      const body: unknown = req.body;
      if (typeof body !== 'object' || body === null || Array.isArray(body)) {
        res.status(400).json({ error: 'body: expected an object {"note": "...", "by"?: "...", "for"?: "2h"}' });
        return;
      }
      const b = body as Record<string, unknown>;
      for (const k of Object.keys(b)) {
        if (!['note', 'by', 'for', 'until'].includes(k)) {
          res.status(400).json({ error: `${k}: unknown field` });
          return;
        }
      }
      if (typeof b.note !== 'string' || b.note.trim() === '' || b.note.length > MAX_NOTE) {
        res.status(400).json({ error: `note: expected a non-empty string of at most ${MAX_NOTE} characters` });
        return;
      }
      if (b.by !== undefined && (typeof b.by !== 'string' || b.by.length > 200)) {
        res.status(400).json({ error: 'by: expected a string of at most 200 characters' });
        return;
      }
      const by = typeof b.by === 'string' && b.by.trim() !== '' ? `${b.by.trim()} (${who})` : who;
      const key = req.params.key as string;
      if (name === 'acknowledge') {
        const v = opts.alerts.acknowledge(key, by, b.note);
        if (!v) return void res.status(404).json({ error: `key: no pending or firing alert ${JSON.stringify(key.slice(0, 200))}` });
        return void res.json({ alert: v });
      }
      if (name === 'unshelve') {
        if (!opts.alerts.unshelve(key, by, b.note)) return void res.status(404).json({ error: `key: alert ${JSON.stringify(key.slice(0, 200))} is not shelved` });
        return void res.json({ ok: true });
      }
      let until: number | null = null;
      if (typeof b.until === 'number' && Number.isInteger(b.until)) until = b.until;
      else if (b.for !== undefined) {
        const ms = parseDurationMs(b.for);
        if (ms !== null && ms > 0) until = Date.now() + ms;
      }
      if (until === null || until <= Date.now()) {
        res.status(400).json({ error: 'for: expected a duration such as "2h" (or until: a future epoch ms)' });
        return;
      }
      const v = opts.alerts.shelve(key, until, by, b.note);
      if (!v) return void res.status(404).json({ error: `key: no pending or firing alert ${JSON.stringify(key.slice(0, 200))}` });
      res.json({ alert: v });
    };
  }
  // Alert keys hold ':' and '/' (`GpuXidError:device:n1/gpu0`): clients URL-encode them.
  router.post('/api/v1/alerts/:key/acknowledge', json, action('acknowledge'));
  router.post('/api/v1/alerts/:key/shelve', json, action('shelve'));
  router.post('/api/v1/alerts/:key/unshelve', json, action('unshelve'));
  return router;
}
