// The SNMP collector's pure parts with hand-worked values: counter rates across a Counter32 wrap and a
// Counter64 reset (RFC 2863 §3.1.6), finding an interface by ifIndex or name, the UPS-MIB mapping on a
// hand-built walk; then the `snmp:` block and `links:` config, read into typed values or errors by path.
import { describe, expect, it } from 'vitest';
import { counterRate, findInterface, ifMib } from '../../server/collectors/snmp-profiles/if-mib.js';
import { upsMib } from '../../server/collectors/snmp-profiles/ups-mib.js';
import { eatonEpdu, sentry4 } from '../../server/collectors/snmp-profiles/pdu.js';
import type { SnmpValue } from '../../server/collectors/snmp-profiles/types.js';
import { parseConfig } from '../../server/config/index.js';
import type { SnmpAccess } from '../../server/core/types.js';

const ACCESS: SnmpAccess = { credentials: { version: '2c', community: 'public' }, profile: 'if-mib', max_repetitions: 25, max_oids: 5000, interface: 'wan0' };

describe('counter rates', () => {
  it('divides the delta by the seconds between samples', () => {
    // 1,250,000 octets in 10 s = 125,000 octets/s
    expect(counterRate(1_000_000n, 2_250_000n, 10, 64)).toBe(125_000);
  });
  it('counts a Counter32 that went backwards as one wrap at 2^32', () => {
    // 4,294,967,000 → 704: delta = 704 + 4,294,967,296 − 4,294,967,000 = 1000 over 4 s = 250/s
    expect(counterRate(4_294_967_000n, 704n, 4, 32)).toBe(250);
  });
  it('gives no rate for a Counter64 that went backwards (a reset), nor without time or a previous sample', () => {
    expect(counterRate(5_000n, 10n, 10, 64)).toBeNull();
    expect(counterRate(null, 10n, 10, 64)).toBeNull();
    expect(counterRate(1n, 10n, 0, 64)).toBeNull();
  });
});

const IF = (rows: Record<string, SnmpValue>): Map<string, SnmpValue> => new Map(Object.entries(rows));

describe('the if-mib profile', () => {
  it('finds the interface by ifIndex, ifName, then ifDescr', () => {
    const w = IF({ '1.3.6.1.2.1.31.1.1.1.1.7': 'wan0', '1.3.6.1.2.1.2.2.1.2.9': 'GigabitEthernet0/1' });
    expect(findInterface(w, 3)).toBe('3');
    expect(findInterface(w, 'wan0')).toBe('7');
    expect(findInterface(w, 'GigabitEthernet0/1')).toBe('9');
    expect(findInterface(w, 'nope')).toBeNull();
  });

  it('turns octet counters into bits per second, and a reset into null', () => {
    const map = ifMib.mapper(ACCESS);
    const at = (inOct: bigint, outOct: bigint, inErr: number, outErr: number): Map<string, SnmpValue> => IF({
      '1.3.6.1.2.1.31.1.1.1.1.7': 'wan0', '1.3.6.1.2.1.2.2.1.8.7': 1,
      '1.3.6.1.2.1.31.1.1.1.6.7': inOct, '1.3.6.1.2.1.31.1.1.1.10.7': outOct,
      '1.3.6.1.2.1.2.2.1.14.7': inErr, '1.3.6.1.2.1.2.2.1.20.7': outErr,
    });
    expect(map(at(1_000n, 2_000n, 5, 0), 0)).toEqual({ rx_bps: null, tx_bps: null, oper_up: 1, errors_per_s: null });
    // 30 s later: +37,500,000 octets in × 8 / 30 s = 10 Mbit/s; +3,750,000 out = 1 Mbit/s; 3 + 3 errors / 30 s = 0.2/s
    expect(map(at(37_501_000n, 3_752_000n, 8, 3), 30_000)).toEqual({ rx_bps: 10_000_000, tx_bps: 1_000_000, oper_up: 1, errors_per_s: 0.2 });
    // the router rebooted: every counter restarts low; no rate (the Counter32 errors did not wrap either)
    expect(map(at(500n, 100n, 0, 0), 60_000)).toEqual({ rx_bps: null, tx_bps: null, oper_up: 1, errors_per_s: null });
  });
});

describe('the ups-mib profile', () => {
  it('reads on battery from upsOutputSource battery(5), else from upsSecondsOnBattery', () => {
    const map = upsMib.mapper({ ...ACCESS, profile: 'ups-mib' });
    expect(map(IF({ '1.3.6.1.2.1.33.1.4.1.0': 5 }), 0).on_battery).toBe(1);
    expect(map(IF({ '1.3.6.1.2.1.33.1.4.1.0': 3, '1.3.6.1.2.1.33.1.2.2.0': 0 }), 0).on_battery).toBe(0);
    expect(map(IF({ '1.3.6.1.2.1.33.1.2.2.0': 120 }), 0).on_battery).toBe(1);
    expect(map(IF({}), 0)).toEqual({ input_power_w: null, output_power_w: null, load_pct: null, battery_charge_pct: null, battery_runtime_s: null, on_battery: null });
  });
});

