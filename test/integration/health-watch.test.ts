// The /healthz watcher every fault test uses must see a stalled event loop, also when the server runs in
// the test's own process: otherwise "answered within 100 ms throughout" would hold vacuously.
import { describe, expect, it } from 'vitest';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { HEALTHZ_MAX_MS, watchHealthz } from '../helpers/health.js';

describe('watchHealthz', () => {
  it('reports quick answers as quick and a 300 ms stall of this process as a slow one', async () => {
    const srv = createServer((_req, res) => res.end('{"status":"ok"}'));
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
    const base = `http://127.0.0.1:${(srv.address() as AddressInfo).port}`;
    try {
      const calm = watchHealthz(base);
      await new Promise((r) => setTimeout(r, 300));
      const a = await calm.stop();
      expect(a.count).toBeGreaterThan(3);
      expect(a.failures).toEqual([]);
      expect(a.max_ms).toBeLessThan(HEALTHZ_MAX_MS);

      const stalled = watchHealthz(base);
      await new Promise((r) => setTimeout(r, 100));
      const end = Date.now() + 300;
      while (Date.now() < end) { /* the server's loop (this one) is blocked */ }
      await new Promise((r) => setTimeout(r, 100));
      const b = await stalled.stop();
      expect(b.max_ms).toBeGreaterThan(200);
    } finally {
      srv.close();
    }
  });
});
