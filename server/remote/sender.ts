// One remote store's delivery, as Prometheus' queue manager does it (storage/remote/queue_manager.go):
// samples are hashed to shards by series, so each series stays in order (a store refuses a sample older
// than the newest of its series); each shard sends up to max_samples_per_send at a time, or what it has
// once batch_send_deadline has passed since its oldest sample, one request at a time. A 5xx, a 429, a
// timeout or a refused connection is retried with back-off (min_backoff doubled up to max_backoff, or the
// Retry-After the store asked for) until it goes through; any other 4xx would be refused again, so that
// batch is counted as failed, logged and left. A shard's queue is bounded: when full, its oldest sample is
// dropped and counted. Nothing here is awaited by ingest or the tick: add() only queues.
// Differences from Prometheus: the shard count is max_shards from the start (Prometheus starts at
// min_shards and reshards on measured throughput), and there is no WAL to replay after a restart: what
// was queued at shutdown is sent once, then counted as dropped (it is in Floorwatch's own store).

import type { RemoteWriteStats } from '../core/types.js';
import type { RemoteWriteTarget } from '../core/types.js';
import { encodeSeries, REMOTE_WRITE_HEADERS, type EncodedSeries } from './proto.js';
import { createSampleQueue, type Batch, type SampleQueue } from './queue.js';

export type RemoteStats = RemoteWriteStats;

export interface RemoteStatus {
  remote: string;
  /** epoch ms of the first failure since the last success; null while it takes what is sent */
  failing_since: number | null;
  last_error: string | null;
}

export type RemoteLog = (level: 'info' | 'warn' | 'error', msg: string, fields: Record<string, unknown>) => void;

export interface RemoteSenderOptions {
  target: RemoteWriteTarget;
  /** a series' encoded labels (proto.ts encodeLabels), by id */
  labels: (id: number) => Uint8Array;
  log: RemoteLog;
  now?: () => number;
  fetch?: typeof fetch;
  /** how long stop() lets the shards send what they hold, once each (ms) */
  flushMs?: number;
}

export interface RemoteSender {
  readonly name: string;
  add(id: number, ts: number, value: number): void;
  stats(): RemoteStats;
  status(): RemoteStatus;
  stop(): Promise<void>;
}

const LOG_EVERY_MS = 10_000;

/** An answer the store would give again (4xx but 429): retrying cannot help. */
class Refused extends Error {}
/** An answer worth retrying; retryAfterMs when the store said when. */
class Recoverable extends Error {
  constructor(message: string, readonly retryAfterMs: number | null) {
    super(message);
  }
}

/** Retry-After as seconds or an HTTP date (RFC 9110 §10.2.3); null when absent or unreadable. */
export function retryAfterMs(header: string | null, now: number): number | null {
  if (header === null || header.trim() === '') return null;
  const s = header.trim();
  if (/^\d+$/.test(s)) return Number(s) * 1000;
  const at = Date.parse(s);
  return Number.isNaN(at) ? null : Math.max(0, at - now);
}

/** The samples of a batch grouped by series (one TimeSeries each), in the order they were queued. */
export function groupBySeries(b: Batch, labels: (id: number) => Uint8Array): EncodedSeries[] {
  const bySeries = new Map<number, EncodedSeries & { ts: number[]; values: number[] }>();
  for (let i = 0; i < b.ids.length; i++) {
    const id = b.ids[i];
    let e = bySeries.get(id);
    if (e === undefined) bySeries.set(id, (e = { labels: labels(id), ts: [], values: [] }));
    e.ts.push(b.ts[i]);
    e.values.push(b.values[i]);
  }
  return [...bySeries.values()];
}

