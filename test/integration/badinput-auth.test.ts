// Auth, headers, CORS, rate limit and logs of the hardened server (issue 7), against the real server.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { io as ioClient } from 'socket.io-client';
import { startServer, type RunningServer } from '../../server/server.js';
import { SMALL_SITE_YAML, smallSite, tempDir, TOKEN } from '../helpers/site.js';

const READ = 'kiosk-read-token-1';
const METRICS = 'prom-metrics-token-2';
const YAML = `${SMALL_SITE_YAML}  read_token: ${READ}
  metrics_token: ${METRICS}
  cors_origins: ["https://ops.example.com"]
  ingest_rate_per_s: 5
  ingest_burst: 5
`;

function socketConnects(url: string, opts: { auth?: { token: string }; origin?: string }): Promise<string> {
  return new Promise((resolve) => {
    const socket = ioClient(`${url}/live`, {
      transports: ['websocket'], reconnection: false, auth: opts.auth,
      extraHeaders: opts.origin ? { origin: opts.origin } : undefined,
    });
    const done = (v: string) => {
      socket.close();
      resolve(v);
    };
    socket.on('snapshot', () => done('snapshot'));
    socket.on('connect_error', (e: Error) => done(`error: ${e.message}`));
    setTimeout(() => done('timeout'), 3000);
  });
}

