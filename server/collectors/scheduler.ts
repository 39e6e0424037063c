// Polls every polled device on its collector's interval. Each target (a miner, or a dcgm exporter with its
// GPUs) runs its own loop, so a target never has two requests in flight and a hung one only ever holds
// one concurrency slot for at most its timeout: it cannot delay the others. Starts are jittered over
// the first interval; a failing target backs off exponentially and every failure goes to the sink.

import type { DeviceModel } from '../core/types.js';
import { COLLECTOR_NAMES, COLLECTORS, type CollectorName } from './registry.js';
import { CollectorError, type CollectorStats, type PollTarget, type SchedulerHandle, type SchedulerOptions } from './types.js';

interface Target extends PollTarget {
  collector: CollectorName;
}

export function startScheduler(opts: SchedulerOptions): SchedulerHandle {
  const now = opts.now ?? Date.now;
  const maxBackoff = opts.max_backoff_factor ?? 8;
  const { sink } = opts;
  const stats: CollectorStats = { targets: 0, polls: 0, failures: 0, in_flight: 0, queued: 0, max_start_lag_ms: 0, per_collector: {} };
  const lastOk = new Map<string, number>();
  const slots: Record<string, { free: number; waiters: (() => void)[] }> = {};
  const timers = new Set<NodeJS.Timeout>();
  const running = new Set<Promise<void>>();
  let stopped = false;

  // Each collector in the registry groups its own devices into targets; a name no collector has polls nothing.
  const byCollector = new Map<string, DeviceModel[]>();
  for (const d of opts.devices) {
    if (d.collector === undefined) continue;
    const list = byCollector.get(d.collector) ?? [];
    list.push(d);
    byCollector.set(d.collector, list);
  }
  const targets: Target[] = [];
  for (const collector of COLLECTOR_NAMES) {
    const devices = byCollector.get(collector);
    if (devices === undefined) continue;
    const ctx = { catalogue: opts.catalogue, settings: opts.settings[collector], sink, now };
    for (const t of COLLECTORS[collector].targets(devices, ctx)) targets.push({ ...t, collector });
  }
  stats.targets = targets.length;

  const acquire = async (c: CollectorName): Promise<void> => {
    const s = (slots[c] ??= { free: Math.max(1, opts.settings[c].concurrency), waiters: [] });
    if (s.free > 0) {
      s.free--;
      return;
    }
    stats.queued++;
    await new Promise<void>((resolve) => s.waiters.push(resolve));
    stats.queued--;
  };
  const release = (c: CollectorName): void => {
    const s = slots[c];
    const next = s.waiters.shift();
    if (next) next();
    else s.free++;
  };

  const loop = (t: Target): void => {
    const settings = opts.settings[t.collector];
    const interval_ms = settings.interval_s * 1000;
    let failures = 0;
    const per = (stats.per_collector[t.collector] ??= { polls: 0, failures: 0 });
    const schedule = (due: number): void => {
      if (stopped) return;
      const timer = setTimeout(() => {
        timers.delete(timer);
        const p = run(due).finally(() => running.delete(p));
        running.add(p);
      }, Math.max(0, due - now()));
      timers.add(timer);
    };
    const run = async (due: number): Promise<void> => {
      await acquire(t.collector);
      if (stopped) return release(t.collector);
      const started = now();
      stats.max_start_lag_ms = Math.max(stats.max_start_lag_ms, started - due);
      opts.onPollStart?.(t.collector, started - due);
      stats.in_flight++;
      let ok = true;
      try {
        await t.poll(settings.timeout_ms);
        failures = 0;
        lastOk.set(t.collector, now());
      } catch (err) {
        ok = false;
        failures++;
        stats.failures++;
        per.failures++;
        const reason = err instanceof CollectorError ? err.reason : `error: ${(err as Error).message}`;
        for (const d of t.devices) sink.deviceError(d.id, reason, now());
      } finally {
        stats.in_flight--;
        stats.polls++;
        per.polls++;
        release(t.collector);
      }
      opts.onPollDuration?.(t.collector, (now() - started) / 1000, ok);
      // Keep the cadence of due times (a slow reply does not drift the schedule); back off when failing.
      const factor = ok ? 1 : Math.min(2 ** (failures - 1), maxBackoff);
      let next = due + interval_ms * factor;
      if (next < now()) next = now() + (ok ? 0 : interval_ms);
      schedule(next);
    };
    schedule(now() + Math.random() * interval_ms);
  };
  for (const t of targets) loop(t);

  return {
    async stop() {
      stopped = true;
      for (const t of timers) clearTimeout(t);
      timers.clear();
      for (const s of Object.values(slots)) for (const w of s.waiters.splice(0)) w();
      await Promise.allSettled([...running]);
    },
    stats: () => ({ ...stats, per_collector: structuredClone(stats.per_collector) }),
    lastOk: () => new Map(lastOk),
  };
}
