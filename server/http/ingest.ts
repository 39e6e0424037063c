import express, { type NextFunction, type Request, type Response, type Router } from 'express';
import type { SiteModel } from '../core/types.js';
import type { IngestPipeline, IngestResult } from '../ingest/pipeline.js';
import { PARSE_POOL_MIN_BYTES, type ParsePool, type ParseResult } from '../ingest/parse-pool.js';
import { pushReadings } from '../ingest/push.js';
import { bearerToken, matchToken } from './auth.js';
import { parseJsonBodyYielding } from '../ingest/json.js';
import { createBodyBudget, readBody, DEFAULT_BODY_TIMEOUT_MS, type BodyBudget, type BodyError } from './body.js';

export interface IngestRouteOptions {
  model: SiteModel;
  pipeline: IngestPipeline;
  /** body size limit in bytes (413 beyond) */
  maxBodyBytes?: number;
  /** readings per body (413 beyond): bounds the work one request can ask for */
  maxReadings?: number;
  onStoreError?: (err: Error) => void;
  /** bytes all in-flight bodies may hold at once (503 beyond); shared with other routes that buffer bodies */
  bodyBudget?: BodyBudget;
  /** how long a body may take to arrive in full (408 beyond) */
  bodyTimeoutMs?: number;
  /** ingest threads that parse and validate large bodies off the main thread (absent: all on it) */
  parsePool?: ParsePool;
}

export const DEFAULT_MAX_BODY_BYTES = 16 * 1024 * 1024;
export const DEFAULT_MAX_READINGS = 50_000;

function isJsonContentType(req: Request): boolean {
  const ct = req.headers['content-type'];
  if (typeof ct !== 'string') return false;
  const mime = ct.split(';')[0].trim().toLowerCase();
  return mime === 'application/json' || /^application\/[a-z0-9.+-]+\+json$/.test(mime);
}

/**
 * POST /api/v1/ingest (docs/ARCHITECTURE.md §5). Order of checks: token (401), content type (415), size (413),
 * room in the body budget (503 with Retry-After), the body in full in time (408), JSON and shape (400);
 * then every reading is validated on its own and the answer waits for the commit.
 */
export function ingestRouter(opts: IngestRouteOptions): Router {
  const router = express.Router();
  const maxReadings = opts.maxReadings ?? DEFAULT_MAX_READINGS;
  const bodyOptions = {
    maxBytes: opts.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES,
    budget: opts.bodyBudget ?? createBodyBudget(),
    timeoutMs: opts.bodyTimeoutMs ?? DEFAULT_BODY_TIMEOUT_MS,
  };

  router.post(
    '/api/v1/ingest',
    (req: Request, res: Response, next: NextFunction) => {
      const who = matchToken(bearerToken(req), opts.model.auth.ingest_tokens);
      if (who === null) {
        res.set('WWW-Authenticate', 'Bearer realm="floorwatch-ingest"');
        res.status(401).json({ error: 'Authorization: a valid Bearer ingest token is required' });
        return;
      }
      res.locals.integrator = who;
      if (!isJsonContentType(req)) {
        res.status(415).json({ error: 'Content-Type: expected application/json' });
        return;
      }
      next();
    },
    async (req: Request, res: Response) => {
      let body: Buffer;
      try {
        body = await readBody(req, res, bodyOptions);
      } catch (e) {
        const err = e as BodyError;
        if (res.headersSent || res.destroyed) return;
        if (err.retryAfterS !== undefined) res.set('Retry-After', String(err.retryAfterS));
        res.status(err.status ?? 400).json({ error: err.message });
        return;
      }
      const answer = async (submit: () => Promise<IngestResult>): Promise<void> => {
        try {
          const result = await submit();
          res.status(200).json({
            accepted: result.accepted,
            rejected: result.rejected.map((e) => ({ index: e.index, field: e.path, error: `${e.path}: ${e.error}` })),
          });
        } catch (e) {
          const err = e as Error;
          opts.onStoreError?.(err);
          res.status(503).set('Retry-After', '5').json({ error: `store unavailable, nothing of this batch was stored: ${err.message}` });
        }
      };
      if (opts.parsePool !== undefined && body.length >= PARSE_POOL_MIN_BYTES) {
        // A thread that failed (or threw) answers nothing: the body is parsed here instead, as if there were no pool.
        const r: ParseResult | null = await opts.parsePool.parse(body, maxReadings).catch(() => null);
        if (r !== null && r.ok) return answer(() => opts.pipeline.submitValidated(r));
        if (r !== null && r.status !== 500) {
          res.status(r.status).json(r.field === undefined ? { error: r.error } : { error: r.error, field: r.field });
          return;
        }
      }
      const parsed = await parseJsonBodyYielding(body);
      if (!parsed.ok) {
        res.status(400).json(parsed.field === undefined ? { error: parsed.error } : { error: parsed.error, field: parsed.field });
        return;
      }
      const shape = pushReadings(parsed.value, maxReadings);
      if (!shape.ok) {
        res.status(shape.status).json({ error: shape.error });
        return;
      }
      return answer(() => opts.pipeline.submit(shape.readings));
    },
  );
  return router;
}

/** Body-parser errors (size, encoding) as the contract's statuses with a message naming the body. */
export function bodyErrorHandler(err: unknown, _req: Request, res: Response, next: NextFunction): void {
  const e = err as { type?: string; status?: number; limit?: number; message?: string };
  if (e && e.type === 'entity.too.large') {
    res.status(413).json({ error: `body: larger than the limit of ${e.limit} bytes` });
    return;
  }
  // Only body-parser's own errors (they carry a `type`); a bad path or a route's error goes on to the final handler.
  if (e && typeof e.type === 'string' && typeof e.status === 'number' && e.status >= 400 && e.status < 500) {
    res.status(e.status).json({ error: `body: ${e.message ?? 'bad request'}` });
    return;
  }
  next(err);
}
