// The machine's own snmpd (scripts/test-deps.sh installs it) polled for the loopback interface's IF-MIB
// counters through the snmp collector, v2c and SNMPv3 authPriv (SHA-256, AES): traffic sent over lo between
// two polls moves ifHCInOctets, and the collector turns the delta into bits per second.
import dgram from 'node:dgram';
import { afterEach, describe, expect, it } from 'vitest';
import { walkAgent } from '../../server/collectors/snmp.js';
import { SNMP_PROFILES } from '../../server/collectors/snmp-profiles/index.js';
import type { SnmpAccess, SnmpCredentials } from '../../server/core/types.js';
import { startSnmpd, V3_USER, type Snmpd } from '../helpers/snmpd.js';
import { tempDir } from '../helpers/tmp.js';

let stops: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(stops.map((s) => s()));
  stops = [];
});

const IF_HC_IN_OCTETS_LO = '1.3.6.1.2.1.31.1.1.1.6.1';

/** Sends `bytes` over loopback in UDP datagrams to a port nobody reads. */
async function traffic(bytes: number): Promise<void> {
  const s = dgram.createSocket('udp4');
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', r));
  const chunk = Buffer.alloc(60_000);
  for (let sent = 0; sent < bytes; sent += chunk.length) await new Promise<void>((r) => s.send(chunk, 9, '127.0.0.1', () => r()));
  await new Promise<void>((r) => s.close(() => r()));
}

async function ready(d: Snmpd, creds: SnmpCredentials): Promise<void> {
  const end = Date.now() + 10_000;
  for (;;) {
    try {
      await walkAgent(`127.0.0.1:${d.port}`, creds, ['1.3.6.1.2.1.1'], { timeout_ms: 300, max_repetitions: 10, max_oids: 100 });
      return;
    } catch (e) {
      if (Date.now() > end) throw e;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

describe('the real snmpd on loopback', () => {
  it.each<[string, SnmpCredentials]>([
    ['v2c', { version: '2c', community: 'public' }],
    ['v3 authPriv', { version: '3', user: V3_USER.name, auth: { protocol: 'sha256', key: V3_USER.auth }, priv: { protocol: 'aes', key: V3_USER.priv } }],
  ])('moves the lo counters and the collector reads a rate (%s)', async (_name, credentials) => {
    const tmp = tempDir('floorwatch-snmpd-');
    const d = await startSnmpd(tmp.dir);
    stops.push(async () => {
      await d.stop();
      tmp.cleanup();
    });
    await ready(d, credentials);
    const access: SnmpAccess = { credentials, profile: 'if-mib', max_repetitions: 25, max_oids: 5000, interface: 'lo' };
    const profile = SNMP_PROFILES['if-mib'];
    const map = profile.mapper(access);
    const walk = (): ReturnType<typeof walkAgent> => walkAgent(`127.0.0.1:${d.port}`, credentials, profile.walk, { timeout_ms: 1000, max_repetitions: 25, max_oids: 5000 });

    const t1 = Date.now();
    const w1 = await walk();
    const first = map(w1.varbinds, t1);
    expect(first.oper_up).toBe(1);
    expect(first.rx_bps).toBeNull();
    const before = w1.varbinds.get(IF_HC_IN_OCTETS_LO);
    expect(typeof before).toBe('bigint');

    await traffic(3_000_000);
    // net-snmp caches interface counters for a few seconds (its ifTable cache timeout): wait past it.
    let w2 = await walk();
    const end = Date.now() + 20_000;
    while (w2.varbinds.get(IF_HC_IN_OCTETS_LO) === before && Date.now() < end) {
      await new Promise((r) => setTimeout(r, 500));
      w2 = await walk();
    }
    const t2 = Date.now();
    const after = w2.varbinds.get(IF_HC_IN_OCTETS_LO) as bigint;
    // at least the 3 MB sent (plus headers and the SNMP traffic itself)
    expect(after - (before as bigint)).toBeGreaterThanOrEqual(3_000_000n);
    const second = map(w2.varbinds, t2);
    expect(second.rx_bps).toBeCloseTo((Number(after - (before as bigint)) * 8) / ((t2 - t1) / 1000), 0);
    expect(second.rx_bps!).toBeGreaterThan(0);
    expect(second.errors_per_s).toBe(0);
  }, 40_000);
});
