// Remote write's worker thread (thread.ts has the messages): one sender per store, fed the samples the
// main thread queued, reporting its counts every reportMs and its log lines as they come.

import { parentPort, workerData } from 'node:worker_threads';
import { encodeLabels } from './proto.js';
import type { Series } from './queue.js';
import { createRemoteSender } from './sender.js';
import type { FromRemoteThread, RemoteThreadData, ToRemoteThread } from './thread.js';

const port = parentPort;
if (port === null) throw new Error('remote-thread.ts runs as a worker thread');
const data = workerData as RemoteThreadData;
const post = (m: FromRemoteThread): void => port.postMessage(m);
const senders = data.targets.map((target) => createRemoteSender({ target, log: (level, msg, fields) => post({ op: 'log', level, msg, fields }) }));
/** by id: the encoded labels and the stores that take the series */
const series: (Series & { to: number[] })[] = [];
let consumed = 0;

const report = (op: 'report' | 'stopped'): void => post({ op, stats: senders.map((s) => s.stats()), status: senders.map((s) => s.status()), consumed });
const timer = setInterval(() => report('report'), data.reportMs);

port.on('message', (m: ToRemoteThread) => {
  if (m.op === 'stop') {
    clearInterval(timer);
    void Promise.all(senders.map((s) => s.stop())).then(() => report('stopped'));
    return;
  }
  for (const s of m.series) series[s.id] = { id: s.id, encoded: encodeLabels(s.labels), to: s.to };
  const { ids, ts, values } = m;
  for (let i = 0; i < ids.length; i++) {
    const s = series[ids[i]];
    for (const r of s.to) senders[r].add(s, ts[i], values[i]);
  }
  consumed += ids.length;
});
