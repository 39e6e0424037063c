// The start after a stop: the live view comes back from the checkpoint and the raw rows after it, in
// slices, while the server already listens; what is left is on /readyz until it is done.

import type { Checkpointer, RestoreProgress, StartPlan } from '../live/checkpoint.js';
import type { Logger } from '../log.js';

export interface Restoring {
  /** what is left, for /readyz; null once done */
  message(): string | null;
  /** settles once the live view is restored (or the restore gave up: logged, counted) */
  restored: Promise<void>;
}

export function startRestore(checkpoint: Checkpointer, plan: StartPlan, logger: Logger, then: () => void): Restoring {
  let progress: RestoreProgress | null = { phase: 'checkpoint', checkpoint_rows: 0, replay_rows: 0 };
  const t0 = performance.now();
  const restored = checkpoint.restore(plan, (p) => void (progress = p)).catch((e: unknown) => {
    // Each step runs under the background guard; this is for anything outside one. The live view then
    // fills from new readings, and the server still serves.
    logger.error({ task: 'restore', err: e instanceof Error ? e.message : String(e) }, 'background step failed');
    return null;
  }).then((p) => {
    progress = null;
    if (p !== null) logger.info({ ...p, ms: Math.round(performance.now() - t0) }, 'live state restored');
    then();
  });
  return {
    restored,
    message: () => (progress === null ? null
      : `restoring live state (${progress.phase}: ${progress.checkpoint_rows} checkpoint rows, ${progress.replay_rows} raw rows so far)`),
  };
}
