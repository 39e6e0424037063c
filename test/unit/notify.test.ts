// The notifier (server/notify/) against a fake Alertmanager: what it sends and when, the queue's bounds,
// retry, silences, and what /metrics and /readyz say of it. test/integration/alertmanager.test.ts runs the
// same against the real one.
import { describe, expect, it } from 'vitest';
import express from 'express';
import type { AddressInfo } from 'node:net';
import { createServer } from 'node:http';
import type { AlertingSettings } from '../../server/core/types.js';
import type { EngineAlertView } from '../../server/alerts/step.js';
import { alertLabels, drillDownUrl, formatAlertValue, toAmAlert, type AmAlert } from '../../server/notify/alert.js';
import { createSender } from '../../server/notify/sender.js';
import { ENDS_AT_RESENDS, RESOLVED_RESEND_MS, createNotifier } from '../../server/notify/notifier.js';
import { createExposition } from '../../server/exposition/prometheus.js';
import { healthRouter } from '../../server/http/health.js';
import { defaultExternalUrl } from '../../server/lifecycle/notify.js';
import { hostname } from 'node:os';
import { spawnSync } from 'node:child_process';
import { smallSite } from '../helpers/site.js';

const model = smallSite();
const AM = 'http://am.test:9093';

function view(over: Partial<EngineAlertView> = {}): EngineAlertView {
  return {
    key: 'RackInletHot:rack:M-01', alertname: 'RackInletHot', severity: 'critical', scope: 'rack:M-01', state: 'firing',
    summary: 'rack M-01 inlet 35 °C, above 32 °C', value: 35, threshold: 32, since: 1_000, fired_at: 2_000, resolved_at: null,
    ...over,
  };
}

interface Call { method: string; url: string; body: unknown; auth: string | null }

/** A fetch that records each request and answers with `answer` (an Error = a network failure). */
function fakeFetch(answer: (c: Call) => { status: number; body?: unknown } | Error = () => ({ status: 200 })) {
  const calls: Call[] = [];
  const f = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const headers = new Headers(init?.headers);
    const c: Call = { method: init?.method ?? 'GET', url: String(input), body: init?.body ? JSON.parse(String(init.body)) : null, auth: headers.get('authorization') };
    calls.push(c);
    const a = answer(c);
    if (a instanceof Error) throw new TypeError('fetch failed', { cause: a });
    return new Response(a.body === undefined ? '' : JSON.stringify(a.body), { status: a.status });
  };
  return { calls, fetch: f as typeof fetch };
}

async function until(pred: () => boolean, ms = 3000): Promise<void> {
  const end = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 5));
  }
}

const settings = (over: Partial<AlertingSettings> = {}): AlertingSettings => ({
  alertmanagers: [{ url: AM, timeout_ms: 1000 }], resend_s: 60, queue_capacity: 100, ...over,
});
const quiet = () => {};

