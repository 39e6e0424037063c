// Curtailment events end to end (issue 16): a real server on a free port with SQLite on a temp file. An event
// is posted against a rack, power readings are pushed through the ingest API before and during it, and its
// figures are read from the API, the socket and /metrics (promtool clean); a shortfall raises
// CurtailmentShortfall; the miners inside are reported curtailed; the event survives a restart.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { io, type Socket } from 'socket.io-client';
import { startServer, type RunningServer } from '../../server/server.js';
import type { AlertView, CurtailmentView, DeviceStatus, LiveUpdate, RackFigures } from '../../server/core/types.js';
import { SMALL_SITE_YAML, TOKEN, post, smallSite, tempDir } from '../helpers/site.js';

// A 3 s baseline and 1 s ramp allowance and shortfall duration, so the test need not wait 20 minutes.
const YAML = `${SMALL_SITE_YAML}
markets:
  - { id: GRID }
curtailment:
  baseline_min: 0.05
  ramp_allowance_s: 1
  shortfall_for_s: 1
`;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function until<T>(what: string, fn: () => T | null | undefined | Promise<T | null | undefined>, ms = 10_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v !== null && v !== undefined && v !== false) return v;
    if (Date.now() > end) throw new Error(`${what}: not met in ${ms} ms`);
    await sleep(50);
  }
}

