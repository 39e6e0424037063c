import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { io, type Socket } from 'socket.io-client';
import { next } from '../helpers/socket.js';
import { startServer, type RunningServer } from '../../server/server.js';
import type { LiveSnapshot, LiveUpdate, RackDevicesUpdate } from '../../server/core/types.js';
import { post, smallSite, tempDir } from '../helpers/site.js';


describe('socket.io /live', () => {
  const t = tempDir();
  let s: RunningServer;
  let socket: Socket;

  beforeAll(async () => {
    s = await startServer({ model: smallSite(), dbPath: join(t.dir, 'fw.db'), port: 0, host: '127.0.0.1', tickMs: 200, log: () => {} });
  });
  afterAll(async () => {
    socket?.close();
    await s.close();
    t.cleanup();
  });

  it('sends a snapshot on connect, then updates carrying a value pushed over HTTP', async () => {
    socket = io(`${s.url}/live`, { transports: ['websocket'], forceNew: true });
    const snap = await next<LiveSnapshot>(socket, 'snapshot');
    expect(snap.layout.halls.map((h) => h.id)).toEqual(['M', 'G']);
    expect(snap.figures.racks.map((r) => r.id).sort()).toEqual(['G-01', 'M-01']);
    expect(snap.figures.site.gpu_util_pct).toBeNull(); // nothing reported yet: unknown, not 0

    const first = await next<LiveUpdate>(socket, 'update');
    expect(first.seq).toBeGreaterThan(snap.seq);
    const seqs: number[] = [first.seq];
    const onSeq = (u: LiveUpdate) => seqs.push(u.seq);
    socket.on('update', onSeq);

    const r = await post(`${s.url}/api/v1/ingest`, {
      readings: [
        { device: 'G-01-n1/gpu0', metrics: { util_pct: 42, power_w: 400 } },
        { device: 'M-01-01', metrics: { hashrate_ths: 190, power_w: 3400 } },
      ],
    });
    expect(r.status).toBe(200);
    const u = await next<LiveUpdate>(socket, 'update', (x) => x.racks?.some((rk) => rk.id === 'G-01') ?? false);
    const g = u.racks!.find((rk) => rk.id === 'G-01')!;
    expect(g.gpu_util_pct).toBe(42);
    expect(u.site?.gpu_util_pct).toBe(42);
    expect(u.site?.hashrate_ths).toBe(190);
    // Only what changed: the mining rack changed too, so it is there; a third push touching nothing
    // of M-01 brings an update without M-01.
    await post(`${s.url}/api/v1/ingest`, { readings: [{ device: 'G-01-n1/gpu1', metrics: { util_pct: 10 } }] });
    const u2 = await next<LiveUpdate>(socket, 'update', (x) => x.racks?.some((rk) => rk.id === 'G-01' && rk.gpu_util_pct === 26) ?? false);
    expect(u2.racks!.some((rk) => rk.id === 'M-01')).toBe(false);
    socket.off('update', onSeq);
    // Loopback and an idle client: no update dropped, so sequence numbers are consecutive.
    expect(seqs).toEqual(seqs.map((_, i) => first.seq + i));
  });

  it('resync answers with a fresh snapshot; subscribe brings device-level updates', async () => {
    const again = next<LiveSnapshot>(socket, 'snapshot');
    socket.emit('resync');
    const snap = await again;
    expect(snap.figures.racks.find((r) => r.id === 'G-01')?.gpu_util_pct).toBe(26);

    const firstRack = next<RackDevicesUpdate>(socket, 'rack');
    socket.emit('subscribe', 'M-01');
    const rk = await firstRack;
    expect(rk.rack).toBe('M-01');
    expect(rk.devices.map((d) => d.id)).toContain('M-01-01');
    const pushed = next<RackDevicesUpdate>(socket, 'rack', (x) => x.devices.some((d) => d.id === 'M-01-02' && d.metrics.hashrate_ths === 150));
    await post(`${s.url}/api/v1/ingest`, { readings: [{ device: 'M-01-02', metrics: { hashrate_ths: 150 } }] });
    expect((await pushed).rack).toBe('M-01');
  });
});
