// Faults (issue 7): a full database, SIGTERM while pushes are in flight, collector targets that flood or hang.
import { afterAll, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer as createHttpServer, request as httpRequest, type Server as HttpServer } from 'node:http';
import { createServer as createTcpServer, type Server as TcpServer, type Socket } from 'node:net';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import Database from 'better-sqlite3';
import { startServer } from '../../server/server.js';
import { countSamples } from '../../server/store/samples.js';
import { cgminerRaw } from '../../server/collectors/cgminer.js';
import { scrapeText } from '../../server/collectors/dcgm.js';
import { post, SMALL_SITE_YAML, smallSite, TOKEN } from '../helpers/site.js';
import { tempDir } from '../helpers/tmp.js';
import { freePort, waitForHttp } from '../helpers/net.js';

const CLI = join(process.cwd(), 'dist', 'server', 'cli.js');

function batch(n: number, ts0: number) {
  const devices = ['M-01-01', 'M-01-02', 'M-01-03'];
  return { readings: Array.from({ length: n }, (_, i) => ({ device: devices[i % 3], ts: ts0 + i, metrics: { hashrate_ths: 200 + (i % 7), power_w: 3000 + (i % 500), chip_temp_c: 60 + (i % 20) } })) };
}

describe('a full database', () => {
  const t = tempDir();
  afterAll(() => t.cleanup());

  // There is no small filesystem to fill without root here, so the database is made full the way SQLite
  // sees a full disk: PRAGMA max_page_count caps the file at its current size, and the next page
  // allocation fails with SQLITE_FULL ("database or disk is full") through the same writer code path.
  it('ingest answers 503 with the reason, /readyz fails, /healthz stays up, and both recover when space returns', async () => {
    const logs: string[] = [];
    const s = await startServer({ model: smallSite(), dbPath: join(t.dir, 'fw.db'), port: 0, host: '127.0.0.1', log: (l) => logs.push(l), collectors: false, tickMs: 60_000 });
    try {
      const url = `${s.url}/api/v1/ingest`;
      const ts0 = Date.now() - 10 * 60_000;
      expect((await post(url, batch(300, ts0))).status).toBe(200);
      expect((await fetch(`${s.url}/readyz`)).status).toBe(200);

      const pages = s.db.pragma('page_count', { simple: true }) as number;
      expect(s.db.pragma(`max_page_count = ${pages}`, { simple: true })).toBe(pages);
      // the pragma is per connection, and ingest commits on the writer thread's own (issue 11 case 2)
      expect(await s.writer.pragma(`max_page_count = ${pages}`)).toBe(pages);
      const before = countSamples(s.db).asic;
      let full: Awaited<ReturnType<typeof post>> | undefined;
      let acked = 0;
      for (let i = 1; i <= 40 && full === undefined; i++) {
        const r = await post(url, batch(1000, ts0 + i * 1000));
        if (r.status === 200) acked += 1000;
        else full = r;
      }
      expect(full?.status).toBe(503);
      expect(full?.json.error).toBe('store unavailable, nothing of this batch was stored: database or disk is full');
      // Nothing of the refused batch is stored, all of the acknowledged ones are.
      expect(countSamples(s.db).asic - before).toBe(acked);

      const notReady = await fetch(`${s.url}/readyz`);
      expect(notReady.status).toBe(503);
      const body = (await notReady.json()) as { problems: string[] };
      expect(body.problems.join('; ')).toMatch(/^database: (not writable|last commit failed) \(database or disk is full\)/);
      expect((await fetch(`${s.url}/healthz`)).status).toBe(200);
      expect(logs.some((l) => l.includes('store: commit failed: database or disk is full'))).toBe(true);

      // Space returns.
      s.db.pragma('max_page_count = 1073741823');
      await s.writer.pragma('max_page_count = 1073741823');
      const again = await post(url, batch(1000, ts0 + 100_000));
      expect(again.status).toBe(200);
      expect(again.json.accepted).toBe(1000);
      const ready = await fetch(`${s.url}/readyz`);
      expect(ready.status).toBe(200);
      expect(((await ready.json()) as { database: { writable: boolean } }).database.writable).toBe(true);
    } finally {
      await s.close();
    }
  });
});

