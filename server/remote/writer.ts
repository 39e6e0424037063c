// Remote write (config `remote_write:`): every committed reading and each tick's figures become samples
// queued for every store configured, each store on its own (server/remote/sender.ts). Both entry points
// only look up cached series and queue: the commit path and the tick pay a few Map lookups per sample,
// never a request (the bench's remote-write section measures it).

import type { DeviceModel, Figures, RemoteWriteTarget } from '../core/types.js';
import type { StoredReading } from '../store/writer.js';
import { createRemoteSender, type RemoteLog, type RemoteSender, type RemoteStats, type RemoteStatus } from './sender.js';
import { createSeriesIndex } from './series.js';

/** /readyz names a store that has failed this long without a success between (as an Alertmanager). */
export const REMOTE_FAILING_WARN_MS = 5 * 60_000;

export interface RemoteWriteOptions {
  site: string;
  /** the site's devices by id (SiteModel.devices): their labels */
  devices: ReadonlyMap<string, DeviceModel>;
  targets: readonly RemoteWriteTarget[];
  log: RemoteLog;
  now?: () => number;
  fetch?: typeof fetch;
  failingWarnMs?: number;
}

export interface RemoteWrite {
  /** after each commit (the ingest pipeline's one path in): queues the rows' samples */
  committed(rows: readonly StoredReading[]): void;
  /** after each tick: queues the site, hall and rack figures at the tick's time */
  tick(figures: Figures, ts: number): void;
  stats(): RemoteStats[];
  status(): RemoteStatus[];
  /** "remote_write NAME: failing for N min (error)" for each store that has failed for 5 minutes */
  problems(now?: number): string[];
  stop(): Promise<void>;
}

export function createRemoteWrite(opts: RemoteWriteOptions): RemoteWrite {
  const now = opts.now ?? Date.now;
  const failingMs = opts.failingWarnMs ?? REMOTE_FAILING_WARN_MS;
  const senders: RemoteSender[] = opts.targets.map((target) => createRemoteSender({ target, log: opts.log, now, fetch: opts.fetch }));
  const index = createSeriesIndex(opts.site, opts.targets);

  return {
    committed(rows) {
      for (const row of rows) {
        const r = row.reading;
        const model = opts.devices.get(r.device);
        if (model === undefined) continue; // validated against this map: cannot happen
        for (const name in r.metrics) {
          const v = r.metrics[name as keyof typeof r.metrics];
          // null: the device said it does not know; no sample (a store has no NULL, and 0 would be a lie).
          if (v === null || v === undefined) continue;
          const e = index.device(model, name);
          if (e === null) continue;
          const x = e.convert(v);
          for (const i of e.series.to) senders[i].add(e.series, r.ts, x);
        }
      }
    },
    tick(figures, ts) {
      index.figures(figures, (s, v) => {
        for (const i of s.to) senders[i].add(s, ts, v);
      });
    },
    stats: () => senders.map((s) => s.stats()),
    status: () => senders.map((s) => s.status()),
    problems(t = now()) {
      const out: string[] = [];
      for (const s of senders) {
        const st = s.status();
        if (st.failing_since !== null && t - st.failing_since >= failingMs) {
          out.push(`remote_write ${st.remote}: failing for ${Math.floor((t - st.failing_since) / 60_000)} min (${st.last_error ?? 'unknown error'})`);
        }
      }
      return out;
    },
    async stop() {
      await Promise.all(senders.map((s) => s.stop()));
    },
  };
}
