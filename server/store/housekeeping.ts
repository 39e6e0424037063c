// The store's timed steps on the writer thread: retention once a second, compaction (store/compaction.ts)
// a step of at most 25 ms every 100 ms. 100,000 devices at 10 s write 10,000 rows a second and compaction
// moves 46-55 k rows a second (bench, 2 cores), so it needs 15-23 % of the writer thread to keep up; an
// idle step is a handful of index seeks.
import type { Db } from './db.js';
import type { Writer } from './writer.js';
import { createRetention } from './retention.js';
import type { RetentionSettings } from '../core/types.js';

/** What of the background guard (lifecycle/background.ts) the steps run under. */
export interface StepRunner {
  every(task: string, ms: number, fn: () => void, opts?: { unref?: boolean }): void;
  runAsync(task: string, fn: () => Promise<unknown>): void;
}

export function scheduleStoreSteps(db: Db, writer: Writer, retention: RetentionSettings, bg: StepRunner): void {
  // An in-memory store has no writer thread: retention runs on this connection, compaction in its writer.
  const onMain = writer.retentionStep === undefined ? createRetention(db, retention) : null;
  bg.every('compaction', 100, () => bg.runAsync('compaction', async () => writer.compactionStep?.()), { unref: true });
  bg.every('retention', 1000, () => bg.runAsync('retention', async () => (onMain === null ? writer.retentionStep?.() : onMain.step())), { unref: true });
}
