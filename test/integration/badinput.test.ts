// The bad-input corpus (issue 7): every case against the real server, each with its documented status,
// the server still serving after it, and nothing stored or changed but the good readings beside the bad.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request as httpRequest } from 'node:http';
import { join } from 'node:path';
import { startServer, type RunningServer } from '../../server/server.js';
import { countSamples } from '../../server/store/samples.js';
import { SMALL_SITE_YAML, smallSite, tempDir, TOKEN } from '../helpers/site.js';

const READ = 'read-secret-7';
const YAML = `${SMALL_SITE_YAML}  read_token: ${READ}\n`;

interface Answer {
  status: number;
  text: string;
  json: Record<string, unknown> | undefined;
}

/** Raw HTTP so paths reach the server as written (fetch would resolve `../` before sending). */
function send(port: number, method: string, path: string, opts: { headers?: Record<string, string>; body?: string | Buffer } = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, method, path, headers: opts.headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let json: Record<string, unknown> | undefined;
        try {
          json = JSON.parse(text) as Record<string, unknown>;
        } catch {
          json = undefined;
        }
        resolve({ status: res.statusCode ?? 0, text, json });
      });
    });
    req.on('error', reject);
    if (opts.body !== undefined) req.write(opts.body);
    req.end();
  });
}

const W = { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' };
const R = { authorization: `Bearer ${READ}` };

interface Case {
  name: string;
  method: string;
  path: string;
  headers?: Record<string, string>;
  body?: string;
  status: number;
  /** what the answer must also say */
  check?: (a: Answer) => void;
}

/** For a 200 whose readings were all refused: no reading accepted, each refused one named with its reason. */
function refused(n: number, pattern: RegExp) {
  return (a: Answer) => {
    expect(a.json?.accepted).toBe(0);
    const rejected = a.json?.rejected as { index: number; error: string }[];
    expect(rejected.map((r) => r.index).filter((v, i, all) => all.indexOf(v) === i)).toHaveLength(n);
    for (const r of rejected) expect(r.error).toMatch(pattern);
  };
}

const one = (reading: unknown) => JSON.stringify({ readings: [reading] });
const now = () => Date.now() - 2000;

const CASES: Case[] = [
  // body shape
  { name: 'malformed JSON (cut off)', method: 'POST', path: '/api/v1/ingest', headers: W, body: '{"readings": [{"device": "M-01-01"', status: 400, check: (a) => expect(a.json?.error).toMatch(/^body: not valid JSON/) },
  { name: 'empty body', method: 'POST', path: '/api/v1/ingest', headers: W, body: '', status: 400 },
  { name: 'NaN literal', method: 'POST', path: '/api/v1/ingest', headers: W, body: '{"readings":[{"device":"M-01-01","metrics":{"power_w":NaN}}]}', status: 400, check: (a) => expect(a.json?.error).toMatch(/not valid JSON/) },
  { name: 'Infinity literal', method: 'POST', path: '/api/v1/ingest', headers: W, body: '{"readings":[{"device":"M-01-01","metrics":{"power_w":Infinity}}]}', status: 400 },
  { name: 'body is an array', method: 'POST', path: '/api/v1/ingest', headers: W, body: '[1,2]', status: 400, check: (a) => expect(a.json?.error).toMatch(/^body: expected an object/) },
  { name: 'readings is a string', method: 'POST', path: '/api/v1/ingest', headers: W, body: '{"readings":"M-01-01"}', status: 400, check: (a) => expect(a.json?.error).toBe('readings: expected an array') },
  { name: 'unknown top-level field', method: 'POST', path: '/api/v1/ingest', headers: W, body: '{"readings":[],"__proto__":{"admin":true}}', status: 400, check: (a) => expect(a.json?.error).toMatch(/unknown field/) },
  { name: '100,000 readings in one body', method: 'POST', path: '/api/v1/ingest', headers: W, body: JSON.stringify({ readings: Array.from({ length: 100_000 }, () => ({ device: 'M-01-01', metrics: { power_w: 1 } })) }), status: 413, check: (a) => expect(a.json?.error).toBe('readings: 100000 readings in one body, at most 50000') },
  { name: '17 MiB body', method: 'POST', path: '/api/v1/ingest', headers: W, body: `{"readings":[],"pad":"${'x'.repeat(17 * 1024 * 1024)}"}`, status: 413 },
  { name: '100,000 levels of [', method: 'POST', path: '/api/v1/ingest', headers: W, body: '['.repeat(100_000) + ']'.repeat(100_000), status: 400 },
  { name: '100,000 levels of [ unclosed', method: 'POST', path: '/api/v1/ingest', headers: W, body: '['.repeat(100_000), status: 400 },
  { name: '100,000 levels inside readings', method: 'POST', path: '/api/v1/ingest', headers: W, body: `{"readings":${'['.repeat(100_000)}${']'.repeat(100_000)}}`, status: 200, check: refused(1, /./) },
  { name: '100,000 levels of {"a": in metrics', method: 'POST', path: '/api/v1/ingest', headers: W, body: `{"readings":[{"device":"M-01-01","metrics":{"power_w":${'{"a":'.repeat(100_000)}1${'}'.repeat(100_000)}}}]}`, status: 200, check: refused(1, /expected a number or null/) },
  // content types
  { name: 'text/plain', method: 'POST', path: '/api/v1/ingest', headers: { ...W, 'content-type': 'text/plain' }, body: '{"readings":[]}', status: 415 },
  { name: 'form-urlencoded', method: 'POST', path: '/api/v1/ingest', headers: { ...W, 'content-type': 'application/x-www-form-urlencoded' }, body: 'readings=1', status: 415 },
  { name: 'no content type', method: 'POST', path: '/api/v1/ingest', headers: { authorization: W.authorization }, body: '{"readings":[]}', status: 415 },
  { name: 'multipart', method: 'POST', path: '/api/v1/ingest', headers: { ...W, 'content-type': 'multipart/form-data; boundary=x' }, body: '--x--', status: 415 },
  // tokens
  { name: 'no token', method: 'POST', path: '/api/v1/ingest', headers: { 'content-type': 'application/json' }, body: '{"readings":[]}', status: 401 },
  { name: 'wrong token', method: 'POST', path: '/api/v1/ingest', headers: { ...W, authorization: 'Bearer test-tokeN' }, body: '{"readings":[]}', status: 401 },
  { name: 'ingest token in ?token=', method: 'POST', path: `/api/v1/ingest?token=${TOKEN}`, headers: { 'content-type': 'application/json' }, body: '{"readings":[]}', status: 401 },
  { name: 'read token cannot push', method: 'POST', path: '/api/v1/ingest', headers: { ...W, authorization: `Bearer ${READ}` }, body: '{"readings":[]}', status: 401 },
  { name: 'read token cannot acknowledge', method: 'POST', path: '/api/v1/alerts/x/acknowledge', headers: { ...W, authorization: `Bearer ${READ}` }, body: '{"note":"n"}', status: 401 },
  { name: 'Bearer with no token', method: 'POST', path: '/api/v1/ingest', headers: { ...W, authorization: 'Bearer ' }, body: '{"readings":[]}', status: 401 },
  { name: 'GET /api/v1/site without read token', method: 'GET', path: '/api/v1/site', status: 401 },
  { name: 'GET /api/v1/site with wrong read token', method: 'GET', path: '/api/v1/site?token=nope', status: 401 },
  // readings refused one by one (200, each in `rejected`)
  { name: 'string for a number', method: 'POST', path: '/api/v1/ingest', headers: W, body: one({ device: 'M-01-01', metrics: { power_w: '3510' } }), status: 200, check: refused(1, /expected a number or null/) },
  { name: 'boolean for a number', method: 'POST', path: '/api/v1/ingest', headers: W, body: one({ device: 'M-01-01', metrics: { power_w: true } }), status: 200, check: refused(1, /expected a number or null/) },
  { name: '1e308 power', method: 'POST', path: '/api/v1/ingest', headers: W, body: one({ device: 'M-01-01', metrics: { power_w: 1e308 } }), status: 200, check: refused(1, /outside the plausible range/) },
  { name: '1e999 (parses to Infinity)', method: 'POST', path: '/api/v1/ingest', headers: W, body: '{"readings":[{"device":"M-01-01","metrics":{"power_w":1e999}}]}', status: 200, check: refused(1, /finite/) },
  { name: 'negative power', method: 'POST', path: '/api/v1/ingest', headers: W, body: one({ device: 'M-01-01', metrics: { power_w: -3510 } }), status: 200, check: refused(1, /outside the plausible range/) },
  { name: 'timestamp in 1970', method: 'POST', path: '/api/v1/ingest', headers: W, body: one({ device: 'M-01-01', ts: 0, metrics: { power_w: 3500 } }), status: 200, check: refused(1, /older than raw retention/) },
  { name: 'timestamp in 2099', method: 'POST', path: '/api/v1/ingest', headers: W, body: one({ device: 'M-01-01', ts: '2099-01-01T00:00:00Z', metrics: { power_w: 3500 } }), status: 200, check: refused(1, /in the future/) },
  { name: 'timestamp as words', method: 'POST', path: '/api/v1/ingest', headers: W, body: one({ device: 'M-01-01', ts: 'yesterday', metrics: { power_w: 3500 } }), status: 200, check: refused(1, /RFC 3339/) },
  { name: 'unknown device', method: 'POST', path: '/api/v1/ingest', headers: W, body: one({ device: 'NO-SUCH', metrics: { power_w: 1 } }), status: 200, check: refused(1, /./) },
  { name: 'unknown metric', method: 'POST', path: '/api/v1/ingest', headers: W, body: one({ device: 'M-01-01', metrics: { flux_capacitance: 1 } }), status: 200, check: refused(1, /not a metric of a asic device/) },
  { name: 'metric of another kind', method: 'POST', path: '/api/v1/ingest', headers: W, body: one({ device: 'M-01-01', metrics: { util_pct: 50 } }), status: 200, check: refused(1, /not a metric/) },
  { name: 'device id a number', method: 'POST', path: '/api/v1/ingest', headers: W, body: one({ device: 42, metrics: { power_w: 1 } }), status: 200, check: refused(1, /./) },
  { name: 'reading a number', method: 'POST', path: '/api/v1/ingest', headers: W, body: '{"readings":[5]}', status: 200, check: refused(1, /./) },
  { name: 'metrics an array', method: 'POST', path: '/api/v1/ingest', headers: W, body: one({ device: 'M-01-01', metrics: [1, 2] }), status: 200, check: refused(1, /./) },
  { name: 'path traversal as device id', method: 'POST', path: '/api/v1/ingest', headers: W, body: one({ device: '../../etc/passwd', metrics: { power_w: 1 } }), status: 200, check: refused(1, /./) },
  { name: 'SQL in device id', method: 'POST', path: '/api/v1/ingest', headers: W, body: one({ device: "M-01-01'; DROP TABLE samples_asic;--", metrics: { power_w: 1 } }), status: 200, check: refused(1, /./) },
  { name: 'SQL as metric name', method: 'POST', path: '/api/v1/ingest', headers: W, body: one({ device: 'M-01-01', metrics: { 'power_w) VALUES (1); DROP TABLE samples_asic;--': 1 } }), status: 200, check: refused(1, /not a metric/) },
  // ids in URLs
  { name: 'devices/../../etc/passwd (raw)', method: 'GET', path: '/api/v1/devices/../../etc/passwd', headers: R, status: 404, check: (a) => expect(a.text).not.toMatch(/root:/) },
  { name: 'devices/..%2F..%2Fetc%2Fpasswd', method: 'GET', path: '/api/v1/devices/..%2F..%2Fetc%2Fpasswd', headers: R, status: 404, check: (a) => expect(a.json?.error).toBe('device "../../etc/passwd" not found') },
  { name: 'racks/..%2F..%2Fetc%2Fpasswd', method: 'GET', path: '/api/v1/racks/..%2F..%2Fetc%2Fpasswd', headers: R, status: 404, check: (a) => expect(a.json?.error).toBe('rack "../../etc/passwd" not found') },
  { name: 'static %2e%2e traversal', method: 'GET', path: '/%2e%2e/%2e%2e/%2e%2e/etc/passwd', headers: R, status: 404, check: (a) => expect(a.text).not.toMatch(/root:/) },
  { name: 'static ..%2f traversal', method: 'GET', path: '/assets/..%2f..%2f..%2f..%2fpackage.json', headers: R, status: 404, check: (a) => expect(a.text).not.toMatch(/"name"/) },
  { name: "devices/x' OR '1'='1", method: 'GET', path: "/api/v1/devices/x'%20OR%20'1'%3D'1", headers: R, status: 404 },
  { name: "racks/'; DROP TABLE racks;--", method: 'GET', path: "/api/v1/racks/'%3B%20DROP%20TABLE%20racks%3B--", headers: R, status: 404 },
  { name: 'bad %-encoding in id', method: 'GET', path: '/api/v1/devices/%E0%A4%A', headers: R, status: 400 },
  { name: 'history scope with SQL', method: 'GET', path: `/api/v1/history?scope=${encodeURIComponent("device:x' OR 1=1--")}&metric=power_w`, headers: R, status: 400 },
  { name: 'alerts ?key= with SQL', method: 'GET', path: `/api/v1/alerts?key=${encodeURIComponent("' OR '1'='1")}`, headers: R, status: 200, check: (a) => expect(a.json?.audit).toEqual([]) },
  { name: 'acknowledge: SQL in key and note', method: 'POST', path: `/api/v1/alerts/${encodeURIComponent("x'); DROP TABLE alert_audit;--")}/acknowledge`, headers: W, body: JSON.stringify({ note: "'); DELETE FROM alert_audit; --", by: "Robert'); DROP TABLE alert_state;--" }), status: 404 },
  { name: 'acknowledge: note not a string', method: 'POST', path: '/api/v1/alerts/x/acknowledge', headers: W, body: JSON.stringify({ note: { $gt: '' } }), status: 400 },
  { name: 'acknowledge: malformed JSON', method: 'POST', path: '/api/v1/alerts/x/acknowledge', headers: W, body: '{"note":', status: 400 },
];

/** The site as the API shows it, without what moves with the clock alone. */
function stable(site: unknown): unknown {
  return JSON.parse(JSON.stringify(site), (k, v: unknown) => (/(^|_)(ts|at|age_s|age_ms|seq|since)$/.test(k) || k === 'stale' ? undefined : v));
}

describe('bad-input corpus against the real server', () => {
  const t = tempDir();
  let s: RunningServer;
  const results: { case: string; expected: number; got: number; ok: string }[] = [];
  const seedTs = now();
  const seed = [
    { device: 'M-01-01', ts: seedTs, metrics: { hashrate_ths: 201.5, power_w: 3510, chip_temp_c: 70 } },
    { device: 'M-01-pdu', ts: seedTs, metrics: { power_w: 10_400, feed_a_w: 5200, feed_b_w: 5200 } },
    { device: 'G-01-n1/gpu0', ts: seedTs, metrics: { util_pct: 90, power_w: 650 } },
  ];

  beforeAll(async () => {
    // A long tick: the site's figures move only when a test moves them.
    s = await startServer({ model: smallSite(YAML), dbPath: join(t.dir, 'fw.db'), port: 0, host: '127.0.0.1', log: () => {}, tickMs: 60_000, collectors: false });
    const r = await send(s.port, 'POST', '/api/v1/ingest', { headers: W, body: JSON.stringify({ readings: seed }) });
    expect(r.json?.accepted).toBe(3);
  });
  afterAll(async () => {
    await s.close();
    t.cleanup();
    // eslint-disable-next-line no-console
    console.log(`bad-input corpus (${results.length} cases):\n` + results.map((r) => `  ${r.ok}  ${String(r.got).padEnd(4)} ${r.case}`).join('\n'));
  });

  it('answers every case with its documented status, keeps serving, and changes nothing', async () => {
    s.hub.tick();
    const rowsBefore = countSamples(s.db);
    const siteBefore = stable((await send(s.port, 'GET', '/api/v1/site', { headers: R })).json);
    // The comparison has the seeded values in it to compare: the PDU's 10 400 W is the rack's power.
    expect(JSON.stringify(siteBefore)).toContain('10400');
    for (const c of CASES) {
      const a = await send(s.port, c.method, c.path, { headers: c.headers, body: c.body });
      results.push({ case: c.name, expected: c.status, got: a.status, ok: a.status === c.status ? 'ok  ' : 'FAIL' });
      expect(a.status, c.name).toBe(c.status);
      if (a.status >= 400) expect(a.json?.error ?? a.text, c.name).toBeTruthy();
      c.check?.(a);
      // Still serving after each one.
      expect((await send(s.port, 'GET', '/healthz')).status, `healthz after ${c.name}`).toBe(200);
    }
    expect(countSamples(s.db)).toEqual(rowsBefore);
    s.hub.tick();
    expect(stable((await send(s.port, 'GET', '/api/v1/site', { headers: R })).json)).toEqual(siteBefore);
    for (const table of ['samples_asic', 'alert_audit']) {
      expect(() => s.db.prepare(`SELECT count(*) FROM ${table}`).get(), table).not.toThrow();
    }
  }, 60_000);

  it('stores the good readings beside bad ones in the same batch', async () => {
    const before = countSamples(s.db);
    const ts = seedTs + 1;
    const a = await send(s.port, 'POST', '/api/v1/ingest', {
      headers: W,
      body: JSON.stringify({ readings: [
        { device: '../../etc/passwd', ts, metrics: { power_w: 1 } },
        { ...seed[0], ts },
        { device: 'M-01-01', ts, metrics: { power_w: -1 } },
        { device: "x'; DROP TABLE samples_pdu;--", ts, metrics: { power_w: 1 } },
        { ...seed[1], ts },
        { device: 'M-01-02', ts: 0, metrics: { power_w: 3400 } },
        { device: 'M-01-03', ts, metrics: { power_w: '3400' } },
      ] }),
    });
    results.push({ case: 'mixed batch: 2 good among 5 bad', expected: 200, got: a.status, ok: a.status === 200 ? 'ok  ' : 'FAIL' });
    expect(a.status).toBe(200);
    expect(a.json?.accepted).toBe(2);
    expect((a.json?.rejected as { index: number }[]).map((r) => r.index)).toEqual([0, 2, 3, 5, 6]);
    const after = countSamples(s.db);
    expect(after.asic - before.asic).toBe(1);
    expect(after.pdu - before.pdu).toBe(1);
    expect(after.gpu).toBe(before.gpu);
  });
});
