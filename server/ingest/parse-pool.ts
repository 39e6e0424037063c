// The ingest threads (parse-thread.ts): a push body large enough to be worth the trip is parsed and
// validated off the main thread, which then only rebuilds the validated readings from one buffer, commits
// and applies them. Why: under the peers bench's load (100,000 devices, 4 clients, 500 readings a body)
// the main thread was the bottleneck at 84 % busy while the writer thread was 57 % busy and the machine
// had half a core idle; JSON.parse, the duplicate-name count and validation were 20 % of the main thread.
// A thread that fails answers nothing more: its bodies are parsed on the main thread instead (the route's
// fallback), and it is replaced on the next body.

import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import type { DeviceKind, SiteModel } from '../core/types.js';
import type { FieldError } from '../core/validate.js';
import { compiledThreadEntry } from '../store/thread.js';
import type { ValidatedRows } from './validated.js';

export interface ParseThreadData {
  /** [id, kind, store key] of every configured device */
  devices: [string, DeviceKind, number][];
  rawRetentionMs: number;
}

export interface ParseRequest {
  id: number;
  body: Uint8Array;
  /** readings a body may hold (413 beyond): the route's limit */
  maxReadings: number;
}

export type ParseReply =
  | { id: number; ok: true; rows: ValidatedRows; errors: FieldError[]; samples: number }
  | { id: number; ok: false; status: 400 | 413 | 500; error: string; field?: string };

export type ParseResult = Omit<Extract<ParseReply, { ok: true }>, 'id'> | Omit<Extract<ParseReply, { ok: false }>, 'id'>;

export interface ParsePool {
  /** Parses, shape-checks and validates one push body; rejects when its thread failed (parse it inline then). */
  parse(body: Buffer, maxReadings: number): Promise<ParseResult>;
  /** bodies the threads answered, and threads that failed, since the start */
  stats(): { bodies: number; failures: number };
  close(): Promise<void>;
}

/** Bodies smaller than this are parsed on the main thread: the trip costs more than the parse. */
export const PARSE_POOL_MIN_BYTES = 16 * 1024;

/** Source files whose compiled form the thread runs (a stale dist/ would run old code). */
const THREAD_SOURCES = ['server/ingest/parse-thread.ts', 'server/ingest/parse-pool.ts', 'server/ingest/batch.ts', 'server/ingest/json.ts', 'server/ingest/push.ts', 'server/ingest/validated.ts', 'server/core/validate.ts', 'server/core/pools.ts', 'server/core/vocabulary.ts', 'server/core/types.ts', 'server/store/samples.ts'];

/**
 * Two threads fewer than the machine has cores, up to 4: the main thread and the writer need a core each,
 * so a 2-core machine gets none. Measured there (2026-12-06, once the tick had halved and the writer thread
 * was the busier one at ~80 %): the peers ingest was a wash (median ~330 k samples/s without against ~308 k
 * with one, 4 runs each, interleaved), the scale bench's HTTP ingest was slower with one (289 k against
 * 340-365 k), and peak RSS rose with it (783 MB against 629-690 in that phase; 1,061 against 714 in the
 * interval phase, the full bench against a run of that phase alone).
 */
export function defaultParseThreads(): number {
  return Math.max(0, Math.min(4, availableParallelism() - 2));
}

interface Slot {
  worker: Worker;
  pending: Map<number, { resolve: (r: ParseResult) => void; reject: (e: Error) => void }>;
  dead: boolean;
}

export function createParsePool(opts: {
  model: SiteModel;
  keys: ReadonlyMap<string, number>;
  threads: number;
  /** told when a thread fails (it is replaced on the next body) */
  onError?: (err: Error) => void;
}): ParsePool {
  const entry = compiledThreadEntry(import.meta.url, 'server/ingest/parse-thread.ts', THREAD_SOURCES);
  const devices: ParseThreadData['devices'] = [];
  for (const d of opts.model.devices.values()) {
    const key = opts.keys.get(d.id);
    if (key !== undefined) devices.push([d.id, d.kind, key]);
  }
  const data: ParseThreadData = { devices, rawRetentionMs: opts.model.retention.raw_hours * 3_600_000 };
  let nextId = 1;
  let closed = false;
  let bodies = 0;
  let failures = 0;

  function start(): Slot {
    const worker = new Worker(entry, { workerData: data });
    // Never what keeps the process alive: close() ends them, and a server that failed to start has no use for them.
    worker.unref();
    const slot: Slot = { worker, pending: new Map(), dead: false };
    const fail = (err: Error): void => {
      if (slot.dead) return;
      slot.dead = true;
      for (const p of slot.pending.values()) p.reject(err);
      slot.pending.clear();
      if (closed) return;
      failures++;
      opts.onError?.(err);
    };
    worker.on('message', (m: ParseReply) => {
      const p = slot.pending.get(m.id);
      if (p === undefined) return;
      slot.pending.delete(m.id);
      bodies++;
      const { id: _id, ...result } = m;
      p.resolve(result);
    });
    worker.on('error', (e) => fail(e));
    worker.on('exit', (code) => fail(new Error(`ingest thread exited (${code})`)));
    return slot;
  }

  const slots: Slot[] = Array.from({ length: Math.max(1, opts.threads) }, start);

  return {
    parse(body, maxReadings) {
      if (closed) return Promise.reject(new Error('ingest threads closed'));
      // The thread with the fewest bodies in hand; a dead one is replaced first.
      let best = 0;
      for (let i = 0; i < slots.length; i++) {
        if (slots[i].dead) slots[i] = start();
        if (slots[i].pending.size < slots[best].pending.size) best = i;
      }
      const slot = slots[best];
      const id = nextId++;
      return new Promise<ParseResult>((resolve, reject) => {
        slot.pending.set(id, { resolve, reject });
        // Copied, not transferred: the route keeps the body to parse it itself should the thread fail.
        const req: ParseRequest = { id, body, maxReadings };
        slot.worker.postMessage(req);
      });
    },
    stats: () => ({ bodies, failures }),
    async close() {
      closed = true;
      await Promise.all(slots.map((s) => s.worker.terminate()));
    },
  };
}
