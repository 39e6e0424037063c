// kill -9 of the real server while it compacts closed windows of raw rows into chunks and takes late
// pushes into those same windows (issue 15): every acknowledged reading is on disk after, in exactly one
// layer (the head or a chunk), the readings that were there before too, and the minute rollups count each
// stored row once.
import { afterAll, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { openDatabase } from '../../server/store/db.js';
import { prepareSampleInserts, registerDevices, rowValues } from '../../server/store/samples.js';
import { decodeChunkRows } from '../../server/store/chunks.js';
import { minuteWindowsTable } from '../../server/store/minute-windows.js';
import { chunkRows, rollupChunkColumns } from '../../server/store/rollup-chunks.js';
import { SMALL_SITE_YAML, smallSite, TOKEN } from '../helpers/site.js';
import { tempDir } from '../helpers/tmp.js';
import { exited, freePort, waitForHttp } from '../helpers/net.js';

const CLI = join(process.cwd(), 'dist', 'server', 'cli.js');
const M = 60_000;
const H = 60 * M;
const MINERS = 40;
const YAML = SMALL_SITE_YAML.replace('count: 3,', `count: ${MINERS},`);

describe('kill -9 during raw compaction and late ingest', () => {
  const t = tempDir();
  const procs: ChildProcess[] = [];
  afterAll(() => {
    for (const p of procs) p.kill('SIGKILL');
    t.cleanup();
  });

  it('loses no acknowledged reading and stores each once', async () => {
    expect(existsSync(CLI), 'npm test builds dist/ first').toBe(true);
    const config = join(t.dir, 'site.yaml');
    writeFileSync(config, YAML);
    const dbPath = join(t.dir, 'fw.db');
    // Three closed hours of readings every 10 s (on the :00 of each 10 s), the last ending 30 min ago.
    const now = Date.now();
    const hour0 = Math.floor(now / H) * H - 4 * H;
    const db = openDatabase(dbPath);
    const model = smallSite(YAML);
    const keys = registerDevices(db, [...model.devices.values()].map((d) => ({ id: d.id, kind: d.kind })));
    const names = [...model.devices.values()].filter((d) => d.kind === 'asic').map((d) => d.id);
    const s = prepareSampleInserts(db);
    const before = new Set<string>();
    db.transaction(() => {
      for (let ts = hour0; ts < hour0 + 3 * H; ts += 10_000) {
        for (const id of names) {
          s.insert.asic(ts, keys.get(id) as number, 0, rowValues('asic', { hashrate_ths: 200, power_w: 3500 + (ts / 10_000) % 100 }));
          before.add(`${id}@${ts}`);
        }
      }
    })();
    db.close();

    const port = await freePort();
    const p = spawn(process.execPath, [CLI, 'serve', '--config', config, '--db', dbPath, '--port', String(port), '--host', '127.0.0.1'], { stdio: 'ignore' });
    procs.push(p);
    await waitForHttp(`http://127.0.0.1:${port}/healthz`);

    // Late readings at :05 of each 10 s across the three compacted hours: each lands in a window that is
    // being or has been compacted, so the server reopens chunks while it writes them.
    const acked: string[] = [];
    let stop = false;
    let seq = 0;
    const writer = async (w: number) => {
      while (!stop) {
        const batch = Array.from({ length: 20 }, () => {
          const n = seq++;
          const id = names[(n * 7 + w) % MINERS];
          return { device: id, ts: hour0 + 5_000 + 10_000 * ((n * 131) % (3 * 360)), metrics: { hashrate_ths: 150, power_w: 3000 } };
        });
        try {
          const res = await fetch(`http://127.0.0.1:${port}/api/v1/ingest`, {
            method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKEN}` },
            body: JSON.stringify({ readings: batch }),
          });
          if (res.status === 200 && ((await res.json()) as { accepted: number }).accepted === batch.length) acked.push(...batch.map((b) => `${b.device}@${b.ts}`));
        } catch {
          return; // the kill dropped the connection: not acknowledged
        }
      }
    };
    const probe = new Database(dbPath, { readonly: true, fileMustExist: true });
    const chunks = probe.prepare('SELECT count(*) FROM chunks_asic').pluck();
    const writers = Array.from({ length: 4 }, (_, i) => writer(i));
    const deadline = Date.now() + 60_000;
    while ((acked.length < 1000 || (chunks.get() as number) === 0) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    const chunksAtKill = chunks.get() as number;
    p.kill('SIGKILL');
    stop = true;
    await Promise.all(writers);
    await exited(p);
    probe.close();
    expect(chunksAtKill, 'compaction had written chunks when the server died').toBeGreaterThan(0);

    const check = new Database(dbPath, { readonly: true });
    const stored: string[] = (check.prepare('SELECT d.name AS device, a.ts FROM samples_asic a JOIN devices d ON d.id = a.device').all() as { device: string; ts: number }[])
      .map((r) => `${r.device}@${r.ts}`);
    const nameOf = new Map((check.prepare('SELECT id, name FROM devices').all() as { id: number; name: string }[]).map((d) => [d.id, d.name]));
    for (const c of check.prepare('SELECT device, blob FROM chunks_asic').all() as { device: number; blob: Uint8Array }[]) {
      for (const ts of decodeChunkRows('asic', c.blob).ts) stored.push(`${nameOf.get(c.device)}@${ts}`);
    }
    const set = new Set(stored);
    const inChunks = check.prepare('SELECT coalesce(sum(n), 0) FROM chunks_asic').pluck().get() as number;
    console.log(`killed with ${chunksAtKill} chunks written, ${acked.length} late readings acknowledged; after: ${inChunks} rows in chunks, ${stored.length - inChunks} in the head`);
    expect(stored.length - set.size, 'rows stored twice (in the head and a chunk, or two chunks)').toBe(0);
    expect([...before].filter((k) => !set.has(k))).toEqual([]);
    expect(acked.length).toBeGreaterThanOrEqual(1000);
    expect(acked.filter((k) => !set.has(k))).toEqual([]);
    // the minute rollups counted every stored row once, no more
    // (in their table, or moved with their compacted window: store/minute-windows.ts; n is a row's first column)
    let counted = check.prepare('SELECT coalesce(sum(n), 0) FROM rollup_asic_minute WHERE bucket >= ? AND bucket < ?').pluck().get(hour0, hour0 + 3 * H) as number;
    const ncols = rollupChunkColumns(check, 'asic', 'minute').length;
    for (const blob of check.prepare(`SELECT blob FROM ${minuteWindowsTable('asic')}`).pluck().all() as Uint8Array[]) {
      for (const r of chunkRows(blob, ncols)) if ((r[0] as number) >= hour0 && (r[0] as number) < hour0 + 3 * H) counted += r[1] as number;
    }
    const windows = check.prepare(`SELECT count(*) FROM ${minuteWindowsTable('asic')}`).pluck().get() as number;
    expect(windows, 'minute rollups moved with their compacted windows').toBeGreaterThan(0);
    const inRange = stored.filter((k) => Number(k.split('@')[1]) < hour0 + 3 * H).length;
    expect(counted).toBe(inRange);
    check.close();
  }, 120_000);
});
