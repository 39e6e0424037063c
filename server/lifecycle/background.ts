/**
 * Every timer-driven and background step of the server (the figures tick, retention, the alert-state
 * save, rollups, restore) runs through here: a step that throws is logged, counted by task, and the
 * timer goes on. An exception out of a timer callback ends the process; before this, another process
 * holding the database's write lock for ~6 s (a backup, an operator's sqlite3 shell) made retention's
 * SQLITE_BUSY do exactly that.
 */
export interface BackgroundTasks {
  /** runs `fn` now under the guard; false when it threw */
  run(task: string, fn: () => void): boolean;
  /**
   * runs the async `fn` now under the guard, unless the previous run of `task` is still pending (a step
   * on the writer thread waiting behind another process's lock is not queued again); a rejection is
   * logged and counted like a throw
   */
  runAsync(task: string, fn: () => Promise<unknown>): void;
  /** `fn` every `ms` under the guard until stopAll(); `unref`: the timer alone does not keep the process up */
  every(task: string, ms: number, fn: () => void, opts?: { unref?: boolean }): void;
  /**
   * `fn` once after `ms` under the guard (0 or less: setImmediate, the next turn), unless stopAll() or the
   * returned cancel comes first; never keeps the process up (the hub's coalesced socket update, issue 15)
   */
  once(task: string, ms: number, fn: () => void): () => void;
  /** failures so far, per task (floorwatch_background_errors_total) */
  errors(): ReadonlyMap<string, number>;
  stopAll(): void;
}

export function createBackgroundTasks(opts: {
  log: (task: string, err: Error) => void;
  /** called once per failure, e.g. a prom-client counter's inc */
  count?: (task: string) => void;
}): BackgroundTasks {
  const errors = new Map<string, number>();
  const timers = new Set<NodeJS.Timeout>();
  /** once()'s pending timers, each with its cancel */
  const onces = new Set<() => void>();
  const run = (task: string, fn: () => void): boolean => {
    try {
      fn();
      return true;
    } catch (e) {
      const err = e instanceof Error ? e : new Error(String(e));
      errors.set(task, (errors.get(task) ?? 0) + 1);
      opts.count?.(task);
      try {
        opts.log(task, err);
      } catch {
        /* a failing logger must not take the timer down either */
      }
      return false;
    }
  };
  const pending = new Set<string>();
  return {
    run,
    runAsync(task, fn) {
      if (pending.has(task)) return;
      let p: Promise<unknown> | undefined;
      if (!run(task, () => void (p = fn()))) return;
      pending.add(task);
      (p as Promise<unknown>).then(
        () => pending.delete(task),
        (e: unknown) => {
          pending.delete(task);
          run(task, () => {
            throw e;
          });
        },
      );
    },
    every(task, ms, fn, o = {}) {
      const t = setInterval(() => void run(task, fn), ms);
      if (o.unref) t.unref();
      timers.add(t);
    },
    once(task, ms, fn) {
      const cancel = (): void => {
        onces.delete(cancel);
        if (ms <= 0) clearImmediate(h as NodeJS.Immediate);
        else clearTimeout(h as NodeJS.Timeout);
      };
      const fire = (): void => {
        onces.delete(cancel);
        run(task, fn);
      };
      const h = ms <= 0 ? setImmediate(fire) : setTimeout(fire, Math.ceil(ms));
      h.unref();
      onces.add(cancel);
      return cancel;
    },
    errors: () => errors,
    stopAll() {
      for (const t of timers) clearInterval(t);
      timers.clear();
      for (const cancel of [...onces]) cancel();
    },
  };
}