describe('the alert as Alertmanager gets it', () => {
  it('labels say where: site, hall, rack, device, kind, scope', () => {
    expect(alertLabels(model, view())).toEqual({ alertname: 'RackInletHot', severity: 'critical', site: 'Test site', hall: 'M', rack: 'M-01', scope: 'rack:M-01' });
    expect(alertLabels(model, { alertname: 'GpuThermalThrottle', severity: 'warning', scope: 'device:G-01-n1/gpu0' })).toEqual({
      alertname: 'GpuThermalThrottle', severity: 'warning', site: 'Test site', hall: 'G', rack: 'G-01', device: 'G-01-n1/gpu0', kind: 'gpu', scope: 'device:G-01-n1/gpu0',
    });
    expect(alertLabels(model, { alertname: 'LoopFlowLow', severity: 'critical', scope: 'loop:G-LOOP' })).toMatchObject({ hall: 'G', scope: 'loop:G-LOOP' });
    expect(alertLabels(model, { alertname: 'DataStale', severity: 'critical', scope: 'site' })).toEqual({ alertname: 'DataStale', severity: 'critical', site: 'Test site', scope: 'site' });
  });

  it('generatorURL is the wall at that scope', () => {
    const base = 'https://wall.example.net';
    expect(drillDownUrl(model, base, 'rack:M-01')).toBe('https://wall.example.net/?view=rack&rack=M-01');
    expect(drillDownUrl(model, base, 'hall:G')).toBe('https://wall.example.net/?view=hall&hall=G');
    expect(drillDownUrl(model, base, 'device:G-01-n1/gpu0')).toBe('https://wall.example.net/?view=device&device=G-01-n1%2Fgpu0');
    expect(drillDownUrl(model, base, 'loop:G-LOOP')).toBe('https://wall.example.net/?view=hall&hall=G');
    expect(drillDownUrl(model, base, 'site')).toBe('https://wall.example.net/?view=site');
    expect(drillDownUrl(model, base, 'collector:cgminer')).toBe('https://wall.example.net/?view=site');
  });

  it('description carries value and threshold in the wall units; acknowledgement as annotations', () => {
    const a = toAmAlert(model, 'http://w', view({ acknowledged: { by: 'ana (test)', note: 'door open', at: 3_000 } }), 62_000);
    expect(a).toEqual({
      labels: { alertname: 'RackInletHot', severity: 'critical', site: 'Test site', hall: 'M', rack: 'M-01', scope: 'rack:M-01' },
      annotations: {
        summary: 'rack M-01 inlet 35 °C, above 32 °C', description: 'rack M-01 inlet 35 °C, above 32 °C: value 35.0 °C, threshold 32.0 °C',
        acknowledged_by: 'ana (test)', acknowledged_note: 'door open',
      },
      startsAt: new Date(2_000).toISOString(), endsAt: new Date(62_000).toISOString(), generatorURL: 'http://w/?view=rack&rack=M-01',
    } satisfies AmAlert);
    // resolved: the latest value is the one that cleared it, and the text says it is resolved
    expect(toAmAlert(model, 'http://w', view({ state: 'resolved', value: 25 }), 62_000).annotations.description)
      .toBe('resolved: value now 25.0 °C, threshold 32.0 °C');
    expect(formatAlertValue('RackPowerHigh', 0.83)).toBe('83.0 %');
    expect(formatAlertValue('PueAboveTarget', 1.5432)).toBe('1.54');
    expect(formatAlertValue('LoopFlowLow', 0.4)).toBe('0 L/min');
    expect(formatAlertValue('DataStale', 61.2)).toBe('61 s');
    expect(formatAlertValue('MyRackPower', 12_500)).toBe('12.50 kW');
    expect(formatAlertValue('RackInletHot', null)).toBe('unknown');
  });

  it('the default external URL is from --host/--port', () => {
    expect(defaultExternalUrl('127.0.0.1', 8080)).toBe('http://127.0.0.1:8080');
    expect(defaultExternalUrl('::1', 8080)).toBe('http://[::1]:8080');
    expect(defaultExternalUrl(undefined, 9000)).toBe(`http://${hostname()}:9000`);
    expect(defaultExternalUrl('0.0.0.0', 9000)).toBe(`http://${hostname()}:9000`);
  });
});

