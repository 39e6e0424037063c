import { randomUUID } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';
import { pino, type Logger } from 'pino';

export type { Logger } from 'pino';

/**
 * Paths that could carry a secret if some future code logged a whole request or config object: pino
 * replaces them wherever they appear, so a careless `log.info({ req })` still prints no token.
 */
const REDACT = [
  'authorization', 'headers.authorization', 'req.headers.authorization', 'headers.cookie', 'req.headers.cookie',
  'token', 'auth.token', 'query.token', 'req.query.token',
  // a collector's device login (collectors.braiins): a logged settings object or site model shows no password
  'password', 'login.password', 'collectors.*.login.password',
];

/**
 * The service's logger: JSON lines (one per event) for a log shipper. `sink` receives each line instead of
 * stdout (tests capture them; `startServer({ log })` keeps working); `level` defaults to LOG_LEVEL or info.
 */
export function createLogger(opts: { sink?: (line: string) => void; level?: string } = {}): Logger {
  const level = opts.level ?? process.env.LOG_LEVEL ?? 'info';
  const options = { level, base: { service: 'floorwatch' }, redact: { paths: REDACT, censor: '[redacted]' } };
  const sink = opts.sink;
  if (sink === undefined) return pino(options, pino.destination({ dest: 1, sync: true }));
  return pino(options, { write: (s: string) => sink(s.endsWith('\n') ? s.slice(0, -1) : s) });
}

/** A client's X-Request-Id is kept only if it is short and plain: it is echoed and logged. */
const REQUEST_ID_RE = /^[A-Za-z0-9._:-]{1,64}$/;

/**
 * Gives every HTTP request an id (the client's X-Request-Id when it is plain, else a new one), echoes it,
 * and logs one line when the response ends: method, path without its query string (a kiosk URL carries
 * `?token=`), status, duration, bytes. Never headers or bodies, so never a token.
 */
export function requestLogger(log: Logger): (req: Request, res: Response, next: NextFunction) => void {
  return (req, res, next) => {
    const given = req.headers['x-request-id'];
    const id = typeof given === 'string' && REQUEST_ID_RE.test(given) ? given : randomUUID();
    res.locals.requestId = id;
    res.setHeader('X-Request-Id', id);
    const started = process.hrtime.bigint();
    res.on('close', () => {
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      const path = (req.originalUrl ?? req.url).split('?')[0].slice(0, 200);
      const line = {
        req_id: id, method: req.method, path, status: res.statusCode, ms: Math.round(ms * 10) / 10,
        bytes: Number(res.getHeader('content-length') ?? 0) || undefined,
        ...(res.writableFinished ? {} : { aborted: true }),
        ...(typeof res.locals.integrator === 'string' ? { integrator: res.locals.integrator } : {}),
      };
      if (res.statusCode >= 500) log.warn(line, 'request');
      else log.info(line, 'request');
    });
    next();
  };
}
