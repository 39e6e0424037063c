import { afterAll, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { SMALL_SITE_YAML, TOKEN } from '../helpers/site.js';
import { tempDir } from '../helpers/tmp.js';
import { exited, freePort, waitForHttp } from '../helpers/net.js';

const CLI = join(process.cwd(), 'dist', 'server', 'cli.js');

function serve(config: string, db: string, port: number): ChildProcess {
  return spawn(process.execPath, [CLI, 'serve', '--config', config, '--db', db, '--port', String(port), '--host', '127.0.0.1'], { stdio: 'ignore' });
}

describe('kill -9 under sustained ingest', () => {
  const t = tempDir();
  const procs: ChildProcess[] = [];
  afterAll(() => {
    for (const p of procs) p.kill('SIGKILL');
    t.cleanup();
  });

  it('loses no acknowledged reading', async () => {
    expect(existsSync(CLI), 'npm test builds dist/ first').toBe(true);
    const config = join(t.dir, 'site.yaml');
    writeFileSync(config, SMALL_SITE_YAML);
    const db = join(t.dir, 'fw.db');
    const port = await freePort();
    const p = serve(config, db, port);
    procs.push(p);
    await waitForHttp(`http://127.0.0.1:${port}/healthz`);

    // Eight writers push distinct (device, ts) readings as fast as they are acknowledged; the server is
    // killed while requests are in flight. Every reading whose push got 200 must be on disk after.
    const acked: { device: string; ts: number }[] = [];
    let stop = false;
    let seq = 0;
    const base = Date.now() - 60_000;
    const devices = ['M-01-01', 'M-01-02', 'M-01-03'];
    const writer = async () => {
      while (!stop) {
        const batch = Array.from({ length: 20 }, () => {
          const n = seq++;
          return { device: devices[n % 3], ts: base + n, metrics: { hashrate_ths: 200, power_w: 3000 + (n % 500) } };
        });
        try {
          const res = await fetch(`http://127.0.0.1:${port}/api/v1/ingest`, {
            method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` },
            body: JSON.stringify({ readings: batch }),
          });
          if (res.status === 200) {
            const body = (await res.json()) as { accepted: number };
            if (body.accepted === batch.length) acked.push(...batch.map((b) => ({ device: b.device, ts: b.ts })));
          }
        } catch {
          return; // connection dropped by the kill: not acknowledged
        }
      }
    };
    const writers = Array.from({ length: 8 }, writer);
    while (acked.length < 2000) await new Promise((r) => setTimeout(r, 20));
    p.kill('SIGKILL');
    stop = true;
    await Promise.all(writers);
    await exited(p);

    // Restart on the same database: it opens (WAL recovered) and serves the last values.
    const p2 = serve(config, db, port);
    procs.push(p2);
    await waitForHttp(`http://127.0.0.1:${port}/healthz`);
    const dev = (await (await fetch(`http://127.0.0.1:${port}/api/v1/devices/M-01-01`)).json()) as { last_seen: number | null };
    expect(dev.last_seen).not.toBeNull();
    p2.kill('SIGTERM');
    await exited(p2);

    const check = new Database(db, { readonly: true });
    const stored = new Set(
      (check.prepare('SELECT d.name AS device, a.ts FROM samples_asic a JOIN devices d ON d.id = a.device').all() as { device: string; ts: number }[])
        .map((r) => `${r.device}@${r.ts}`),
    );
    check.close();
    const missing = acked.filter((a) => !stored.has(`${a.device}@${a.ts}`));
    expect(acked.length).toBeGreaterThanOrEqual(2000);
    expect(missing).toEqual([]);
  }, 60_000);
});
