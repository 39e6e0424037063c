import type { IncomingMessage } from 'node:http';
import type { NextFunction, Request, Response } from 'express';
import type { Server as IoServer } from 'socket.io';
import type { AuthSettings } from '../core/types.js';
import { accessOf, matchToken, bearerToken } from './auth.js';
import { guardPath } from './paths.js';

/**
 * The dashboard is one bundle from our own origin talking to our own socket: nothing else may load,
 * frame it or be framed. Chart.js and the wall set element styles from script, hence the inline styles.
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "connect-src 'self' ws: wss:",
  "img-src 'self' data:",
  "style-src 'self' 'unsafe-inline'",
  "font-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

export function securityHeaders(): (req: Request, res: Response, next: NextFunction) => void {
  return (_req, res, next) => {
    res.setHeader('Content-Security-Policy', CONTENT_SECURITY_POLICY);
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('Referrer-Policy', 'no-referrer'); // a kiosk URL's ?token= must not leak in a Referer
    res.setHeader('X-Frame-Options', 'DENY');
    res.setHeader('Cross-Origin-Opener-Policy', 'same-origin');
    res.setHeader('Cross-Origin-Resource-Policy', 'same-origin');
    next();
  };
}

/** Same origin: the Origin header names the host the request was sent to (any scheme; a proxy may end TLS). */
function sameOrigin(origin: string, host: string | undefined): boolean {
  if (host === undefined) return false;
  try {
    return new URL(origin).host === host;
  } catch {
    return false;
  }
}

/** Whether a browser request from `origin` may be served: none (not a browser), same origin, or listed. */
export function originAllowed(origin: string | undefined, host: string | undefined, allowed: readonly string[]): boolean {
  if (origin === undefined) return true;
  return sameOrigin(origin, host) || allowed.includes(origin);
}

/**
 * CORS by config (`auth.cors_origins`; none = same origin only). A listed origin gets the headers and
 * its preflights answered; a foreign one gets 403 for anything but a plain GET, so a page elsewhere
 * cannot make a browser on the control-room network push or act (a GET answer it cannot read anyway).
 */
export function cors(allowed: readonly string[]): (req: Request, res: Response, next: NextFunction) => void {
  return (req, res, next) => {
    const origin = req.headers.origin;
    res.vary('Origin');
    if (origin === undefined || sameOrigin(origin, req.headers.host)) return next();
    if (!allowed.includes(origin)) {
      if (req.method === 'GET' || req.method === 'HEAD') return next();
      res.status(403).json({ error: `Origin ${JSON.stringify(origin.slice(0, 100))} is not allowed (auth.cors_origins)` });
      return;
    }
    res.setHeader('Access-Control-Allow-Origin', origin);
    res.setHeader('Access-Control-Expose-Headers', 'X-Request-Id, Retry-After');
    if (req.method === 'OPTIONS') {
      res.setHeader('Access-Control-Allow-Methods', 'GET, POST');
      res.setHeader('Access-Control-Allow-Headers', 'Authorization, Content-Type, X-Request-Id');
      res.setHeader('Access-Control-Max-Age', '600');
      res.status(204).end();
      return;
    }
    next();
  };
}

export interface RateLimiter {
  /** Takes one request from `key`'s bucket: 0 if allowed, else the seconds until one is available. */
  take(key: string, nowMs: number): number;
}

/**
 * Token bucket per key: `burst` requests at once, refilled at `ratePerS`. A full bucket is forgotten
 * (it is the same as a new one), so the map holds only keys that were busy lately.
 */
export function createRateLimiter(ratePerS: number, burst: number): RateLimiter {
  const buckets = new Map<string, { tokens: number; at: number }>();
  return {
    take(key, nowMs) {
      const b = buckets.get(key) ?? { tokens: burst, at: nowMs };
      b.tokens = Math.min(burst, b.tokens + ((nowMs - b.at) / 1000) * ratePerS);
      b.at = nowMs;
      if (b.tokens >= 1) {
        b.tokens -= 1;
        if (buckets.size > 10_000) buckets.clear(); // bounded whatever the keys
        buckets.set(key, b);
        return 0;
      }
      buckets.set(key, b);
      return Math.max(1, Math.ceil((1 - b.tokens) / ratePerS));
    },
  };
}

// High enough that the bench and the kill -9 test (several clients pushing 500-reading batches as fast as they
// are acknowledged) stay under it; a runaway integrator still cannot take the whole event loop.
export const DEFAULT_INGEST_RATE_PER_S = 1000;

/**
 * Ingest rate limit per integrator token (429 with Retry-After). Runs before the ingest route: a request
 * without a valid token passes on to get its 401 there, so a flood of bad tokens costs one hash each.
 */
export function ingestRateLimit(auth: AuthSettings, now: () => number = Date.now): (req: Request, res: Response, next: NextFunction) => void {
  const rate = auth.ingest_rate_per_s ?? DEFAULT_INGEST_RATE_PER_S;
  const limiter = createRateLimiter(rate, auth.ingest_burst ?? Math.max(1, Math.ceil(rate * 2)));
  return (req, res, next) => {
    // Compared in the normal form: express routes `/API/v1/ingest` to the same handler.
    if (req.method !== 'POST' || guardPath(req.path) !== '/api/v1/ingest') return next();
    const who = matchToken(bearerToken(req), auth.ingest_tokens);
    if (who === null) return next();
    const wait = limiter.take(who, now());
    if (wait === 0) return next();
    res.set('Retry-After', String(wait));
    res.status(429).json({ error: `rate limit: token "${who}" over ${rate} requests/s; retry after ${wait} s` });
  };
}

/**
 * socket.io /live under the same rules as REST: a browser's Origin must be ours or listed (checked at
 * the engine handshake, which covers the websocket upgrade that CORS headers do not), and with a read
 * token configured the client must present it (`auth: {token}`, `?token=` or an Authorization header).
 */
export function guardSocket(io: IoServer, auth: AuthSettings): void {
  const allowed = auth.cors_origins ?? [];
  io.engine.opts.allowRequest = (req: IncomingMessage, cb: (err: string | null | undefined, success: boolean) => void) => {
    cb(null, originAllowed(req.headers.origin, req.headers.host, allowed));
  };
  if (auth.read_token_sha256 === undefined) return;
  io.of('/live').use((socket, next) => {
    const h = socket.handshake;
    const fromAuth = (h.auth as { token?: unknown } | undefined)?.token;
    const fromQuery = h.query.token;
    const header = h.headers.authorization;
    let token: string | null = null;
    if (typeof fromAuth === 'string') token = fromAuth;
    else if (typeof fromQuery === 'string') token = fromQuery;
    else if (typeof header === 'string') {
      const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
      const b = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header);
      if (m) token = m[1];
      else if (b) {
        const d = Buffer.from(b[1], 'base64').toString('utf8');
        token = d.includes(':') ? d.slice(d.indexOf(':') + 1) : null;
      }
    }
    if (accessOf(token, auth) !== null) return next();
    next(new Error('unauthorized: a read token is required'));
  });
}
