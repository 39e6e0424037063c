// Polls every polled device on its collector's interval. Each target (a miner, or a dcgm exporter with its
// GPUs) runs its own loop, so a target never has two requests in flight and a hung one only ever holds
// one concurrency slot for at most its timeout: it cannot delay the others. Starts are jittered over
// the first interval; a failing target backs off exponentially and every failure goes to the sink.

import type { CollectorSettings, DeviceModel } from '../core/types.js';
import { pollCgminer } from './cgminer.js';
import { pollWhatsminerV3 } from './whatsminer-v3.js';
import { createDcgmMapper, dcgmGpus, parsePrometheusText, scrapeText } from './dcgm.js';
import { pollRedfish, REDFISH_DEFAULT_SETTINGS } from './redfish.js';
import { CollectorError, type CollectorName, type CollectorStats, type SchedulerHandle, type SchedulerOptions } from './types.js';

interface Target {
  collector: CollectorName;
  key: string;
  devices: DeviceModel[];
  poll(timeout_ms: number): Promise<void>;
}

export function startScheduler(opts: SchedulerOptions): SchedulerHandle {
  const now = opts.now ?? Date.now;
  const maxBackoff = opts.max_backoff_factor ?? 8;
  const { sink } = opts;
  const stats: CollectorStats = { targets: 0, polls: 0, failures: 0, in_flight: 0, queued: 0, max_start_lag_ms: 0, per_collector: {} };
  const slots: Record<string, { free: number; waiters: (() => void)[] }> = {};
  const timers = new Set<NodeJS.Timeout>();
  const running = new Set<Promise<void>>();
  let stopped = false;

  const targets: Target[] = [];
  const byExporter = new Map<string, DeviceModel[]>();
  for (const d of opts.devices) {
    if (d.collector === 'cgminer' && d.address) {
      targets.push({
        collector: 'cgminer', key: d.id, devices: [d],
        poll: async (timeout_ms) => sink.accept([await pollCgminer(d, opts.catalogue, timeout_ms, now)]),
      });
    } else if (d.collector === 'whatsminer_v3' && d.address) {
      targets.push({
        collector: 'whatsminer_v3', key: d.id, devices: [d],
        poll: async (timeout_ms) => sink.accept([await pollWhatsminerV3(d, opts.catalogue, timeout_ms, now)]),
      });
    } else if (d.collector === 'redfish' && d.redfish) {
      targets.push({
        collector: 'redfish', key: d.id, devices: [d],
        poll: async (timeout_ms) => sink.accept([await pollRedfish(d, timeout_ms, now)]),
      });
    } else if (d.collector === 'dcgm' && d.exporter) {
      const list = byExporter.get(d.exporter) ?? [];
      list.push(d);
      byExporter.set(d.exporter, list);
    }
  }
  for (const [url, devices] of byExporter) {
    const mapper = createDcgmMapper();
    targets.push({
      collector: 'dcgm', key: url, devices,
      poll: async (timeout_ms) => {
        const text = await scrapeText(url, timeout_ms);
        const { readings, missing } = mapper.map(devices, dcgmGpus(parsePrometheusText(text)), now());
        if (readings.length === 0) throw new CollectorError('bad reply: no GPU series');
        sink.accept(readings);
        for (const id of missing) sink.deviceError(id, 'bad reply: GPU not in scrape', now());
      },
    });
  }
  stats.targets = targets.length;

  // Models built by hand may leave redfish out (it is optional in SiteModel); config always fills it.
  const settingsOf = (c: CollectorName): CollectorSettings => opts.settings[c] ?? { ...REDFISH_DEFAULT_SETTINGS };
  const acquire = async (c: CollectorName): Promise<void> => {
    const s = (slots[c] ??= { free: Math.max(1, settingsOf(c).concurrency), waiters: [] });
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
    const settings = settingsOf(t.collector);
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
  };
}
