// SNMP v2c and v3 (net-snmp) → pdu, env, ups and network_link readings. Devices that share an agent (its
// address and credentials: two links on one router, a UPS and the probe on its card) are one poll target,
// so the agent is walked once per interval for all of them; each device's profile
// (server/collectors/snmp-profiles/) maps what that walk found. The walk is GetBulk over the profiles'
// subtrees, bounded per target: `max_repetitions` varbinds per request, `max_oids` in all: an agent that
// never reaches the end of a subtree (or answers OIDs that do not increase) is cut and reported, it cannot
// hold the poll forever. Each request waits `timeout_ms`; the scheduler's back-off and reasons apply.
//
// UDP gives no error for a closed port unless the socket is connected: the session's socket is connected
// to the agent, so the ICMP port-unreachable that a host without an agent sends surfaces as 'refused'
// at once instead of a timeout.

import dgram from 'node:dgram';
import snmp from 'net-snmp';
import { checkAddress } from '../core/schema.js';
import { readSnmpBlock } from './snmp-config.js';
import type { DeviceModel, Reading, SnmpCredentials } from '../core/types.js';
import { SNMP_PROFILES, isSnmpProfile } from './snmp-profiles/index.js';
import type { Mapper, SnmpValue } from './snmp-profiles/types.js';
import { CollectorError, type CollectorPlugin, type PollContext, type PollTarget } from './types.js';

/** What a walk found. */
export interface WalkResult {
  varbinds: Map<string, SnmpValue>;
}

const AUTH = {
  md5: snmp.AuthProtocols.md5, sha: snmp.AuthProtocols.sha, sha224: snmp.AuthProtocols.sha224,
  sha256: snmp.AuthProtocols.sha256, sha384: snmp.AuthProtocols.sha384, sha512: snmp.AuthProtocols.sha512,
} as const;
const PRIV = {
  des: snmp.PrivProtocols.des, aes: snmp.PrivProtocols.aes, aes256b: snmp.PrivProtocols.aes256b, aes256r: snmp.PrivProtocols.aes256r,
} as const;

/** A dgram module whose sockets connect to the agent on first send, so a closed port reports ECONNREFUSED. */
function connectingDgram(onRefused: () => void): { createSocket(type: 'udp4' | 'udp6'): dgram.Socket } {
  return {
    createSocket(type) {
      const sock = dgram.createSocket(type);
      let connected = false;
      const plainSend = sock.send.bind(sock) as (msg: Buffer, offset: number, length: number, cb: (e: Error | null) => void) => void;
      sock.on('error', (e: NodeJS.ErrnoException) => {
        if (e.code === 'ECONNREFUSED') onRefused();
      });
      // net-snmp calls send(buffer, 0, length, port, address, cb).
      (sock as unknown as { send: (...a: unknown[]) => void }).send = (msg: unknown, offset: unknown, length: unknown, port: unknown, address: unknown, cb: unknown) => {
        const done = cb as (e: Error | null) => void;
        const go = (): void => plainSend(msg as Buffer, offset as number, length as number, done);
        if (connected) return go();
        sock.connect(port as number, address as string, () => {
          connected = true;
          go();
        });
      };
      return sock;
    },
  };
}

function splitHostPort(address: string): { host: string; port: number } {
  const i = address.lastIndexOf(':');
  const host = address.slice(0, i).replace(/^\[|\]$/g, '');
  return { host, port: Number(address.slice(i + 1)) };
}

