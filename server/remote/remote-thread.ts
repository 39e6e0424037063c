// Remote write's worker thread (thread.ts has the messages): one sender per store, fed the samples the
// main thread queued, reporting its counts every reportMs and its log lines as they come. Each series'
// encoded labels live in one growing buffer (an offset and a length per id), and its stores as an index
// into the few distinct store lists: a 100,000-device site has 1.3 M series, and an object or a buffer
// for each costs more than its labels.

import { parentPort, workerData } from 'node:worker_threads';
import { encodeLabels } from './proto.js';
import { createRemoteSender } from './sender.js';
import type { FromRemoteThread, RemoteThreadData, ToRemoteThread } from './thread.js';

const port = parentPort;
if (port === null) throw new Error('remote-thread.ts runs as a worker thread');
const data = workerData as RemoteThreadData;
const post = (m: FromRemoteThread): void => port.postMessage(m);

let arena = Buffer.allocUnsafe(1 << 20);
let used = 0;
let offsets = new Float64Array(1024);
let lengths = new Int32Array(1024);
let toIndex = new Uint16Array(1024);
const tos: number[][] = [];
const toKeys = new Map<string, number>();

function grow<A extends Float64Array | Int32Array | Uint16Array>(a: A, need: number, make: (n: number) => A): A {
  if (need <= a.length) return a;
  const b = make(Math.max(need, a.length * 2));
  b.set(a);
  return b;
}

function addSeries(id: number, block: Uint8Array, to: number[]): void {
  if (used + block.length > arena.length) {
    // Views into the old buffer (batches in flight) stay valid: the old one goes when they do.
    const next = Buffer.allocUnsafe(Math.max(arena.length * 2, used + block.length));
    arena.copy(next, 0, 0, used);
    arena = next;
  }
  arena.set(block, used);
  offsets = grow(offsets, id + 1, (n) => new Float64Array(n));
  lengths = grow(lengths, id + 1, (n) => new Int32Array(n));
  toIndex = grow(toIndex, id + 1, (n) => new Uint16Array(n));
  offsets[id] = used;
  lengths[id] = block.length;
  used += block.length;
  const key = to.join(',');
  let t = toKeys.get(key);
  if (t === undefined) {
    t = tos.length;
    tos.push(to);
    toKeys.set(key, t);
  }
  toIndex[id] = t;
}

const labels = (id: number): Uint8Array => arena.subarray(offsets[id], offsets[id] + lengths[id]);
const senders = data.targets.map((target) => createRemoteSender({ target, labels, log: (level, msg, fields) => post({ op: 'log', level, msg, fields }) }));
let consumed = 0;

const report = (op: 'report' | 'stopped'): void => post({ op, stats: senders.map((s) => s.stats()), status: senders.map((s) => s.status()), consumed });
const timer = setInterval(() => report('report'), data.reportMs);

port.on('message', (m: ToRemoteThread) => {
  if (m.op === 'stop') {
    clearInterval(timer);
    void Promise.all(senders.map((s) => s.stop())).then(() => report('stopped'));
    return;
  }
  for (const s of m.series) addSeries(s.id, encodeLabels(s.labels), s.to);
  const { ids, ts, values } = m;
  for (let i = 0; i < ids.length; i++) {
    const id = ids[i];
    for (const r of tos[toIndex[id]]) senders[r].add(id, ts[i], values[i]);
  }
  consumed += ids.length;
});
