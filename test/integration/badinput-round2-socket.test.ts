// Issue 11, case 7, against the real server: socket.io's default namespace `/` accepted unauthenticated
// connections and held them (2,000 held, +22 MB); only /live was guarded. Every namespace is guarded now,
// an engine connection that joins none is closed, and a token presented at the handshake is checked there.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { io as ioClient, type Socket } from 'socket.io-client';
import { startServer, type RunningServer } from '../../server/server.js';
import { SMALL_SITE_YAML, smallSite, tempDir } from '../helpers/site.js';
import { HEALTHZ_MAX_MS, watchHealthz } from '../helpers/health.js';

const READ = 'wall-read-token-7';
const YAML = `${SMALL_SITE_YAML}  read_token: ${READ}\n`;

type Outcome = 'connect' | 'snapshot' | `error: ${string}` | 'timeout';

/** One client on its own engine connection; resolves with the first thing that happened to it. */
function attempt(url: string, nsp: string, opts: { auth?: { token: string }; query?: Record<string, string> } = {}, timeoutMs = 5000): { socket: Socket; outcome: Promise<Outcome> } {
  const socket = ioClient(`${url}${nsp}`, { transports: ['websocket'], reconnection: false, forceNew: true, ...opts });
  const outcome = new Promise<Outcome>((resolve) => {
    const timer = setTimeout(() => resolve('timeout'), timeoutMs);
    const done = (v: Outcome) => {
      clearTimeout(timer);
      resolve(v);
    };
    socket.on('connect', () => {
      if (nsp !== '/live') done('connect');
    });
    socket.on('snapshot', () => done('snapshot'));
    socket.on('connect_error', (e: Error) => done(`error: ${e.message}`));
  });
  return { socket, outcome };
}

// The clients run on a worker thread, as separate clients would: opened on the test's own loop they would
// time their handshakes and the /healthz probe on the server's loop. They arrive 10 every 50 ms (200
// connections/s). Each costs the server about 4 ms of CPU on this shared 2-core box (websocket upgrade,
// socket.io handshake, refusal, close; profiled), so all 250 in one instant queue the probe behind 250
// upgrades handled in order (measured: /healthz 338 ms with the old code accepting them, 850 ms refusing
// and closing them, no single turn of the loop over 100 ms): a connection flood, not a stall.
const CLIENTS = `
const { parentPort, workerData } = require('node:worker_threads');
const { io } = require('socket.io-client');
const { url, n } = workerData;
const sockets = [];
const outcomes = [];
let opened = 0;
function more() {
  for (let b = 0; b < 10 && opened < n; b++, opened++) {
    const s = io(url, { transports: ['websocket'], reconnection: false, forceNew: true });
    sockets.push(s);
    let done = false;
    const finish = (v) => { if (done) return; done = true; outcomes.push(v); if (outcomes.length === n) parentPort.postMessage(outcomes); };
    s.on('connect', () => finish('connect'));
    s.on('connect_error', (e) => finish('error: ' + e.message));
    setTimeout(() => finish('timeout'), 5000);
  }
  if (opened < n) setTimeout(more, 50);
}
parentPort.on('message', (m) => {
  if (m === 'go') return more();
  for (const s of sockets) s.close();
  parentPort.postMessage('closed');
});
parentPort.postMessage('ready');
`;

/** Starts the worker (loading the client library is not the server's time) and resolves once it is ready. */
async function clientsInWorker(url: string, n: number): Promise<{ go(): Promise<string[]>; close(): Promise<void> }> {
  const worker = new Worker(CLIENTS, { eval: true, workerData: { url, n } });
  const nextMessage = <T>() => new Promise<T>((resolve, reject) => {
    worker.once('message', (m: T) => resolve(m));
    worker.once('error', reject);
  });
  await nextMessage<string>();
  return {
    go() {
      const outcomes = nextMessage<string[]>();
      worker.postMessage('go');
      return outcomes;
    },
    async close() {
      const closed = nextMessage<string>();
      worker.postMessage('close');
      await closed;
      await worker.terminate();
    },
  };
}

const tcpHandles = () => process.getActiveResourcesInfo().filter((r) => r === 'TCPSocketWrap').length;

async function until(cond: () => boolean, timeoutMs: number): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (cond()) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return cond();
}