/** One varbind's value in the profiles' terms; null for the exceptions (noSuchObject, endOfMibView). */
function valueOf(vb: snmp.Varbind): SnmpValue | null {
  const v = vb.value;
  switch (vb.type) {
    case snmp.ObjectType.Counter64:
      if (Buffer.isBuffer(v)) return v.length === 0 ? 0n : BigInt(`0x${v.toString('hex')}`);
      return typeof v === 'bigint' ? v : typeof v === 'number' ? BigInt(v) : null;
    case snmp.ObjectType.OctetString:
      return Buffer.isBuffer(v) ? v.toString('utf8') : typeof v === 'string' ? v : null;
    case snmp.ObjectType.Integer: case snmp.ObjectType.Counter32: case snmp.ObjectType.Gauge32: case snmp.ObjectType.TimeTicks:
      return typeof v === 'number' ? v : null;
    case snmp.ObjectType.OID: case snmp.ObjectType.IpAddress:
      return typeof v === 'string' ? v : null;
    default:
      return null;
  }
}

/** a < b in OID order (numeric, arc by arc) */
export function oidBefore(a: string, b: string): boolean {
  const x = a.split('.').map(Number);
  const y = b.split('.').map(Number);
  for (let i = 0; i < Math.min(x.length, y.length); i++) if (x[i] !== y[i]) return x[i] < y[i];
  return x.length < y.length;
}

function reasonOf(err: unknown, refused: boolean, creds: SnmpCredentials): CollectorError {
  if (refused) return new CollectorError('refused');
  if (err instanceof CollectorError) return err;
  const e = err as { name?: string; message?: string };
  if (e.name === 'RequestTimedOutError') {
    // An agent drops a request whose community (or v3 user) it does not know: silence, not an error.
    return new CollectorError(creds.version === '2c' ? 'timeout (no reply: wrong community, or no agent)' : 'timeout');
  }
  return new CollectorError(`bad reply: ${e.message ?? String(err)}`);
}

function openSession(host: string, port: number, creds: SnmpCredentials, timeout_ms: number, onRefused: () => void): snmp.Session {
  const common = { port, retries: 0, timeout: timeout_ms, transport: host.includes(':') ? 'udp6' as const : 'udp4' as const, dgramModule: connectingDgram(onRefused) };
  if (creds.version === '2c') return snmp.createSession(host, creds.community, { ...common, version: snmp.Version2c });
  const level = creds.priv !== undefined ? snmp.SecurityLevel.authPriv : creds.auth !== undefined ? snmp.SecurityLevel.authNoPriv : snmp.SecurityLevel.noAuthNoPriv;
  const user: snmp.User = { name: creds.user, level };
  if (creds.auth !== undefined) {
    user.authProtocol = AUTH[creds.auth.protocol];
    user.authKey = creds.auth.key;
  }
  if (creds.priv !== undefined) {
    user.privProtocol = PRIV[creds.priv.protocol];
    user.privKey = creds.priv.key;
  }
  return snmp.createV3Session(host, user, { ...common, version: snmp.Version3 });
}

function getBulk(session: snmp.Session, oid: string, maxRepetitions: number): Promise<snmp.Varbind[]> {
  return new Promise((resolve, reject) => {
    session.getBulk([oid], 0, maxRepetitions, (error, varbinds) => {
      if (error) return reject(error);
      const flat: snmp.Varbind[] = [];
      for (const v of varbinds ?? []) {
        if (Array.isArray(v)) flat.push(...v);
        else flat.push(v);
      }
      resolve(flat);
    });
  });
}

/**
 * Walks each subtree with GetBulk until it leaves the subtree or the agent says endOfMibView. Throws
 * CollectorError when the walk passes `max_oids` varbinds or the agent answers an OID that does not follow
 * the one asked for (a loop that would never end).
 */
