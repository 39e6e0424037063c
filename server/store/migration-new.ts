// `npm run migration:new -- <name>`: writes migrations/NNN_<name>.sql, the next numbered migration, from
// the difference between the vocabulary the existing migrations build and the one declared in
// server/core/vocabulary.ts (server/store/vocabulary-migration.ts). A developer's tool, run from dist/
// after the build; the server never runs it.

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { loadMigrations, migrate } from './migrate.js';
import { packageRoot } from './paths.js';
import { declaredVocabulary, nextMigrationSql, storedVocabulary } from './vocabulary-migration.js';

function main(args: string[]): number {
  const name = args[0];
  if (args.length !== 1 || name === undefined || !/^[a-z0-9_]+$/.test(name)) {
    process.stderr.write('usage: npm run migration:new -- <name>   (name: a-z, 0-9, _; e.g. asic_fan2_rpm)\n');
    return 2;
  }
  const dir = join(packageRoot(), 'migrations');
  const migrations = loadMigrations(dir);
  const db = new Database(':memory:');
  migrate(db, migrations);
  const version = migrations.length + 1;
  const sql = nextMigrationSql(storedVocabulary(db), declaredVocabulary(), version, name);
  db.close();
  if (sql === null) {
    process.stderr.write(`nothing to generate: the ${migrations.length} migrations already build the declared device metrics\n`);
    return 1;
  }
  const file = join(dir, `${String(version).padStart(3, '0')}_${name}.sql`);
  writeFileSync(file, sql, { flag: 'wx' });
  process.stdout.write(`wrote ${file}\n`);
  return 0;
}

try {
  process.exitCode = main(process.argv.slice(2));
} catch (e) {
  process.stderr.write(`migration:new: ${(e as Error).message}\n`);
  process.exitCode = 1;
}
