// Issue 15 end to end: the socket's `update` follows the SQLite commit, not the 1 s tick. A real server
// (real SQLite on a temp file, the default 1 s tick) and a real socket.io client on loopback; the hub's own
// 'tick' and 'update' events are watched in-process, on the same clock as the client's arrivals.
//  (a) a pushed reading reaches the wall before the next tick, well under a second after its push;
//  (b) a burst of 50 pushes within 1 s costs at most one update per 250 ms (leading edge, ≤ 4 a second,
//      the trailing edge carrying the last push), yet more than the tick alone would send;
//  (c) `seq` goes up by one with every update, whatever sent it (commit or tick), and a client that
//      connects or asks for a resync gets a snapshot whose `seq` the next update follows, its figures
//      those that update applies to (docs/ARCHITECTURE.md, socket.io).
// On a server whose updates wait for the tick, (a) and (b)'s lower bound fail.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { io, type Socket } from 'socket.io-client';
import { next } from '../helpers/socket.js';
import { startServer, type RunningServer } from '../../server/server.js';
import type { LiveSnapshot, LiveUpdate, RackFigures } from '../../server/core/types.js';
import { UPDATE_MIN_GAP_MS } from '../../server/live/hub.js';
import { post, smallSite, tempDir } from '../helpers/site.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));


/** A wall's fold of the stream, as client/src/live.ts does it: a snapshot, then each next update merged by id. */
class Wall {
  racks = new Map<string, RackFigures>();
  seq = -1;
  /** every update as it arrived, with the time it did (performance.now) */
  log: { at: number; u: LiveUpdate }[] = [];
  /** snapshots and updates in the order they arrived: what follows each snapshot */
  stream: { kind: 'snapshot' | 'update'; seq: number }[] = [];
  gaps = 0;
  constructor(readonly socket: Socket) {
    socket.on('snapshot', (s: LiveSnapshot) => {
      this.stream.push({ kind: 'snapshot', seq: s.seq });
      this.seq = s.seq;
      this.racks = new Map(s.figures.racks.map((r) => [r.id, r]));
    });
    socket.on('update', (u: LiveUpdate) => {
      this.log.push({ at: performance.now(), u });
      this.stream.push({ kind: 'update', seq: u.seq });
      if (this.seq < 0) return;
      if (u.seq !== this.seq + 1) {
        this.gaps++;
        return;
      }
      for (const r of u.racks ?? []) this.racks.set(r.id, r);
      this.seq = u.seq;
    });
  }
}

function connect(url: string): Socket {
  return io(`${url}/live`, { transports: ['websocket'], forceNew: true });
}

const pduPower = (u: LiveUpdate, w: number) => u.racks?.some((r) => r.id === 'M-01' && r.power_w === w) ?? false;

