import type { IncomingMessage } from 'node:http';
import type { NextFunction, Request, Response } from 'express';
import type { Server as IoServer, Socket as IoSocket } from 'socket.io';
import { SOCKET_JOIN_TIMEOUT_MS } from '../realtime/live.js';
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

/**
 * Six fixed headers, set by hand rather than by helmet 8.3.0 (issue 12, measured): helmet joins CSP
 * directives with ";" and no space, so this exact header would still be a line of our own, and the
 * other five take 9 options, 8 of them switching off its defaults that this server does not send (its
 * CSP, HSTS, Origin-Agent-Cluster, X-DNS-Prefetch-Control, …). The same cost per call (1.45 vs 1.48 µs,
 * fastest of 101 rounds × 200 direct calls).
 */
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
 * Hand-written rather than the cors package (2.8.6, already here through engine.io; issue 12, measured):
 * its options cannot say "same origin by Host passes" or "a foreign origin's POST is 403", so those
 * would stay as a 20-line wrapper around the 8 header lines it replaces; it is also slower (a listed
 * origin's GET 1.86 vs 1.27 µs, its preflight 19.5 vs 18.3 µs, fastest of 101 rounds × 200 direct calls)
 * and adds Content-Length: 0 to the preflight.
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
 * Not express-rate-limit 8.7.5 nor rate-limiter-flexible 11.4.0 (issue 12, measured): both count a fixed
 * window, which cannot be "a bucket of ingest_burst refilled at ingest_rate_per_s". Set to pass the tests
 * (1 s window, limit = burst), express-rate-limit let all 40 of 40 pushes at 8/s through a rate of 5/s
 * where this bucket let 34; an allowed push costs the same (1.75 vs 1.86 µs), every other request 0.78
 * µs more (vs 0.05), fastest of 101 rounds × 200 direct calls.
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

/** The read credential of a socket.io handshake: `auth: {token}`, `?token=`, or an Authorization header. */
function socketToken(auth: unknown, query: Record<string, unknown>, header: string | undefined): string | null {
  const fromAuth = (auth as { token?: unknown } | undefined)?.token;
  if (typeof fromAuth === 'string') return fromAuth;
  if (typeof query.token === 'string') return query.token;
  if (typeof header === 'string') {
    const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (m) return m[1];
    const b = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header);
    if (b) {
      const d = Buffer.from(b[1], 'base64').toString('utf8');
      return d.includes(':') ? d.slice(d.indexOf(':') + 1) : null;
    }
  }
  return null;
}

type EngineSocket = IoSocket['conn'];

export const NO_DEFAULT_NAMESPACE = 'no such namespace "/" (the live feed is /live)';

/**
 * socket.io under the same rules as REST (issue 11 case 7: the default namespace `/` took any client
 * and held it; 2,000 held cost 22 MB). At the engine handshake, which covers the websocket upgrade that
 * CORS headers do not: a browser's Origin must be ours or listed, and a token presented there (`?token=`,
 * as the wall's client sends it, or an Authorization header) must be valid, so a wrong one never gets an
 * engine session. A client that presents its token only in socket.io's `auth` is judged at the namespace.
 * `/` serves nothing and refuses everyone; /live needs the read token when one is configured; any other
 * namespace does not exist. An engine connection left in no namespace after a refusal is closed by the
 * server (a client that ignores the refusal would otherwise hold it until socket.io's join timeout).
 */
export function guardSocket(io: IoServer, auth: AuthSettings): void {
  const allowed = auth.cors_origins ?? [];
  const guarded = auth.read_token_sha256 !== undefined;
  io.engine.opts.allowRequest = (req: IncomingMessage, cb: (err: string | null | undefined, success: boolean) => void) => {
    if (!originAllowed(req.headers.origin, req.headers.host, allowed)) return cb('origin not allowed', false);
    if (guarded) {
      const q = new URLSearchParams((req.url ?? '').split('?')[1] ?? '');
      const token = socketToken(undefined, { token: q.get('token') ?? undefined }, req.headers.authorization);
      if (token !== null && accessOf(token, auth) === null) return cb('unauthorized: wrong read token', false);
    }
    cb(null, true);
  };
  const live = io.of('/live');
  const refuse = (socket: IoSocket, next: (err?: Error) => void, message: string): void => {
    next(new Error(message));
    const conn = socket.conn;
    // After the refusal is sent: close the engine connection unless it also joined /live.
    setImmediate(() => {
      for (const s of live.sockets.values()) if (s.conn === conn) return;
      // A websocket drains the refusal first; a polling transport has sent it already on the request
      // that carried the CONNECT, and closed gracefully would wait 30 s for the next poll.
      conn.close(conn.transport.name === 'polling');
    });
  };
  io.of('/').use((socket, next) => refuse(socket, next, NO_DEFAULT_NAMESPACE));
  // socket.io's own join timeout closes gracefully, and a polling session with no request waiting then
  // lingers 30 s more for the client to fetch the close packet: measured, 200 such handshakes were all
  // still held 7 s later. This one discards the transport, so the session goes at once.
  io.engine.on('connection', (conn: EngineSocket) => {
    const timer = setTimeout(() => {
      for (const s of live.sockets.values()) if (s.conn === conn) return;
      conn.close(true);
    }, SOCKET_JOIN_TIMEOUT_MS);
    timer.unref();
    conn.once('close', () => clearTimeout(timer));
  });
  if (!guarded) return;
  live.use((socket, next) => {
    const h = socket.handshake;
    if (accessOf(socketToken(h.auth, h.query, h.headers.authorization), auth) !== null) return next();
    refuse(socket, next, 'unauthorized: a read token is required');
  });
}
