import { Worker } from 'node:worker_threads';

export interface HealthWatch {
  /** stops probing; resolves with what was seen */
  stop(): Promise<HealthSummary>;
}

export interface HealthSummary {
  /** probes answered */
  count: number;
  /** slowest answer (ms), from the request sent to the body read */
  max_ms: number;
  /** when the slowest probe was sent (epoch ms): to tell which part of a fault it met */
  max_at: number;
  /** probes that failed (connection error, non-200, or no answer within 2 s) */
  failures: string[];
}

// The prober lives on a worker thread, with its own event loop: a test that runs the server in its own
// process would otherwise time /healthz on the very loop the fault blocks, and see only short answers
// (its timer fires late, then the request is quick). Plain CommonJS for `eval`.
const PROBER = `
const { parentPort, workerData } = require('node:worker_threads');
const http = require('node:http');
const { url, everyMs } = workerData;
let stopped = false, count = 0, max = 0, maxAt = 0;
const failures = [];
function probe() {
  if (stopped) return;
  const t0 = performance.now();
  let done = false;
  const finish = (err) => {
    if (done) return;
    done = true;
    const ms = performance.now() - t0;
    if (err) failures.push(err + ' after ' + Math.round(ms) + ' ms');
    else { count++; if (ms > max) { max = ms; maxAt = Date.now() - ms; } }
    setTimeout(probe, everyMs);
  };
  const req = http.get(url, { agent: false, timeout: 2000 }, (res) => {
    res.resume();
    res.on('end', () => finish(res.statusCode === 200 ? null : 'status ' + res.statusCode));
    res.on('error', (e) => finish(e.message));
  });
  req.on('timeout', () => { req.destroy(); finish('no answer'); });
  req.on('error', (e) => finish(e.message));
}
parentPort.on('message', () => {
  stopped = true;
  parentPort.postMessage({ count, max_ms: max, max_at: maxAt, failures });
});
probe();
`;

/**
 * Probes `GET <base>/healthz` every `everyMs` from another thread until stop(): the acceptance is that
 * the server answers it within 100 ms throughout every fault.
 */
export function watchHealthz(base: string, everyMs = 20): HealthWatch {
  const worker = new Worker(PROBER, { eval: true, workerData: { url: `${base}/healthz`, everyMs } });
  return {
    async stop() {
      const summary = await new Promise<HealthSummary>((resolve, reject) => {
        worker.once('message', (m: HealthSummary) => resolve(m));
        worker.once('error', reject);
        worker.postMessage('stop');
      });
      await worker.terminate();
      return summary;
    },
  };
}

/** The acceptance bound on /healthz during a fault (issue 11). */
export const HEALTHZ_MAX_MS = 100;