// Reconstructed walks (hand-written, not captured): the three-phase cases no recording in test/fixtures/snmp
// has. The real single-phase Eaton and three-phase Sentry4 are asserted in collectors-snmp.test.ts.
describe('the pdu profiles\' currents (reconstructed three-phase walks)', () => {
  it('eaton-epdu: sums the three phases\' inputCurrent (mA), leaves the neutral row out, and names the busiest', () => {
    const map = eatonEpdu.mapper({ ...ACCESS, profile: 'eaton-epdu' });
    const T = '1.3.6.1.4.1.534.6.6.7.3.3.1.2.0.1', I = '1.3.6.1.4.1.534.6.6.7.3.3.1.4.0.1';
    // measType neutral(2), phase1(3), phase2(4), phase3(5)
    const w = IF({ [`${T}.1`]: 2, [`${T}.2`]: 3, [`${T}.3`]: 4, [`${T}.4`]: 5, [`${I}.1`]: 1500, [`${I}.2`]: 10_250, [`${I}.3`]: 9_000, [`${I}.4`]: 11_125 });
    expect(map(w, 0)).toMatchObject({ current_a: 30.375, max_phase_current_a: 11.125 });
    // a line the MIB marks unavailable (-1) makes the total unknown, never a smaller number
    expect(map(IF({ [`${T}.2`]: 3, [`${T}.3`]: 4, [`${I}.2`]: 10_250, [`${I}.3`]: -1 }), 0)).toMatchObject({ current_a: null, max_phase_current_a: null });
    expect(map(IF({}), 0)).toEqual({ power_w: null, current_a: null, max_phase_current_a: null });
  });

  it('sentry4: st4LineCurrent -1 (not available) on any line is unknown, not 0', () => {
    const map = sentry4.mapper({ ...ACCESS, profile: 'sentry4' });
    const L = '1.3.6.1.4.1.1718.4.1.4.3.1.3.1.1';
    expect(map(IF({ [`${L}.1`]: 1200, [`${L}.2`]: 1300, [`${L}.3`]: 1250 }), 0)).toMatchObject({ current_a: 37.5, max_phase_current_a: 13 });
    expect(map(IF({ [`${L}.1`]: 1200, [`${L}.2`]: -1, [`${L}.3`]: 1250 }), 0)).toMatchObject({ current_a: null, max_phase_current_a: null });
  });
});

const SITE = 'site: { name: T }\nhalls:\n  - id: H\n    racks:\n      - id: R\n        row: 1\n        col: 1\n        rated_kw: 10\n        devices:\n';

