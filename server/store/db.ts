import { closeSync, mkdirSync, openSync, readSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { loadMigrations, migrate } from './migrate.js';

export type Db = Database.Database;

/** The busy timeout of the ingest writer's connection, on its own thread: a wait there blocks only that thread. */
export const WRITER_BUSY_TIMEOUT_MS = 5000;
/**
 * The busy timeout of the main thread's connection (alert-state save and audit, scope rollups; the
 * ingest commits, retention and the write probe are on the writer thread): the driver is synchronous,
 * so this is how long the event loop waits per statement while another process holds the write lock.
 * Its writers fail fast instead, are counted by the background guard (floorwatch_background_errors_total)
 * and retry on their next run, keeping what they had to write. 20 ms was tried first: SQLite's busy
 * handler sleeps 1, 2, 5, 10 ms in turn, and on the loaded 2-core box each sleep woke late, so /healthz
 * reached 256-447 ms during the 6 s lock of the fault test (two test files in parallel); with 1 ms (one
 * sleep) 73 ms under the same load, 37-44 ms alone.
 */
export const MAIN_BUSY_TIMEOUT_MS = 1;

/**
 * A file given as --db that is not a Floorwatch database: refused before anything is written to it,
 * so a wiped file does not silently become a new empty site and another application's data is never
 * touched. The message names the file and what to do.
 */
export class DatabaseFileError extends Error {
  constructor(readonly path: string, reason: string) {
    super(`${path}: ${reason}`);
  }
}

const SQLITE_MAGIC = Buffer.from('SQLite format 3\0', 'latin1');
/** Tables that every Floorwatch schema version has (migrations/001_init.sql). */
const FLOORWATCH_TABLES = ['devices', 'samples_asic'];

export interface OpenOptions {
  synchronous?: 'FULL' | 'NORMAL';
  /**
   * How long a statement waits for another connection's write lock before SQLITE_BUSY (ms; default
   * WRITER_BUSY_TIMEOUT_MS). The driver is synchronous: the thread waits with it.
   */
  busyTimeoutMs?: number;
  /** start a new database in a 0-byte file (`serve --init-db`) instead of refusing it */
  initDb?: boolean;
}

/**
 * What the file at `path` is, from its first bytes, before SQLite opens it (SQLite would take a 0-byte
 * file as a new database and write a header into it). 'absent' and 'sqlite' may be opened.
 */
function inspectFile(path: string, initDb: boolean): 'absent' | 'empty' | 'sqlite' {
  let size: number;
  try {
    size = statSync(path).size;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return 'absent';
    throw e;
  }
  if (size === 0) {
    if (initDb) return 'empty';
    throw new DatabaseFileError(path, 'the file is empty (0 bytes), not a Floorwatch database (a database cut short or wiped looks like this): restore it, or pass --init-db to start a new database in it');
  }
  const head = Buffer.alloc(SQLITE_MAGIC.length);
  const fd = openSync(path, 'r');
  let n: number;
  try {
    n = readSync(fd, head, 0, head.length, 0);
  } finally {
    closeSync(fd);
  }
  if (n < head.length || !head.equals(SQLITE_MAGIC)) {
    const shown = JSON.stringify(head.subarray(0, n).toString('latin1').replace(/[^\x20-\x7e]/g, '.'));
    throw new DatabaseFileError(path, `not an SQLite database (it starts with ${shown}): give --db a Floorwatch database, or a path that does not exist yet`);
  }
  return 'sqlite';
}

/**
 * An existing SQLite file must be Floorwatch's: a schema version and its tables, or nothing at all (a
 * first start that stopped before its first migration committed). Anything else is another
 * application's file, refused (also with --init-db: never mix our schema into someone else's data).
 */
function checkSchema(db: Db, path: string): void {
  const version = db.pragma('user_version', { simple: true }) as number;
  const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name").pluck().all() as string[];
  if (version === 0 && tables.length === 0) return;
  // a newer Floorwatch's database: migrate() refuses it with its own message (DatabaseTooNewError)
  if (version > loadMigrations().length) return;
  if (version > 0 && FLOORWATCH_TABLES.every((t) => tables.includes(t))) return;
  const list = tables.length <= 8 ? tables.join(', ') : `${tables.slice(0, 8).join(', ')}, … (${tables.length})`;
  throw new DatabaseFileError(path, `an SQLite database without Floorwatch's schema (tables: ${list || 'none'}${version === 0 ? '' : `; user_version ${version}`}): another application's file? give --db a Floorwatch database, or a path that does not exist yet`);
}

/**
 * Opens (creating if needed) the site database in WAL mode and brings its schema up to date. A missing
 * file is created (first start, the demo); a 0-byte file only with `initDb`; a file that is not
 * SQLite or not Floorwatch's is refused with a DatabaseFileError.
 * synchronous=FULL: a push is acknowledged only after its commit, and that must survive a power cut,
 * not only a killed process; group commit keeps the fsyncs few.
 */
export function openDatabase(path: string, opts: OpenOptions = {}): Db {
  const memory = path === ':memory:';
  if (!memory) {
    mkdirSync(dirname(path), { recursive: true });
    inspectFile(path, opts.initDb ?? false);
  }
  const db = new Database(path);
  try {
    if (!memory) checkSchema(db, path);
    // Space freed by retention is reused and returned in small steps (PRAGMA incremental_vacuum),
    // never by a whole-file VACUUM that would block ingest. It only takes effect while the file has no
    // header yet, and journal_mode = WAL writes the header: so it comes first. An existing database keeps
    // the mode it was created with.
    db.pragma('auto_vacuum = INCREMENTAL');
    db.pragma('journal_mode = WAL');
    db.pragma(`synchronous = ${opts.synchronous ?? 'FULL'}`);
    // Migrations wait as long as the writer would; the caller may shorten it afterwards.
    db.pragma(`busy_timeout = ${WRITER_BUSY_TIMEOUT_MS}`);
    migrate(db);
    if (opts.busyTimeoutMs !== undefined) db.pragma(`busy_timeout = ${opts.busyTimeoutMs}`);
  } catch (err) {
    db.close();
    throw err;
  }
  return db;
}

/**
 * A further connection to a database openDatabase has already opened and migrated (the writer thread,
 * the integrity check): the file must exist, and nothing about its schema is changed.
 */
export function openConnection(path: string, opts: { synchronous?: 'FULL' | 'NORMAL'; busyTimeoutMs?: number; readonly?: boolean } = {}): Db {
  const db = new Database(path, { fileMustExist: true, readonly: opts.readonly ?? false });
  try {
    if (!opts.readonly) db.pragma(`synchronous = ${opts.synchronous ?? 'FULL'}`);
    db.pragma(`busy_timeout = ${opts.busyTimeoutMs ?? WRITER_BUSY_TIMEOUT_MS}`);
  } catch (err) {
    db.close();
    throw err;
  }
  return db;
}
