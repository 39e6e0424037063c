// The main thread's side of remote write's worker thread (remote-thread.ts): where its code is, and the
// messages both sides exchange. The thread does everything per request (grouping, protobuf, snappy,
// HTTP, retries) so that none of it runs on the event loop that validates pushes and ticks the figures;
// the main thread only looks up each sample's series and copies three numbers into a typed array.

import { existsSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { packageRoot } from '../store/paths.js';
import type { RemoteWriteTarget } from '../core/types.js';
import type { Label } from './proto.js';
import type { RemoteStats, RemoteStatus } from './sender.js';

export interface RemoteThreadData {
  targets: RemoteWriteTarget[];
  /** how often the thread reports its counts (ms) */
  reportMs: number;
}

/** Series the thread has not seen yet, and samples as three parallel arrays (series id, ts ms, value). */
export type ToRemoteThread =
  | { op: 'samples'; series: { id: number; labels: Label[]; to: number[] }[]; ids: Int32Array; ts: Float64Array; values: Float64Array }
  | { op: 'stop' };

export type FromRemoteThread =
  | { op: 'report'; stats: RemoteStats[]; status: RemoteStatus[]; consumed: number }
  | { op: 'log'; level: 'info' | 'warn' | 'error'; msg: string; fields: Record<string, unknown> }
  | { op: 'stopped'; stats: RemoteStats[]; status: RemoteStatus[]; consumed: number };

/** Source files whose compiled form the thread runs (a stale dist/ would run old code). */
const THREAD_SOURCES = ['server/remote/remote-thread.ts', 'server/remote/sender.ts', 'server/remote/queue.ts', 'server/remote/proto.ts'];

/** As the store's thread (store/thread.ts says why): the compiled entry, checked fresh when run from the sources. */
export function remoteThreadEntry(): string {
  const here = fileURLToPath(import.meta.url);
  if (here.endsWith('.js')) return join(dirname(here), 'remote-thread.js');
  const root = packageRoot();
  const built = join(root, 'dist', 'server', 'remote', 'remote-thread.js');
  if (!existsSync(built)) throw new Error(`${built} is missing: remote write's thread runs compiled JS; run \`npm run build\``);
  for (const src of THREAD_SOURCES) {
    const out = join(root, 'dist', src.replace(/\.ts$/, '.js'));
    if (!existsSync(out) || statSync(join(root, src)).mtimeMs > statSync(out).mtimeMs) {
      throw new Error(`${out} is older than ${src}: remote write's thread runs compiled JS; run \`npm run build\``);
    }
  }
  return built;
}

export function startRemoteThread(data: RemoteThreadData): Worker {
  return new Worker(remoteThreadEntry(), { workerData: data });
}
