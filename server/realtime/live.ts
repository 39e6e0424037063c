import type { Server as HttpServer } from 'node:http';
import { Server, type Namespace } from 'socket.io';
import type { Hub } from '../live/hub.js';

/**
 * How long an engine connection may sit without joining a namespace before it is closed. socket.io's
 * client sends CONNECT in the same turn the engine opens, so even a loaded wall on a slow link is far
 * inside 5 s.
 */
export const SOCKET_JOIN_TIMEOUT_MS = 5000;

/**
 * socket.io namespace /live (docs/ARCHITECTURE.md §5): `snapshot` on connect and on `resync`, then `update` once a
 * second with what changed, `alert` on each alert state change, and `rack` device-level updates to
 * clients that `subscribe`d to that rack. Updates are volatile: a slow wall display drops frames (and
 * sees a gap in `seq`, so it resyncs) instead of building a backlog in the server.
 */
export function attachLive(http: HttpServer, hub: Hub, opts: { corsOrigins?: string[] } = {}): { io: Server; nsp: Namespace } {
  const io = new Server(http, {
    serveClient: false,
    perMessageDeflate: false, // costs 5× the CPU for our small JSON frames (docs/ARCHITECTURE.md §6)
    cors: opts.corsOrigins ? { origin: opts.corsOrigins } : undefined,
    // A backstop only: guardSocket closes an engine connection that joined nothing after
    // SOCKET_JOIN_TIMEOUT_MS, discarding its transport (socket.io's own close here is graceful, and a
    // polling session then lingers 30 s more). The default, 45 s, let a flood of handshakes hold sessions.
    connectTimeout: 2 * SOCKET_JOIN_TIMEOUT_MS,
  });
  const nsp = io.of('/live');

  nsp.on('connection', (socket) => {
    socket.emit('snapshot', hub.snapshot());
    socket.on('resync', () => socket.emit('snapshot', hub.snapshot()));
    socket.on('subscribe', (rack: unknown) => {
      if (typeof rack !== 'string' || !hub.figures().racks.some((r) => r.id === rack)) return;
      void socket.join(`rack:${rack}`);
      socket.emit('rack', { rack, ts: Date.now(), devices: hub.rackDevices(rack) });
    });
    socket.on('unsubscribe', (rack: unknown) => {
      if (typeof rack === 'string') void socket.leave(`rack:${rack}`);
    });
  });

  // socket.io encodes a broadcast before looking for receivers: at 100,000 devices an update is ~1 MB of
  // JSON a second (and an outage is an alert event per device), so with no client connected nothing is
  // encoded at all.
  hub.on('update', (u) => {
    if (nsp.sockets.size > 0) nsp.volatile.emit('update', u);
  });
  hub.on('alert', (a) => {
    if (nsp.sockets.size > 0) nsp.emit('alert', a);
  });
  hub.on('racks', (racks) => {
    const rooms = nsp.adapter.rooms;
    for (const rack of racks) {
      if (rooms.has(`rack:${rack}`)) {
        // Not volatile: it follows the volatile `update` in the same turn, when the transport is
        // still busy, and would always be the frame dropped. One per subscribed rack a second is small.
        nsp.to(`rack:${rack}`).emit('rack', { rack, ts: Date.now(), devices: hub.rackDevices(rack) });
      }
    }
  });
  return { io, nsp };
}
