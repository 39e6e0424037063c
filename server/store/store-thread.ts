// The store's worker thread (compiled to dist/server/store/store-thread.js; see storeThreadEntry() in
// thread.ts for why it always runs from dist). Two roles, chosen by workerData.role:
//   writer: owns the ingest connection; commits packed rows (samples + the rollup triggers) in one
//     transaction per message and answers each; runs PRAGMAs and the write probe on that connection.
//     Its 5 s busy_timeout, while another process holds the write lock, blocks this thread only.
//     Retention's and compaction's steps run here too: on the main connection (20 ms busy timeout) they lost the lock to
//     this thread's commits under load (6 of 8 steps failed with SQLITE_BUSY in 8 s of the ingest bench),
//     and here they simply take turns with the commits.
//     So do the main thread's own small writes (the checkpoint slices, the heartbeat), sent as statement
//     lists (op 'exec'): on the main connection they lost the lock to these commits under the bench's
//     ingest load even with retries, and a checkpoint pass that fails leaves the next restart more to replay.
//   check: one PRAGMA quick_check over its own read-only connection, posts the result and exits.

import { parentPort, workerData } from 'node:worker_threads';
import { openConnection, type Db } from './db.js';
import { prepareSampleInserts } from './samples.js';
import { createExec } from './exec.js';
import { unpackRows } from './packed.js';
import { probeWrite } from './probe.js';
import { createRetention } from './retention.js';
import { createChunkGuard } from './chunks.js';
import { createCompaction } from './compaction.js';
import type { StoreThreadData, StoreThreadReply, StoreThreadRequest } from './thread.js';

const data = workerData as StoreThreadData;
const port = parentPort;
if (port === null) throw new Error('store-thread: not started as a worker thread');

function errorOf(e: unknown): { message: string; code?: string } {
  const err = e instanceof Error ? e : new Error(String(e));
  const code = (err as { code?: unknown }).code;
  return typeof code === 'string' ? { message: err.message, code } : { message: err.message };
}

/** `table: error` for each table (at most `max`) that cannot be read end to end. */
function damagedTables(db: Db, max: number): string[] {
  const out: string[] = [];
  const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name").pluck().all() as string[];
  for (const t of tables) {
    if (out.length >= max) break;
    try {
      db.prepare(`SELECT count(*) FROM "${t.replace(/"/g, '""')}"`).get();
    } catch (e) {
      out.push(`table ${t}: ${errorOf(e).message}`);
    }
  }
  return out;
}

if (data.role === 'check') {
  const t0 = performance.now();
  let reply: StoreThreadReply;
  let db: Db | undefined;
  try {
    db = openConnection(data.path, { readonly: true, busyTimeoutMs: data.busyTimeoutMs });
    let problems: string[];
    try {
      const rows = db.pragma(`quick_check(${data.maxErrors})`, { simple: false }) as { quick_check: string }[];
      problems = rows.map((r) => r.quick_check).filter((m) => m !== 'ok');
    } catch (e) {
      // A page too damaged to parse (garbage over a b-tree page) makes quick_check itself fail with
      // SQLITE_CORRUPT and no page number; scanning each table then names where the damage is.
      if (errorOf(e).code !== 'SQLITE_CORRUPT') throw e;
      problems = damagedTables(db, data.maxErrors);
      if (problems.length === 0) problems = [errorOf(e).message];
    }
    reply = { id: 0, ok: true, value: { problems, ms: performance.now() - t0 } };
  } catch (e) {
    reply = { id: 0, ok: false, error: errorOf(e) };
  } finally {
    db?.close();
  }
  port.postMessage(reply);
} else {
  const db = openConnection(data.path, { synchronous: data.synchronous, busyTimeoutMs: data.busyTimeoutMs });
  // The guard puts a compacted window back into the raw table before a late reading lands in it (chunks.ts).
  const guard = createChunkGuard(db);
  const stmts = prepareSampleInserts(db, guard);
  const retention = data.retention === undefined ? null : createRetention(db, data.retention);
  // Compaction runs here for the reason retention does, and because the guard and it share the stage.
  const compaction = data.retention === undefined ? null : createCompaction(db, guard, data.retention);
  const commit = db.transaction((buf: Float64Array, length: number) => {
    guard.refresh();
    return unpackRows(buf, length, (kind, ts, key, source, values) => stmts.insert[kind](ts, key, source, values));
  });
  const exec = createExec(db);

  port.on('message', (m: StoreThreadRequest) => {
    let reply: StoreThreadReply;
    try {
      switch (m.op) {
        case 'commit':
          // IMMEDIATE: the guard reads (data_version, a chunk) before the inserts write; a deferred
          // transaction that read first fails at once with SQLITE_BUSY_SNAPSHOT when another process
          // committed meanwhile, where taking the write lock first waits for it (busy_timeout).
          reply = { id: m.id, ok: true, value: commit.immediate(new Float64Array(m.buf), m.length) };
          break;
        case 'pragma':
          reply = { id: m.id, ok: true, value: db.pragma(m.sql, { simple: true }) };
          break;
        case 'retention':
          if (retention === null) throw new Error('store-thread: no retention settings');
          reply = { id: m.id, ok: true, value: retention.step() };
          break;
        case 'compaction':
          if (compaction === null) throw new Error('store-thread: no retention settings');
          reply = { id: m.id, ok: true, value: compaction.step() };
          break;
        case 'exec':
          exec(m.statements, m.durable);
          reply = { id: m.id, ok: true };
          break;
        case 'probe':
          reply = { id: m.id, ok: true, value: probeWrite(db) };
          break;
        case 'close':
          db.close();
          reply = { id: m.id, ok: true };
          break;
      }
    } catch (e) {
      reply = { id: m.id, ok: false, error: errorOf(e) };
    }
    port.postMessage(reply);
    if (m.op === 'close') port.close();
  });
}
