import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { io, type Socket } from 'socket.io-client';
import { startServer, type RunningServer } from '../../server/server.js';
import type { AlertView } from '../../server/core/types.js';
import { SMALL_SITE_YAML, post, smallSite, tempDir } from '../helpers/site.js';

// The small site plus one rule of the site's own with no `for`, so the test need not wait minutes.
const YAML = `${SMALL_SITE_YAML}
alerts:
  rules:
    - { name: TestRackHot, scope: rack, metric: inlet_temp_c, op: ">", threshold: 30, clear: 28, for: 0, severity: critical }
`;

describe('alerts end to end', () => {
  const t = tempDir();
  const dbPath = join(t.dir, 'fw.db');
  let s: RunningServer;
  let socket: Socket;
  const events: AlertView[] = [];

  beforeAll(async () => {
    s = await startServer({ model: smallSite(YAML), dbPath, port: 0, host: '127.0.0.1', tickMs: 100, log: () => {} });
    socket = io(`${s.url}/live`, { transports: ['websocket'], forceNew: true });
    socket.on('alert', (a: AlertView) => events.push(a));
    await new Promise((r) => socket.once('snapshot', r));
  });
  afterAll(async () => {
    socket.close();
    await s.close();
    t.cleanup();
  });

  const key = 'TestRackHot:rack:M-01';
  const until = async (pred: () => boolean | Promise<boolean>, ms = 5000) => {
    const end = Date.now() + ms;
    while (!(await pred())) {
      if (Date.now() > end) throw new Error('condition not met in time');
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  const firing = async () => ((await (await fetch(`${s.url}/api/v1/alerts`)).json()) as { alerts: AlertView[] }).alerts;

  it('fires on a hot rack: socket event, API, /metrics', async () => {
    await post(`${s.url}/api/v1/ingest`, { readings: [{ device: 'M-01-env', metrics: { inlet_temp_c: 35 } }] });
    await until(() => events.some((e) => e.key === key && e.state === 'firing'));
    const list = await firing();
    expect(list.find((a) => a.key === key)).toMatchObject({ alertname: 'TestRackHot', severity: 'critical', scope: 'rack:M-01', state: 'firing', value: 35, hall: 'M' });
    const text = await (await fetch(`${s.url}/metrics`)).text();
    expect(text).toMatch(/^floorwatch_alerts_firing\{alertname="TestRackHot",severity="critical"\} 1$/m);
    // Built-in rules are there with zeros, so Alertmanager sees them go back to 0 rather than vanish.
    expect(text).toMatch(/^floorwatch_alerts_firing\{alertname="RackInletHot",severity="critical"\} 0$/m);
  });

  it('acknowledge needs a write token and a note, and is audited', async () => {
    const url = `${s.url}/api/v1/alerts/${encodeURIComponent(key)}/acknowledge`;
    expect((await post(url, { note: 'x' }, { token: null })).status).toBe(401);
    const noNote = await post(url, { by: 'ana' });
    expect(noNote.status).toBe(400);
    expect(noNote.json.error).toMatch(/^note:/);
    const ok = await post(url, { note: "filter swap on M-01'; DROP TABLE devices;--", by: 'ana' });
    expect(ok.status).toBe(200);
    expect((ok.json.alert as AlertView).acknowledged).toMatchObject({ by: 'ana (test)', note: "filter swap on M-01'; DROP TABLE devices;--" });
    const body = (await (await fetch(`${s.url}/api/v1/alerts`)).json()) as { audit: { key: string; action: string; actor: string }[] };
    expect(body.audit[0]).toMatchObject({ key, action: 'acknowledge', actor: 'ana (test)' });
    expect((await post(`${s.url}/api/v1/alerts/NoSuch%3Arack%3AX/acknowledge`, { note: 'n' })).status).toBe(404);
  });

  it('a firing alert survives a restart, then resolves with hysteresis', async () => {
    await s.close();
    s = await startServer({ model: smallSite(YAML), dbPath, port: 0, host: '127.0.0.1', tickMs: 100, log: () => {} });
    expect((await firing()).find((a) => a.key === key)?.state).toBe('firing');
    // 29 °C is below the threshold but above the clear level: still firing.
    await post(`${s.url}/api/v1/ingest`, { readings: [{ device: 'M-01-env', metrics: { inlet_temp_c: 29 } }] });
    await new Promise((r) => setTimeout(r, 400));
    expect((await firing()).find((a) => a.key === key)?.state).toBe('firing');
    await post(`${s.url}/api/v1/ingest`, { readings: [{ device: 'M-01-env', metrics: { inlet_temp_c: 25 } }] });
    await until(async () => !(await firing()).some((a) => a.key === key));
  });
});
