// Statement lists run as one transaction: the writer's way to take the main thread's own small writes
// (checkpoint slices, the heartbeat) in turn with the ingest commits instead of competing for the lock.

import type { Db } from './db.js';
import type { SqlStatement, SqlValue } from './thread.js';

/** Prepared statements are cached by SQL text: the callers send a handful of fixed statements. */
const MAX_CACHED = 64;

export function createExec(db: Db): (statements: readonly SqlStatement[], durable: boolean) => void {
  const cache = new Map<string, { run(...params: SqlValue[]): unknown }>();
  const prepared = (sql: string) => {
    let st = cache.get(sql);
    if (st === undefined) {
      if (cache.size >= MAX_CACHED) cache.clear();
      st = db.prepare<SqlValue[]>(sql);
      cache.set(sql, st);
    }
    return st;
  };
  const run = db.transaction((statements: readonly SqlStatement[]) => {
    for (const [sql, params] of statements) prepared(sql).run(...params);
  });
  const syncMode = db.pragma('synchronous', { simple: true }) as number;
  return (statements, durable) => {
    if (durable) return void run(statements);
    // Not durable on its own (synchronous = NORMAL for this one transaction, set back before anything
    // else runs on the connection): the next ingest commit's fsync makes it durable. For writes whose
    // loss to a power cut only costs replaying a little more at the next start (checkpoint slices).
    db.pragma('synchronous = NORMAL');
    try {
      run(statements);
    } finally {
      db.pragma(`synchronous = ${syncMode}`);
    }
  };
}
