// Curtailment events over HTTP (issue 16): list, post, cancel. A post or cancel needs a write token (an
// ingest token, as the alert actions) and is audited with the token's name and the note; its body is
// validated here, once, into a typed event, and every problem is a 400 naming its field.

import express, { type Request, type Response, type Router } from 'express';
import type { CurtailmentTarget, SiteModel } from '../core/types.js';
import { parseTime } from '../core/validate.js';
import { parseCurtailmentScope } from '../figures/curtailment.js';
import {
  CurtailmentBusyError, CurtailmentConflictError, type Curtailments, type NewCurtailment,
} from '../live/curtailments.js';
import { readCurtailmentAudit } from '../store/curtailments.js';
import type { Db } from '../store/db.js';
import { bearerToken, matchToken } from './auth.js';

const MAX_NOTE = 2000;
const MAX_PROGRAM = 200;
/** An event longer than a day is not a curtailment but a different site: the samples it needs are bounded too. */
const MAX_EVENT_MS = 24 * 3_600_000;
const BODY_KEYS = new Set(['scope', 'target_reduction_kw', 'target_ceiling_kw', 'start', 'end', 'program', 'note', 'by']);

type Parsed<T> = { ok: true; value: T } | { ok: false; error: string };

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function optionalText(b: Record<string, unknown>, key: string, max: number): Parsed<string | null> {
  const v = b[key];
  if (v === undefined || v === null) return { ok: true, value: null };
  if (typeof v !== 'string' || v.length > max) return { ok: false, error: `${key}: expected a string of at most ${max} characters` };
  return { ok: true, value: v.trim() === '' ? null : v };
}

/** The body of POST /api/v1/curtailments as a typed event, or the first problem by its field. */
export function parseNewCurtailment(model: SiteModel, body: unknown, now: number): Parsed<NewCurtailment> {
  if (!isRecord(body)) {
    return { ok: false, error: 'body: expected an object {"scope": "hall:M", "target_reduction_kw": 500, "start": …, "end": …}' };
  }
  for (const k of Object.keys(body)) if (!BODY_KEYS.has(k)) return { ok: false, error: `${k}: unknown field` };
  if (typeof body.scope !== 'string' || parseCurtailmentScope(model, body.scope) === null) {
    return { ok: false, error: "scope: expected 'site', 'hall:ID' or 'rack:ID' of this site" };
  }
  const red = body.target_reduction_kw;
  const ceil = body.target_ceiling_kw;
  let target: CurtailmentTarget;
  if (red !== undefined && ceil !== undefined) return { ok: false, error: 'target_ceiling_kw: give target_reduction_kw or target_ceiling_kw, not both' };
  if (red !== undefined) {
    if (typeof red !== 'number' || !Number.isFinite(red) || red <= 0) return { ok: false, error: 'target_reduction_kw: expected a number of kW greater than 0' };
    target = { reduction_kw: red };
  } else if (ceil !== undefined) {
    if (typeof ceil !== 'number' || !Number.isFinite(ceil) || ceil < 0) return { ok: false, error: 'target_ceiling_kw: expected a number of kW ≥ 0' };
    target = { ceiling_kw: ceil };
  } else {
    return { ok: false, error: 'target_reduction_kw: expected target_reduction_kw or target_ceiling_kw (kW)' };
  }
  let start = now;
  if (body.start !== undefined) {
    const t = parseTime(body.start);
    if ('error' in t) return { ok: false, error: `start: ${t.error}` };
    start = t.ts;
  }
  if (body.end === undefined) return { ok: false, error: 'end: expected epoch ms or an RFC 3339 time' };
  const e = parseTime(body.end);
  if ('error' in e) return { ok: false, error: `end: ${e.error}` };
  if (e.ts <= start) return { ok: false, error: 'end: must be after start' };
  if (e.ts - start > MAX_EVENT_MS) return { ok: false, error: 'end: at most 24 h after start' };
  if (e.ts <= now) return { ok: false, error: 'end: is in the past' };
  const program = optionalText(body, 'program', MAX_PROGRAM);
  if (!program.ok) return program;
  const note = optionalText(body, 'note', MAX_NOTE);
  if (!note.ok) return note;
  if (body.by !== undefined && (typeof body.by !== 'string' || body.by.length > 200)) return { ok: false, error: 'by: expected a string of at most 200 characters' };
  return { ok: true, value: { scope: body.scope, target, start, end: e.ts, program: program.value, note: note.value } };
}

