// Every SNMP recording in test/fixtures/snmp (LibreNMS's snmpsim walks of real devices, byte-exact: see the
// README there) served by a replaying agent on a real UDP socket and polled through the scheduler, each
// mapped value checked against the number read by hand from the file (the OID lines are quoted beside each).
// Then the failures: a closed port, a wrong community and a walk that never ends, each with its reason,
// while a good agent beside them keeps its interval.
import { readFileSync } from 'node:fs';
import snmp from 'net-snmp';
import { afterEach, describe, expect, it } from 'vitest';
import { startScheduler } from '../../server/collectors/scheduler.js';
import { walkAgent } from '../../server/collectors/snmp.js';
import { SNMP_DEFAULT_MAX_OIDS, SNMP_DEFAULT_MAX_REPETITIONS } from '../../server/collectors/snmp-config.js';
import type { DeviceKind, DeviceModel, Reading, SnmpAccess } from '../../server/core/types.js';
import { collectorSettings } from '../helpers/collectors.js';
import { freeUdpPort } from '../helpers/snmpd.js';
import { startSnmprecAgent, type Agent } from '../helpers/snmprec-agent.js';

const FX = new URL('../fixtures/snmp/', import.meta.url);
const rec = (name: string): string => readFileSync(new URL(`${name}.snmprec`, FX), 'utf8');

let agents: Agent[] = [];
afterEach(async () => {
  await Promise.all(agents.map((a) => a.close()));
  agents = [];
});

async function agent(name: string, community = 'public', opts: { endless?: string } = {}): Promise<Agent> {
  const a = await startSnmprecAgent(rec(name), community, opts);
  agents.push(a);
  return a;
}

function dev(id: string, kind: DeviceKind, port: number, profile: string, more: Partial<SnmpAccess> = {}, community = 'public'): DeviceModel {
  return {
    id, kind, collector: 'snmp', snmp: `127.0.0.1:${port}`,
    snmp_access: {
      credentials: { version: '2c', community }, profile,
      max_repetitions: SNMP_DEFAULT_MAX_REPETITIONS, max_oids: SNMP_DEFAULT_MAX_OIDS, ...more,
    },
  };
}

interface Run {
  latest: Map<string, Reading>;
  readings: Map<string, Reading[]>;
  errors: Map<string, string[]>;
}

