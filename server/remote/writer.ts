// Remote write (config `remote_write:`): every committed reading and each tick's figures become samples
// for every store configured, each store on its own (server/remote/sender.ts), all of it on a worker
// thread of its own (remote-thread.ts). What the commit path and the tick pay here is two Map lookups
// and three array writes per sample, and one postMessage per commit: grouping, protobuf, snappy and HTTP
// cost 3-5 µs a sample, and on the event loop they halved the rate of pushes (measured by the bench's
// remote-write section before the thread).

import type { Worker } from 'node:worker_threads';
import type { DeviceModel, Figures, RemoteWriteTarget } from '../core/types.js';
import type { StoredReading } from '../store/writer.js';
import type { RemoteLog, RemoteStats, RemoteStatus } from './sender.js';
import { createSeriesIndex } from './series.js';
import { startRemoteThread, type FromRemoteThread, type ToRemoteThread } from './thread.js';

/** /readyz names a store that has failed this long without a success between (as an Alertmanager). */
export const REMOTE_FAILING_WARN_MS = 5 * 60_000;
/** How often the thread reports its counts: /metrics and /readyz read the last report. */
const REPORT_MS = 200;
/** Samples the thread may be behind by before they are dropped here (20 bytes each on the way). */
const BACKLOG_MIN = 100_000;
/** How long stop() waits for the thread to send what it holds (its own flush is 5 s at most). */
const STOP_WAIT_MS = 8000;

export interface RemoteWriteOptions {
  site: string;
  /** the site's devices by id (SiteModel.devices): their labels */
  devices: ReadonlyMap<string, DeviceModel>;
  targets: readonly RemoteWriteTarget[];
  log: RemoteLog;
  now?: () => number;
  failingWarnMs?: number;
}

export interface RemoteWrite {
  /** after each commit (the ingest pipeline's one path in): queues the rows' samples */
  committed(rows: readonly StoredReading[]): void;
  /** after each tick: queues the site, hall and rack figures at the tick's time */
  tick(figures: Figures, ts: number): void;
  /** as of the thread's last report (at most REPORT_MS old) */
  stats(): RemoteStats[];
  status(): RemoteStatus[];
  /** "remote_write NAME: failing for N min (error)" for each store that has failed for 5 minutes */
  problems(now?: number): string[];
  stop(): Promise<void>;
}

export function createRemoteWrite(opts: RemoteWriteOptions): RemoteWrite {
  const now = opts.now ?? Date.now;
  const failingMs = opts.failingWarnMs ?? REMOTE_FAILING_WARN_MS;
  const index = createSeriesIndex(opts.site, opts.targets);
  const worker: Worker = startRemoteThread({ targets: [...opts.targets], reportMs: REPORT_MS });
  worker.unref();
  let stats: RemoteStats[] = opts.targets.map((t) => ({ remote: t.name, sent: 0, failed: 0, retried: 0, dropped: 0, pending: 0, highest_sent_ts: null, shards: t.queue.max_shards }));
  let status: RemoteStatus[] = opts.targets.map((t) => ({ remote: t.name, failing_since: null, last_error: null }));
  let stopped: (() => void) | null = null;
  let closing = false;

  // Samples handed to the thread and not yet taken by it. Past what all its queues hold together (and
  // at least BACKLOG_MIN), the thread is far behind, starved of CPU: more would only wait in its inbox
  // to be dropped there, so they are dropped here and counted the same way, and memory stays bounded.
  // A batch of any size goes while the thread keeps up: its queues then drop their oldest, as always.
  const backlogMax = Math.max(BACKLOG_MIN, opts.targets.reduce((n, t) => n + t.queue.capacity * t.queue.max_shards, 0));
  let posted = 0;
  let consumed = 0;
  const droppedHere = opts.targets.map(() => 0);
  /** each series' stores, by id: for the drops counted here */
  const takers: (readonly number[])[] = [];

  worker.on('message', (m: FromRemoteThread) => {
    if (m.op === 'log') opts.log(m.level, m.msg, m.fields);
    else {
      stats = m.stats;
      status = m.status;
      consumed = m.consumed;
      if (m.op === 'stopped') stopped?.();
    }
  });
  worker.on('error', (e) => opts.log('error', `remote write: its thread failed: ${e.message}`, {}));

  let ids = new Int32Array(1024);
  let ts = new Float64Array(1024);
  let values = new Float64Array(1024);
  let n = 0;
  const put = (id: number, t: number, v: number): void => {
    if (n === ids.length) {
      const grow = <A extends Int32Array | Float64Array>(a: A, make: (len: number) => A): A => {
        const b = make(a.length * 2);
        b.set(a);
        return b;
      };
      ids = grow(ids, (l) => new Int32Array(l));
      ts = grow(ts, (l) => new Float64Array(l));
      values = grow(values, (l) => new Float64Array(l));
    }
    ids[n] = id;
    ts[n] = t;
    values[n] = v;
    n++;
  };
  const flush = (): void => {
    const fresh = index.takeNew();
    for (const s of fresh) takers[s.id] = s.to; // interned: one array per distinct set of stores
    if (n === 0 && fresh.length === 0) return;
    let count = n;
    if (posted - consumed > backlogMax) {
      for (let i = 0; i < n; i++) for (const r of takers[ids[i]]) droppedHere[r]++;
      count = 0;
    }
    const msg: ToRemoteThread = {
      op: 'samples', series: fresh.map((s) => ({ id: s.id, labels: s.labels, to: [...s.to] })),
      ids: ids.slice(0, count), ts: ts.slice(0, count), values: values.slice(0, count),
    };
    // slice() made each a buffer of its own: handed over, not copied again.
    worker.postMessage(msg, [msg.ids.buffer as ArrayBuffer, msg.ts.buffer as ArrayBuffer, msg.values.buffer as ArrayBuffer]);
    posted += count;
    n = 0;
  };

  return {
    committed(rows) {
      if (closing) return;
      for (const row of rows) {
        const r = row.reading;
        const model = opts.devices.get(r.device);
        if (model === undefined) continue; // validated against this map: cannot happen
        const families = index.families(model.kind);
        for (const name in r.metrics) {
          const v = r.metrics[name as keyof typeof r.metrics];
          // null: the device said it does not know; no sample (a store has no NULL, and 0 would be a lie).
          if (v === null || v === undefined) continue;
          const f = families.get(name);
          if (f !== undefined) put(index.deviceSeries(model, f), r.ts, f.convert(v));
        }
      }
      flush();
    },
    tick(figures, t) {
      if (closing) return;
      index.figures(figures, (s, v) => put(s.id, t, v));
      flush();
    },
    stats() {
      // Handed over but not yet taken by the thread: pending for every store (an over-count for a store
      // that filters some of them out, for at most one report period).
      const backlog = Math.max(0, posted - consumed);
      return stats.map((s, i) => ({ ...s, pending: s.pending + backlog, dropped: s.dropped + droppedHere[i] }));
    },
    status: () => status,
    problems(t = now()) {
      const out: string[] = [];
      for (const st of status) {
        if (st.failing_since !== null && t - st.failing_since >= failingMs) {
          out.push(`remote_write ${st.remote}: failing for ${Math.floor((t - st.failing_since) / 60_000)} min (${st.last_error ?? 'unknown error'})`);
        }
      }
      return out;
    },
    async stop() {
      if (closing) return;
      closing = true;
      const done = new Promise<void>((resolve) => {
        stopped = resolve;
        setTimeout(resolve, STOP_WAIT_MS).unref();
      });
      worker.postMessage({ op: 'stop' } satisfies ToRemoteThread);
      await done;
      await worker.terminate();
    },
  };
}
