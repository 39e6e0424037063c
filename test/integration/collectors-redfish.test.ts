// Every DMTF Redfish mockup in ../shared/fixtures/gpu served byte-exact by a real HTTP server on loopback and
// polled through the scheduler (devices with collector 'redfish' and a resource URL), normalised values read
// by hand from the files; then the failure reasons, Basic auth, and one site polled inside the real server.
import http from 'node:http';
import type net from 'node:net';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startScheduler } from '../../server/collectors/scheduler.js';
import { pollRedfish } from '../../server/collectors/redfish.js';
import { liquidHeatW } from '../../server/figures/cooling.js';
import { startServer } from '../../server/server.js';
import type { DeviceKind, DeviceModel, DeviceStatus, Reading } from '../../server/core/types.js';
import { smallSite, tempDir } from '../helpers/site.js';
import { freePort } from '../helpers/net.js';
import { collectorSettings } from '../helpers/collectors.js';

const FX = '/work/shared/fixtures/gpu/';
const F = {
  power: 'redfish_mockup_public-acd_Chassis-1U_Power_legacy.json',
  thermal: 'redfish_mockup_public-rackmount1_Chassis-1U_Thermal_legacy.json',
  envMetrics: 'redfish_mockup_public-acd_Chassis-1U_EnvironmentMetrics.json',
  thermalMetrics: 'redfish_mockup_public-acd_Chassis-1U_ThermalMetrics.json',
  psu: 'redfish_mockup_public-acd_PowerSupply-Bay1_Metrics.json',
  intake: 'redfish_mockup_public-acd_Sensor_IntakeTemp.json',
  totalPower: 'redfish_mockup_public-acd_Sensor_TotalPower.json',
  cdu: 'redfish_mockup_public-cooling-unit_CDU1_PrimaryCoolantConnector.json',
} as const;

let closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(closers.map((c) => c()));
  closers = [];
});

interface Fake {
  base: string;
  auth: (string | undefined)[];
}