describe('a read-only database', () => {
  const t = tempDir();
  afterAll(() => t.cleanup());

  // chmod does not stop root, which runs CI here; PRAGMA query_only makes SQLite refuse writes on this
  // connection with SQLITE_READONLY, the error a read-only file or mount gives.
  it('ingest answers 503, /readyz fails, and both recover when writes are allowed again', async () => {
    const s = await startServer({ model: smallSite(), dbPath: join(t.dir, 'fw.db'), port: 0, host: '127.0.0.1', log: () => {}, collectors: false, tickMs: 60_000 });
    try {
      const url = `${s.url}/api/v1/ingest`;
      const ts0 = Date.now() - 60_000;
      s.db.pragma('query_only = ON');
      await s.writer.pragma('query_only = ON'); // per connection: also the writer thread's (issue 11 case 2)
      const r = await post(url, batch(30, ts0));
      expect(r.status).toBe(503);
      expect(r.json.error).toBe('store unavailable, nothing of this batch was stored: attempt to write a readonly database');
      const notReady = await fetch(`${s.url}/readyz`);
      expect(notReady.status).toBe(503);
      expect(((await notReady.json()) as { problems: string[] }).problems).toEqual(['database: not writable (attempt to write a readonly database)']);
      s.db.pragma('query_only = OFF');
      await s.writer.pragma('query_only = OFF');
      expect((await post(url, batch(30, ts0))).json.accepted).toBe(30);
      expect((await fetch(`${s.url}/readyz`)).status).toBe(200);
      expect(countSamples(s.db).asic).toBe(30);
    } finally {
      await s.close();
    }
  });
});

