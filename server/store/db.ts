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
  // Space freed by retention is reused and returned in small steps (PRAGMA incremental_vacuum),
  // never by a whole-file VACUUM that would block ingest. It only takes effect while the file has no
  // header yet, and journal_mode = WAL writes the header: so it comes first. An existing database keeps
  // the mode it was created with.
  db.pragma('auto_vacuum = INCREMENTAL');
  db.pragma('journal_mode = WAL');
  db.pragma(`synchronous = ${opts.synchronous ?? 'FULL'}`);
  db.pragma('busy_timeout = 5000');
  try {
    migrate(db);
  } catch (err) {
    db.close();
    throw err;
  }
  return db;
}
