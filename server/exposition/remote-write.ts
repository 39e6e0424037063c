// Per remote-write store, Prometheus' own prometheus_remote_storage_* families under Floorwatch's names
// (samples counted, base units): what was sent, refused, retried, dropped, what waits, and how far the
// store has got. server/remote/ keeps the totals; these are set from them at scrape time. No series
// without `remote_write:`.

import type { RemoteWriteStats } from '../core/types.js';
import { Counter, Gauge, type Registry } from 'prom-client';

export type { RemoteWriteStats } from '../core/types.js';

export function registerRemoteWriteMetrics(registry: Registry, stats: () => readonly RemoteWriteStats[]): void {
  const counter = (name: string, help: string, read: (s: RemoteWriteStats) => number) =>
    new Counter({
      name, help, labelNames: ['remote'] as const, registers: [registry],
      collect() {
        this.reset();
        for (const s of stats()) this.inc({ remote: s.remote }, read(s));
      },
    });
  const gauge = (name: string, help: string, read: (s: RemoteWriteStats) => number | null) =>
    new Gauge({
      name, help, labelNames: ['remote'] as const, registers: [registry],
      collect() {
        this.reset();
        for (const s of stats()) {
          const v = read(s);
          if (v !== null) this.set({ remote: s.remote }, v);
        }
      },
    });
  counter('floorwatch_remote_write_samples_sent_total', 'Samples a remote-write store acknowledged (2xx)', (s) => s.sent);
  counter('floorwatch_remote_write_samples_failed_total', 'Samples a remote-write store refused with a 4xx other than 429: not retried', (s) => s.failed);
  counter('floorwatch_remote_write_samples_retried_total', 'Samples sent again after a 5xx, a 429, a timeout or a connection error (each retry counted)', (s) => s.retried);
  counter('floorwatch_remote_write_samples_dropped_total', 'Samples dropped before a store had them: queue full (oldest first), or still queued at shutdown', (s) => s.dropped);
  gauge('floorwatch_remote_write_samples_pending', 'Samples queued for a remote-write store, not yet acknowledged (the queue length)', (s) => s.pending);
  gauge('floorwatch_remote_write_highest_sent_timestamp_seconds', 'Timestamp of the newest sample a remote-write store acknowledged', (s) => (s.highest_sent_ts === null ? null : s.highest_sent_ts / 1000));
  gauge('floorwatch_remote_write_shards', 'Shards (parallel senders) of a remote-write store', (s) => s.shards);
}
