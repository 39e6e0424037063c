// One Alertmanager's send loop: a bounded queue of alerts (the oldest dropped first when full, counted),
// the silences to create or expire, one request at a time with a timeout, and retry with back-off while it
// fails. Nothing here is awaited by its callers: add() and silence() only queue, so the 1 s tick and ingest
// never wait on an Alertmanager (docs/ARCHITECTURE.md §8: this folder stands above alerts and live).

import { displayUrl } from '../core/schema.js';
import type { AlertmanagerTarget } from '../core/types.js';
import type { AmAlert, AmMatcher } from './alert.js';

/** What is queued: the alert's key, and how to build its body once the external URL is known. */
export interface QueuedAlert {
  key: string;
  build(): AmAlert;
}

export interface SilenceBody {
  matchers: AmMatcher[];
  startsAt: string;
  endsAt: string;
  createdBy: string;
  comment: string;
}

type SilenceOp = { op: 'create'; body: SilenceBody } | { op: 'expire'; matchers: AmMatcher[] };

export interface SenderStats {
  alertmanager: string;
  sent: number;
  failed: number;
  dropped: number;
  queue_length: number;
}

export interface SenderStatus {
  alertmanager: string;
  /** epoch ms of the first failure since the last success; null while it answers */
  failing_since: number | null;
  last_error: string | null;
  queue_length: number;
}

export interface SenderOptions {
  target: AlertmanagerTarget;
  capacity: number;
  /** Prometheus' --alertmanager.notification-batch-size default */
  batchSize?: number;
  /** first retry after this (ms); doubled per failure up to maxBackoffMs */
  minBackoffMs?: number;
  maxBackoffMs: number;
  log: (level: 'warn' | 'error', msg: string, fields: Record<string, unknown>) => void;
  now?: () => number;
  fetch?: typeof fetch;
}

export interface Sender {
  readonly name: string;
  add(items: readonly QueuedAlert[]): void;
  silence(key: string, body: SilenceBody): void;
  unsilence(key: string, matchers: AmMatcher[]): void;
  /** starts sending (what was queued before waits for this) */
  start(): void;
  stop(): Promise<void>;
  stats(): SenderStats;
  status(): SenderStatus;
}

/** A request that got an answer Alertmanager will give again (4xx): retrying cannot help. */
class Rejected extends Error {}

