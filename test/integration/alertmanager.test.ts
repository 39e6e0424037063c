// Floorwatch → the real Alertmanager (Debian's prometheus-alertmanager) → a webhook receiver in this test
// (issue 14's acceptance): a hot inlet is a firing notification carrying hall, rack, severity and the
// wall's link, then a resolved one; a shelve is a silence that suppresses it; with Alertmanager stopped
// Floorwatch keeps ingesting and ticking, counts the failures and delivers once it is back; a site-wide
// outage is one notification per rack, not one per device.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startServer, type RunningServer } from '../../server/server.js';
import type { AlertView } from '../../server/core/types.js';
import { SMALL_SITE_YAML, post, smallSite, tempDir } from '../helpers/site.js';
import { exited, freePort, waitForHttp } from '../helpers/net.js';
import { HEALTHZ_MAX_MS, watchHealthz } from '../helpers/health.js';

interface HookAlert { status: string; labels: Record<string, string>; annotations: Record<string, string>; generatorURL: string }
interface Hook { status: 'firing' | 'resolved'; groupLabels: Record<string, string>; alerts: HookAlert[] }

// Short group timers so the test need not wait Alertmanager's default 30 s / 5 min; grouped down to the
// device, so alerts per device would arrive as notifications per device.
const amConfig = (hookPort: number) => `
route:
  receiver: hook
  group_by: ['alertname', 'site', 'hall', 'rack', 'device']
  group_wait: 100ms
  group_interval: 300ms
  repeat_interval: 1h
receivers:
  - name: hook
    webhook_configs:
      - url: http://127.0.0.1:${hookPort}/hook
        send_resolved: true
`;

// The built-in RackInletHot waits 2 minutes, RackDevicesDown 1: the same rules with short `for`s.
const alerting = (amUrl: string) => `
alerting:
  alertmanagers: [{ url: "${amUrl}", timeout_ms: 1000 }]
  resend_s: 1
`;
const MAIN_YAML = (amUrl: string) => `${SMALL_SITE_YAML}
alerts:
  rules:
    - { name: RackInletHot, scope: rack, metric: inlet_temp_c, op: ">", threshold: 32, clear: 31, for: 2s, severity: critical, summary: "rack {id} inlet {value} °C, above {threshold} °C" }
${alerting(amUrl)}`;
const OUTAGE_YAML = (amUrl: string) => `
site: { name: Outage site }
halls:
  - id: H
    racks:
${[1, 2, 3].map((i) => `      - { id: R-0${i}, row: 1, col: ${i}, rated_kw: 20, devices: [{ id: "R-0${i}-{n:02}", count: 4, kind: asic, model: antminer-s21 }] }`).join('\n')}
alerts:
  rules:
    - { name: RackDevicesDown, scope: rack, metric: devices_down, op: ">=", threshold: 2, for: 1s, severity: critical, summary: "rack {id}: {value} devices down" }
auth:
  ingest_tokens:
    - { name: test, token: test-token }
${alerting(amUrl)}`;

