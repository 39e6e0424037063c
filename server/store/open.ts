// The store as the server opens it: the main connection (reads, start-up bookkeeping), the ingest writer
// on its own thread and connection, and the integrity check on another.

import type { DeviceModel, RetentionSettings } from '../core/types.js';
import { MAIN_BUSY_TIMEOUT_MS, openDatabase, type Db } from './db.js';
import { registerDevices } from './samples.js';
import { createThreadWriter, createWriter, type Writer } from './writer.js';
import { createIntegrityMonitor, type IntegrityMonitor } from './integrity.js';

export interface Store {
  db: Db;
  /** device id -> integer key in the samples tables */
  keys: ReadonlyMap<string, number>;
  writer: Writer;
  /** null for an in-memory database (nothing to check from another connection) */
  integrity: IntegrityMonitor | null;
  /** the last commit error, cleared by the next good commit (/readyz) */
  lastError(): { at: number; message: string } | null;
}

export function openStore(opts: {
  dbPath: string;
  initDb?: boolean;
  devices: Iterable<DeviceModel>;
  retention: RetentionSettings;
  onCommitError: (err: Error) => void;
  onIntegrityProblems: (problems: string[]) => void;
}): Store {
  const db = openDatabase(opts.dbPath, { initDb: opts.initDb, busyTimeoutMs: MAIN_BUSY_TIMEOUT_MS });
  const keys = registerDevices(db, opts.devices);
  let lastError: { at: number; message: string } | null = null;
  const writerOpts = {
    afterCommit: () => void (lastError = null),
    onError: (err: Error) => {
      lastError = { at: Date.now(), message: err.message };
      opts.onCommitError(err);
    },
  };
  // Ingest commits on their own thread and connection (writer.ts); an in-memory database has no file for
  // a second connection to open.
  const memory = opts.dbPath === ':memory:';
  const writer = memory ? createWriter(db, { ...writerOpts, compaction: opts.retention }) : createThreadWriter(opts.dbPath, { ...writerOpts, retention: opts.retention });
  const integrity = memory ? null : createIntegrityMonitor(opts.dbPath, {
    onResult: (r) => { if (!r.ok) opts.onIntegrityProblems(r.problems); },
  });
  return { db, keys, writer, integrity, lastError: () => lastError };
}
