import type { Db } from './db.js';

export interface ProbeResult {
  ok: boolean;
  at: number;
  error?: string;
}

/**
 * Whether the database takes a write now: a committed write of one fresh page (a 4 KiB blob, inserted
 * and deleted in one transaction) so a full database or disk fails here as an ingest commit would, not
 * only later when a push is lost. The row never outlives the transaction. Runs on the ingest writer's
 * own connection (the writer thread), so it sees what a commit would.
 */
export function probeWrite(db: Db): ProbeResult {
  const at = Date.now();
  try {
    db.transaction(() => {
      db.prepare('CREATE TABLE IF NOT EXISTS health_probe (id INTEGER PRIMARY KEY, ts INTEGER NOT NULL, pad BLOB)').run();
      db.prepare('INSERT OR REPLACE INTO health_probe (id, ts, pad) VALUES (1, ?, zeroblob(4096))').run(at);
      db.prepare('DELETE FROM health_probe').run();
    })();
    return { ok: true, at };
  } catch (e) {
    return { ok: false, at, error: (e as Error).message };
  }
}