describe('when alerts are sent', () => {
  it('firing at once and every resend_s with endsAt 4 resends ahead; resolved re-sent for 15 min; pending never', async () => {
    let now = 10_000;
    const f = fakeFetch();
    const n = createNotifier({ model, settings: settings(), log: quiet, now: () => now, fetch: f.fetch });
    n.start('http://wall:8080');
    const posted = () => f.calls.filter((c) => c.url === `${AM}/api/v2/alerts`).flatMap((c) => c.body as AmAlert[]);

    n.observer.changed([view({ state: 'pending', fired_at: null })], now);
    n.resend([view({ state: 'pending', fired_at: null })], now);
    await new Promise((r) => setTimeout(r, 20));
    expect(posted()).toEqual([]);

    n.observer.changed([view()], now);
    await until(() => posted().length === 1);
    expect(posted()[0].endsAt).toBe(new Date(now + ENDS_AT_RESENDS * 60_000).toISOString());
    expect(posted()[0].generatorURL).toBe('http://wall:8080/?view=rack&rack=M-01');

    now += 59_000;
    n.resend([view()], now);
    await new Promise((r) => setTimeout(r, 20));
    expect(posted().length).toBe(1);
    now += 1_000;
    n.resend([view()], now);
    await until(() => posted().length === 2);
    expect(posted()[1].endsAt).toBe(new Date(now + 4 * 60_000).toISOString());

    const resolvedAt = now + 500;
    now = resolvedAt;
    n.observer.changed([view({ state: 'resolved', resolved_at: resolvedAt })], now);
    await until(() => posted().length === 3);
    expect(posted()[2].endsAt).toBe(new Date(resolvedAt).toISOString());
    let sends = 3;
    for (now = resolvedAt + 60_000; now <= resolvedAt + RESOLVED_RESEND_MS; now += 60_000) {
      n.resend([], now);
      await until(() => posted().length === sends + 1);
      sends++;
    }
    expect(sends).toBe(3 + 15);
    n.resend([], now + 60_000);
    await new Promise((r) => setTimeout(r, 20));
    expect(posted().length).toBe(sends);
    await n.stop();
  });

  it('an alert restored firing after a restart is sent on the first resend pass', async () => {
    const f = fakeFetch();
    const n = createNotifier({ model, settings: settings(), log: quiet, now: () => 5_000, fetch: f.fetch });
    n.start('http://w');
    n.resend([view()]);
    await until(() => f.calls.length === 1);
    await n.stop();
  });

  it('every Alertmanager gets every alert, with its own credentials', async () => {
    const f = fakeFetch();
    const n = createNotifier({
      model, log: quiet, fetch: f.fetch,
      settings: settings({ alertmanagers: [{ url: 'http://a:1', timeout_ms: 100, bearer_token: 'tok' }, { url: 'http://b:2', timeout_ms: 100, basic_auth: { username: 'u', password: 'p' } }] }),
    });
    n.start('http://w');
    n.observer.changed([view()], 1);
    await until(() => f.calls.length === 2);
    expect(f.calls.map((c) => [c.url, c.auth]).sort()).toEqual([
      ['http://a:1/api/v2/alerts', 'Bearer tok'], ['http://b:2/api/v2/alerts', `Basic ${Buffer.from('u:p').toString('base64')}`],
    ]);
    await n.stop();
  });
});

