import { createHash, timingSafeEqual } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';
import type { AuthSettings } from '../core/types.js';
import { guardPath, isPublicPath } from './paths.js';

export function sha256Hex(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/** The bearer token of a request, or null. */
export function bearerToken(req: Request): string | null {
  const h = req.headers.authorization;
  if (typeof h !== 'string') return null;
  const m = /^Bearer\s+(\S+)\s*$/i.exec(h);
  return m ? m[1] : null;
}

/**
 * Which named token this is, comparing sha256 digests in constant time: the digest has a fixed length,
 * so neither the token's length nor its first differing byte shows in the timing. Every stored token is
 * compared, so neither does which one matched.
 */
export function matchToken(token: string | null, hashes: readonly { name: string; sha256: string }[]): string | null {
  if (token === null) return null;
  const presented = Buffer.from(sha256Hex(token), 'hex');
  let match: string | null = null;
  for (const h of hashes) {
    const stored = Buffer.from(h.sha256, 'hex');
    if (stored.length === presented.length && timingSafeEqual(stored, presented) && match === null) match = h.name;
  }
  return match;
}

/**
 * The read credential a request presents: `Authorization: Bearer T`, `Authorization: Basic` (any user,
 * the token as password: a desk browser's login prompt), or `?token=T` (the kiosk URL of a wall display,
 * which has nobody to type a password).
 */
export function presentedToken(req: Request): string | null {
  const bearer = bearerToken(req);
  if (bearer !== null) return bearer;
  const h = req.headers.authorization;
  if (typeof h === 'string') {
    const m = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(h);
    if (m) {
      const decoded = Buffer.from(m[1], 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      if (colon >= 0) return decoded.slice(colon + 1);
    }
  }
  const q = req.query?.token;
  return typeof q === 'string' && q.length > 0 ? q : null;
}

/** Which access a token grants: write (an ingest token: push, acknowledge, shelve) includes read. */
export type Access = 'write' | 'read' | null;

export function accessOf(token: string | null, auth: AuthSettings): Access {
  if (token === null) return null;
  if (matchToken(token, auth.ingest_tokens) !== null) return 'write';
  if (auth.read_token_sha256 !== undefined && matchToken(token, [{ name: 'read', sha256: auth.read_token_sha256 }]) !== null) return 'read';
  return null;
}

/**
 * With `auth.read_token` set, every GET/HEAD needs the read token or a write token except the public
 * paths (isPublicPath: health and the client bundle); without it reads are open, as on a closed
 * control-room network. Deny by default, on one normal form of the path (guardPath), so no spelling
 * (`/API/v1/site`, `/%69ndex.html`, `/assets/..%2findex.html`) and no route added later is left open.
 * Pushes and operator actions check their write token themselves, so only GET/HEAD are guarded here.
 */
export function requireRead(auth: AuthSettings): (req: Request, res: Response, next: NextFunction) => void {
  return (req, res, next) => {
    if (auth.read_token_sha256 === undefined || (req.method !== 'GET' && req.method !== 'HEAD')) return next();
    const form = guardPath(req.path);
    if (form !== null && isPublicPath(form)) return next();
    // /metrics has its own bearer when one is configured (Prometheus holds that one, not the read token);
    // only the metrics route answers this form, and it checks that bearer itself.
    if (form === '/metrics' && auth.metrics_token_sha256 !== undefined) return next();
    if (accessOf(presentedToken(req), auth) !== null) return next();
    res.set('WWW-Authenticate', 'Basic realm="floorwatch", charset="UTF-8"');
    if (form === null || form === '/api' || form.startsWith('/api/')) {
      res.status(401).json({ error: 'Authorization: a read token is required (Bearer, Basic password, or ?token=)' });
    } else {
      res.status(401).type('text/plain').send('Floorwatch: a read token is required. Wall displays: open /?token=<read token>.\n');
    }
  };
}

/** `/metrics` with `auth.metrics_token` set needs `Authorization: Bearer <metrics token>` (Prometheus' bearer_token). */
export function requireMetricsToken(auth: AuthSettings): (req: Request, res: Response, next: NextFunction) => void {
  return (req, res, next) => {
    const sha = auth.metrics_token_sha256;
    if (sha === undefined) return next();
    if (matchToken(bearerToken(req), [{ name: 'metrics', sha256: sha }]) !== null) return next();
    res.set('WWW-Authenticate', 'Bearer realm="floorwatch-metrics"');
    res.status(401).type('text/plain').send('Authorization: Bearer <metrics token> required\n');
  };
}
