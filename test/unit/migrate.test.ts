import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { openDatabase } from '../../server/store/db.js';
import { DatabaseTooNewError, loadMigrations, migrate } from '../../server/store/migrate.js';
import { DEVICE_KINDS, METRICS_BY_KIND } from '../../server/core/types.js';
import { tempDir } from '../helpers/tmp.js';

describe('migrations', () => {
  it('bring an empty database to the latest version, each once', () => {
    const t = tempDir();
    try {
      const path = join(t.dir, 'fw.db');
      const db = openDatabase(path);
      const latest = loadMigrations().length;
      expect(db.pragma('user_version', { simple: true })).toBe(latest);
      expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
      db.close();
      // Reopening applies nothing again (a second CREATE TABLE would throw).
      const again = new Database(path);
      expect(migrate(again)).toEqual({ from: latest, to: latest });
      again.close();
    } finally {
      t.cleanup();
    }
  });

  it('sample tables have exactly the metric vocabulary of each kind, in order', () => {
    const db = openDatabase(':memory:');
    for (const kind of DEVICE_KINDS) {
      const cols = (db.prepare(`PRAGMA table_info(samples_${kind})`).all() as { name: string }[]).map((c) => c.name);
      expect(cols).toEqual(['ts', 'device', 'power_source', ...METRICS_BY_KIND[kind]]);
    }
    db.close();
  });

  it('refuse a database written by a newer Floorwatch', () => {
    const t = tempDir();
    try {
      const path = join(t.dir, 'newer.db');
      const db = new Database(path);
      db.pragma(`user_version = ${loadMigrations().length + 1}`);
      db.close();
      expect(() => openDatabase(path)).toThrow(DatabaseTooNewError);
      expect(() => openDatabase(path)).toThrow(/newer than this Floorwatch knows/);
    } finally {
      t.cleanup();
    }
  });

  it('a failing migration leaves the schema at the last whole version', () => {
    const db = new Database(':memory:');
    const ms = [
      { version: 1, name: '001_a.sql', sql: 'CREATE TABLE a (x);' },
      { version: 2, name: '002_b.sql', sql: 'CREATE TABLE b (x); CREATE TABLE a (x);' },
    ];
    expect(() => migrate(db, ms)).toThrow();
    expect(db.pragma('user_version', { simple: true })).toBe(1);
    expect(db.prepare("SELECT count(*) AS n FROM sqlite_master WHERE name = 'b'").get()).toEqual({ n: 0 });
  });
});
