import type { NextFunction, Request, Response } from 'express';
import type { Logger } from '../log.js';

/**
 * Anything no route answered: JSON like every other answer of the service (express's own is an HTML
 * page). HEAD gets the status without the body.
 */
export function notFoundHandler(): (req: Request, res: Response) => void {
  return (req, res) => {
    res.status(404).json({ error: `not found: ${req.method} ${req.path.slice(0, 200)}` });
  };
}

interface HttpishError {
  status?: unknown;
  statusCode?: unknown;
  expose?: unknown;
  message?: unknown;
  name?: unknown;
}

/**
 * The last error handler (issue 11 case 6). Client errors that express or a middleware raised keep their
 * status with a JSON message; a path that does not percent-decode is 400 naming the path. Anything else
 * is a bug or a store fault: `500 {"error":"internal error","request_id"}` (no stack, no file path, no
 * SQL in the answer) and one JSON log line at error level with the stack in `err`, found by its req_id.
 * Without this, express's final handler answered an HTML page with the stack and file paths and wrote
 * the stack to stderr as many lines of plain text.
 */
export function finalErrorHandler(logger: Logger): (err: unknown, req: Request, res: Response, next: NextFunction) => void {
  return (err, req, res, _next) => {
    const requestId = typeof res.locals.requestId === 'string' ? res.locals.requestId : undefined;
    const e = (typeof err === 'object' && err !== null ? err : {}) as HttpishError;
    const status = typeof e.status === 'number' ? e.status : typeof e.statusCode === 'number' ? e.statusCode : 500;
    const message = typeof e.message === 'string' ? e.message : '';
    if (status >= 400 && status < 500) {
      if (res.headersSent) return void req.socket.destroy();
      // router's decodeParam: `Failed to decode param '%E0%A4%A'` (a URIError with status 400)
      if (e.name === 'URIError' || /decode param/i.test(message)) {
        res.status(400).json({ error: 'path: not valid percent-encoding (RFC 3986)' });
        return;
      }
      res.status(status).json({ error: e.expose === true && message !== '' ? message.slice(0, 300) : 'bad request' });
      return;
    }
    const path = (req.originalUrl ?? req.url).split('?')[0].slice(0, 200);
    logger.error({ req_id: requestId, method: req.method, path, err: err instanceof Error ? err : new Error(String(err)) }, 'unhandled route error');
    if (res.headersSent) {
      // Part of an answer is out: the connection cannot carry a clean error any more.
      req.socket.destroy();
      return;
    }
    res.status(500).json({ error: 'internal error', request_id: requestId });
  };
}