describe('snmp: blocks and links: in config', () => {
  it('reads a v2c PDU, a v3 UPS and two links on one router into typed devices', () => {
    const r = parseConfig(`${SITE}` +
      '          - { id: pdu-1, kind: pdu, snmp: { address: 10.0.4.21, community: public, profile: apc-rpdu2 } }\n' +
      '          - { id: ups-1, kind: ups, snmp: { address: 10.0.4.30, port: 1161, version: 3, profile: ups-mib,\n' +
      '              user: { name: fw, auth_protocol: sha256, auth_key: authkey123, priv_protocol: aes, priv_key: privkey123 } } }\n' +
      'links:\n' +
      '  - { id: wan-a, router: &edge { address: 10.0.0.1, community: public }, interface: ether1, capacity_bps: 1000000000 }\n' +
      '  - { id: wan-b, router: *edge, interface: 2, capacity_bps: 500000000, probe: isp-b }\n' +
      'probes:\n  - { name: isp-b, target: "192.0.2.1:443" }\n', { env: {} });
    if (!r.ok) throw new Error(r.errors.join('\n'));
    expect(r.model.devices.get('pdu-1')).toMatchObject({
      kind: 'pdu', collector: 'snmp', snmp: '10.0.4.21:161',
      snmp_access: { credentials: { version: '2c', community: 'public' }, profile: 'apc-rpdu2', max_repetitions: 25, max_oids: 5000 },
    });
    expect(r.model.devices.get('ups-1')?.snmp).toBe('10.0.4.30:1161');
    expect(r.model.devices.get('ups-1')?.snmp_access?.credentials).toEqual({
      version: '3', user: 'fw', auth: { protocol: 'sha256', key: 'authkey123' }, priv: { protocol: 'aes', key: 'privkey123' },
    });
    expect(r.model.links).toEqual([{ id: 'wan-a', capacity_bps: 1e9 }, { id: 'wan-b', capacity_bps: 5e8, probe: 'probe:isp-b' }]);
    expect(r.model.devices.get('wan-b')).toMatchObject({ kind: 'network_link', collector: 'snmp', snmp: '10.0.0.1:161', snmp_access: { profile: 'if-mib', interface: 2 } });
  });

  it('names a link\'s probe by its probes: entry, and refuses one that is not there', () => {
    const r = parseConfig(`${SITE}          - { id: pdu-1, kind: pdu }\n` +
      'links:\n  - { id: wan-a, capacity_bps: 1000000000, probe: nowhere }\n', { env: {} });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.errors).toContain('links[0].probe: no probe "nowhere" under probes: (its connects are the link\'s latency and loss)');
  });

  it('reads the community and v3 keys from the environment when the block names a variable', () => {
    const r = parseConfig(`${SITE}` +
      '          - { id: p1, kind: pdu, snmp: { address: 10.0.4.21, community_env: PDU_COMMUNITY, profile: apc-rpdu2 } }\n' +
      '          - { id: u1, kind: ups, snmp: { address: 10.0.4.30, version: 3, profile: ups-mib,\n' +
      '              user: { name: fw, auth_protocol: sha, auth_key_env: UPS_AUTH, priv_protocol: aes, priv_key: privkey123 } } }\n',
    { env: { PDU_COMMUNITY: 'from-env', UPS_AUTH: 'auth-from-env' } });
    if (!r.ok) throw new Error(r.errors.join('\n'));
    expect(r.model.devices.get('p1')?.snmp_access?.credentials).toEqual({ version: '2c', community: 'from-env' });
    expect(r.model.devices.get('u1')?.snmp_access?.credentials).toMatchObject({ auth: { protocol: 'sha', key: 'auth-from-env' } });
    const bad = parseConfig(`${SITE}` +
      '          - { id: p1, kind: pdu, snmp: { address: 10.0.4.21, community: a, community_env: B, profile: apc-rpdu2 } }\n' +
      '          - { id: p2, kind: pdu, snmp: { address: 10.0.4.22, community_env: NOT_SET, profile: apc-rpdu2 } }\n', { env: {} });
    expect(bad.ok ? [] : bad.errors).toEqual([
      'halls[0].racks[0].devices[0].snmp.community_env: give community or community_env, not both',
      'halls[0].racks[0].devices[1].snmp.community_env: environment variable NOT_SET is not set',
    ]);
  });

  it('names every mistake by its path', () => {
    const r = parseConfig(`${SITE}` +
      '          - { id: p1, kind: pdu, snmp: { address: 10.0.4.21, profile: apc-rpdu2 } }\n' +
      '          - { id: p2, kind: pdu, snmp: { address: 10.0.4.22, community: c, profile: ups-mib } }\n' +
      '          - { id: p3, kind: pdu, snmp: { address: 10.0.4.23, community: c, profile: nope, max_repetitions: 500 } }\n' +
      '          - { id: u1, kind: ups, snmp: { address: 10.0.4.24, version: 3, profile: ups-mib, user: { name: x, priv_protocol: aes, priv_key: short } } }\n' +
      '          - { id: a1, kind: asic, model: antminer-s21, snmp: { address: 10.0.4.25, community: c, profile: apc-rpdu2 } }\n' +
      'links:\n' +
      '  - { id: wan-a, router: { address: 10.0.0.1, community: c }, capacity_bps: 0 }\n' +
      '  - { id: wan-b, router: { address: 10.0.0.1, community: c, profile: if-mib }, interface: -1, capacity_bps: 1e9 }\n', { env: {} });
    expect(r.ok).toBe(false);
    if (r.ok) return;
    const d = 'halls[0].racks[0].devices';
    expect(r.errors).toEqual(expect.arrayContaining([
      `${d}[0].snmp.community: required for version 2c`,
      `${d}[1].snmp.profile: profile ups-mib reads kind ups, not pdu`,
      `${d}[2].snmp.profile: unknown profile "nope" (one of apc-rpdu2, raritan-pdu2, sentry4, eaton-epdu, ups-mib, apc-env, entity-sensor, if-mib)`,
      `${d}[2].snmp.max_repetitions: at most 100`,
      `${d}[3].snmp.user.priv_key: at least 8 characters (RFC 3414)`,
      `${d}[3].snmp.user.priv_protocol: privacy needs auth_protocol (RFC 3414: no authPriv without auth)`,
      `${d}[4].snmp: only for kind pdu or env or ups`,
      'links[0].interface: required: the router\'s ifIndex or ifName that carries the link',
      'links[1].interface: expected an ifIndex (a positive integer) or an interface name (ifName or ifDescr)',
      'links[1].router: a link is read over IF-MIB: give interface beside router, and no profile',
    ]));
    expect(r.errors.some((e) => e.startsWith('links[0].capacity_bps:'))).toBe(true);
  });
});