/** One fake BMC: each fixture at /redfish/<file>, byte-exact; /text answers non-JSON, anything else 404. */
async function fakeBmc(): Promise<Fake> {
  const files = new Map(Object.values(F).map((f) => [`/redfish/${f}`, readFileSync(FX + f)]));
  const auth: (string | undefined)[] = [];
  const server = http.createServer((req, res) => {
    auth.push(req.headers.authorization);
    const body = files.get(req.url ?? '');
    if (req.url === '/text') return void res.writeHead(200, { 'content-type': 'text/html' }).end('<html>login</html>');
    if (body === undefined) return void res.writeHead(404).end();
    res.writeHead(200, { 'content-type': 'application/json' }).end(body);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  closers.push(() => new Promise<void>((r) => {
    server.closeAllConnections();
    server.close(() => r());
  }));
  return { base: `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`, auth };
}

const dev = (id: string, kind: DeviceKind, url: string): DeviceModel => ({ id, kind, redfish: url, collector: 'redfish' });

describe('Redfish mockups polled over HTTP through the scheduler', () => {
  it('normalises every mockup to the hand-read values', async () => {
    const bmc = await fakeBmc();
    const u = (f: string): string => `${bmc.base}/redfish/${f}`;
    const devices = [
      dev('env-thermal', 'env', u(F.thermal)),
      dev('env-thermal-metrics', 'env', u(F.thermalMetrics)),
      dev('env-env-metrics', 'env', u(F.envMetrics)),
      dev('env-intake', 'env', u(F.intake)),
      dev('pdu-power', 'pdu', u(F.power)),
      dev('pdu-psu', 'pdu', u(F.psu)),
      dev('pdu-env-metrics', 'pdu', u(F.envMetrics)),
      dev('pdu-sensor', 'pdu', u(F.totalPower)),
      dev('meter-sensor', 'meter', u(F.totalPower)),
      dev('meter-power', 'meter', u(F.power)),
      dev('cdu', 'cooling_loop', u(F.cdu)),
    ];
    const latest = new Map<string, Reading>();
    const errors: string[] = [];
    const s = { interval_s: 0.2, timeout_ms: 1000, concurrency: 4 };
    const sched = startScheduler({
      devices, catalogue: new Map(), settings: collectorSettings(s),
      sink: { accept: (rs) => rs.forEach((r) => latest.set(r.device, r)), deviceError: (d, reason) => errors.push(`${d}: ${reason}`) },
    });
    const end = Date.now() + 3000;
    while (latest.size < devices.length && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
    await sched.stop();
    expect(errors).toEqual([]);
    expect(sched.stats().targets).toBe(11);
    const m = (id: string): Reading['metrics'] | undefined => latest.get(id)?.metrics;

    // Legacy Thermal: Temperatures[2] "Chassis Intake Temp" (PhysicalContext Intake) reads 25; the two CPU
    // sensors (41, and CPU2 Disabled) are not air; no Exhaust member, so no outlet key at all.
    expect(m('env-thermal')).toEqual({ inlet_temp_c: 25 });
    // ThermalMetrics summary: Intake 24.8, Exhaust 40.5 (Internal 39 and Ambient 22.5 are not used).
    expect(m('env-thermal-metrics')).toEqual({ inlet_temp_c: 24.8, outlet_temp_c: 40.5 });
    // EnvironmentMetrics.TemperatureCelsius is 39 but its DataSourceUri is Sensors/CPU1Temp: a CPU, not the
    // air intake, so inlet is unknown rather than a false 39 °C rack inlet.
    expect(m('env-env-metrics')).toEqual({ inlet_temp_c: null });
    // Sensor IntakeTemp: Reading 24.8, ReadingUnits "Cel", PhysicalContext "Intake".
    expect(m('env-intake')).toEqual({ inlet_temp_c: 24.8 });
    // Legacy Power: PowerControl[0].PowerConsumedWatts 344 (not the 800 W capacity, nor the 319 W average).
    expect(m('pdu-power')).toEqual({ power_w: 344 });
    expect(m('meter-power')).toEqual({ power_w: 344 });
    // PowerSupplyMetrics: InputPowerWatts.Reading 937.4.
    expect(m('pdu-psu')).toEqual({ power_w: 937.4 });
    // EnvironmentMetrics.PowerWatts.Reading 374; Sensor TotalPower Reading 374 W.
    expect(m('pdu-env-metrics')).toEqual({ power_w: 374 });
    expect(m('pdu-sensor')).toEqual({ power_w: 374 });
    expect(m('meter-sensor')).toEqual({ power_w: 374 });
    // CoolantConnector: supply 30 °C, return 40 °C, flow 42 L/min.
    expect(m('cdu')).toEqual({ supply_temp_c: 30, return_temp_c: 40, flow_lpm: 42 });
    // The mockup's own HeatRemovedkW says 25.48, but 42 L/min of water over 10 K is
    // 42/60000 m³/s × 998 kg/m³ × 4186 J/(kg·K) × 10 K = 0.0007 × 998 × 41860 = 29,243.4 W. The mockup's
    // figures are illustrative and disagree with themselves; Floorwatch computes heat from flow and ΔT.
    const q = liquidHeatW(42, 30, 40, 'water');
    expect(q).toBeCloseTo(29243.4, 1);
    expect(q! / 1000).not.toBeCloseTo(25.48, 0);
  });

  it('names the failure: HTTP status, not JSON, wrong resource for the kind, refused, timeout', async () => {
    const bmc = await fakeBmc();
    const fail = async (d: DeviceModel, timeout_ms = 1000): Promise<string> =>
      pollRedfish(d, timeout_ms).then(() => 'no error', (e: { reason?: string }) => e.reason ?? 'no reason');
    expect(await fail(dev('a', 'env', `${bmc.base}/redfish/v1/nope`))).toBe('bad reply: HTTP 404');
    expect(await fail(dev('b', 'env', `${bmc.base}/text`))).toBe('bad reply: not JSON');
    // An env device pointed at the Power resource: nothing to read, so it shows as a fault, not as "no data".
    expect(await fail(dev('c', 'env', `${bmc.base}/redfish/${F.power}`))).toBe('bad reply: no env readings in Power resource');
    expect(await fail(dev('d', 'pdu', `${bmc.base}/redfish/${F.intake}`))).toBe('bad reply: no pdu readings in Sensor resource');
    expect(await fail(dev('e', 'env', `http://127.0.0.1:${await freePort()}/redfish/v1`))).toBe('refused');

    const hung = http.createServer(() => {});
    await new Promise<void>((r) => hung.listen(0, '127.0.0.1', r));
    closers.push(() => new Promise<void>((r) => {
      hung.closeAllConnections();
      hung.close(() => r());
    }));
    const t0 = Date.now();
    expect(await fail(dev('f', 'env', `http://127.0.0.1:${(hung.address() as net.AddressInfo).port}/x`), 150)).toBe('timeout');
    expect(Date.now() - t0).toBeLessThan(1000);
  });

  it('sends user:password from the URL as HTTP Basic auth, not in the URL', async () => {
    const bmc = await fakeBmc();
    const url = bmc.base.replace('http://', 'http://admin:p%40ss@') + `/redfish/${F.intake}`;
    const r = await pollRedfish(dev('s', 'env', url), 1000, () => 1_764_010_800_000);
    expect(r).toEqual({ device: 's', ts: 1_764_010_800_000, metrics: { inlet_temp_c: 24.8 } });
    // base64("admin:p@ss") = "YWRtaW46cEBzcw=="
    expect(bmc.auth.at(-1)).toBe('Basic YWRtaW46cEBzcw==');
  });
});

describe('Redfish devices inside the server', () => {
  it('a rack air sensor, a PDU and a CDU loop configured with redfish URLs come up with the mockup values', async () => {
    const bmc = await fakeBmc();
    const t = tempDir();
    const yaml = `
site: { name: Redfish }
halls:
  - id: G
    racks:
      - id: G-01
        row: 1
        col: 1
        rated_kw: 20
        devices:
          - { id: G-01-env, kind: env, redfish: "${bmc.base}/redfish/${F.thermalMetrics}" }
          - { id: G-01-pdu, kind: pdu, redfish: "${bmc.base}/redfish/${F.psu}" }
cooling_loops:
  - { id: CDU1, fluid: water, racks: [G-01], redfish: "${bmc.base}/redfish/${F.cdu}" }
collectors:
  redfish: { interval_s: 0.5, timeout_ms: 500, concurrency: 4 }
auth: { ingest_tokens: [{ name: t, token: t }] }
`;
    const s = await startServer({ model: smallSite(yaml), dbPath: join(t.dir, 'fw.db'), port: 0, host: '127.0.0.1', tickMs: 200, log: () => {} });
    try {
      const device = async (id: string): Promise<DeviceStatus> =>
        (await (await fetch(`${s.url}/api/v1/devices/${encodeURIComponent(id)}`)).json()) as DeviceStatus;
      const end = Date.now() + 5000;
      let env: DeviceStatus, pdu: DeviceStatus, cdu: DeviceStatus;
      for (;;) {
        [env, pdu, cdu] = await Promise.all([device('G-01-env'), device('G-01-pdu'), device('CDU1')]);
        if ((env.last_seen !== null && pdu.last_seen !== null && cdu.last_seen !== null) || Date.now() > end) break;
        await new Promise((r) => setTimeout(r, 100));
      }
      expect(env.metrics).toMatchObject({ inlet_temp_c: 24.8, outlet_temp_c: 40.5 });
      expect(pdu.metrics).toMatchObject({ power_w: 937.4 });
      expect(cdu.metrics).toMatchObject({ supply_temp_c: 30, return_temp_c: 40, flow_lpm: 42 });
      const metrics = await (await fetch(`${s.url}/metrics`)).text();
      expect(metrics).toMatch(/^floorwatch_collector_poll_duration_seconds_count\{collector="redfish"\} [1-9]/m);
    } finally {
      await s.close();
      t.cleanup();
    }
  });
});
