import type { Worker } from 'node:worker_threads';
import { WRITER_BUSY_TIMEOUT_MS, type Db } from './db.js';
import type { DeviceKind, Reading } from '../core/types.js';
import { powerSourceCode, prepareSampleInserts } from './samples.js';
import { MAX_PACKED_ROW, packInto } from './packed.js';
import { probeWrite, type ProbeResult } from './probe.js';
import type { RetentionStep } from './retention.js';
import { createChunkGuard } from './chunks.js';
import { createCompaction, type CompactionStep } from './compaction.js';
import type { RetentionSettings } from '../core/types.js';
import { createExec } from './exec.js';
import { startStoreThread, type SqlStatement, type StoreThreadCall, type StoreThreadReply, type StoreThreadRequest } from './thread.js';

/** A validated reading with the device's kind and integer key resolved once. */
export interface StoredReading {
  reading: Reading;
  kind: DeviceKind;
  key: number;
}

interface Pending {
  rows: StoredReading[];
  resolve: () => void;
  reject: (err: Error) => void;
}

export interface Writer {
  /** Resolves once these readings are committed to disk; rejects if the commit failed. */
  write(rows: StoredReading[]): Promise<void>;
  /** Number of readings waiting for the next commit. */
  queued(): number;
  /** Commits whatever is queued now (SIGTERM drain); resolves once nothing is queued or being committed. */
  flush(): Promise<void>;
  /** Whether the writer's connection takes a write now (GET /readyz). */
  probe(): Promise<ProbeResult>;
  /** One retention step on the writer's connection (thread writer with `retention` settings only). */
  retentionStep?(): Promise<RetentionStep>;
  /** One compaction step on the writer's connection (compaction.ts; with `retention` settings only). */
  compactionStep?(): Promise<CompactionStep>;
  /**
   * Statements in one transaction on the writer's connection, in turn with the commits (the checkpoint
   * slices, the heartbeat). `durable: false` commits without its own fsync (the next commit's makes it so).
   */
  exec(statements: readonly SqlStatement[], opts?: { durable?: boolean }): Promise<void>;
  /** A PRAGMA on the writer's own connection (fault tests: max_page_count, query_only). */
  pragma(sql: string): Promise<unknown>;
  close(): Promise<void>;
}

export interface WriterOptions {
  /** Runs inside the commit's transaction with the rows being committed (rollups stay consistent). */
  inTransaction?: (rows: StoredReading[]) => void;
  /** After a successful commit: the readings are durable and may go live. */
  afterCommit?: (rows: StoredReading[]) => void;
  onError?: (err: Error) => void;
  /** Compaction's settings (the retention section): with them, compactionStep() is there. */
  compaction?: RetentionSettings;
}

/**
 * Group commit: every write queued during one turn of the event loop (many HTTP pushes, a collector
 * round, a simulator tick) goes into one transaction, and each caller's promise settles after that
 * transaction commits. One fsync serves them all, and nothing is acknowledged before it is durable.
 */