describe('case 7: every socket.io namespace is guarded', () => {
  const t = tempDir();
  let s: RunningServer;

  beforeAll(async () => {
    s = await startServer({ model: smallSite(YAML), dbPath: join(t.dir, 'fw.db'), port: 0, host: '127.0.0.1', log: () => {}, tickMs: 1000, collectors: false });
  });
  afterAll(async () => {
    await s.close();
    t.cleanup();
  });

  it('250 clients on the default namespace without a token are refused and closed; nothing is held', async () => {
    const handlesBefore = tcpHandles();
    const heapBefore = process.memoryUsage().heapUsed;
    const clients = await clientsInWorker(`${s.url}/`, 250);
    const watch = watchHealthz(s.url);
    await new Promise((r) => setTimeout(r, 200));
    const outcomes = await clients.go();
    const counts = new Map<string, number>();
    for (const o of outcomes) counts.set(o, (counts.get(o) ?? 0) + 1);
    // The server closes each engine connection that joined no namespace, without the client's help.
    const drained = await until(() => s.io.engine.clientsCount === 0, 2000);
    const held = s.io.engine.clientsCount;
    await clients.close();
    expect([...counts.keys()], JSON.stringify([...counts])).toEqual(['error: no such namespace "/" (the live feed is /live)']);
    const h = await watch.stop();
    expect(drained, `${held} engine connections still held`).toBe(true);
    expect(h.failures).toEqual([]);
    expect(h.max_ms).toBeLessThan(HEALTHZ_MAX_MS);
    expect(await until(() => tcpHandles() <= handlesBefore, 3000), `${tcpHandles()} TCP handles, ${handlesBefore} before`).toBe(true);
    // eslint-disable-next-line no-console
    console.log(`250 refused on /: healthz max ${h.max_ms.toFixed(1)} ms over ${h.count} probes, heap ${((process.memoryUsage().heapUsed - heapBefore) / 1e6).toFixed(1)} MB after`);
  });

  it('the read token does not open the default namespace either: there is nothing there', async () => {
    const a = attempt(s.url, '/', { auth: { token: READ } });
    expect(await a.outcome).toBe('error: no such namespace "/" (the live feed is /live)');
    a.socket.close();
    const b = attempt(s.url, '/admin', { auth: { token: READ } });
    expect(await b.outcome).toMatch(/^error: /);
    b.socket.close();
  });

  it('an engine connection that never joins a namespace is closed after the join timeout', async () => {
    // The polling handshake alone: an engine session that never sends socket.io's CONNECT.
    const sids: string[] = [];
    for (let i = 0; i < 200; i++) {
      const r = await fetch(`${s.url}/socket.io/?EIO=4&transport=polling`);
      expect(r.status).toBe(200);
      const m = /"sid":"([^"]+)"/.exec(await r.text());
      expect(m).not.toBeNull();
      sids.push(m![1]);
    }
    expect(s.io.engine.clientsCount).toBe(200);
    expect(await until(() => s.io.engine.clientsCount === 0, 7000), `${s.io.engine.clientsCount} still held`).toBe(true);
    const gone = await fetch(`${s.url}/socket.io/?EIO=4&transport=polling&sid=${sids[0]}`);
    expect(gone.status).toBe(400);
  }, 20_000);

  it('a token presented at the engine handshake is checked there: a wrong one never gets a session', async () => {
    const wrong = await fetch(`${s.url}/socket.io/?EIO=4&transport=polling&token=wrong`);
    expect(wrong.status).toBe(403);
    expect(s.io.engine.clientsCount).toBe(0);
    const right = await fetch(`${s.url}/socket.io/?EIO=4&transport=polling&token=${READ}`);
    expect(right.status).toBe(200);
    const a = attempt(s.url, '/live', { query: { token: 'wrong' } });
    expect(await a.outcome).toMatch(/^error: /);
    a.socket.close();
  });

  it('/live still works for the wall: the token in the handshake query (the client), or in auth', async () => {
    for (const opts of [{ query: { token: READ }, auth: { token: READ } }, { auth: { token: READ } }, { query: { token: READ } }]) {
      const a = attempt(s.url, '/live', opts);
      expect(await a.outcome, JSON.stringify(Object.keys(opts))).toBe('snapshot');
      a.socket.close();
    }
    const none = attempt(s.url, '/live');
    expect(await none.outcome).toMatch(/^error: unauthorized/);
    none.socket.close();
  });
});

describe('case 7 without a read token: /live is open, `/` still is not', () => {
  const t = tempDir();
  let s: RunningServer;

  beforeAll(async () => {
    s = await startServer({ model: smallSite(), dbPath: join(t.dir, 'fw.db'), port: 0, host: '127.0.0.1', log: () => {}, tickMs: 1000, collectors: false });
  });
  afterAll(async () => {
    await s.close();
    t.cleanup();
  });

  it('refuses `/` and serves /live', async () => {
    const a = attempt(s.url, '/');
    expect(await a.outcome).toBe('error: no such namespace "/" (the live feed is /live)');
    a.socket.close();
    const b = attempt(s.url, '/live');
    expect(await b.outcome).toBe('snapshot');
    b.socket.close();
  });
});