describe('auth, headers, CORS, rate limit, logs', () => {
  const t = tempDir();
  let s: RunningServer;
  const logs: string[] = [];

  beforeAll(async () => {
    s = await startServer({ model: smallSite(YAML), dbPath: join(t.dir, 'fw.db'), port: 0, host: '127.0.0.1', log: (l) => logs.push(l), collectors: false });
  });
  afterAll(async () => {
    await s.close();
    t.cleanup();
  });

  it('reads need the read token (Bearer, Basic password or ?token=); a write token also reads', async () => {
    expect((await fetch(`${s.url}/api/v1/site`)).status).toBe(401);
    expect((await fetch(`${s.url}/api/v1/site`, { headers: { authorization: `Bearer ${READ}` } })).status).toBe(200);
    expect((await fetch(`${s.url}/api/v1/site?token=${READ}`)).status).toBe(200);
    const basic = Buffer.from(`wall:${READ}`).toString('base64');
    expect((await fetch(`${s.url}/api/v1/alerts`, { headers: { authorization: `Basic ${basic}` } })).status).toBe(200);
    expect((await fetch(`${s.url}/api/v1/site`, { headers: { authorization: `Bearer ${TOKEN}` } })).status).toBe(200);
    const page = await fetch(`${s.url}/`);
    expect(page.status).toBe(401);
    expect(page.headers.get('www-authenticate')).toMatch(/^Basic realm="floorwatch"/);
    // The client bundle is public code: the page's own asset requests carry no token and must load.
    expect((await fetch(`${s.url}/assets/no-such-bundle.js`)).status).toBe(404);
    // Health stays open for load balancers and orchestrators.
    expect((await fetch(`${s.url}/healthz`)).status).toBe(200);
    expect((await fetch(`${s.url}/readyz`)).status).toBe(200);
  });

  it('the read token cannot acknowledge; a write token can reach the action', async () => {
    const post = (token: string) => fetch(`${s.url}/api/v1/alerts/none/acknowledge`, {
      method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: '{"note":"x"}',
    });
    expect((await post(READ)).status).toBe(401);
    expect((await post(TOKEN)).status).toBe(404); // past auth: no such alert
  });

  it('/metrics needs the metrics bearer token', async () => {
    expect((await fetch(`${s.url}/metrics`)).status).toBe(401);
    expect((await fetch(`${s.url}/metrics`, { headers: { authorization: `Bearer ${READ}` } })).status).toBe(401);
    const ok = await fetch(`${s.url}/metrics`, { headers: { authorization: `Bearer ${METRICS}` } });
    expect(ok.status).toBe(200);
    // The exposition itself (nothing pushed yet, so the site figures are families without a sample).
    const text = await ok.text();
    expect(text).toMatch(/^# TYPE floorwatch_site_it_power_watts gauge$/m);
    expect(text).toMatch(/^floorwatch_ingest_samples_total \d+$/m);
  });

  it('socket.io needs the read token and an allowed origin', async () => {
    expect(await socketConnects(s.url, {})).toMatch(/^error: unauthorized/);
    expect(await socketConnects(s.url, { auth: { token: 'wrong' } })).toMatch(/^error: unauthorized/);
    expect(await socketConnects(s.url, { auth: { token: READ } })).toBe('snapshot');
    expect(await socketConnects(s.url, { auth: { token: READ }, origin: 'https://ops.example.com' })).toBe('snapshot');
    expect(await socketConnects(s.url, { auth: { token: READ }, origin: 'https://evil.example' })).toMatch(/^error/);
  });

  it('sends the security headers and a request id', async () => {
    const r = await fetch(`${s.url}/healthz`, { headers: { 'x-request-id': 'abc-123' } });
    expect(r.headers.get('content-security-policy')).toBe(
      "default-src 'self'; script-src 'self'; connect-src 'self' ws: wss:; img-src 'self' data:; style-src 'self' 'unsafe-inline'; " +
        "font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
    );
    expect(r.headers.get('x-content-type-options')).toBe('nosniff');
    expect(r.headers.get('referrer-policy')).toBe('no-referrer');
    expect(r.headers.get('x-frame-options')).toBe('DENY');
    expect(r.headers.get('x-request-id')).toBe('abc-123');
    // A request id that is not plain text is replaced, not echoed.
    const odd = await fetch(`${s.url}/healthz`, { headers: { 'x-request-id': 'a b<script>' } });
    expect(odd.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('CORS: a listed origin gets its preflight answered, another gets no CORS headers and 403 for a POST', async () => {
    const pre = await fetch(`${s.url}/api/v1/ingest`, {
      method: 'OPTIONS', headers: { origin: 'https://ops.example.com', 'access-control-request-method': 'POST' },
    });
    expect(pre.status).toBe(204);
    expect(pre.headers.get('access-control-allow-origin')).toBe('https://ops.example.com');
    expect(pre.headers.get('access-control-allow-headers')).toMatch(/Authorization/);
    const foreignGet = await fetch(`${s.url}/api/v1/site?token=${READ}`, { headers: { origin: 'https://evil.example' } });
    expect(foreignGet.headers.get('access-control-allow-origin')).toBeNull();
    const foreignPost = await fetch(`${s.url}/api/v1/ingest`, {
      method: 'POST', headers: { origin: 'https://evil.example', authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' }, body: '{"readings":[]}',
    });
    expect(foreignPost.status).toBe(403);
  });

  it('rate-limits ingest per token: a burst of 5, then 429 with Retry-After; bad tokens still get 401', async () => {
    const push = (token: string) => fetch(`${s.url}/api/v1/ingest`, {
      method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: '{"readings":[]}',
    });
    const statuses: number[] = [];
    for (let i = 0; i < 8; i++) statuses.push((await push(TOKEN)).status);
    // 5 per second refill: the 8 requests take well under 200 ms, so at most one token came back.
    expect(statuses.slice(0, 5)).toEqual([200, 200, 200, 200, 200]);
    expect(statuses.slice(6)).toEqual([429, 429]);
    const limited = await push(TOKEN);
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('1');
    expect(((await limited.json()) as { error: string }).error).toMatch(/^rate limit: token "test"/);
    expect((await push('not-a-token')).status).toBe(401);
    await new Promise((r) => setTimeout(r, 1100));
    expect((await push(TOKEN)).status).toBe(200);
  });

  it('logs one JSON line per request with its id, and never a token', async () => {
    await fetch(`${s.url}/api/v1/site?token=${READ}`, { headers: { 'x-request-id': 'log-check-1' } });
    await new Promise((r) => setTimeout(r, 20));
    const line = logs.map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l.req_id === 'log-check-1');
    expect(line).toMatchObject({ msg: 'request', method: 'GET', path: '/api/v1/site', status: 200, level: 30 });
    const all = logs.join('\n');
    expect(logs.length).toBeGreaterThan(20);
    for (const secret of [READ, METRICS, TOKEN, Buffer.from(`wall:${READ}`).toString('base64')]) expect(all).not.toContain(secret);
  });
});
