// kill -9 of the real server while it compacts final device rollups into chunks (issue 15): whatever
// moment the process dies, the rollup rows a reader sees (the table at and after the watermark, the
// chunks before it) are exactly the rows that were there before, none twice, none lost; and the next
// compaction finishes the job from where the table stands.
import { afterAll, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { openDatabase, type Db } from '../../server/store/db.js';
import { prepareSampleInserts, registerDevices, rowValues } from '../../server/store/samples.js';
import { createRollupCompaction, readRollupChunks, rollupChunkColumns, rollupWatermark } from '../../server/store/rollup-chunks.js';
import { mulberry32 } from '../../server/sim/prng.js';
import { SMALL_SITE_YAML, smallSite } from '../helpers/site.js';
import { tempDir } from '../helpers/tmp.js';
import { exited, freePort, waitForHttp } from '../helpers/net.js';

const CLI = join(process.cwd(), 'dist', 'server', 'cli.js');
const M = 60_000;
const H = 60 * M;
const D = 24 * H;
const MINERS = 40;
const YAML = SMALL_SITE_YAML.replace('count: 3,', `count: ${MINERS},`);

/** Every asic minute row a reader sees, as "device@bucket:columns". */
function visibleRows(db: Db): string[] {
  const cols = rollupChunkColumns(db, 'asic', 'minute');
  const through = rollupWatermark(db, 'asic', 'minute');
  const out = (db.prepare(`SELECT device, bucket, ${cols.join(', ')} FROM rollup_asic_minute WHERE bucket >= ?`).raw(true).all(through) as unknown[][])
    .map((r) => `${r[0]}@${r[1]}:${JSON.stringify(r.slice(2))}`);
  for (const d of db.prepare('SELECT id FROM devices').pluck().all() as number[]) {
    for (const r of readRollupChunks(db, 'asic', 'minute', d, 0, Number.MAX_SAFE_INTEGER)) out.push(`${d}@${r[0]}:${JSON.stringify(r.slice(1))}`);
  }
  return out.sort();
}

describe('kill -9 during device rollup compaction', () => {
  const t = tempDir();
  const procs: ChildProcess[] = [];
  afterAll(() => {
    for (const p of procs) p.kill('SIGKILL');
    t.cleanup();
  });

  it('leaves every rollup row readable exactly once, and the next pass completes it', async () => {
    expect(existsSync(CLI), 'npm test builds dist/ first').toBe(true);
    const config = join(t.dir, 'site.yaml');
    writeFileSync(config, YAML);
    const dbPath = join(t.dir, 'fw.db');
    // Three days of minute readings ending 51 h ago: past the late-reading horizon (48 h + 1 h), so the
    // server's retention step compacts them; the raw rows themselves are past raw retention, dropped here.
    const now = Date.now();
    const db = openDatabase(dbPath);
    const model = smallSite(YAML);
    const keys = registerDevices(db, [...model.devices.values()].map((d) => ({ id: d.id, kind: d.kind })));
    const miners = [...model.devices.values()].filter((d) => d.kind === 'asic').map((d) => keys.get(d.id) as number);
    expect(miners).toHaveLength(MINERS);
    const s = prepareSampleInserts(db);
    const rnd = mulberry32(9);
    const from = Math.floor((now - 4 * D) / M) * M;
    db.transaction(() => {
      for (let ts = from; ts < now - 51 * H; ts += M) {
        for (const k of miners) {
          s.insert.asic(ts, k, 0, rowValues('asic', { hashrate_ths: Math.round((190 + rnd() * 20) * 100) / 100, power_w: Math.round(3400 + rnd() * 200), chip_temp_c: rnd() < 0.05 ? null : 60 + Math.round(rnd() * 150) / 10 }));
        }
      }
    })();
    db.exec('DELETE FROM samples_asic');
    db.close();
    const twinPath = join(t.dir, 'twin.db');
    copyFileSync(dbPath, twinPath);
    const twin = openDatabase(twinPath);
    const expected = visibleRows(twin);
    expect(expected.length).toBeGreaterThan(MINERS * 44 * 60); // 45 h of minutes a miner

    const port = await freePort();
    const p = spawn(process.execPath, [CLI, 'serve', '--config', config, '--db', dbPath, '--port', String(port), '--host', '127.0.0.1'], { stdio: 'ignore' });
    procs.push(p);
    await waitForHttp(`http://127.0.0.1:${port}/healthz`);
    // Kill as soon as the first chunks are committed: a window is 20 batches of 2 miners, one or two a
    // second, so the first window is mid-way.
    const probe = new Database(dbPath, { readonly: true, fileMustExist: true });
    const chunks = probe.prepare('SELECT count(*) FROM rollup_asic_minute_chunks').pluck();
    const deadline = Date.now() + 60_000;
    while ((chunks.get() as number) === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    p.kill('SIGKILL');
    await exited(p);
    probe.close();

    const after = openDatabase(dbPath);
    const written = after.prepare('SELECT count(*) FROM rollup_asic_minute_chunks').pluck().get() as number;
    expect(written, 'the server compacted something before it died').toBeGreaterThan(0);
    expect(written, 'killed mid-way, not after the whole job').toBeLessThan(MINERS * 3);
    expect(visibleRows(after)).toEqual(expected);
    // The restarted compaction (here in-process, same code) finishes from the table.
    const c = createRollupCompaction(after, smallSite(YAML).retention);
    for (;;) {
      const r = c.step(Date.now(), 1000);
      if (r.rows === 0 && r.chunks === 0 && r.windows === 0) break;
    }
    expect(rollupWatermark(after, 'asic', 'minute')).toBeGreaterThan(from);
    expect(visibleRows(after)).toEqual(expected);
    after.close();
    twin.close();
  }, 120_000);
});
