// The connectivity path end to end in the real server: a link whose router is the MikroTik recording
// (test/fixtures/snmp/routeros_rb750gr3.snmprec) served over UDP and polled by the snmp collector, a
// push-only link and a UPS fed over HTTP ingest; then the site figures, /metrics (promtool clean),
// UplinkLossHigh on the probe's loss and the all-links-down line.
import { spawnSync } from 'node:child_process';
import { createServer, type AddressInfo } from 'node:net';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AlertView, ConnectivityFigures } from '../../server/core/types.js';
import { startServer, type RunningServer } from '../../server/server.js';
import { SMALL_SITE_YAML, post, smallSite, tempDir } from '../helpers/site.js';
import { startSnmprecAgent, type Agent } from '../helpers/snmprec-agent.js';

describe('links and UPS in the running server', () => {
  const t = tempDir();
  let s: RunningServer;
  let router: Agent;

  beforeAll(async () => {
    // a port nothing listens on: bound, then closed
    const closedPort = await new Promise<number>((res) => {
      const srv = createServer();
      srv.listen(0, '127.0.0.1', () => {
        const port = (srv.address() as AddressInfo).port;
        srv.close(() => res(port));
      });
    });
    router = await startSnmprecAgent(readFileSync(new URL('../fixtures/snmp/routeros_rb750gr3.snmprec', import.meta.url), 'utf8'), 'public');
    const yaml = SMALL_SITE_YAML
      .replace('          - { id: M-01-env, kind: env }\n', '          - { id: M-01-env, kind: env }\n          - { id: UPS-1, kind: ups }\n')
      .replace('meters:\n', 'links:\n' +
        `  - { id: wan-a, router: { address: 127.0.0.1, port: ${router.port}, community: public }, interface: "wan: STCable (eth1)", capacity_bps: 100000000, probe: isp-a }\n` +
        `  - { id: wan-lan, router: { address: 127.0.0.1, port: ${router.port}, community: public }, interface: ether2, capacity_bps: 1000000000 }\n` +
        '  - { id: wan-b, capacity_bps: 50000000 }\nmeters:\n') +
      // wan-a's latency and loss are its probe's: a real TCP connect to a closed loopback port (refused, 100 % loss)
      `probes:\n  - { name: isp-a, target: "127.0.0.1:${closedPort}" }\n` +
      'collectors:\n  snmp: { interval_s: 0.2, timeout_ms: 500 }\n  probe: { interval_s: 0.5, timeout_ms: 500 }\n';
    s = await startServer({ model: smallSite(yaml), dbPath: join(t.dir, 'fw.db'), port: 0, host: '127.0.0.1', tickMs: 100, log: () => {} });
    const r = await post(`${s.url}/api/v1/ingest`, {
      readings: [
        { device: 'UPS-1', metrics: { on_battery: 1, battery_charge_pct: 62, battery_runtime_s: 900, load_pct: 41 } },
        { device: 'wan-b', metrics: { oper_up: 1, rx_bps: 20_000_000, tx_bps: 5_000_000, latency_ms: 12.5, loss_pct: 0 } },
        // a PDU as the SNMP profiles read one: input power, summed current and the busiest line's
        { device: 'M-01-pdu', metrics: { power_w: 7_360, current_a: 32.1, max_phase_current_a: 11.4 } },
      ],
    });
    expect(r.status).toBe(200);
    // two polls of the router: the second has a rate (0: the recording does not move)
    const end = Date.now() + 5000;
    for (;;) {
      s.hub.tick();
      const c = s.hub.figures().site.connectivity;
      if (c?.links[0].rx_bps !== null && c?.links[0].rx_bps !== undefined && c.links[0].loss_pct !== null) break;
      if (Date.now() > end) throw new Error('no rate from the router recording');
      await new Promise((res) => setTimeout(res, 100));
    }
  });
  afterAll(async () => {
    await s.close();
    await router.close();
    t.cleanup();
  });

  it('puts the links and the UPS in the site figures', async () => {
    const site = await (await fetch(`${s.url}/api/v1/site`)).json() as { figures: { site: { connectivity: ConnectivityFigures } } };
    const c = site.figures.site.connectivity;
    expect(c.links.map((l) => [l.id, l.up, l.reason, l.rx_bps])).toEqual([
      // the recording: ifOperStatus.2 up(1), ifOperStatus.3 (ether2) down(2)
      ['wan-a', true, null, 0], ['wan-lan', false, 'interface down', 0], ['wan-b', true, null, 20_000_000],
    ]);
    expect(c.links[2].utilisation).toBeCloseTo(0.4, 6); // 20 Mbit/s of 50
    // wan-a from its probe (5 connects refused: loss 100 %, no latency); wan-b as pushed; wan-lan names none
    expect(c.links.map((l) => [l.id, l.latency_ms, l.loss_pct])).toEqual([['wan-a', null, 100], ['wan-lan', null, null], ['wan-b', 12.5, 0]]);
    expect(c.links_down).toBe(1);
    expect(c.all_links_down).toBe(false);
    expect(c.ups).toEqual([{ id: 'UPS-1', hall: 'M', rack: 'M-01', answering: true, on_battery: true, battery_charge_pct: 62, battery_runtime_s: 900, load_pct: 41 }]);
  });

  it('exposes the link and UPS families in base units, promtool clean', async () => {
    const text = await (await fetch(`${s.url}/metrics`)).text();
    expect(text).toMatch(/^floorwatch_link_up\{link="wan-a"\} 1$/m);
    expect(text).toMatch(/^floorwatch_link_up\{link="wan-lan"\} 0$/m);
    // bytes, Prometheus' base unit: 20 Mbit/s = 2,500,000 B/s, 5 Mbit/s = 625,000 B/s
    expect(text).toMatch(/^floorwatch_link_receive_bytes_per_second\{link="wan-b"\} 2500000$/m);
    expect(text).toMatch(/^floorwatch_link_transmit_bytes_per_second\{link="wan-b"\} 625000$/m);
    expect(text).toMatch(/^floorwatch_link_receive_bytes_per_second\{link="wan-a"\} 0$/m);
    expect(text).toMatch(/^floorwatch_link_capacity_bytes_per_second\{link="wan-b"\} 6250000$/m);
    expect(text).toMatch(/^floorwatch_ups_on_battery\{device="UPS-1"\} 1$/m);
    expect(text).toMatch(/^floorwatch_ups_battery_charge_ratio\{device="UPS-1"\} 0\.62$/m);
    // PDU currents in amperes, per PDU with its place (the rack's power family is the PDU's too)
    expect(text).toMatch(/^floorwatch_pdu_power_watts\{hall="M",rack="M-01",device="M-01-pdu"\} 7360$/m);
    expect(text).toMatch(/^floorwatch_pdu_current_amperes\{hall="M",rack="M-01",device="M-01-pdu"\} 32\.1$/m);
    expect(text).toMatch(/^floorwatch_pdu_max_phase_current_amperes\{hall="M",rack="M-01",device="M-01-pdu"\} 11\.4$/m);
    const r = spawnSync('promtool', ['check', 'metrics'], { input: text, encoding: 'utf8' });
    expect(`${r.stdout}${r.stderr}`.trim()).toBe('');
    expect(r.status).toBe(0);
  });

  it('raises UplinkLossHigh for wan-a on its probe\'s loss, the one the figures show', async () => {
    s.hub.tick();
    const list = ((await (await fetch(`${s.url}/api/v1/alerts`)).json()) as { alerts: AlertView[] }).alerts;
    const loss = list.filter((a) => a.alertname === 'UplinkLossHigh');
    // wan-a's router gives no loss (SNMP has none); its probe's 5 refused connects are 100 %. wan-b's pushed
    // 0 % is fine, wan-lan is down (UplinkDown's) and names no probe.
    expect(loss.map((a) => [a.key, a.scope, a.state, a.value, a.summary])).toEqual([
      ['UplinkLossHigh:link:wan-a', 'link:wan-a', 'pending', 100, 'uplink wan-a losing 100 % of packets (above 5 %)'],
    ]);
    // a link placed in no hall concerns every hall: the API names none
    expect(loss[0].hall).toBeUndefined();
    // its `for` is 2 min: judged again 3 min on, on the same figures, it fires
    const input = s.hub.input();
    s.alerts.evaluate(s.hub.figures(), { ...input, now: input.now + 3 * 60_000, stale_after_ms: 10 * 60_000 });
    expect(s.alerts.active().filter((a) => a.alertname === 'UplinkLossHigh').map((a) => [a.scope, a.state])).toEqual([['link:wan-a', 'firing']]);
  });

  it('says all links down when every link is', async () => {
    await post(`${s.url}/api/v1/ingest`, { readings: [{ device: 'wan-b', metrics: { oper_up: 0 } }] });
    s.hub.tick();
    const c = s.hub.figures().site.connectivity!;
    // wan-a is still up from the router: one up link is not a cut-off site
    expect(c.all_links_down).toBe(false);
    expect(c.links_down).toBe(2);
  });
});
