// /metrics for pools and probes (issue 19): a few series per pool and per probe, read from the figures and
// the probes' live readings at scrape time. Base units: seconds, ratios 0–1. Unknown is no series, never 0.

import { Gauge, type Registry } from 'prom-client';
import { runningAgeMs } from '../figures/health.js';
import type { Hub } from '../live/hub.js';

export function registerPoolMetrics(registry: Registry, hub: Hub): void {
  const gauge = (name: string, help: string, label: string, collect: (set: (l: string, v: number | null) => void) => void): void => {
    new Gauge({
      name, help, labelNames: [label], registers: [registry],
      collect() {
        this.reset();
        collect((l, v) => {
          if (v !== null && Number.isFinite(v)) this.set({ [label]: l }, v);
        });
      },
    });
  };
  gauge('floorwatch_pool_up', '1 while a pool is up, 0 when every miner listing it reports it dead or its probe lost every connect', 'pool', (set) => {
    for (const p of hub.figures().pools ?? []) set(p.id, p.up === null ? null : p.up ? 1 : 0);
  });
  gauge('floorwatch_pool_miners', 'Miners mining on a pool now (up, with a current pool report)', 'pool', (set) => {
    for (const p of hub.figures().pools ?? []) set(p.id, p.miners);
  });
  const probes = (read: (m: { latency_ms?: number | null; loss_pct?: number | null }) => number | null) => (set: (l: string, v: number | null) => void) => {
    const input = hub.input();
    for (const live of input.devices.values()) {
      if (live.model.kind !== 'probe' || live.ts === null) continue;
      if (runningAgeMs(input.now, live.ts, input.offline) > input.stale_after_ms) continue;
      set(live.model.id, read(live.metrics));
    }
  };
  gauge('floorwatch_probe_latency_seconds', 'Mean TCP connect time of a probe target over its last interval', 'target',
    probes((m) => (m.latency_ms == null ? null : m.latency_ms / 1000)));
  gauge('floorwatch_probe_loss_ratio', 'Share of a probe target\'s TCP connects that failed over its last interval (0–1)', 'target',
    probes((m) => (m.loss_pct == null ? null : m.loss_pct / 100)));
}
