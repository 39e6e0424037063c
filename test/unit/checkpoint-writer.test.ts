// The checkpoint pass on the writer's connection (issue 11, case 2 and 11): under the bench's 100k-device
// ingest, passes on the main connection lost the write lock to the writer thread even with retries, and a
// failed pass leaves the next restart more raw rows to replay. With `exec`, the main connection writes
// nothing: here it is made read-only, so any write of the pass on it would throw.
import { afterAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { openDatabase } from '../../server/store/db.js';
import { registerDevices } from '../../server/store/samples.js';
import { createThreadWriter, type StoredReading } from '../../server/store/writer.js';
import { beginRun, createCheckpointer, heartbeatStatement, readRuntime } from '../../server/live/checkpoint.js';
import { createLiveState } from '../../server/live/state.js';
import { benchSite } from '../bench/site.js';
import { tempDir } from '../helpers/tmp.js';

const t = tempDir('floorwatch-cpw-');
afterAll(() => t.cleanup());

describe('checkpoint pass through Writer.exec', () => {
  it('writes its slices and replay_from on the writer thread while ingest commits go on, and the main connection writes nothing', async () => {
    const model = benchSite({ devices: 1200 });
    const path = join(t.dir, 'cp.db');
    const db = openDatabase(path);
    const keys = registerDevices(db, model.devices.values());
    const now = Date.now();
    beginRun(db, now, 60_000);
    const live = createLiveState(model);
    const writer = createThreadWriter(path, { afterCommit: (rows) => { for (const r of rows) live.apply(r.reading); } });
    const errors: string[] = [];
    const cp = createCheckpointer(db, keys, live, {
      marginMs: 60_000,
      sliceRows: 100,
      guard: (task, fn) => { try { fn(); return true; } catch (e) { errors.push(`${task}: ${(e as Error).message}`); return false; } },
      exec: (statements, o) => writer.exec(statements, o),
    });
    try {
      await cp.restore(beginRun(db, now, 60_000));
      db.pragma('query_only = ON');
      const miners = [...model.devices.values()].filter((d) => d.kind === 'asic');
      const rows = (ts: number): StoredReading[] => miners.map((d) => ({ kind: 'asic', key: keys.get(d.id)!, reading: { device: d.id, ts, metrics: { hashrate_ths: 200, power_w: 3500 } } }));
      await writer.write(rows(now - 5000));
      // a pass of many slices while more commits queue behind and between them
      const ingest = [writer.write(rows(now - 4000)), writer.write(rows(now - 3000))];
      await cp.pass();
      await Promise.all(ingest);
      await writer.exec([heartbeatStatement(now + 1)], { durable: false });
      expect(errors).toEqual([]);
      const n = db.prepare('SELECT count(*) AS n FROM live_checkpoint').get() as { n: number };
      expect(n.n).toBe(miners.length);
      const rt = readRuntime(db)!;
      expect(rt.replay_from).toBeGreaterThanOrEqual(now - 60_000);
      expect(rt.running_at).toBe(now + 1);
      // the same pass on the read-only main connection fails: the test would catch a write there
      expect(() => db.prepare('UPDATE runtime SET running_at = 0').run()).toThrow(/readonly|read-only/i);
    } finally {
      await writer.close();
      db.close();
    }
  });
});