async function until(what: string, pred: () => boolean | Promise<boolean>, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await pred())) {
    if (Date.now() > end) throw new Error(`${what}: not within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('alerts reach a person through the real Alertmanager', () => {
  const t = tempDir('floorwatch-am-');
  const hooks: Hook[] = [];
  let hook: Server;
  let amPort = 0;
  let amUrl = '';
  let am: ChildProcess | null = null;
  let fw: RunningServer;
  let outage: RunningServer | null = null;
  const inlet: Record<string, number> = { 'M-01-env': 24, 'G-01-env': 24 };
  let pusher: NodeJS.Timeout | null = null;
  const pushStatuses: number[] = [];

  async function startAm(): Promise<void> {
    am = spawn('prometheus-alertmanager', [
      `--config.file=${join(t.dir, 'alertmanager.yml')}`, `--storage.path=${join(t.dir, 'am-data')}`,
      `--web.listen-address=127.0.0.1:${amPort}`, '--cluster.listen-address=', '--log.level=warn',
    ], { stdio: ['ignore', 'ignore', 'pipe'] });
    am.stderr?.on('data', (d: Buffer) => process.stderr.write(`alertmanager: ${d.toString()}`));
    await waitForHttp(`${amUrl}/-/ready`);
  }
  async function stopAm(): Promise<void> {
    const p = am;
    am = null;
    if (p === null) return;
    p.kill('SIGTERM');
    await exited(p);
  }
  const pushAll = async (): Promise<void> => {
    const r = await post(`${fw.url}/api/v1/ingest`, {
      readings: [
        ...['M-01-01', 'M-01-02', 'M-01-03'].map((device) => ({ device, metrics: { hashrate_ths: 200, power_w: 3500 } })),
        { device: 'M-01-pdu', metrics: { power_w: 10_500 } },
        { device: 'G-01-n1/gpu0', metrics: { util_pct: 50, power_w: 500 } },
        { device: 'G-01-n1/gpu1', metrics: { util_pct: 50, power_w: 500 } },
        ...Object.entries(inlet).map(([device, v]) => ({ device, metrics: { inlet_temp_c: v } })),
      ],
    });
    pushStatuses.push(r.status);
  };
  const fwAlerts = async (s: RunningServer): Promise<AlertView[]> => ((await (await fetch(`${s.url}/api/v1/alerts`)).json()) as { alerts: AlertView[] }).alerts;
  const metrics = async (): Promise<string> => (await fetch(`${fw.url}/metrics`)).text();
  const counter = (text: string, name: string): number => {
    const m = new RegExp(`^floorwatch_notifications_${name}\\{alertmanager="${amUrl.replace(/[.]/g, '\\.')}"\\} (\\d+)$`, 'm').exec(text);
    return m === null ? -1 : Number(m[1]);
  };
  const notified = (status: Hook['status'], labels: Record<string, string>, from = 0): Hook | undefined =>
    hooks.slice(from).find((h) => h.status === status && h.alerts.some((a) => Object.entries(labels).every(([k, v]) => a.labels[k] === v)));

  beforeAll(async () => {
    hook = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        hooks.push(JSON.parse(body) as Hook);
        res.end('ok');
      });
    });
    await new Promise<void>((r) => hook.listen(0, '127.0.0.1', () => r()));
    amPort = await freePort();
    amUrl = `http://127.0.0.1:${amPort}`;
    mkdirSync(join(t.dir, 'am-data'));
    writeFileSync(join(t.dir, 'alertmanager.yml'), amConfig((hook.address() as AddressInfo).port));
    await startAm();
    fw = await startServer({ model: smallSite(MAIN_YAML(amUrl)), dbPath: join(t.dir, 'fw.db'), port: 0, host: '127.0.0.1', tickMs: 100, collectors: false, log: () => {} });
    await fw.restored;
    await pushAll();
    pusher = setInterval(() => void pushAll(), 300);
  });
  afterAll(async () => {
    if (pusher) clearInterval(pusher);
    await fw?.close();
    await outage?.close();
    await stopAm();
    await new Promise((r) => hook?.close(r));
    t.cleanup();
  });

  it('a hot inlet: a firing notification with hall, rack, severity and the wall link, then a resolved one', async () => {
    inlet['M-01-env'] = 35;
    await until('firing notification', () => notified('firing', { alertname: 'RackInletHot', rack: 'M-01' }) !== undefined);
    const n = notified('firing', { alertname: 'RackInletHot', rack: 'M-01' })!;
    console.log('firing notification:', JSON.stringify(n.alerts[0]));
    expect(n.alerts).toHaveLength(1);
    expect(n.alerts[0].labels).toEqual({ alertname: 'RackInletHot', severity: 'critical', site: 'Test site', hall: 'M', rack: 'M-01', scope: 'rack:M-01' });
    expect(n.alerts[0].generatorURL).toBe(`${fw.url}/?view=rack&rack=M-01`);
    expect(n.alerts[0].annotations.description).toBe('rack M-01 inlet 35 °C, above 32 °C: value 35.0 °C, threshold 32.0 °C');

    inlet['M-01-env'] = 25;
    await until('resolved notification', () => notified('resolved', { alertname: 'RackInletHot', rack: 'M-01' }) !== undefined);
    const r = notified('resolved', { alertname: 'RackInletHot', rack: 'M-01' })!;
    console.log('resolved notification:', JSON.stringify(r.alerts[0]));
    expect(r.alerts[0].status).toBe('resolved');
  });

  it('a shelve is a silence in Alertmanager and suppresses the notification; unshelve expires it', async () => {
    const key = 'RackInletHot:rack:G-01';
    inlet['G-01-env'] = 35;
    await until('pending on the wall', async () => (await fwAlerts(fw)).some((a) => a.key === key && a.state === 'pending'));
    const sh = await post(`${fw.url}/api/v1/alerts/${encodeURIComponent(key)}/shelve`, { note: 'door open for the filter swap', for: '1h', by: 'ana' });
    expect(sh.status).toBe(200);

    type Silence = { id: string; status: { state: string }; createdBy: string; comment: string; matchers: { name: string; value: string }[]; endsAt: string };
    const silences = async (): Promise<Silence[]> => ((await (await fetch(`${amUrl}/api/v2/silences`)).json()) as Silence[])
      .filter((s) => s.matchers.some((m) => m.name === 'rack' && m.value === 'G-01'));
    await until('silence in Alertmanager', async () => (await silences()).some((s) => s.status.state === 'active'));
    const sil = (await silences()).find((s) => s.status.state === 'active')!;
    console.log('silence:', JSON.stringify(sil));
    expect(sil).toMatchObject({ createdBy: 'ana (test)', comment: 'door open for the filter swap' });
    expect(Object.fromEntries(sil.matchers.map((m) => [m.name, m.value]))).toEqual({ alertname: 'RackInletHot', severity: 'critical', site: 'Test site', hall: 'G', rack: 'G-01', scope: 'rack:G-01' });

    // It fires, Alertmanager has it, and holds it back.
    await until('firing on the wall', async () => (await fwAlerts(fw)).some((a) => a.key === key && a.state === 'firing'));
    type AmAlertStatus = { labels: Record<string, string>; status: { state: string; silencedBy: string[] } };
    const amAlert = async () => ((await (await fetch(`${amUrl}/api/v2/alerts?filter=${encodeURIComponent('rack="G-01"')}`)).json()) as AmAlertStatus[])[0];
    await until('alert in Alertmanager', async () => (await amAlert()) !== undefined);
    expect((await amAlert()).status).toMatchObject({ state: 'suppressed', silencedBy: [sil.id] });
    const from = hooks.length;
    await new Promise((r) => setTimeout(r, 1500));
    expect(notified('firing', { rack: 'G-01' }, from)).toBeUndefined();

    const un = await post(`${fw.url}/api/v1/alerts/${encodeURIComponent(key)}/unshelve`, { note: 'done' });
    expect(un.status).toBe(200);
    await until('silence expired', async () => (await silences()).every((s) => s.status.state === 'expired'));
    await until('notification once unsilenced', () => notified('firing', { alertname: 'RackInletHot', rack: 'G-01' }, from) !== undefined);
    inlet['G-01-env'] = 24;
  });

  it('with Alertmanager stopped Floorwatch keeps ingesting and ticking, counts the failures, and delivers once it is back', async () => {
    const watch = watchHealthz(fw.url);
    await stopAm();
    const pushedBefore = pushStatuses.length;
    inlet['M-01-env'] = 36;
    await until('firing on the wall with no Alertmanager', async () => (await fwAlerts(fw)).some((a) => a.key === 'RackInletHot:rack:M-01' && a.state === 'firing'));
    await until('failures counted', async () => counter(await metrics(), 'failed_total') > 0);
    const down = await metrics();
    console.log(`Alertmanager down: failed_total ${counter(down, 'failed_total')}, sent_total ${counter(down, 'sent_total')}, queue_length ${counter(down, 'queue_length')}`);
    expect(down).toMatch(/^floorwatch_rack_inlet_temperature_celsius\{hall="M",rack="M-01"\} 36$/m);
    expect(pushStatuses.length).toBeGreaterThan(pushedBefore);
    expect(pushStatuses.slice(pushedBefore).every((s) => s === 200)).toBe(true);
    const sentBefore = counter(down, 'sent_total');

    const from = hooks.length;
    await startAm();
    await until('delivered after the restart', () => notified('firing', { alertname: 'RackInletHot', rack: 'M-01' }, from) !== undefined);
    const up = await metrics();
    console.log(`Alertmanager back: failed_total ${counter(up, 'failed_total')}, sent_total ${counter(up, 'sent_total')}, queue_length ${counter(up, 'queue_length')}`);
    expect(counter(up, 'sent_total')).toBeGreaterThan(sentBefore);
    const h = await watch.stop();
    console.log(`/healthz during the outage: ${h.count} answers, slowest ${h.max_ms.toFixed(1)} ms, failures ${h.failures.length}`);
    expect(h.failures).toEqual([]);
    expect(h.max_ms).toBeLessThan(HEALTHZ_MAX_MS);
    inlet['M-01-env'] = 24;
  });

  it('a site-wide outage (every device down) sends one notification per rack, not one per device', async () => {
    const o = await startServer({ model: smallSite(OUTAGE_YAML(amUrl)), dbPath: join(t.dir, 'outage.db'), port: 0, host: '127.0.0.1', tickMs: 100, staleAfterS: 2, collectors: false, log: () => {} });
    outage = o;
    const r = await post(`${o.url}/api/v1/ingest`, {
      readings: [1, 2, 3].flatMap((i) => [1, 2, 3, 4].map((n) => ({ device: `R-0${i}-0${n}`, metrics: { hashrate_ths: 200, power_w: 3500 } }))),
    });
    expect(r.status).toBe(200);
    const from = hooks.length;
    // Nothing more is pushed: 2 s on, every device is down.
    const site = (h: Hook) => h.alerts.every((a) => a.labels.site === 'Outage site');
    const rackNotes = () => hooks.slice(from).filter((h) => site(h) && h.status === 'firing' && h.groupLabels.alertname === 'RackDevicesDown');
    await until('a notification per rack', () => rackNotes().length >= 3, 15_000);
    await new Promise((res) => setTimeout(res, 1500));
    const mine = hooks.slice(from).filter(site);
    const byName: Record<string, number> = {};
    for (const h of mine) byName[h.groupLabels.alertname] = (byName[h.groupLabels.alertname] ?? 0) + 1;
    console.log(`outage: ${mine.length} notifications`, JSON.stringify(byName));
    expect(rackNotes().map((h) => h.alerts.map((a) => a.labels.rack))).toEqual(expect.arrayContaining([['R-01'], ['R-02'], ['R-03']]));
    expect(rackNotes()).toHaveLength(3);
    expect(byName.DeviceDown).toBeUndefined();
    // Not held back for later either: no DeviceDown is pending (one rack alert speaks for its devices).
    const active = await fwAlerts(o);
    expect(active.filter((a) => a.alertname === 'DeviceDown')).toEqual([]);
    expect(active.filter((a) => a.alertname === 'RackDevicesDown' && a.state === 'firing')).toHaveLength(3);
  });
});
