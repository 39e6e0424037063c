// The machine's real SNMP agent (Debian's snmpd, net-snmp 5.9) on a free loopback UDP port with a temp
// config: v2c read-only community `public` from loopback, and one SNMPv3 USM user with SHA-256 auth and
// AES privacy. Nothing of the system's own config (-C) or state (SNMP_PERSISTENT_DIR) is touched.
import { spawn, type ChildProcess } from 'node:child_process';
import dgram from 'node:dgram';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';

export const SNMPD = '/usr/sbin/snmpd';
export const V3_USER = { name: 'floorwatch', auth: 'fw-auth-key-1', priv: 'fw-priv-key-1' } as const;

/** A UDP port free on loopback right now (a closed port answers ICMP port-unreachable). */
export function freeUdpPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = dgram.createSocket('udp4');
    s.once('error', reject);
    s.bind(0, '127.0.0.1', () => {
      const port = (s.address() as AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

export interface Snmpd {
  port: number;
  child: ChildProcess;
  stop(): Promise<void>;
}

export async function startSnmpd(dir: string): Promise<Snmpd> {
  const port = await freeUdpPort();
  const conf = join(dir, 'snmpd.conf');
  writeFileSync(conf, [
    `agentaddress udp:127.0.0.1:${port}`,
    'rocommunity public 127.0.0.1',
    `createUser ${V3_USER.name} SHA-256 "${V3_USER.auth}" AES "${V3_USER.priv}"`,
    `rouser ${V3_USER.name} priv`,
    '',
  ].join('\n'));
  const child = spawn(SNMPD, ['-f', '-C', '-c', conf, '-Lf', join(dir, 'snmpd.log'), '-p', join(dir, 'snmpd.pid'), '-M', '/nonexistent', '-m', ''], {
    env: { ...process.env, SNMP_PERSISTENT_DIR: dir, MIBDIRS: '/nonexistent' }, stdio: 'ignore',
  });
  return {
    port, child,
    stop: () => new Promise<void>((resolve) => {
      if (child.exitCode !== null) return resolve();
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
    }),
  };
}
