// The main thread's side of the store's worker thread (store-thread.ts): where its code is, and the
// messages both sides exchange.

import { existsSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { packageRoot } from './paths.js';
import type { RetentionSettings } from '../core/types.js';

export type StoreThreadData =
  | { role: 'writer'; path: string; synchronous: 'FULL' | 'NORMAL'; busyTimeoutMs: number; retention?: RetentionSettings }
  | { role: 'check'; path: string; busyTimeoutMs: number; maxErrors: number };

export type StoreThreadCall =
  | { op: 'commit'; buf: ArrayBuffer; length: number }
  | { op: 'pragma'; sql: string }
  | { op: 'probe' }
  | { op: 'retention' }
  | { op: 'compaction' }
  | { op: 'exec'; statements: readonly SqlStatement[]; durable: boolean }
  | { op: 'close' };
/** One parameterised statement; a list of them runs as one transaction on the writer's connection. */
export type SqlValue = number | string | null;
export type SqlStatement = readonly [sql: string, params: SqlValue[]];

export type StoreThreadRequest = StoreThreadCall & { id: number };

export type StoreThreadReply =
  | { id: number; ok: true; value?: unknown }
  | { id: number; ok: false; error: { message: string; code?: string } };

/** Source files whose compiled form the thread runs (a stale dist/ would run old code). */
const THREAD_SOURCES = ['server/store/store-thread.ts', 'server/store/packed.ts', 'server/store/samples.ts', 'server/store/db.ts', 'server/store/probe.ts', 'server/store/exec.ts', 'server/store/retention.ts', 'server/store/rollup-chunks.ts', 'server/store/chunks.ts', 'server/store/compaction.ts', 'server/store/chunk-codec.ts', 'server/store/chunk-columns.ts', 'server/store/chunk-bits.ts', 'server/store/rollups.ts', 'server/core/types.ts', 'server/core/vocabulary.ts'];

/**
 * The compiled thread entry. Node 20 cannot run a .ts file as a worker, and the tests import the TS
 * sources (vitest): from there the thread runs dist/server/store/store-thread.js, so `npm test` (which
 * builds first) works, and a single test file needs `npm run build` once after a change to the files
 * above (checked here by mtime, with the fix in the message, rather than running stale code). From dist
 * (the CLI, the bench) it is the sibling file.
 */
export function storeThreadEntry(): string {
  return compiledThreadEntry(import.meta.url, 'server/store/store-thread.ts', THREAD_SOURCES);
}

/**
 * The compiled form of a worker thread's entry `source` (a path from the package root), checked against
 * the sources it runs as storeThreadEntry() says; `caller` is the asking module's import.meta.url.
 */
export function compiledThreadEntry(caller: string, source: string, sources: readonly string[]): string {
  const here = fileURLToPath(caller);
  const rel = source.replace(/\.ts$/, '.js');
  if (here.endsWith('.js')) return join(packageRoot(), 'dist', rel);
  const root = packageRoot();
  const built = join(root, 'dist', rel);
  if (!existsSync(built)) throw new Error(`${built} is missing: a worker thread runs compiled JS; run \`npm run build\``);
  for (const src of sources) {
    const out = join(root, 'dist', src.replace(/\.ts$/, '.js'));
    if (!existsSync(out) || statSync(join(root, src)).mtimeMs > statSync(out).mtimeMs) {
      throw new Error(`${out} is older than ${src}: a worker thread runs compiled JS; run \`npm run build\``);
    }
  }
  return built;
}

export function startStoreThread(data: StoreThreadData): Worker {
  return new Worker(storeThreadEntry(), { workerData: data });
}