describe('socket.io /live: updates follow the commit (issue 15)', () => {
  const t = tempDir();
  let s: RunningServer;
  let a: Wall;
  /** the hub's ticks and updates, in-process, on performance.now */
  const ticks: number[] = [];
  const sent: { at: number; seq: number }[] = [];

  beforeAll(async () => {
    // The default tick (1 s), stated: what the latencies below are held against.
    s = await startServer({ model: smallSite(), dbPath: join(t.dir, 'fw.db'), port: 0, host: '127.0.0.1', tickMs: 1000, log: () => {}, collectors: false });
    s.hub.on('tick', () => ticks.push(performance.now()));
    s.hub.on('update', (u) => sent.push({ at: performance.now(), seq: u.seq }));
    a = new Wall(connect(s.url));
    await next<LiveSnapshot>(a.socket, 'snapshot');
    // The first tick has run (the live view is restored): from here a commit brings an update.
    await next<LiveUpdate>(a.socket, 'update', () => ticks.length > 0, 10_000);
  });
  afterAll(async () => {
    a?.socket.close();
    await s?.close();
    t.cleanup();
  });

  it('the tick is 1 s, and a pushed reading reaches the wall before the next one: p-max over 20 pushes < 1 s, ack to update < 600 ms', async () => {
    const pushes: { sentAt: number; ackAt: number; arriveAt: number }[] = [];
    for (let i = 0; i < 20; i++) {
      // A random place in the tick's second, and clear of the previous push's window.
      await sleep(UPDATE_MIN_GAP_MS + 50 + Math.random() * 1000);
      const w = 5000 + i;
      const arrived = next<LiveUpdate>(a.socket, 'update', (u) => pduPower(u, w), 5000).then(() => performance.now());
      const sentAt = performance.now();
      const r = await post(`${s.url}/api/v1/ingest`, { readings: [{ device: 'M-01-pdu', metrics: { power_w: w } }] });
      const ackAt = performance.now();
      expect(r.status).toBe(200);
      pushes.push({ sentAt, ackAt, arriveAt: await arrived });
    }
    await sleep(1100); // the tick after the last push, so each push has a "next tick" to compare with

    const gaps = ticks.slice(1).map((x, i) => x - ticks[i]).sort((x, y) => x - y);
    const medianGap = gaps[Math.floor(gaps.length / 2)];
    expect(medianGap).toBeGreaterThan(900);
    expect(medianGap).toBeLessThan(1100);

    const sendToWall = pushes.map((p) => p.arriveAt - p.sentAt).sort((x, y) => x - y);
    const ackToWall = pushes.map((p) => Math.max(0, p.arriveAt - p.ackAt)).sort((x, y) => x - y);
    // Before the tick that would have brought it on a server that waits for the tick: all but a push
    // that happened to commit in the instant before a tick (the tick's own update then carries it).
    const beforeNextTick = pushes.filter((p) => {
      const nextTick = ticks.find((x) => x > p.sentAt);
      return nextTick === undefined || p.arriveAt < nextTick;
    }).length;
    // eslint-disable-next-line no-console
    console.log(`push → wall p50 ${sendToWall[10].toFixed(0)} ms, max ${sendToWall[19].toFixed(0)} ms; ack → wall max ${ackToWall[19].toFixed(0)} ms; ${beforeNextTick}/20 before the next tick; tick gap median ${medianGap.toFixed(0)} ms`);
    expect(beforeNextTick).toBeGreaterThanOrEqual(17);
    expect(sendToWall[19]).toBeLessThan(1000);
    expect(ackToWall[19]).toBeLessThan(600);
    // Waiting for a 1 s tick puts the median near 500 ms; a commit-driven update is a window at most.
    expect(sendToWall[10]).toBeLessThan(UPDATE_MIN_GAP_MS + 100);
  }, 60_000);

  it('a burst of 50 pushes within 1 s: one update per 250 ms at most, at least 3, the last push in the trailing one', async () => {
    await sleep(UPDATE_MIN_GAP_MS + 50);
    const from = performance.now();
    const acks: Promise<{ status: number }>[] = [];
    for (let i = 0; i < 50; i++) {
      acks.push(post(`${s.url}/api/v1/ingest`, { readings: [{ device: 'M-01-pdu', metrics: { power_w: 7000 + i } }] }));
      // one every 19 ms on the clock, not after 19 ms of sleep: a loaded machine's late timers do not stretch the burst
      await sleep(Math.max(0, from + (i + 1) * 19 - performance.now()));
    }
    const lastSent = performance.now();
    const last = next<LiveUpdate>(a.socket, 'update', (u) => pduPower(u, 7049), 3000).then(() => performance.now());
    expect((await Promise.all(acks)).every((r) => r.status === 200)).toBe(true);
    const lastAck = performance.now();
    const lastAt = await last;

    expect(lastSent - from).toBeLessThan(1200);
    const during = sent.filter((x) => x.at >= from && x.at <= lastAck);
    const inBurst = sent.filter((x) => x.at >= from && x.at <= lastSent);
    const allGaps = sent.slice(1).map((x, i) => x.at - sent[i].at);
    // eslint-disable-next-line no-console
    console.log(`burst of 50 over ${(lastSent - from).toFixed(0)} ms: ${inBurst.length} updates while pushing, ${during.length} until the last ack (${(lastAck - from).toFixed(0)} ms); last value on the wall ${(lastAt - lastAck).toFixed(0)} ms after the last ack; least gap between any two updates ${Math.min(...allGaps).toFixed(1)} ms`);
    // The window holds for every two updates the server sent in this file, ticks and commits alike
    // (a millisecond of slack: setTimeout's own rounding).
    expect(Math.min(...allGaps)).toBeGreaterThanOrEqual(UPDATE_MIN_GAP_MS - 1);
    // ≤ 4 a second plus the trailing edge; a server that waits for the tick sends 1 or 2 in this time.
    expect(during.length).toBeLessThanOrEqual(Math.floor((lastAck - from) / UPDATE_MIN_GAP_MS) + 1);
    expect(inBurst.length).toBeLessThanOrEqual(5);
    expect(inBurst.length).toBeGreaterThanOrEqual(3);
    // The trailing edge: the last push is on the wall within a window (and a delivery) of its ack.
    expect(lastAt - lastAck).toBeLessThan(UPDATE_MIN_GAP_MS + 350);
  });

  it('seq goes up by one with every update; a new client and a resync get a snapshot the next update follows', async () => {
    // Every update this client saw, ticks and commits alike, each the previous + 1, none skipped.
    const seqs = a.log.map((x) => x.u.seq);
    expect(seqs.length).toBeGreaterThan(20);
    expect(seqs).toEqual(seqs.map((_, i) => seqs[0] + i));
    expect(a.gaps).toBe(0);
    // And the server sent them so, one emit each.
    expect(sent.map((x) => x.seq)).toEqual(sent.map((_, i) => sent[0].seq + i));

    // A second wall connects in the middle of pushes, so its snapshot lands between updates of both
    // kinds; a resync on the first wall likewise. Each snapshot's seq is the last update's, the next one
    // that + 1, and folding on from the snapshot gives what the first wall holds.
    const pushing = (async () => {
      for (let i = 0; i < 30; i++) {
        await post(`${s.url}/api/v1/ingest`, {
          readings: [
            { device: 'M-01-pdu', metrics: { power_w: 9000 + i } },
            { device: `G-01-n1/gpu${i % 2}`, metrics: { util_pct: i, power_w: 300 + i } },
          ],
        });
        await sleep(20 + Math.random() * 60);
      }
    })();
    await sleep(300);
    const b = new Wall(connect(s.url));
    await next<LiveSnapshot>(b.socket, 'snapshot');
    await sleep(400);
    const resynced = next<LiveSnapshot>(a.socket, 'snapshot');
    a.socket.emit('resync');
    await resynced;
    await pushing;

    // Settle: the last commit's update and a tick after it, then both walls hold the server's figures.
    await sleep(UPDATE_MIN_GAP_MS + 1100);
    for (const w of [a, b]) {
      const snaps = w.stream.flatMap((e, i) => (e.kind === 'snapshot' ? [i] : []));
      expect(snaps.length).toBe(w === a ? 2 : 1);
      for (const i of snaps) {
        // the update right after each snapshot is the one after the snapshot's seq; the ones before
        // the resync snapshot on wall a are all at or below its seq
        expect(w.stream[i + 1]).toEqual({ kind: 'update', seq: w.stream[i].seq + 1 });
        expect(w.stream.slice(0, i).every((e) => e.seq <= w.stream[i].seq)).toBe(true);
      }
    }
    // the resync snapshot came between updates, not at the very end of the stream
    const resyncAt = a.stream.findLastIndex((e) => e.kind === 'snapshot');
    expect(a.stream.length - resyncAt).toBeGreaterThan(2);
    expect(a.gaps).toBe(0);
    expect(b.gaps).toBe(0);
    expect(b.seq).toBe(a.seq);
    const server = new Map((JSON.parse(JSON.stringify(s.hub.snapshot().figures)) as LiveSnapshot['figures']).racks.map((r) => [r.id, r]));
    expect(s.hub.snapshot().seq).toBe(a.seq);
    for (const w of [a, b]) {
      expect(w.racks.get('M-01')?.power_w).toBe(9029);
      expect(w.racks.get('G-01')).toEqual(server.get('G-01'));
      expect(w.racks.get('M-01')).toEqual(server.get('M-01'));
    }
    b.socket.close();
  });
});
