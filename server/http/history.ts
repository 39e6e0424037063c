import express, { type Router } from 'express';
import type { Db } from '../store/db.js';
import type { SiteModel } from '../core/types.js';
import { checkTime, defaultStep, HistoryError, queryHistory, type HistoryRequest } from '../store/history.js';

const DEFAULT_RANGE_MS = 3_600_000;
const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** epoch ms (digits) or an RFC 3339 date-time; NaN when neither. */
export function parseTime(s: string): number {
  if (/^-?\d+$/.test(s)) return Number(s);
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/i.test(s)) return NaN;
  return Date.parse(s);
}

/** ms (digits) or a count with a unit: '15s', '1m', '1h', '1d'; NaN otherwise. */
export function parseStep(s: string): number {
  if (/^\d+$/.test(s)) return Number(s);
  const m = /^(\d+)(ms|s|m|h|d)$/.exec(s);
  return m ? Number(m[1]) * UNIT_MS[m[2]] : NaN;
}

function param(q: Record<string, unknown>, name: string): string | undefined {
  const v = q[name];
  if (v === undefined) return undefined;
  if (typeof v !== 'string') throw new HistoryError(name, 'given more than once');
  return v;
}

/** The query string of GET /api/v1/history as a request; throws HistoryError naming the parameter. */
export function parseHistoryQuery(q: Record<string, unknown>, now: number): HistoryRequest {
  const scope = param(q, 'scope');
  if (!scope) throw new HistoryError('scope', 'required: site, hall:ID, rack:ID or device:ID');
  const metric = param(q, 'metric');
  if (!metric) throw new HistoryError('metric', 'required');
  const toS = param(q, 'to');
  const fromS = param(q, 'from');
  const to = toS === undefined ? now : parseTime(toS);
  if (Number.isNaN(to)) throw new HistoryError('to', 'expected epoch ms or RFC 3339');
  checkTime('to', to);
  const from = fromS === undefined ? to - DEFAULT_RANGE_MS : parseTime(fromS);
  if (Number.isNaN(from)) throw new HistoryError('from', 'expected epoch ms or RFC 3339');
  // Negative or past year 9999 is no time: 400 naming it, before from > to can blame the other one.
  checkTime('from', from);
  if (from > to) throw new HistoryError('from', 'must not be after to');
  const stepS = param(q, 'step');
  const step_ms = stepS === undefined ? defaultStep(from, to) : parseStep(stepS);
  if (Number.isNaN(step_ms) || step_ms <= 0) throw new HistoryError('step', 'expected ms or a duration like 15s, 1m, 1h');
  return { scope, metric, from, to, step_ms };
}

export function historyRouter(db: Db, model: SiteModel, now: () => number = Date.now): Router {
  const router = express.Router();
  router.get('/api/v1/history', (req, res) => {
    try {
      const t = now();
      const request = parseHistoryQuery(req.query as Record<string, unknown>, t);
      res.json(queryHistory(db, model, request, t));
    } catch (err) {
      if (err instanceof HistoryError) {
        res.status(400).json({ error: err.message, param: err.param });
        return;
      }
      throw err;
    }
  });
  return router;
}
