// The wall displays of the latency phase: N socket.io clients on /live in a process of their own, so
// that parsing every update (the whole site's changed racks, once a second, per client) neither slows
// the load generator nor counts as server CPU.
//
// A marker is a rack whose PDU reports power_w = markerPowerW(seq) (site.ts); the parent posts marker seq at a
// known time, and each client notes when an `update` first shows that rack at that value.
//   argv: url clients markerRacksJson
//   child -> parent: {ready: true} once every client has its snapshot; {arrivals, updates, bytes} on 'stop'.

import { io, type Socket } from 'socket.io-client';
import type { LiveUpdate } from '../../server/core/types.js';
import { markerSeq } from './site.js';



interface ClientLog {
  /** marker seq -> epoch ms of first arrival */
  arrivals: Record<number, number>;
  /** marker seq -> the server's tick time (update.ts) of the update that carried it */
  ticks: Record<number, number>;
  updates: number;
  seq_gaps: number;
}

async function main(): Promise<void> {
  const [url, clientsArg, markerRacksJson] = process.argv.slice(2);
  const markerRacks = new Set(JSON.parse(markerRacksJson) as string[]);
  const n = Number(clientsArg);
  const logs: ClientLog[] = [];
  const sockets: Socket[] = [];
  await Promise.all(Array.from({ length: n }, (_, i) => new Promise<void>((resolve, reject) => {
    const log: ClientLog = { arrivals: {}, ticks: {}, updates: 0, seq_gaps: 0 };
    logs[i] = log;
    const socket = io(`${url}/live`, { transports: ['websocket'], forceNew: true, reconnection: false });
    sockets.push(socket);
    let lastSeq = -1;
    socket.once('connect_error', reject);
    socket.once('snapshot', (s: { seq: number }) => {
      lastSeq = s.seq;
      resolve();
    });
    socket.on('update', (u: LiveUpdate) => {
      const at = Date.now();
      log.updates++;
      if (lastSeq >= 0 && u.seq !== lastSeq + 1) log.seq_gaps++;
      lastSeq = u.seq;
      for (const r of u.racks ?? []) {
        if (r.power_source !== 'pdu' || !markerRacks.has(r.id)) continue;
        const seq = markerSeq(r.power_w);
        if (seq !== null && log.arrivals[seq] === undefined) {
          log.arrivals[seq] = at;
          log.ticks[seq] = u.ts;
        }
      }
    });
  })));
  process.send?.({ ready: true });
  process.on('message', (m: { stop?: boolean }) => {
    if (!m.stop) return;
    for (const s of sockets) s.close();
    process.send?.({ logs }, () => process.exit(0));
  });
  process.on('disconnect', () => process.exit(0));
}

main().catch((e: unknown) => {
  process.stderr.write(`bench clients: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
