import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type Database from 'better-sqlite3';
import { packageRoot } from './paths.js';

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

/** Numbered SQL files (`001_init.sql`, …) in order; a gap or a duplicate number is a packaging bug. */
export function loadMigrations(dir = join(packageRoot(), 'migrations')): Migration[] {
  const files = readdirSync(dir).filter((f) => /^\d+_.*\.sql$/.test(f)).sort();
  const migrations = files.map((f) => ({
    version: Number.parseInt(f, 10),
    name: f,
    sql: readFileSync(join(dir, f), 'utf8'),
  }));
  migrations.forEach((m, i) => {
    if (m.version !== i + 1) throw new Error(`migrations: expected version ${i + 1}, found ${m.name}`);
  });
  return migrations;
}

export class DatabaseTooNewError extends Error {
  constructor(readonly found: number, readonly known: number) {
    super(`database schema version ${found} is newer than this Floorwatch knows (${known}); upgrade Floorwatch or use another --db`);
  }
}

/**
 * Applies the migrations the database has not seen, each in its own transaction together with the
 * bump of PRAGMA user_version, so a crash leaves the schema at a whole version. Refuses a database
 * written by a newer Floorwatch rather than guessing at its schema.
 */
export function migrate(db: Database.Database, migrations = loadMigrations()): { from: number; to: number } {
  const from = db.pragma('user_version', { simple: true }) as number;
  const known = migrations.length;
  if (from > known) throw new DatabaseTooNewError(from, known);
  for (const m of migrations.slice(from)) {
    db.transaction(() => {
      db.exec(m.sql);
      db.pragma(`user_version = ${m.version}`);
    })();
  }
  return { from, to: known };
}