async function poll(devices: DeviceModel[], until: (r: Run) => boolean, ms = 5000, interval_s = 0.2): Promise<Run & { stats: ReturnType<ReturnType<typeof startScheduler>['stats']> }> {
  const run: Run = { latest: new Map(), readings: new Map(), errors: new Map() };
  const sched = startScheduler({
    devices, catalogue: new Map(), settings: collectorSettings({ interval_s, timeout_ms: 300, concurrency: 8 }),
    max_backoff_factor: 2,
    sink: {
      accept: (rs) => rs.forEach((r) => {
        run.latest.set(r.device, r);
        run.readings.set(r.device, [...(run.readings.get(r.device) ?? []), r]);
      }),
      deviceError: (d, reason) => run.errors.set(d, [...(run.errors.get(d) ?? []), reason]),
    },
  });
  const end = Date.now() + ms;
  while (!until(run) && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
  await sched.stop();
  return { ...run, stats: sched.stats() };
}

describe('SNMP recordings polled through the scheduler', () => {
  it('maps every recording to the values read by hand', async () => {
    const [apc, raritan, sentry, eaton, ups, emu, router] = await Promise.all([
      agent('apc_ap8853'), agent('raritan-pdu_px2'), agent('sentry4'), agent('eatonpdu_2'),
      agent('generex-ups_cs141'), agent('apc_emu'), agent('routeros_rb750gr3'),
    ]);
    const devices = [
      dev('pdu-apc', 'pdu', apc.port, 'apc-rpdu2'),
      dev('pdu-raritan', 'pdu', raritan.port, 'raritan-pdu2'),
      dev('pdu-sentry', 'pdu', sentry.port, 'sentry4'),
      dev('pdu-eaton', 'pdu', eaton.port, 'eaton-epdu'),
      dev('ups-1', 'ups', ups.port, 'ups-mib'),
      dev('env-emu', 'env', emu.port, 'apc-env', { inlet_probe: 1, outlet_probe: 3 }),
      dev('env-emu-4', 'env', emu.port, 'apc-env', { inlet_probe: 4 }),
      dev('wan', 'network_link', router.port, 'if-mib', { interface: 'wan: STCable (eth1)' }),
      dev('ether2', 'network_link', router.port, 'if-mib', { interface: 3 }),
    ];
    const r = await poll(devices, (run) => (run.readings.get('wan')?.length ?? 0) >= 2 && run.latest.size === devices.length);
    expect([...r.errors]).toEqual([]);
    // The two env devices share the EMU's agent, the two links the router's: 7 agents, 7 targets.
    expect(r.stats.targets).toBe(7);
    const m = (id: string): Reading['metrics'] | undefined => r.latest.get(id)?.metrics;

    // apc_ap8853: 1.3.6.1.4.1.318.1.1.26.4.3.1.5.1|2|114  rPDU2DeviceStatusPower, hundredths of kW → 1140 W
    //   1.3.6.1.4.1.318.1.1.26.6.3.1.5.1|2|49   rPDU2PhaseStatusCurrent, tenths of A → 4.9 A (one phase), checked
    //   against 1.3.6.1.4.1.318.1.1.26.6.3.1.6.1|2|242 (V) and ….4.3.1.17.1|2|96 (power factor, hundredths):
    //   242 V × 4.9 A × 0.96 = 1138 W ≈ the 1140 W above
    expect(m('pdu-apc')).toEqual({ power_w: 1140, current_a: 4.9, max_phase_current_a: 4.9 });
    // raritan-pdu_px2: 1.3.6.1.4.1.13742.6.5.2.3.1.4.1.1.5|66|138 (inlet 1, activePower(5)) with
    // 1.3.6.1.4.1.13742.6.3.3.4.1.7.1.1.5|66|0 decimal digits → 138 W
    //   1.3.6.1.4.1.13742.6.5.2.3.1.4.1.1.1|66|680 (rmsCurrent(1)) with ….3.3.4.1.7.1.1.1|66|3 digits → 0.68 A
    //   (against ….5.2.3.1.4.1.1.4|66|233 V: 158 VA for the 138 W); no per-line (pole) sensors: no max_phase_current_a
    expect(m('pdu-raritan')).toEqual({ power_w: 138, current_a: 0.68 });
    // sentry4: st4InputCordActivePower 1.3.6.1.4.1.1718.4.1.3.3.1.3.1.1|2|1701 + ….3.2.1|2|1265 → 2966 W
    //   st4LineCurrent (hundredths of A), unit.cord.line: 1.3.6.1.4.1.1718.4.1.4.3.1.3.1.1.1|2|560, ….1.1.2|2|369,
    //   ….1.1.3|2|560, ….2.1.1|2|384, ….2.1.2|2|363, ….2.1.3|2|346 → 25.82 A in all, the busiest line 5.60 A.
    //   Checked on cord AA (208 V delta, st4InputCordApparentPower ….3.3.1.5.1.1|2|1790 VA):
    //   √3 × 208 V × (5.60 + 3.69 + 5.60) / 3 A = 1788 VA
    expect(m('pdu-sentry')).toEqual({ power_w: 2966, current_a: 25.82, max_phase_current_a: 5.6 });
    // eatonpdu_2: inputTotalWatts 1.3.6.1.4.1.534.6.6.7.3.5.1.4.0.1|2|1584 → 1584 W (not the 1673 VA beside it)
    //   inputCurrent 1.3.6.1.4.1.534.6.6.7.3.3.1.4.0.1.1|2|14108 mA → 14.108 A, inputCurrentMeasType
    //   ….3.3.1.2.0.1.1|2|1 singlePhase; checked against inputVoltage ….3.2.1.3.0.1.1|2|118450 mV:
    //   118.45 V × 14.108 A = 1671 VA ≈ the 1673 VA, and inputCurrentPercentLoad ….3.3.1.11.0.1.1|2|88 of 16 A
    expect(m('pdu-eaton')).toEqual({ power_w: 1584, current_a: 14.108, max_phase_current_a: 14.108 });
    // generex-ups_cs141 (RFC 1628):
    //   1.3.6.1.2.1.33.1.4.1.0|2|4            upsOutputSource bypass(4): not on battery
    //   1.3.6.1.2.1.33.1.2.3.0|2|544          upsEstimatedMinutesRemaining → 32640 s
    //   1.3.6.1.2.1.33.1.2.4.0|2|100          upsEstimatedChargeRemaining 100 %
    //   1.3.6.1.2.1.33.1.4.4.1.4.{1,2,3}|2|-4, 469, -26   upsOutputPower: two lines negative, out of the
    //                                         MIB's NonNegativeInteger, so the total is unknown (null), not 439 W
    //   1.3.6.1.2.1.33.1.4.4.1.5.{1,2,3}|2|2, 14, 2       upsOutputPercentLoad → the most loaded line, 14 %
    //   no upsInputTruePower (1.3.6.1.2.1.33.1.3.3.1.5) in the walk → input power null
    expect(m('ups-1')).toEqual({
      input_power_w: null, output_power_w: null, load_pct: 14, battery_charge_pct: 100, battery_runtime_s: 32640, on_battery: 0,
    });
    // apc_emu (emsProbeStatusTable 1.3.6.1.4.1.318.1.1.10.3.13.1.1):
    //   .3.1|2|18 probe 1 "Airco uitstroom" 18 °C, .6.1|2|30 humidity 30 %, .10.1|2|2 commsEstablished
    //   .3.3|2|27 probe 3 "Retour airco kamer" 27 °C, .10.3|2|2
    //   .10.4|2|1 probe 4 commsNeverDiscovered: its 27 (.3.4) is not a reading → null
    expect(m('env-emu')).toEqual({ inlet_temp_c: 18, humidity_pct: 30, outlet_temp_c: 27 });
    expect(m('env-emu-4')).toEqual({ inlet_temp_c: null, humidity_pct: null });
    // routeros_rb750gr3: 1.3.6.1.2.1.31.1.1.1.1.2|4|wan: STCable (eth1) → ifIndex 2;
    //   1.3.6.1.2.1.2.2.1.8.2|2|1 up. The first poll has no rate (null); the recording's counters do not move,
    //   so the second is 0 bit/s and 0 errors/s.
    const wan = r.readings.get('wan')!;
    expect(wan[0].metrics).toEqual({ rx_bps: null, tx_bps: null, oper_up: 1, errors_per_s: null });
    expect(wan[1].metrics).toEqual({ rx_bps: 0, tx_bps: 0, oper_up: 1, errors_per_s: 0 });
    // 1.3.6.1.2.1.2.2.1.8.3|2|2: ether2 is down
    expect(m('ether2')?.oper_up).toBe(0);
  });

  it('reads generic ENTITY-SENSOR-MIB temperatures with their scale and precision (entity-sensor)', async () => {
    const [aruba, cumulus] = await Promise.all([agent('arubaos-cx_10.10'), agent('cumulus_edgecore-as4610-54p')]);
    const devices = [
      dev('env-aruba', 'env', aruba.port, 'entity-sensor'),
      dev('env-aruba-psu', 'env', aruba.port, 'entity-sensor', { inlet_probe: 7201 }),
      dev('env-cumulus', 'env', cumulus.port, 'entity-sensor', { inlet_probe: 100000001 }),
    ];
    const r = await poll(devices, (run) => run.latest.size === devices.length);
    expect([...r.errors]).toEqual([]);
    const m = (id: string): Reading['metrics'] | undefined => r.latest.get(id)?.metrics;
    // arubaos-cx_10.10 (entPhySensorTable 1.3.6.1.2.1.99.1.1.1), entPhysicalName ….47.1.1.1.1.7.7001 "Temp Sensor":
    //   .1.7001|2|8 celsius, .2.7001|2|8 milli, .3.7001|2|0 precision, .4.7001|2|21625, .5.7001|2|1 ok → 21.625 °C
    //   no percentRH(9) sensor in the walk → humidity null
    expect(m('env-aruba')).toEqual({ inlet_temp_c: 21.625, humidity_pct: null });
    //   .1.7201|2|6 watts ("Power sensor for power supply 1/1"): not a temperature, so named as inlet it gives none
    expect(m('env-aruba-psu')).toEqual({ inlet_temp_c: null, humidity_pct: null });
    // cumulus_edgecore-as4610-54p, ….47.1.1.1.1.2.100000001 "Ambient Temperature":
    //   .1.100000001|2|8 celsius, .2.100000001|2|9 units, .3.100000001|2|1 precision, .4.100000001|2|415 → 41.5 °C
    //   (the recording has no .5 operStatus column: read as the agent gives it)
    expect(m('env-cumulus')).toEqual({ inlet_temp_c: 41.5, humidity_pct: null });
  });

  it('reads Counter64 and strings from the wire as the recording holds them', async () => {
    const router = await agent('routeros_rb750gr3');
    const { varbinds } = await walkAgent(`127.0.0.1:${router.port}`, { version: '2c', community: 'public' },
      ['1.3.6.1.2.1.31.1.1.1.6', '1.3.6.1.2.1.31.1.1.1.1'], { timeout_ms: 1000, max_repetitions: 10, max_oids: 1000 });
    // 1.3.6.1.2.1.31.1.1.1.6.2|70|1493725213 and 1.3.6.1.2.1.31.1.1.1.1.2|4|wan: STCable (eth1)
    expect(varbinds.get('1.3.6.1.2.1.31.1.1.1.6.2')).toBe(1493725213n);
    expect(varbinds.get('1.3.6.1.2.1.31.1.1.1.1.2')).toBe('wan: STCable (eth1)');
    // 14 interfaces in each column, nothing from outside the two subtrees
    expect(varbinds.size).toBe(28);
  });

  it('the replayer answers GET and GETNEXT as an agent would (the helper is checked too)', async () => {
    const ups = await agent('generex-ups_cs141');
    const session = snmp.createSession('127.0.0.1', 'public', { port: ups.port, version: snmp.Version2c, retries: 0, timeout: 1000 });
    try {
      const get = await new Promise<snmp.Varbind[]>((res, rej) => session.get(['1.3.6.1.2.1.33.1.2.4.0', '1.3.6.1.2.1.33.1.9.9.0'], (e, v) => (e ? rej(e) : res(v ?? []))));
      // 1.3.6.1.2.1.33.1.2.4.0|2|100; the second OID is not in the recording: noSuchObject
      expect(get[0].value).toBe(100);
      expect(get[1].type).toBe(snmp.ObjectType.NoSuchObject);
      const next = await new Promise<snmp.Varbind[]>((res, rej) => session.getNext(['1.3.6.1.2.1.33.1.2.4.0'], (e, v) => (e ? rej(e) : res(v ?? []))));
      // the line after it: 1.3.6.1.2.1.33.1.2.5.0|2|2716
      expect([next[0].oid, next[0].value]).toEqual(['1.3.6.1.2.1.33.1.2.5.0', 2716]);
    } finally {
      session.close();
    }
  });

  it('names a closed port, a wrong community and an endless walk, and the good agent keeps its interval', async () => {
    const good = await agent('apc_ap8853');
    const wrong = await agent('apc_ap8853', 'secret');
    const endless = await agent('generex-ups_cs141', 'public', { endless: '1.3.6.1.2.1.33.1.2' });
    const closed = await freeUdpPort();
    const devices = [
      dev('good', 'pdu', good.port, 'apc-rpdu2'),
      dev('dead', 'pdu', closed, 'apc-rpdu2'),
      dev('wrong', 'pdu', wrong.port, 'apc-rpdu2'),
      dev('endless', 'ups', endless.port, 'ups-mib', { max_oids: 200 }),
    ];
    const t0 = Date.now();
    const r = await poll(devices, () => Date.now() - t0 > 2000, 2500, 0.2);
    expect(r.errors.get('good')).toBeUndefined();
    expect(new Set(r.errors.get('dead'))).toEqual(new Set(['refused']));
    expect(new Set(r.errors.get('wrong'))).toEqual(new Set(['timeout (no reply: wrong community, or no agent)']));
    expect(new Set(r.errors.get('endless'))).toEqual(new Set(['bad reply: walk cut at 200 OIDs (in 1.3.6.1.2.1.33.1.2): max_oids']));
    // Each poll of the endless agent stops at the 201st OID: 9 GetBulk requests of 25, never more.
    expect(endless.requests() % 9).toBe(0);
    expect(endless.requests()).toBeGreaterThan(0);
    // 2 s at 0.2 s: about 10 polls of the good agent whatever the others do (at least 8 with the jittered start).
    expect(r.readings.get('good')!.length).toBeGreaterThanOrEqual(8);
    expect(r.latest.get('good')!.metrics).toEqual({ power_w: 1140, current_a: 4.9, max_phase_current_a: 4.9 });
  });
});