export function createWriter(db: Db, opts: WriterOptions = {}): Writer {
  const guard = createChunkGuard(db);
  const stmts = prepareSampleInserts(db, guard);
  const compaction = opts.compaction === undefined ? null : createCompaction(db, guard, opts.compaction);
  let queue: Pending[] = [];
  let queuedRows = 0;
  let scheduled = false;
  let closed = false;

  const commit = db.transaction((batch: Pending[]) => {
    guard.refresh();
    for (const p of batch) {
      for (const r of p.rows) {
        stmts.insertMetrics(r.kind, r.reading.ts, r.key, powerSourceCode(r.reading.power_source), r.reading.metrics);
      }
      opts.inTransaction?.(p.rows);
    }
  });

  function flush(): void {
    scheduled = false;
    if (queue.length === 0) return;
    const batch = queue;
    queue = [];
    queuedRows = 0;
    try {
      commit.immediate(batch); // write lock first: the guard reads before the inserts (store-thread.ts)
    } catch (e) {
      const err = e instanceof Error ? e : new Error(String(e));
      opts.onError?.(err);
      for (const p of batch) p.reject(err);
      return;
    }
    for (const p of batch) {
      opts.afterCommit?.(p.rows);
      p.resolve();
    }
  }

  const exec = createExec(db);
  return {
    exec(statements, o) {
      try {
        exec(statements, o?.durable ?? true);
        return Promise.resolve();
      } catch (e) {
        return Promise.reject(e instanceof Error ? e : new Error(String(e)));
      }
    },
    probe: () => Promise.resolve(probeWrite(db)),
    pragma: (sql) => Promise.resolve(db.pragma(sql, { simple: true })),
    ...(compaction === null ? {} : { compactionStep: () => Promise.resolve().then(() => compaction.step()) }),
    write(rows) {
      if (closed) return Promise.reject(new Error('store is closed'));
      if (rows.length === 0) return Promise.resolve();
      return new Promise<void>((resolve, reject) => {
        queue.push({ rows, resolve, reject });
        queuedRows += rows.length;
        if (!scheduled) {
          scheduled = true;
          setImmediate(flush);
        }
      });
    },
    queued: () => queuedRows,
    flush: () => Promise.resolve(flush()),
    close() {
      flush();
      closed = true;
      return Promise.resolve();
    },
  };
}

/**
 * The same group commit with the commits on a worker thread that owns its own connection: a commit
 * waiting for another process's write lock (busy_timeout 5 s) or a large one (a 50,000-reading push
 * with its rollup triggers) blocks that thread, never the event loop that answers /healthz. The main
 * thread packs each group into one transferred Float64Array (packed.ts), keeps at most two commits in flight
 * (MAX_IN_FLIGHT; writes that arrive meanwhile form the next group: fewer, larger commits under load), and on each
 * answer applies afterCommit and settles the callers, in order. `inTransaction` is not supported here
 * (rollups are SQL triggers, inside the transaction).
 */
const PACK_CHUNK = 1024;
/**
 * Commits sent to the thread before the first is answered: with one, the thread idled for every answer
 * to reach the main thread and the next group to come back (a thread wake-up costs milliseconds on a
 * loaded 2-core box), and HTTP ingest fell from about 0.6 to 0.4 of the raw insert rate. The thread
 * takes messages in order, so commits and their answers stay in write order.
 */
const MAX_IN_FLIGHT = 2;