export function createRemoteSender(opts: RemoteSenderOptions): RemoteSender {
  const t = opts.target;
  const q = t.queue;
  const doFetch = opts.fetch ?? fetch;
  const now = opts.now ?? Date.now;
  const counts = { sent: 0, failed: 0, retried: 0, dropped: 0 };
  let highest: number | null = null;
  /** samples taken from the queues into a request not yet acknowledged: pending too, as in Prometheus */
  let inflight = 0;
  let failingSince: number | null = null;
  let lastError: string | null = null;
  let stopping = false;
  /** when each kind of line was last logged: a store down for an hour, with 50 shards retrying, is a line each 10 s, not thousands (the counts are in /metrics) */
  const logged = new Map<string, number>();
  const logEvery = (kind: string, level: 'warn' | 'error', msg: () => string): void => {
    const t0 = now();
    if (t0 - (logged.get(kind) ?? -Infinity) < LOG_EVERY_MS) return;
    logged.set(kind, t0);
    opts.log(level, msg(), { remote: t.name });
  };
  const aborts = new Set<AbortController>();
  const headers: Record<string, string> = { ...t.headers, ...REMOTE_WRITE_HEADERS };
  if (t.bearer_token !== undefined) headers.authorization = `Bearer ${t.bearer_token}`;
  else if (t.basic_auth) headers.authorization = `Basic ${Buffer.from(`${t.basic_auth.username}:${t.basic_auth.password}`).toString('base64')}`;

  async function post(body: Buffer, timeoutMs: number): Promise<void> {
    const ac = new AbortController();
    aborts.add(ac);
    const timer = setTimeout(() => ac.abort(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
    try {
      // snappy's Buffer is backed by an ArrayBuffer of its own; the DOM lib's BodyInit wants it said.
      const res = await doFetch(t.url, { method: 'POST', headers, body: body as Uint8Array<ArrayBuffer>, signal: ac.signal });
      const text = (await res.text()).slice(0, 200).trim();
      if (res.status >= 200 && res.status < 300) return;
      const msg = `${res.status} ${text}`;
      if (res.status === 429 || res.status >= 500) throw new Recoverable(msg, retryAfterMs(res.headers.get('retry-after'), now()));
      throw new Refused(msg);
    } catch (e) {
      if (e instanceof Refused || e instanceof Recoverable) throw e;
      const reason: unknown = ac.signal.aborted ? ac.signal.reason : e;
      const cause = e instanceof Error && e.cause instanceof Error ? `: ${e.cause.message}` : '';
      throw new Recoverable(`${reason instanceof Error ? reason.message : String(reason)}${cause}`, null);
    } finally {
      clearTimeout(timer);
      aborts.delete(ac);
    }
  }

  const failed = (e: Error): void => {
    failingSince ??= now();
    lastError = e.message;
  };

  interface Shard {
    queue: SampleQueue;
    /** resolves the loop's wait: a full batch is there, the deadline passed, or stopping */
    wake: (() => void) | null;
    deadline: NodeJS.Timeout | null;
    done: Promise<void>;
  }

  const wakeUp = (s: Shard): void => {
    if (s.deadline !== null) clearTimeout(s.deadline);
    s.deadline = null;
    const w = s.wake;
    s.wake = null;
    w?.();
  };

  const arm = (s: Shard): void => {
    s.deadline = setTimeout(() => wakeUp(s), q.batch_send_deadline_s * 1000);
    s.deadline.unref();
  };

  /** One batch until it is taken, refused, or the sender stops (then it is dropped, counted). */
  async function deliver(b: Batch): Promise<void> {
    const n = b.ids.length;
    let maxTs = -Infinity;
    for (const x of b.ts) if (x > maxTs) maxTs = x;
    const body = encodeSeries(groupBySeries(b, opts.labels));
    let backoff = q.min_backoff_s * 1000;
    inflight += n;
    try {
      await attempts(n, maxTs, body, backoff);
    } finally {
      inflight -= n;
    }
  }

  async function attempts(n: number, maxTs: number, body: Buffer, backoff: number): Promise<void> {
    for (;;) {
      try {
        await post(body, t.timeout_s * 1000);
        counts.sent += n;
        highest = highest === null ? maxTs : Math.max(highest, maxTs);
        if (failingSince !== null && now() - failingSince >= LOG_EVERY_MS) {
          opts.log('info', `remote write: ${t.name} takes samples again after ${Math.round((now() - failingSince) / 1000)} s of failures`, { remote: t.name });
        }
        if (failingSince !== null) logged.clear();
        failingSince = null;
        lastError = null;
        return;
      } catch (e) {
        if (e instanceof Refused) {
          counts.failed += n;
          failed(e);
          logEvery('refused', 'error', () => `remote write: ${t.name} refused ${n} sample(s), not retried (${counts.failed} in all): ${e.message}`);
          return;
        }
        const err = e instanceof Error ? e : new Error(String(e));
        failed(err);
        if (stopping) {
          counts.dropped += n;
          return;
        }
        counts.retried += n;
        const wait = e instanceof Recoverable && e.retryAfterMs !== null ? e.retryAfterMs : backoff;
        logEvery('retry', 'warn', () => `remote write: ${n} sample(s) to ${t.name} not sent, retrying in ${wait} ms: ${err.message}`);
        backoff = Math.min(q.max_backoff_s * 1000, backoff * 2);
        await pause(wait);
        if (stopping) {
          counts.dropped += n;
          return;
        }
      }
    }
  }

  let sleeping = new Set<{ timer: NodeJS.Timeout; resolve: () => void }>();
  function pause(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const entry = { timer: setTimeout(() => { sleeping.delete(entry); resolve(); }, ms), resolve };
      entry.timer.unref();
      sleeping.add(entry);
    });
  }

  async function run(s: Shard): Promise<void> {
    while (!stopping) {
      if (s.queue.length < q.max_samples_per_send) {
        await new Promise<void>((resolve) => {
          s.wake = resolve;
          // The deadline counts from here when samples wait, else from the first to arrive (add()).
          if (s.queue.length > 0 && s.deadline === null) arm(s);
        });
        if (stopping) break;
      }
      if (s.queue.length === 0) continue;
      await deliver(s.queue.take(q.max_samples_per_send));
    }
  }

  const shards: Shard[] = [];
  for (let i = 0; i < q.max_shards; i++) {
    const s: Shard = { queue: createSampleQueue(q.capacity), wake: null, deadline: null, done: Promise.resolve() };
    s.done = run(s).catch((e: unknown) => opts.log('error', `remote write: ${t.name} shard ${i} failed: ${String(e)}`, { remote: t.name }));
    shards.push(s);
  }

  return {
    name: t.name,
    add(id, ts, value) {
      if (stopping) return;
      const s = shards[id % shards.length];
      if (s.queue.push(id, ts, value)) {
        counts.dropped++;
        logEvery('drop', 'warn', () => `remote write: ${t.name} queue full, oldest samples dropped (${counts.dropped} so far)`);
      }
      if (s.wake !== null) {
        if (s.queue.length >= q.max_samples_per_send) wakeUp(s);
        else if (s.deadline === null) arm(s);
      }
    },
    stats() {
      let pending = inflight;
      for (const s of shards) pending += s.queue.length;
      return { remote: t.name, ...counts, pending, highest_sent_ts: highest, shards: shards.length };
    },
    status: () => ({ remote: t.name, failing_since: failingSince, last_error: lastError }),
    async stop() {
      if (stopping) return;
      stopping = true;
      for (const e of sleeping) {
        clearTimeout(e.timer);
        e.resolve();
      }
      sleeping = new Set();
      for (const s of shards) wakeUp(s);
      await Promise.all(shards.map((s) => s.done));
      // What is left goes once, all shards at once, within the flush time; the rest is counted as dropped.
      let cut = false;
      const timer = setTimeout(() => {
        cut = true;
        for (const ac of aborts) ac.abort(new Error('shutting down'));
      }, opts.flushMs ?? Math.min(5000, t.timeout_s * 1000));
      await Promise.all(shards.map(async (s) => {
        while (s.queue.length > 0) {
          if (cut) counts.dropped += s.queue.take(s.queue.length).ids.length;
          else await deliver(s.queue.take(q.max_samples_per_send));
        }
      }));
      clearTimeout(timer);
    },
  };
}
