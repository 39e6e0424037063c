import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { migrate } from './migrate.js';

export type Db = Database.Database;

/**
 * Opens (creating if needed) the site database in WAL mode and brings its schema up to date.
 * synchronous=FULL: a push is acknowledged only after its commit, and that must survive a power cut,
 * not only a killed process; group commit keeps the fsyncs few.
 */
export function openDatabase(path: string, opts: { synchronous?: 'FULL' | 'NORMAL' } = {}): Db {
  if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.pragma(`synchronous = ${opts.synchronous ?? 'FULL'}`);
  db.pragma('busy_timeout = 5000');
  // Space freed by retention is reused and returned in small steps (PRAGMA incremental_vacuum),
  // never by a whole-file VACUUM that would block ingest. Only takes effect on a new database.
  db.pragma('auto_vacuum = INCREMENTAL');
  try {
    migrate(db);
  } catch (err) {
    db.close();
    throw err;
  }
  return db;
}