describe('SIGTERM', () => {
  const t = tempDir();
  const procs: ChildProcess[] = [];
  afterAll(() => {
    for (const p of procs) if (p.exitCode === null) p.kill('SIGKILL');
    t.cleanup();
  });

  it('drains: pushes in flight when the signal comes are answered and committed before exit', async () => {
    expect(existsSync(CLI), 'npm test builds dist/ first').toBe(true);
    const config = join(t.dir, 'site.yaml');
    writeFileSync(config, SMALL_SITE_YAML);
    const dbPath = join(t.dir, 'fw.db');
    const port = await freePort();
    const p = spawn(process.execPath, [CLI, 'serve', '--config', config, '--db', dbPath, '--port', String(port), '--host', '127.0.0.1'], { stdio: ['ignore', 'pipe', 'pipe'] });
    procs.push(p);
    let out = '';
    p.stdout?.on('data', (c: Buffer) => (out += c.toString()));
    p.stderr?.on('data', (c: Buffer) => (out += c.toString()));
    const exit = new Promise<number | null>((resolve) => p.once('exit', (code) => resolve(code)));
    await waitForHttp(`http://127.0.0.1:${port}/healthz`);

    // Twelve pushes of 4000 readings: the bodies are all sent, then SIGTERM while the server still works on them.
    const N = 12;
    const PER = 4000;
    const ts0 = Date.now() - 10 * 60_000;
    let sent = 0;
    let signalledAt = 0;
    const answers = Array.from({ length: N }, (_, k) => new Promise<{ status: number; accepted: number; at: number }>((resolve) => {
      const body = JSON.stringify(batch(PER, ts0 + k * PER));
      const req = httpRequest({ host: '127.0.0.1', port, method: 'POST', path: '/api/v1/ingest', headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}`, 'content-length': Buffer.byteLength(body) } }, (res) => {
        let text = '';
        res.on('data', (c: Buffer) => (text += c.toString()));
        res.on('end', () => {
          let accepted = 0;
          try {
            accepted = (JSON.parse(text) as { accepted: number }).accepted;
          } catch { /* not JSON */ }
          resolve({ status: res.statusCode ?? 0, accepted, at: Date.now() });
        });
      });
      req.on('error', () => resolve({ status: 0, accepted: 0, at: Date.now() }));
      req.end(body, () => {
        if (++sent === N) {
          signalledAt = Date.now();
          p.kill('SIGTERM');
        }
      });
    }));
    const results = await Promise.all(answers);
    const code = await exit;
    expect(code, out).toBe(0);
    expect(out).toMatch(/SIGTERM: draining and closing/);
    expect(results.map((r) => r.status)).toEqual(Array(N).fill(200));
    // The drain is what answered some of them: they came back after the signal.
    expect(results.filter((r) => r.at >= signalledAt).length).toBeGreaterThan(0);
    const db = new Database(dbPath, { readonly: true });
    try {
      const rows = (db.prepare('SELECT count(*) AS n FROM samples_asic').get() as { n: number }).n;
      expect(rows).toBe(N * PER);
    } finally {
      db.close();
    }
  }, 30_000);
});

describe('collector targets that flood or hang', () => {
  const servers: (TcpServer | HttpServer)[] = [];
  const sockets = new Set<Socket>();
  afterAll(async () => {
    for (const s of sockets) s.destroy();
    await Promise.all(servers.map((s) => new Promise<void>((r) => s.close(() => r()))));
  });

  /** Writes 64 KiB chunks for as long as the peer reads; counts what it sent. */
  function flood(sock: { write(b: Buffer): boolean; once(e: 'drain', f: () => void): unknown; destroyed: boolean }, sent: { bytes: number }): void {
    const chunk = Buffer.alloc(64 * 1024, 'x');
    const pump = () => {
      while (!sock.destroyed) {
        sent.bytes += chunk.length;
        if (!sock.write(chunk)) return void sock.once('drain', pump);
      }
    };
    pump();
  }

  async function listen<T extends TcpServer | HttpServer>(s: T): Promise<number> {
    servers.push(s);
    await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
    return (s.address() as AddressInfo).port;
  }

  it('cgminer: an endless reply is cut at the cap; a silent peer times out', async () => {
    const sent = { bytes: 0 };
    const floodPort = await listen(createTcpServer((sock) => {
      sockets.add(sock);
      sock.on('error', () => {});
      sock.once('data', () => flood(sock, sent));
    }));
    const t0 = Date.now();
    await expect(cgminerRaw('127.0.0.1', floodPort, '{"command":"summary"}', 10_000)).rejects.toThrow('bad reply: too large');
    expect(Date.now() - t0).toBeLessThan(5000);
    // Cut at 4 MiB: the flood sent no more than what was in flight in socket buffers beyond it.
    expect(sent.bytes).toBeLessThan(4 * 1024 * 1024 + 8 * 1024 * 1024);

    const hangPort = await listen(createTcpServer((sock) => {
      sockets.add(sock);
      sock.on('error', () => {});
    }));
    const t1 = Date.now();
    await expect(cgminerRaw('127.0.0.1', hangPort, '{"command":"summary"}', 300)).rejects.toThrow('timeout');
    expect(Date.now() - t1).toBeLessThan(2000);
  });

  it('dcgm exporter: an endless page is cut at the cap; a page that stops mid-way times out', async () => {
    const sent = { bytes: 0 };
    const floodPort = await listen(createHttpServer((_req, res) => {
      sockets.add(res.socket!);
      res.on('error', () => {});
      res.writeHead(200, { 'content-type': 'text/plain' });
      flood(res, sent);
    }));
    const t0 = Date.now();
    await expect(scrapeText(`http://127.0.0.1:${floodPort}/metrics`, 20_000)).rejects.toThrow('bad reply: too large');
    expect(Date.now() - t0).toBeLessThan(10_000);

    const hangPort = await listen(createHttpServer((_req, res) => {
      sockets.add(res.socket!);
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.write('# HELP DCGM_FI_DEV_GPU_UTIL GPU utilization.\n'); // then nothing, ever
    }));
    const t1 = Date.now();
    await expect(scrapeText(`http://127.0.0.1:${hangPort}/metrics`, 300)).rejects.toThrow('timeout');
    expect(Date.now() - t1).toBeLessThan(2000);
  });
});