describe('one Alertmanager\'s queue', () => {
  it('holds capacity alerts; the oldest go first, counted; a newer state of an alert replaces the queued one', () => {
    const s = createSender({ target: { url: AM, timeout_ms: 100 }, capacity: 3, maxBackoffMs: 10, log: quiet, fetch: fakeFetch().fetch });
    const item = (key: string) => ({ key, build: () => toAmAlert(model, 'http://w', view({ key }), 1) });
    s.add([item('a'), item('b'), item('c')]);
    s.add([item('a')]);
    expect(s.stats()).toMatchObject({ queue_length: 3, dropped: 0 });
    s.add([item('d'), item('e')]);
    expect(s.stats()).toMatchObject({ queue_length: 3, dropped: 2, sent: 0 });
  });

  it('retries with back-off while it fails, counts the failures, then delivers; /readyz names it after 5 minutes', async () => {
    let now = 0;
    let down = true;
    const f = fakeFetch(() => (down ? new Error('connect ECONNREFUSED') : { status: 200 }));
    const n = createNotifier({ model, settings: settings({ resend_s: 1 }), log: quiet, now: () => now, fetch: f.fetch, minBackoffMs: 5 });
    n.start('http://w');
    n.observer.changed([view()], now);
    await until(() => f.calls.length >= 3);
    const st = n.stats()[0];
    expect(st.failed).toBeGreaterThanOrEqual(3);
    expect(st.sent).toBe(0);
    expect(st.queue_length).toBe(1);
    expect(n.status()[0].last_error).toMatch(/ECONNREFUSED/);
    expect(n.problems()).toEqual([]);
    now = 5 * 60_000;
    expect(n.problems()).toEqual([expect.stringMatching(/^alertmanager http:\/\/am\.test:9093: failing for 5 min \(POST \/api\/v2\/alerts: fetch failed: connect ECONNREFUSED\)$/)]);

    const app = express();
    app.use(healthRouter({
      probe: async () => ({ ok: true, at: Date.now() }), draining: () => false, collectors: () => null, lastStoreError: () => null,
      alertmanagers: () => n.problems(),
    }));
    const srv = createServer(app);
    await new Promise<void>((r) => srv.listen(0, '127.0.0.1', () => r()));
    const ready = await fetch(`http://127.0.0.1:${(srv.address() as AddressInfo).port}/readyz`);
    // named on /readyz as a warning: still ready (ingest and the wall go on; see health.ts)
    expect(ready.status).toBe(200);
    const body = (await ready.json()) as { status: string; problems: string[]; warnings?: string[] };
    expect(body.status).toBe('ready');
    expect(body.problems).toEqual([]);
    expect(body.warnings).toEqual([expect.stringMatching(/^alertmanager http:\/\/am\.test:9093: failing for 5 min/)]);
    srv.close();

    down = false;
    await until(() => n.stats()[0].sent === 1);
    expect(n.stats()[0]).toMatchObject({ queue_length: 0, dropped: 0 });
    expect(n.problems()).toEqual([]);
    await n.stop();
  });

  it('an alert Alertmanager refuses (4xx) is dropped, not retried', async () => {
    const f = fakeFetch(() => ({ status: 400, body: { message: 'bad' } }));
    const n = createNotifier({ model, settings: settings(), log: quiet, fetch: f.fetch, minBackoffMs: 5 });
    n.start('http://w');
    n.observer.changed([view()], 1);
    await until(() => n.stats()[0].dropped === 1);
    await new Promise((r) => setTimeout(r, 30));
    expect(f.calls.length).toBe(1);
    expect(n.stats()[0]).toMatchObject({ failed: 1, dropped: 1, queue_length: 0 });
    await n.stop();
  });

  it('a request that does not answer times out and is retried', async () => {
    let hang = true;
    const f = async (_i: string | URL | Request, init?: RequestInit): Promise<Response> => {
      if (!hang) return new Response('', { status: 200 });
      return new Promise((_r, reject) => init?.signal?.addEventListener('abort', () => reject(init.signal?.reason)));
    };
    const n = createNotifier({ model, settings: settings({ alertmanagers: [{ url: AM, timeout_ms: 30 }] }), log: quiet, fetch: f as typeof fetch, minBackoffMs: 5 });
    n.start('http://w');
    n.observer.changed([view()], 1);
    await until(() => n.stats()[0].failed >= 1);
    expect(n.status()[0].last_error).toBe('POST /api/v2/alerts: no answer within 30 ms');
    hang = false;
    await until(() => n.stats()[0].sent === 1);
    await n.stop();
  });

  it('nothing is sent before start(), and changes never throw into the tick', async () => {
    const f = fakeFetch();
    const n = createNotifier({ model, settings: settings(), log: quiet, fetch: f.fetch });
    n.observer.changed([view()], 1);
    await new Promise((r) => setTimeout(r, 20));
    expect(f.calls).toEqual([]);
    n.start('http://w');
    await until(() => f.calls.length === 1);
    await n.stop();
  });
});