export function createSender(opts: SenderOptions): Sender {
  const t = opts.target;
  const name = displayUrl(t.url);
  const doFetch = opts.fetch ?? fetch;
  const now = opts.now ?? Date.now;
  const batchSize = opts.batchSize ?? 256;
  const minBackoff = opts.minBackoffMs ?? 500;
  // A Map keeps insertion order: the first entry is the oldest. One entry per alert key: a newer state of
  // an alert replaces the queued one (and moves to the back), so a long outage queues each alert once.
  let queue = new Map<string, QueuedAlert>();
  const silences = new Map<string, SilenceOp>();
  const silenceIds = new Map<string, string>();
  const counts = { sent: 0, failed: 0, dropped: 0 };
  let failingSince: number | null = null;
  let lastError: string | null = null;
  let backoff = 0;
  let started = false;
  let stopped = false;
  let running: Promise<void> | null = null;
  let wait: { timer: NodeJS.Timeout; resolve: () => void } | null = null;
  let inflight: AbortController | null = null;

  const headers = (json: boolean): Record<string, string> => {
    const h: Record<string, string> = { 'user-agent': 'Floorwatch' };
    if (json) h['content-type'] = 'application/json';
    if (t.bearer_token !== undefined) h.authorization = `Bearer ${t.bearer_token}`;
    else if (t.basic_auth) h.authorization = `Basic ${Buffer.from(`${t.basic_auth.username}:${t.basic_auth.password}`).toString('base64')}`;
    return h;
  };

  async function request(method: string, path: string, body?: unknown): Promise<unknown> {
    inflight = new AbortController();
    const timer = setTimeout(() => inflight?.abort(new Error(`no answer within ${t.timeout_ms} ms`)), t.timeout_ms);
    try {
      const res = await doFetch(`${t.url}${path}`, {
        method, headers: headers(body !== undefined), signal: inflight.signal,
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      });
      const text = await res.text();
      if (res.status >= 400 && res.status < 500) throw new Rejected(`${method} ${path}: ${res.status} ${text.slice(0, 200).trim()}`);
      if (res.status < 200 || res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${text.slice(0, 200).trim()}`);
      return text === '' ? null : (JSON.parse(text) as unknown);
    } catch (e) {
      if (e instanceof Rejected) throw e;
      const signal = inflight?.signal;
      const reason: unknown = signal?.aborted ? signal.reason : e;
      const cause = e instanceof Error && e.cause instanceof Error ? `: ${e.cause.message}` : '';
      throw new Error(`${method} ${path}: ${reason instanceof Error ? reason.message : String(reason)}${cause}`);
    } finally {
      clearTimeout(timer);
      inflight = null;
    }
  }

  const ok = (): void => {
    failingSince = null;
    lastError = null;
    backoff = 0;
  };
  const failed = (e: unknown): void => {
    failingSince ??= now();
    lastError = e instanceof Error ? e.message : String(e);
  };

  function trim(): void {
    const over = queue.size - opts.capacity;
    if (over <= 0) return;
    let n = 0;
    for (const k of queue.keys()) {
      if (n++ >= over) break;
      queue.delete(k);
    }
    counts.dropped += over;
    opts.log('warn', 'notifications: queue full, oldest dropped', { alertmanager: name, count: over });
  }

  async function sendSilence(key: string, s: SilenceOp): Promise<void> {
    if (s.op === 'create') {
      const id = silenceIds.get(key);
      // Posting with the id of the silence made by an earlier shelve updates (or replaces) that one.
      let r: { silenceID?: unknown } | null;
      try {
        r = (await request('POST', '/api/v2/silences', id === undefined ? s.body : { ...s.body, id })) as typeof r;
      } catch (e) {
        // That silence is gone from Alertmanager (garbage-collected after its retention): a new one.
        if (!(e instanceof Rejected) || id === undefined) throw e;
        silenceIds.delete(key);
        r = (await request('POST', '/api/v2/silences', s.body)) as typeof r;
      }
      if (typeof r?.silenceID === 'string') silenceIds.set(key, r.silenceID);
      return;
    }
    const ids = new Set<string>();
    const known = silenceIds.get(key);
    if (known !== undefined) ids.add(known);
    else {
      // Made before a restart (Floorwatch keeps no silence ids): the active ones with exactly these matchers.
      const q = s.matchers.map((m) => `filter=${encodeURIComponent(`${m.name}="${m.value.replace(/["\\]/g, '\\$&')}"`)}`).join('&');
      const list = await request('GET', `/api/v2/silences?${q}`);
      const want = JSON.stringify([...s.matchers].sort((a, b) => (a.name < b.name ? -1 : 1)).map((m) => [m.name, m.value]));
      for (const x of Array.isArray(list) ? (list as { id: string; status?: { state?: string }; matchers?: { name: string; value: string; isRegex: boolean; isEqual?: boolean }[] }[]) : []) {
        const got = JSON.stringify([...(x.matchers ?? [])].filter((m) => !m.isRegex && m.isEqual !== false).sort((a, b) => (a.name < b.name ? -1 : 1)).map((m) => [m.name, m.value]));
        if (x.status?.state !== 'expired' && got === want && (x.matchers ?? []).length === s.matchers.length) ids.add(x.id);
      }
    }
    for (const id of ids) {
      try {
        await request('DELETE', `/api/v2/silence/${encodeURIComponent(id)}`);
      } catch (e) {
        // Expired in Alertmanager already (by hand, or its end passed): nothing left to do.
        if (!(e instanceof Rejected) && !/already expired/.test(String(e))) throw e;
      }
    }
    silenceIds.delete(key);
  }

  async function step(): Promise<boolean> {
    const first = silences.entries().next();
    if (!first.done) {
      const [key, op] = first.value;
      try {
        await sendSilence(key, op);
        if (silences.get(key) === op) silences.delete(key);
        ok();
      } catch (e) {
        if (e instanceof Rejected) {
          if (silences.get(key) === op) silences.delete(key);
          opts.log('error', `notifications: Alertmanager refused a silence: ${e.message}`, { alertmanager: name, key });
          ok();
          return true;
        }
        failed(e);
        opts.log('warn', `notifications: silence not sent: ${lastError}`, { alertmanager: name, key });
        return false;
      }
      return true;
    }
    if (queue.size === 0) return true;
    const batch: QueuedAlert[] = [];
    for (const item of queue.values()) {
      batch.push(item);
      if (batch.length >= batchSize) break;
    }
    for (const item of batch) queue.delete(item.key);
    try {
      await request('POST', '/api/v2/alerts', batch.map((b) => b.build()));
      counts.sent += batch.length;
      ok();
      return true;
    } catch (e) {
      counts.failed += batch.length;
      if (e instanceof Rejected) {
        // The same body would be refused again: dropped, counted (Prometheus does this for every failure).
        counts.dropped += batch.length;
        opts.log('error', `notifications: Alertmanager refused ${batch.length} alert(s): ${e.message}`, { alertmanager: name });
        ok();
        return true;
      }
      failed(e);
      opts.log('warn', `notifications: ${batch.length} alert(s) not sent, retrying: ${lastError}`, { alertmanager: name });
      // Back at the front, unless a newer state of the same alert was queued meanwhile.
      const back = batch.filter((b) => !queue.has(b.key));
      queue = new Map([...back.map((b): [string, QueuedAlert] => [b.key, b]), ...queue]);
      trim();
      return false;
    }
  }

  async function loop(): Promise<void> {
    while (!stopped && (silences.size > 0 || queue.size > 0)) {
      if (await step()) continue;
      backoff = Math.min(opts.maxBackoffMs, backoff === 0 ? minBackoff : backoff * 2);
      await new Promise<void>((resolve) => {
        wait = { timer: setTimeout(resolve, backoff), resolve };
        wait.timer.unref();
      });
      wait = null;
    }
  }

  function kick(): void {
    if (!started || stopped || running !== null) return;
    running = loop()
      .catch((e: unknown) => opts.log('error', `notifications: send loop failed: ${String(e)}`, { alertmanager: name }))
      .finally(() => {
        running = null;
        // Work queued while the last step ran.
        if (!stopped && (silences.size > 0 || queue.size > 0)) kick();
      });
  }

  return {
    name,
    add(items) {
      if (stopped) return;
      for (const item of items) {
        queue.delete(item.key);
        queue.set(item.key, item);
      }
      trim();
      kick();
    },
    silence(key, body) {
      if (stopped) return;
      silences.delete(key);
      silences.set(key, { op: 'create', body });
      kick();
    },
    unsilence(key, matchers) {
      if (stopped) return;
      silences.delete(key);
      silences.set(key, { op: 'expire', matchers });
      kick();
    },
    start() {
      started = true;
      kick();
    },
    async stop() {
      stopped = true;
      if (wait !== null) {
        clearTimeout(wait.timer);
        wait.resolve();
      }
      inflight?.abort(new Error('shutting down'));
      await running;
    },
    stats: () => ({ alertmanager: name, ...counts, queue_length: queue.size }),
    status: () => ({ alertmanager: name, failing_since: failingSince, last_error: lastError, queue_length: queue.size }),
  };
}
