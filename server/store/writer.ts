import type { Db } from './db.js';
import type { DeviceKind, Reading } from '../core/types.js';
import { powerSourceCode, prepareSampleInserts } from './samples.js';

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
  /** Commits whatever is queued now (SIGTERM drain). */
  flush(): void;
  close(): void;
}

export interface WriterOptions {
  /** Runs inside the commit's transaction with the rows being committed (rollups stay consistent). */
  inTransaction?: (rows: StoredReading[]) => void;
  /** After a successful commit: the readings are durable and may go live. */
  afterCommit?: (rows: StoredReading[]) => void;
  onError?: (err: Error) => void;
}

/**
 * Group commit: every write queued during one turn of the event loop (many HTTP pushes, a collector
 * round, a simulator tick) goes into one transaction, and each caller's promise settles after that
 * transaction commits. One fsync serves them all, and nothing is acknowledged before it is durable.
 */
export function createWriter(db: Db, opts: WriterOptions = {}): Writer {
  const stmts = prepareSampleInserts(db);
  let queue: Pending[] = [];
  let queuedRows = 0;
  let scheduled = false;
  let closed = false;

  const commit = db.transaction((batch: Pending[]) => {
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
      commit(batch);
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

  return {
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
    flush,
    close() {
      flush();
      closed = true;
    },
  };
}
