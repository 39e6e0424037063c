// Waiting out another connection's write lock without holding the event loop: the main connection waits
// 1 ms for a lock (store/db.ts), so its few writes retry here, off the loop.

/** SQLite's "database is locked": another connection (the writer thread, another process) holds the lock. */
export function isBusy(e: unknown): boolean {
  const code = (e as { code?: unknown } | null)?.code;
  return code === 'SQLITE_BUSY' || code === 'SQLITE_LOCKED';
}

// The writer thread holds the lock for each commit: under the bench's 100k-device load the alert-state
// save failed every few seconds without this (the checkpoint and heartbeat now go through the writer). A commit
// holds the lock for a few ms, so a short wait off the loop and another try nearly always gets it.
const BUSY_RETRIES = 8;
const BUSY_WAIT_MS = 15;

/**
 * Runs a short synchronous database step, and when the database is locked tries again after a short wait
 * (off the event loop) a few times; only the last failure, or any other error, goes to `run`'s guard.
 */
export async function runRetryingBusy(bg: { run(task: string, fn: () => void): boolean }, task: string, fn: () => void): Promise<boolean> {
  for (let attempt = 0; ; attempt++) {
    try {
      fn();
      return true;
    } catch (e) {
      if (!isBusy(e) || attempt >= BUSY_RETRIES) return bg.run(task, () => { throw e; });
      await new Promise((r) => setTimeout(r, BUSY_WAIT_MS));
    }
  }
}