describe('shelve is a silence', () => {
  it('shelve posts one with the alert\'s labels as matchers; unshelve expires it', async () => {
    const f = fakeFetch((c) => (c.method === 'POST' && c.url.endsWith('/api/v2/silences') ? { status: 200, body: { silenceID: 'sil-1' } } : { status: 200 }));
    const n = createNotifier({ model, settings: settings(), log: quiet, fetch: f.fetch });
    n.start('http://w');
    n.observer.shelved(view(), 7_200_000, 'ana (test)', 'filter swap', 1_000);
    await until(() => f.calls.length === 1);
    expect(f.calls[0]).toMatchObject({
      method: 'POST', url: `${AM}/api/v2/silences`,
      body: {
        matchers: [
          { name: 'alertname', value: 'RackInletHot', isRegex: false, isEqual: true }, { name: 'severity', value: 'critical', isRegex: false, isEqual: true },
          { name: 'site', value: 'Test site', isRegex: false, isEqual: true }, { name: 'hall', value: 'M', isRegex: false, isEqual: true },
          { name: 'rack', value: 'M-01', isRegex: false, isEqual: true }, { name: 'scope', value: 'rack:M-01', isRegex: false, isEqual: true },
        ],
        startsAt: new Date(1_000).toISOString(), endsAt: new Date(7_200_000).toISOString(), createdBy: 'ana (test)', comment: 'filter swap',
      },
    });
    n.observer.unshelved(view().key, view(), 2_000);
    await until(() => f.calls.length === 2);
    expect(f.calls[1]).toMatchObject({ method: 'DELETE', url: `${AM}/api/v2/silence/sil-1` });
    await n.stop();
  });

  it('a silence made before a restart is found by its matchers and expired', async () => {
    const labels = alertLabels(model, view());
    const matchers = Object.entries(labels).map(([name, value]) => ({ name, value, isRegex: false, isEqual: true }));
    const f = fakeFetch((c) => (c.method === 'GET'
      ? { status: 200, body: [
        { id: 'old', status: { state: 'active' }, matchers },
        { id: 'gone', status: { state: 'expired' }, matchers },
        { id: 'other', status: { state: 'active' }, matchers: matchers.slice(0, 2) },
      ] }
      : { status: 200 }));
    const n = createNotifier({ model, settings: settings(), log: quiet, fetch: f.fetch });
    n.start('http://w');
    n.observer.unshelved(view().key, view(), 2_000);
    await until(() => f.calls.length === 2);
    expect(f.calls[0].url).toContain(`/api/v2/silences?filter=${encodeURIComponent('alertname="RackInletHot"')}`);
    expect(f.calls[1]).toMatchObject({ method: 'DELETE', url: `${AM}/api/v2/silence/old` });
    await n.stop();
  });
});

describe('/metrics', () => {
  it('sent, failed, dropped per Alertmanager, and queue length', async () => {
    const stats = [{ alertmanager: 'http://am-1:9093', sent: 5, failed: 2, dropped: 1, queue_length: 3 }];
    const hub = { figures: () => ({ site: {}, halls: [], racks: [], loops: [] }), input: () => ({ devices: new Map() }), curtailments: () => [] };
    const e = createExposition(model, hub as unknown as Parameters<typeof createExposition>[1], () => [], () => stats);
    const text = await e.render();
    expect(text).toMatch(/^floorwatch_notifications_sent_total\{alertmanager="http:\/\/am-1:9093"\} 5$/m);
    expect(text).toMatch(/^floorwatch_notifications_failed_total\{alertmanager="http:\/\/am-1:9093"\} 2$/m);
    expect(text).toMatch(/^floorwatch_notifications_dropped_total\{alertmanager="http:\/\/am-1:9093"\} 1$/m);
    expect(text).toMatch(/^floorwatch_notifications_queue_length\{alertmanager="http:\/\/am-1:9093"\} 3$/m);
    stats[0].sent = 9;
    expect(await e.render()).toMatch(/^floorwatch_notifications_sent_total\{alertmanager="http:\/\/am-1:9093"\} 9$/m);
    const r = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
    expect(r.error, 'promtool (Debian package prometheus) must be installed').toBeUndefined();
    expect(`${r.stdout}${r.stderr}`.trim()).toBe('');
    expect(r.status).toBe(0);
  });
});