export function curtailmentsRouter(opts: { model: SiteModel; curtailments: Curtailments; db: Db }): Router {
  const { model, curtailments } = opts;
  const router = express.Router();
  const json = express.json({ limit: '16kb', type: () => true });

  /** The writer's name (the token's, with the `by` the body gives), or null after answering 401. */
  function writer(req: Request, res: Response): string | null {
    const who = matchToken(bearerToken(req), model.auth.ingest_tokens);
    if (who === null) {
      res.set('WWW-Authenticate', 'Bearer realm="floorwatch"');
      res.status(401).json({ error: 'Authorization: a valid Bearer token with write rights is required' });
      return null;
    }
    const body: unknown = req.body;
    const by = isRecord(body) && typeof body.by === 'string' && body.by.trim() !== '' ? body.by.trim().slice(0, 200) : null;
    return by === null ? who : `${by} (${who})`;
  }

  function storeError(res: Response, e: unknown): void {
    if (e instanceof CurtailmentBusyError) {
      res.set('Retry-After', '1').status(503).json({ error: 'store: the database is busy; nothing was stored, try again' });
      return;
    }
    throw e;
  }

  router.get('/api/v1/curtailments', (_req, res) => {
    res.json({ curtailments: curtailments.list(Date.now()), audit: readCurtailmentAudit(opts.db, 100) });
  });
  router.get('/api/v1/curtailments/:id', (req, res) => {
    const v = curtailments.get(req.params.id as string, Date.now());
    if (!v) return void res.status(404).json({ error: `id: no curtailment event ${JSON.stringify((req.params.id as string).slice(0, 200))}` });
    res.json({ curtailment: v });
  });

  router.post('/api/v1/curtailments', json, async (req, res, next) => {
    try {
      const by = writer(req, res);
      if (by === null) return;
      const now = Date.now();
      const parsed = parseNewCurtailment(model, req.body, now);
      if (!parsed.ok) return void res.status(400).json({ error: parsed.error });
      try {
        res.status(201).json({ curtailment: await curtailments.create(parsed.value, by, now) });
      } catch (e) {
        if (e instanceof CurtailmentConflictError) return void res.status(409).json({ error: `start: ${e.message}` });
        storeError(res, e);
      }
    } catch (e) {
      next(e);
    }
  });

  async function cancel(req: Request, res: Response): Promise<void> {
    const by = writer(req, res);
    if (by === null) return;
    const body: unknown = req.body ?? {};
    if (!isRecord(body)) return void res.status(400).json({ error: 'body: expected an object {"note": "..."}' });
    for (const k of Object.keys(body)) if (k !== 'note' && k !== 'by') return void res.status(400).json({ error: `${k}: unknown field` });
    const note = optionalText(body, 'note', MAX_NOTE);
    if (!note.ok) return void res.status(400).json({ error: note.error });
    const id = req.params.id as string;
    try {
      const v = await curtailments.cancel(id, by, note.value ?? '', Date.now());
      if (v === null) return void res.status(404).json({ error: `id: no posted curtailment event ${JSON.stringify(id.slice(0, 200))} (a recurring window is changed in config)` });
      if (v === false) return void res.status(409).json({ error: `id: event ${JSON.stringify(id.slice(0, 200))} is already cancelled or over` });
      res.json({ curtailment: v });
    } catch (e) {
      storeError(res, e);
    }
  }
  const handle = (req: Request, res: Response, next: (e: unknown) => void): void => void cancel(req, res).catch(next);
  router.delete('/api/v1/curtailments/:id', json, handle);
  router.post('/api/v1/curtailments/:id/cancel', json, handle);
  return router;
}
