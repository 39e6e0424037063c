import { createHash, timingSafeEqual } from 'node:crypto';
import type { Request } from 'express';

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
