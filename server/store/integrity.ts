// Readiness that notices corruption: PRAGMA quick_check at start and on a slow timer. quick_check reads
// every page of the file (synchronously, in the driver), so it runs on a thread of its own with its own
// read-only connection: in WAL mode it neither blocks the ingest writer nor is blocked by it, and the
// event loop never waits for it.

import { startStoreThread, type StoreThreadReply } from './thread.js';
import type { Worker } from 'node:worker_threads';

export interface IntegrityResult {
  ok: boolean;
  /** when the check finished (epoch ms) */
  at: number;
  ms: number;
  /** quick_check's messages (at most maxErrors), or why it could not run */
  problems: string[];
}

export interface IntegrityMonitor {
  /** starts a check unless one is running */
  check(): void;
  /** the last finished check; null before the first one finishes */
  last(): IntegrityResult | null;
  running(): boolean;
  /** resolves with the result of the check running now, or of a new one */
  next(): Promise<IntegrityResult>;
  stop(): Promise<void>;
}

/** One quick_check of the file at `path` on its own thread; never rejects (a failure to run is a problem). */
export function checkIntegrity(path: string, opts: { maxErrors?: number; onWorker?: (w: Worker) => void } = {}): Promise<IntegrityResult> {
  const t0 = performance.now();
  return new Promise((resolve) => {
    let done = false;
    const finish = (problems: string[], ms = performance.now() - t0) => {
      if (done) return;
      done = true;
      resolve({ ok: problems.length === 0, at: Date.now(), ms, problems });
    };
    let worker: Worker;
    try {
      worker = startStoreThread({ role: 'check', path, busyTimeoutMs: 5000, maxErrors: opts.maxErrors ?? 10 });
    } catch (e) {
      finish([`check could not start: ${(e as Error).message}`]);
      return;
    }
    worker.unref();
    opts.onWorker?.(worker);
    worker.once('message', (m: StoreThreadReply) => {
      if (m.ok) {
        const v = m.value as { problems: string[]; ms: number };
        finish(v.problems, v.ms);
      } else finish([m.error.message]);
    });
    worker.once('error', (e) => finish([`check failed: ${e.message}`]));
    worker.once('exit', (code) => finish([`check stopped (${code}) before it finished`]));
  });
}

export function createIntegrityMonitor(path: string, opts: { maxErrors?: number; onResult?: (r: IntegrityResult) => void } = {}): IntegrityMonitor {
  let last: IntegrityResult | null = null;
  let current: Promise<IntegrityResult> | null = null;
  let worker: Worker | null = null;
  let stopped = false;
  const check = (): Promise<IntegrityResult> => {
    if (current !== null) return current;
    current = checkIntegrity(path, { maxErrors: opts.maxErrors, onWorker: (w) => (worker = w) }).then((r) => {
      current = null;
      worker = null;
      if (!stopped) {
        last = r;
        opts.onResult?.(r);
      }
      return r;
    });
    return current;
  };
  return {
    check: () => void check(),
    last: () => last,
    running: () => current !== null,
    next: check,
    async stop() {
      stopped = true;
      await worker?.terminate();
    },
  };
}