export async function walkAgent(address: string, creds: SnmpCredentials, subtrees: readonly string[], opts: { timeout_ms: number; max_repetitions: number; max_oids: number }): Promise<WalkResult> {
  const { host, port } = splitHostPort(address);
  let refused = false;
  let session: snmp.Session | undefined;
  const varbinds = new Map<string, SnmpValue>();
  try {
    const s = openSession(host, port, creds, opts.timeout_ms, () => {
      refused = true;
      s.cancelRequests(new CollectorError('refused'));
    });
    session = s;
    let count = 0;
    for (const root of subtrees) {
      const prefix = `${root}.`;
      let last = root;
      for (;;) {
        const batch = await getBulk(s, last, opts.max_repetitions);
        let left = batch.length === 0;
        for (const vb of batch) {
          if (snmp.isVarbindError(vb) || !vb.oid.startsWith(prefix)) {
            left = true;
            break;
          }
          if (!oidBefore(last, vb.oid)) throw new CollectorError(`bad reply: OID not increasing after ${last} (got ${vb.oid})`);
          last = vb.oid;
          const v = valueOf(vb);
          if (v !== null) varbinds.set(vb.oid, v);
          if (++count > opts.max_oids) throw new CollectorError(`bad reply: walk cut at ${opts.max_oids} OIDs (in ${root}): max_oids`);
        }
        if (left) break;
      }
    }
    return { varbinds };
  } catch (err) {
    throw reasonOf(err, refused, creds);
  } finally {
    session?.close();
  }
}

/** The poll target of one agent: every device that names the same address and credentials. */
function agentTarget(devices: DeviceModel[], ctx: PollContext): PollTarget {
  const first = devices[0];
  const address = first.snmp!;
  const access = first.snmp_access!;
  const subtrees = [...new Set(devices.flatMap((d) => (isSnmpProfile(d.snmp_access!.profile) ? SNMP_PROFILES[d.snmp_access!.profile].walk : [])))]
    .sort((a, b) => (oidBefore(a, b) ? -1 : 1));
  const mappers = new Map<string, Mapper>();
  for (const d of devices) {
    const a = d.snmp_access!;
    if (isSnmpProfile(a.profile)) mappers.set(d.id, SNMP_PROFILES[a.profile].mapper(a));
  }
  // The tightest bounds of the devices sharing the agent.
  const max_repetitions = Math.min(...devices.map((d) => d.snmp_access!.max_repetitions));
  const max_oids = Math.min(...devices.map((d) => d.snmp_access!.max_oids));
  return {
    key: `snmp:${address}:${credentialKey(access.credentials)}`,
    devices,
    poll: async (timeout_ms) => {
      const { varbinds } = await walkAgent(address, access.credentials, subtrees, { timeout_ms, max_repetitions, max_oids });
      const ts = ctx.now();
      const readings: Reading[] = [];
      for (const d of devices) {
        const map = mappers.get(d.id);
        if (map === undefined) ctx.sink.deviceError(d.id, `bad reply: unknown profile ${d.snmp_access!.profile}`, ts);
        else readings.push({ device: d.id, ts, metrics: map(varbinds, ts) });
      }
      ctx.sink.accept(readings);
    },
  };
}

function credentialKey(c: SnmpCredentials): string {
  return c.version === '2c' ? `2c:${c.community}` : `3:${c.user}:${c.auth?.protocol ?? ''}:${c.priv?.protocol ?? ''}`;
}

export const snmpCollector: CollectorPlugin = {
  defaults: { interval_s: 30, timeout_ms: 2000, concurrency: 16 },
  endpoint: {
    key: 'snmp',
    kinds: ['pdu', 'env', 'ups'],
    check: checkAddress,
    block(c, v, path, kind) {
      const b = readSnmpBlock(c, v, path, kind);
      return b === undefined ? undefined : { address: b.address, extra: { snmp_access: b.access } };
    },
  },
  targets(devices, ctx) {
    const byAgent = new Map<string, DeviceModel[]>();
    for (const d of devices) {
      if (d.snmp === undefined || d.snmp_access === undefined) continue;
      const key = `${d.snmp}|${credentialKey(d.snmp_access.credentials)}`;
      const list = byAgent.get(key) ?? [];
      list.push(d);
      byAgent.set(key, list);
    }
    return [...byAgent.values()].map((list) => agentTarget(list, ctx));
  },
};
