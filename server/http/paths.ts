import type { NextFunction, Request, Response } from 'express';

// One normal form of a request path, so a guard and the router cannot disagree about which resource a
// spelling names (issue 11 case 1: the read guard matched `/api/` case-sensitively while express routes
// case-insensitively, and `/%69ndex.html`, `/./index.html`, `/assets/..%2findex.html` reached the page).

const UNRESERVED = /^[A-Za-z0-9\-._~]$/;

/** RFC 3986 §5.2.4 remove_dot_segments on an absolute path, also merging repeated slashes. */
function resolveSegments(path: string): string {
  const out: string[] = [];
  const parts = path.split('/');
  // a path that ends in '/', '/.' or '/..' names a directory: keep the trailing slash
  const last = parts[parts.length - 1];
  const trailing = parts.length > 1 && (last === '' || last === '.' || last === '..');
  for (const seg of parts) {
    if (seg === '' || seg === '.') continue;
    if (seg === '..') out.pop();
    else out.push(seg);
  }
  const joined = `/${out.join('/')}`;
  return trailing && out.length > 0 ? `${joined}/` : joined;
}

/**
 * The routing form of a path (RFC 3986 §6.2.2): percent-encoded unreserved characters decoded (`%61pi`
 * is `api`), dot segments removed and repeated slashes merged. Other escapes stay as they are, so an
 * encoded slash inside an id (`n1%2Fgpu0`) is still one segment; case is kept, since ids are case-sensitive.
 */
export function routingPath(path: string): string {
  const decoded = path.includes('%')
    ? path.replace(/%([0-9A-Fa-f]{2})/g, (m, hex: string) => {
      const c = String.fromCharCode(parseInt(hex, 16));
      return UNRESERVED.test(c) ? c : m;
    })
    : path;
  if (!decoded.includes('//') && !decoded.includes('/.')) return decoded;
  return resolveSegments(decoded);
}

/**
 * The form a guard compares: fully percent-decoded (as express.static decodes before it looks for a
 * file), case-folded (as express routes), dot segments and repeated slashes resolved, no trailing slash.
 * null when the path does not decode: such a path names nothing public.
 */
export function guardPath(path: string): string | null {
  let decoded: string;
  try {
    decoded = decodeURIComponent(path);
  } catch {
    return null;
  }
  if (decoded.includes('\0') || decoded.includes('\\')) return null;
  const p = resolveSegments(decoded.toLowerCase());
  return p.length > 1 && p.endsWith('/') ? p.slice(0, -1) : p;
}

/**
 * Paths anyone may GET with a read token configured: health for orchestrators, and the client bundle
 * (public code, no site data) whose requests carry no token since the kiosk's token is in the page URL
 * only. One file name under /assets, no deeper: nothing routes there but express.static.
 */
export function isPublicPath(form: string): boolean {
  return form === '/healthz' || form === '/readyz' || form === '/favicon.ico' || /^\/assets\/[a-z0-9][a-z0-9._-]*$/.test(form);
}

/** Rewrites req.url to its routing form (query untouched) before anything routes or guards on it. */
export function canonicalUrl(): (req: Request, res: Response, next: NextFunction) => void {
  return (req, _res, next) => {
    const url = req.url;
    if (url.startsWith('/')) {
      const q = url.indexOf('?');
      const path = q < 0 ? url : url.slice(0, q);
      const canonical = routingPath(path);
      if (canonical !== path) req.url = q < 0 ? canonical : canonical + url.slice(q);
    }
    next();
  };
}
