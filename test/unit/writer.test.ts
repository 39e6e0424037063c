// The ingest writer on its own thread (issue 11 case 2, "large commits never block the event loop").
import { afterAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { openDatabase } from '../../server/store/db.js';
import { countSamples, registerDevices } from '../../server/store/samples.js';
import { createThreadWriter, createWriter, type StoredReading, type Writer } from '../../server/store/writer.js';
import { smallSite } from '../helpers/site.js';
import { tempDir } from '../helpers/tmp.js';

const t = tempDir();
afterAll(() => t.cleanup());

function setup(name: string, kind: 'thread' | 'sync') {
  const path = join(t.dir, name);
  const db = openDatabase(path);
  const model = smallSite();
  const keys = registerDevices(db, model.devices.values());
  const applied: number[] = [];
  const opts = { afterCommit: (rows: StoredReading[]) => void applied.push(rows.length) };
  const writer: Writer = kind === 'thread' ? createThreadWriter(path, opts) : createWriter(db, opts);
  const miners = ['M-01-01', 'M-01-02', 'M-01-03'].map((id) => keys.get(id)!);
  const rows = (n: number, ts0: number): StoredReading[] => Array.from({ length: n }, (_, i) => ({
    kind: 'asic', key: miners[i % 3],
    reading: { device: 'M-01-0' + ((i % 3) + 1), ts: ts0 + i, metrics: { hashrate_ths: 200 + (i % 7), power_w: 3000 + (i % 50), chip_temp_c: 60, fan_rpm: 5000 } },
  }));
  return { db, writer, rows, applied };
}

/** The longest the event loop was held while `fn` ran (ms): the widest gap between 2 ms timer ticks. */
async function maxLoopDelay(fn: () => Promise<void>): Promise<number> {
  let last = performance.now();
  let max = 0;
  const timer = setInterval(() => {
    const now = performance.now();
    max = Math.max(max, now - last);
    last = now;
  }, 2);
  await fn();
  // one more tick after the end, so a block at the very end is seen too
  await new Promise((r) => setTimeout(r, 20));
  clearInterval(timer);
  return max;
}

describe('thread writer', () => {
  it('commits a 50,000-reading write without holding the event loop 100 ms; afterCommit before the promise settles', async () => {
    const { db, writer, rows, applied } = setup('big.db', 'thread');
    try {
      const big = rows(50_000, Date.now() - 3_600_000);
      let settledWithApplied = -1;
      const ms = await maxLoopDelay(() => writer.write(big).then(() => void (settledWithApplied = applied.length)));
      expect(countSamples(db).asic).toBe(50_000);
      expect(settledWithApplied).toBe(1);
      expect(ms).toBeLessThan(100);
    } finally {
      await writer.close();
      db.close();
    }
  });

  it('groups writes of one turn into one commit, applies them in order, and a failed commit rejects its whole group and stores none of it', async () => {
    const { db, writer, rows, applied } = setup('group.db', 'thread');
    try {
      const ts0 = Date.now() - 3_600_000;
      await Promise.all([writer.write(rows(10, ts0)), writer.write(rows(20, ts0 + 100)), writer.write(rows(30, ts0 + 200))]);
      expect(applied).toEqual([10, 20, 30]);
      expect(countSamples(db).asic).toBe(60);
      await writer.pragma('query_only = ON');
      const failed = await Promise.allSettled([writer.write(rows(5, ts0 + 1000)), writer.write(rows(5, ts0 + 2000))]);
      expect(failed.map((r) => r.status)).toEqual(['rejected', 'rejected']);
      expect(String((failed[0] as PromiseRejectedResult).reason)).toContain('readonly');
      expect((await writer.probe()).ok).toBe(false);
      expect(countSamples(db).asic).toBe(60);
      expect(applied).toEqual([10, 20, 30]);
      await writer.pragma('query_only = OFF');
      await writer.write(rows(5, ts0 + 3000));
      expect(countSamples(db).asic).toBe(65);
      expect((await writer.probe()).ok).toBe(true);
      // NULL stays NULL through the packed rows
      const r = db.prepare('SELECT hashrate_ths, board_temp_c, power_source FROM samples_asic ORDER BY ts LIMIT 1').get();
      expect(r).toEqual({ hashrate_ths: 200, board_temp_c: null, power_source: null });
    } finally {
      await writer.close();
      db.close();
    }
    await expect(writer.write(rows(1, 0))).rejects.toThrow('store is closed');
  });

  it('flush() resolves once everything queued is committed', async () => {
    const { db, writer, rows } = setup('flush.db', 'thread');
    try {
      void writer.write(rows(1000, Date.now() - 3_600_000));
      void writer.write(rows(1000, Date.now() - 3_000_000));
      await writer.flush();
      expect(countSamples(db).asic).toBe(2000);
    } finally {
      await writer.close();
      db.close();
    }
  });

  for (const kind of ['thread', 'sync'] as const) {
    it(`exec (${kind}): statements commit as one transaction on the writer's connection, in turn with the commits; a failing one stores none`, async () => {
      const { db, writer, rows } = setup(`exec-${kind}.db`, kind);
      try {
        db.exec('CREATE TABLE exec_probe (k INTEGER PRIMARY KEY, v TEXT NOT NULL)');
        const ingest = writer.write(rows(3000, Date.now() - 3_600_000));
        await writer.exec([['INSERT INTO exec_probe (k, v) VALUES (?, ?)', [1, 'a']], ['INSERT INTO exec_probe (k, v) VALUES (?, ?)', [2, 'b']]], { durable: false });
        await ingest;
        expect(db.prepare('SELECT k, v FROM exec_probe ORDER BY k').all()).toEqual([{ k: 1, v: 'a' }, { k: 2, v: 'b' }]);
        // the second statement breaks NOT NULL: the first of the same list is rolled back with it
        await expect(writer.exec([['INSERT INTO exec_probe (k, v) VALUES (?, ?)', [3, 'c']], ['INSERT INTO exec_probe (k, v) VALUES (?, ?)', [4, null]]]))
          .rejects.toThrow(/NOT NULL/);
        expect(db.prepare('SELECT count(*) AS n FROM exec_probe').get()).toEqual({ n: 2 });
        // the connection's synchronous mode is back to FULL after a non-durable list
        expect(await writer.pragma('synchronous')).toBe(2);
        expect(countSamples(db).asic).toBe(3000);
      } finally {
        await writer.close();
        db.close();
      }
    });
  }
});