describe('curtailment events end to end', () => {
  const t = tempDir();
  const dbPath = join(t.dir, 'fw.db');
  const model = smallSite(YAML);
  let s: RunningServer;
  let socket: Socket;
  const updates: CurtailmentView[][] = [];
  const alerts: AlertView[] = [];
  let id = '';
  let start = 0;

  const pdu = (w: number) => post(`${s.url}/api/v1/ingest`, { readings: [{ device: 'M-01-pdu', metrics: { power_w: w } }] });
  const miners = (ths: number) => post(`${s.url}/api/v1/ingest`, {
    readings: ['M-01-01', 'M-01-02', 'M-01-03'].map((device) => ({ device, metrics: { hashrate_ths: ths, power_w: ths > 0 ? 3500 : 20 } })),
  });
  const event = async (): Promise<CurtailmentView> =>
    ((await (await fetch(`${s.url}/api/v1/curtailments/${encodeURIComponent(id)}`)).json()) as { curtailment: CurtailmentView }).curtailment;

  beforeAll(async () => {
    s = await startServer({ model, dbPath, port: 0, host: '127.0.0.1', tickMs: 100, log: () => {} });
    await s.restored;
    socket = io(`${s.url}/live`, { transports: ['websocket'], forceNew: true });
    socket.on('update', (u: LiveUpdate) => { if (u.curtailments) updates.push(u.curtailments); });
    socket.on('alert', (a: AlertView) => alerts.push(a));
    await new Promise((r) => socket.once('snapshot', r));
  });
  afterAll(async () => {
    socket.close();
    await s?.close();
    t.cleanup();
  });

  it('refuses a post without a write token, and names the field of a bad body', async () => {
    const url = `${s.url}/api/v1/curtailments`;
    const now = Date.now();
    const good = { scope: 'rack:M-01', target_reduction_kw: 4, start: now + 60_000, end: now + 120_000 };
    expect((await post(url, good, { token: null })).status).toBe(401);
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ ...good, scope: 'rack:NOPE' }, /^scope:/],
      [{ ...good, target_reduction_kw: undefined }, /^target_reduction_kw:/],
      [{ ...good, target_reduction_kw: -1 }, /^target_reduction_kw:/],
      [{ ...good, target_ceiling_kw: 5 }, /^target_ceiling_kw:.*not both/],
      [{ ...good, end: now + 30_000 }, /^end: must be after start/],
      [{ ...good, start: '2026-12-01 10:00' }, /^start:/],
      [{ ...good, note: 7 }, /^note:/],
      [{ ...good, colour: 'red' }, /^colour: unknown field/],
    ];
    for (const [body, error] of cases) {
      const r = await post(url, body);
      expect(r.status, JSON.stringify(body)).toBe(400);
      expect(String(r.json.error)).toMatch(error);
    }
    const list = (await (await fetch(url)).json()) as { curtailments: CurtailmentView[] };
    expect(list.curtailments).toEqual([]);
  });

  it('measures a posted event from pushed power: API, socket and /metrics', async () => {
    await pdu(10_000);
    await miners(200);
    start = Date.now() + 3500;
    const r = await post(`${s.url}/api/v1/curtailments`, {
      scope: 'rack:M-01', target_reduction_kw: 4, start, end: start + 120_000, program: 'ERCOT ERS', note: 'grid emergency drill',
    });
    expect(r.status).toBe(201);
    const created = r.json.curtailment as CurtailmentView;
    id = created.id;
    expect(created).toMatchObject({ scope: 'rack:M-01', target_reduction_kw: 4, target_ceiling_kw: null, source: 'api', created_by: 'test', program: 'ERCOT ERS' });
    expect(created.figures.phase).toBe('scheduled');
    // A second event over the same rack at the same time is refused: its figures would be the same samples twice.
    const clash = await post(`${s.url}/api/v1/curtailments`, { scope: 'rack:M-01', target_ceiling_kw: 5, start: start + 1000, end: start + 5000 });
    expect(clash.status).toBe(409);

    // The 3 s before the start are all at 10 kW: the baseline is exactly that.
    await until('event active', async () => Date.now() >= start + 200 && (await event()).figures.phase === 'active');
    await pdu(7000);
    await miners(0);
    const during = await until('reduction seen', async () => {
      const e = await event();
      return e.figures.current_w !== null && e.figures.current_w < 9000 && e.figures.response_s === null ? e : null;
    });
    expect(during.figures.baseline_w).toBe(10_000);
    expect(during.figures.target_w).toBe(4000);
    expect(during.figures.achieved_w).toBeCloseTo(10_000 - (during.figures.current_w ?? NaN), 9);
    // 3 kW shed of 4 asked: never 95 % of the target, and below 90 %
    expect(during.figures.ratio).toBeLessThan(0.9);
    expect(during.figures.curtailed_mwh).toBeGreaterThan(0);
    // No prices yet (the economics seam): the money figures are unknown, never 0.
    expect(during.figures.mining_revenue_cost_usd).toBeNull();
    expect(during.figures.avoided_energy_usd).toBeNull();

    const fromSocket = await until('socket update with the event', () => updates.flat().find((c) => c.id === id && c.figures.phase === 'active'));
    expect(fromSocket).toMatchObject({ scope: 'rack:M-01', target_reduction_kw: 4 });
    expect(fromSocket.figures.baseline_w).toBe(10_000);

    const text = await (await fetch(`${s.url}/metrics`)).text();
    expect(text).toMatch(/^floorwatch_curtailment_target_watts\{scope="rack:M-01"\} 4000$/m);
    const achieved = /^floorwatch_curtailment_achieved_watts\{scope="rack:M-01"\} (\S+)$/m.exec(text);
    expect(achieved).not.toBeNull();
    expect(Number(achieved?.[1])).toBeGreaterThan(0);
    expect(Number(achieved?.[1])).toBeLessThanOrEqual(3000);
    const lint = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
    expect(lint.error, 'promtool (Debian package prometheus) must be installed').toBeUndefined();
    expect(`${lint.stdout}${lint.stderr}`.trim()).toBe('');
  });

  it('a shortfall past the ramp allowance fires CurtailmentShortfall; meeting the target resolves it', async () => {
    const key = `CurtailmentShortfall:curtailment:${id}`;
    const fired = await until('shortfall firing', () => alerts.find((a) => a.key === key && a.state === 'firing'));
    expect(fired.severity).toBe('warning');
    expect(fired.summary).toMatch(/^curtailment on rack:M-01 achieving \d+(\.\d)? % of its target \(below 90 %\)$/);
    const api = (await (await fetch(`${s.url}/api/v1/alerts`)).json()) as { alerts: AlertView[] };
    expect(api.alerts.some((a) => a.key === key && a.state === 'firing')).toBe(true);
    // It belongs in the hall of the event's rack, on the socket and in the API (a hall's wall shows it).
    expect(fired.hall).toBe(model.racks.get('M-01')?.hall);
    expect(api.alerts.find((a) => a.key === key)?.hall).toBe(model.racks.get('M-01')?.hall);
    // Shed to 4 kW: 6 kW of 4 asked once the last minute's mean has caught up.
    await pdu(4000);
    const e = await until('responded', async () => { const v = await event(); return v.figures.response_s !== null ? v : null; });
    expect(e.figures.response_s).toBeGreaterThan(0);
    expect(e.figures.response_s).toBeLessThan(30);
    await until('shortfall resolved', () => alerts.find((a) => a.key === key && a.state === 'resolved'), 30_000);
  }, 60_000);

  it('values the event at the market\'s prices once one reports them (the economics figures)', async () => {
    // $120/MWh and a hashprice of $50/PH/day = $0.05/TH/day, pushed like any reading through ingest
    const r = await post(`${s.url}/api/v1/ingest`, { readings: [{ device: 'GRID', metrics: { energy_price_usd_per_mwh: 120, hashprice_usd_per_ph_day: 50 } }] });
    expect(r.status).toBe(200);
    const e = await until('priced', async () => { const v = await event(); return v.figures.avoided_energy_usd !== null ? v : null; });
    // avoided energy = curtailed MWh × the energy price (README, Curtailment), in the same answer
    expect(e.figures.avoided_energy_usd).toBeCloseTo((e.figures.curtailed_mwh ?? NaN) * 120, 9);
    expect(e.figures.mining_revenue_cost_usd).toBeGreaterThan(0);
  });

  it('the miners inside the event read curtailed, and so does their rack', async () => {
    const dev = (await (await fetch(`${s.url}/api/v1/devices/M-01-01`)).json()) as DeviceStatus;
    expect(dev.curtailed).toBe(true);
    // They stopped hashing, as asked: degraded with the reason saying why, not a fault.
    expect(dev.reason).toBe('curtailed, not hashing');
    const rack = (await (await fetch(`${s.url}/api/v1/racks/M-01`)).json()) as { figures: RackFigures; devices: DeviceStatus[] };
    expect(rack.figures.curtailed).toBe(true);
    // the miners are curtailed, the rack's PDU and air sensor are not
    expect(rack.devices.filter((d) => d.curtailed).map((d) => d.id)).toEqual(['M-01-01', 'M-01-02', 'M-01-03']);
    const api = (await (await fetch(`${s.url}/api/v1/alerts`)).json()) as { alerts: AlertView[] };
    expect(api.alerts.filter((a) => a.alertname === 'MinerNotHashing')).toEqual([]);
  });

  it('cancel needs the write token, is audited, ends the event; it is still listed after a restart', async () => {
    const url = `${s.url}/api/v1/curtailments/${encodeURIComponent(id)}`;
    expect((await fetch(url, { method: 'DELETE' })).status).toBe(401);
    const res = await fetch(url, { method: 'DELETE', headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' }, body: JSON.stringify({ note: 'grid back to normal' }) });
    expect(res.status).toBe(200);
    const cancelled = ((await res.json()) as { curtailment: CurtailmentView }).curtailment;
    expect(cancelled.cancelled_at).not.toBeNull();
    expect((await fetch(url, { method: 'DELETE', headers: { authorization: `Bearer ${TOKEN}` } })).status).toBe(409);
    const ended = await until('ended', async () => { const v = await event(); return v.figures.phase === 'ended' ? v : null; });
    expect(ended.figures.baseline_w).toBe(10_000);
    // Miners are no longer curtailed once it is over: their status says so.
    await until('not curtailed', async () => !((await (await fetch(`${s.url}/api/v1/devices/M-01-01`)).json()) as DeviceStatus).curtailed);
    const list = (await (await fetch(`${s.url}/api/v1/curtailments`)).json()) as { curtailments: CurtailmentView[]; audit: { action: string; actor: string; note: string }[] };
    expect(list.audit.map((a) => [a.action, a.actor, a.note])).toEqual([['cancel', 'test', 'grid back to normal'], ['create', 'test', 'grid emergency drill']]);

    await sleep(300); // the frozen figures are written on the tick after the end
    socket.close();
    await s.close();
    s = await startServer({ model, dbPath, port: 0, host: '127.0.0.1', tickMs: 100, log: () => {} });
    const again = (await (await fetch(`${s.url}/api/v1/curtailments`)).json()) as { curtailments: CurtailmentView[] };
    const back = again.curtailments.find((c) => c.id === id);
    expect(back?.cancelled_at).toBe(cancelled.cancelled_at);
    expect(back?.figures.baseline_w).toBe(10_000);
    expect(back?.figures.curtailed_mwh).toBe(ended.figures.curtailed_mwh);
  }, 30_000);
});