export function createThreadWriter(
  path: string,
  opts: Omit<WriterOptions, 'inTransaction' | 'compaction'> & { synchronous?: 'FULL' | 'NORMAL'; busyTimeoutMs?: number; retention?: RetentionSettings } = {},
): Writer {
  const worker: Worker = startStoreThread({ role: 'writer', path, synchronous: opts.synchronous ?? 'FULL', busyTimeoutMs: opts.busyTimeoutMs ?? WRITER_BUSY_TIMEOUT_MS, retention: opts.retention });
  // The server's listener keeps the process up; the thread alone does not.
  worker.unref();
  let nextId = 1;
  const calls = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  let queue: Pending[] = [];
  let queuedRows = 0;
  let inFlight = 0;
  let packing = false;
  let scheduled = false;
  let closed = false;
  let dead: Error | null = null;
  let idle: (() => void)[] = [];

  const fail = (err: Error) => {
    if (dead !== null) return;
    dead = err;
    opts.onError?.(err);
    for (const c of calls.values()) c.reject(err);
    calls.clear();
    for (const p of queue) p.reject(err);
    queue = [];
    queuedRows = 0;
    settleIdle();
  };
  worker.on('message', (m: StoreThreadReply) => {
    const c = calls.get(m.id);
    if (c === undefined) return;
    calls.delete(m.id);
    if (m.ok) c.resolve(m.value);
    else c.reject(Object.assign(new Error(m.error.message), m.error.code === undefined ? {} : { code: m.error.code }));
  });
  worker.on('error', (e) => fail(new Error(`store writer thread failed: ${e.message}`)));
  worker.on('exit', (code) => fail(new Error(`store writer thread exited (${code})`)));

  function call(req: StoreThreadCall, transfer: ArrayBuffer[] = []): Promise<unknown> {
    if (dead !== null) return Promise.reject(dead);
    const id = nextId++;
    return new Promise((resolve, reject) => {
      calls.set(id, { resolve, reject });
      const msg: StoreThreadRequest = { ...req, id };
      worker.postMessage(msg, transfer);
    });
  }

  function settleIdle(): void {
    if (packing || inFlight > 0 || queue.length > 0) return;
    const waiting = idle;
    idle = [];
    for (const w of waiting) w();
  }

  /**
   * Packs a group PACK_CHUNK rows per turn of the event loop, into a buffer sized for the largest row
   * (no pass to measure it first): 50,000 readings packed at once held the loop 25-80 ms on the loaded
   * 2-core box (cold code: 4,096 rows took up to 22 ms the first time, 1.1 ms warm).
   */
  async function packChunked(groups: StoredReading[][]): Promise<{ buf: Float64Array; length: number }> {
    let n = 0;
    for (const rows of groups) n += rows.length;
    const out = new Float64Array(n * MAX_PACKED_ROW);
    let o = 0;
    let sinceYield = 0;
    for (const rows of groups) {
      for (let from = 0; from < rows.length; from += PACK_CHUNK) {
        if (sinceYield >= PACK_CHUNK) {
          await new Promise((r) => setImmediate(r));
          sinceYield = 0;
        }
        const to = Math.min(rows.length, from + PACK_CHUNK);
        o = packInto(out, o, rows, from, to);
        sinceYield += to - from;
      }
    }
    return { buf: out, length: o };
  }

  function send(): void {
    scheduled = false;
    if (packing || inFlight >= MAX_IN_FLIGHT || queue.length === 0 || dead !== null) return settleIdle();
    const batch = queue;
    queue = [];
    queuedRows = 0;
    packing = true;
    packChunked(batch.map((p) => p.rows)).then(({ buf, length }) => {
      packing = false;
      inFlight++;
      const committed = call({ op: 'commit', buf: buf.buffer as ArrayBuffer, length }, [buf.buffer as ArrayBuffer]);
      // the next group may be packed and queued on the thread while this one commits
      send();
      return committed;
    }).then(
      () => {
        for (const p of batch) {
          try {
            opts.afterCommit?.(p.rows);
          } finally {
            p.resolve();
          }
        }
      },
      (e: Error) => {
        if (dead === null) opts.onError?.(e);
        for (const p of batch) p.reject(e);
      },
    ).finally(() => {
      inFlight--;
      send();
    });
  }

  return {
    write(rows) {
      if (closed) return Promise.reject(new Error('store is closed'));
      if (dead !== null) return Promise.reject(dead);
      if (rows.length === 0) return Promise.resolve();
      return new Promise<void>((resolve, reject) => {
        queue.push({ rows, resolve, reject });
        queuedRows += rows.length;
        if (!scheduled) {
          scheduled = true;
          setImmediate(send);
        }
      });
    },
    queued: () => queuedRows,
    flush() {
      if (!scheduled) send();
      return new Promise<void>((resolve) => {
        idle.push(resolve);
        settleIdle();
      });
    },
    async probe() {
      try {
        return (await call({ op: 'probe' })) as ProbeResult;
      } catch (e) {
        return { ok: false, at: Date.now(), error: (e as Error).message };
      }
    },
    pragma: (sql) => call({ op: 'pragma', sql }),
    exec: async (statements, o) => {
      if (closed) throw new Error('store is closed');
      await call({ op: 'exec', statements, durable: o?.durable ?? true });
    },
    ...(opts.retention === undefined ? {} : {
      retentionStep: () => call({ op: 'retention' }) as Promise<RetentionStep>,
      compactionStep: () => call({ op: 'compaction' }) as Promise<CompactionStep>,
    }),
    async close() {
      if (closed) return;
      await this.flush();
      closed = true;
      if (dead === null) {
        await call({ op: 'close' }).catch(() => {});
        dead = new Error('store is closed');
      }
      await worker.terminate();
    },
  };
}
