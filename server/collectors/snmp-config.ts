// A device's `snmp:` block, read once per entry into its agent address and typed access (credentials,
// profile, walk bounds): every problem by its path (`halls[0].racks[2].devices[1].snmp.community: …`).
//
//   snmp: { address: 10.0.4.21, port: 161, version: 2c, community: public, profile: apc-rpdu2 }
//   snmp: { address: 10.0.0.1, version: 3, profile: if-mib, interface: ether1,
//           user: { name: floorwatch, auth_protocol: sha256, auth_key: …, priv_protocol: aes, priv_key: … } }

import {
  type Ctx, type Obj, asObject, at, checkKeys, err, field, keySet, readEnum, readPosInt, readString, type ConfigKind,
} from '../core/schema.js';
import type { DeviceKind, SnmpAccess, SnmpCredentials } from '../core/types.js';
import { SNMP_PROFILES, SNMP_PROFILE_NAMES, isSnmpProfile } from './snmp-profiles/index.js';

const BLOCK_KEYS = keySet(
  'address', 'port', 'version', 'community', 'community_env', 'user', 'profile', 'max_repetitions', 'max_oids', 'interface',
  'inlet_probe', 'outlet_probe',
);
const USER_KEYS = keySet('name', 'auth_protocol', 'auth_key', 'auth_key_env', 'priv_protocol', 'priv_key', 'priv_key_env');
const AUTH_PROTOCOLS = ['md5', 'sha', 'sha224', 'sha256', 'sha384', 'sha512'] as const;
const PRIV_PROTOCOLS = ['des', 'aes', 'aes256b', 'aes256r'] as const;

export const SNMP_DEFAULT_PORT = 161;
/** GetBulk max-repetitions: 25 varbinds fit a 1500-byte datagram for most tables. */
export const SNMP_DEFAULT_MAX_REPETITIONS = 25;
/** Enough for every profile's columns on a 48-port switch many times over; far short of a runaway walk. */
export const SNMP_DEFAULT_MAX_OIDS = 5000;
/** RFC 3414 §11.2: a USM password is at least 8 characters. */
const MIN_USM_KEY = 8;

function readVersion(c: Ctx, v: unknown, p: string): '2c' | '3' | undefined {
  if (v === '2c' || v === '3' || v === 3) return v === 3 ? '3' : v;
  err(c, p, 'expected 2c or 3');
  return undefined;
}

/**
 * A secret given in clear (`key`) or, to keep it out of the file, as the name of an environment variable
 * (`key_env`), as collectors.braiins' password is; never both; a named variable must be set.
 */
function readSecret(c: Ctx, o: Obj, key: string, p: string, read: (c: Ctx, v: unknown, p: string) => string | undefined): string | undefined {
  const clear = field(c, o, key, p, read, false, '');
  const name = field(c, o, `${key}_env`, p, readString, false, '');
  if (clear !== undefined && name !== undefined) {
    err(c, at(p, `${key}_env`), `give ${key} or ${key}_env, not both`);
    return undefined;
  }
  if (name === undefined) return clear;
  const value = c.env?.[name];
  if (value === undefined) {
    err(c, at(p, `${key}_env`), `environment variable ${name} is not set`);
    return undefined;
  }
  return read(c, value, at(p, `${key}_env`));
}

function readKey(c: Ctx, v: unknown, p: string): string | undefined {
  const s = readString(c, v, p);
  if (s !== undefined && s.length < MIN_USM_KEY) {
    err(c, p, `at least ${MIN_USM_KEY} characters (RFC 3414)`);
    return undefined;
  }
  return s;
}

function readUser(c: Ctx, v: unknown, p: string): SnmpCredentials | undefined {
  const o = asObject(c, v, p);
  if (o === undefined) return undefined;
  checkKeys(c, o, p, USER_KEYS);
  const name = field(c, o, 'name', p, readString, true, 'expected a string');
  const authProtocol = field(c, o, 'auth_protocol', p, readEnum(AUTH_PROTOCOLS), false, '');
  const authKey = readSecret(c, o, 'auth_key', p, readKey);
  const privProtocol = field(c, o, 'priv_protocol', p, readEnum(PRIV_PROTOCOLS), false, '');
  const privKey = readSecret(c, o, 'priv_key', p, readKey);
  if (authProtocol !== undefined && authKey === undefined && o['auth_key'] == null && o['auth_key_env'] == null) err(c, at(p, 'auth_key'), 'required with auth_protocol');
  if (privProtocol !== undefined && privKey === undefined && o['priv_key'] == null && o['priv_key_env'] == null) err(c, at(p, 'priv_key'), 'required with priv_protocol');
  if (authKey !== undefined && authProtocol === undefined) err(c, at(p, 'auth_key'), 'needs auth_protocol');
  if (privKey !== undefined && privProtocol === undefined) err(c, at(p, 'priv_key'), 'needs priv_protocol');
  if (privProtocol !== undefined && authProtocol === undefined) err(c, at(p, 'priv_protocol'), 'privacy needs auth_protocol (RFC 3414: no authPriv without auth)');
  if (name === undefined) return undefined;
  const creds: SnmpCredentials = { version: '3', user: name };
  if (authProtocol !== undefined && authKey !== undefined) creds.auth = { protocol: authProtocol, key: authKey };
  if (privProtocol !== undefined && privKey !== undefined && creds.auth !== undefined) creds.priv = { protocol: privProtocol, key: privKey };
  return creds;
}

function readInterface(c: Ctx, v: unknown, p: string): number | string | undefined {
  if (typeof v === 'number' && Number.isInteger(v) && v > 0) return v;
  if (typeof v === 'string' && v !== '') return v;
  err(c, p, 'expected an ifIndex (a positive integer) or an interface name (ifName or ifDescr)');
  return undefined;
}

export interface SnmpBlock {
  /** host:port */
  address: string;
  access: SnmpAccess;
}

/** Reads a `snmp:` block for a device of `kind` (undefined when the entry's kind is itself wrong). */
export function readSnmpBlock(c: Ctx, v: unknown, p: string, kind: ConfigKind | DeviceKind | undefined): SnmpBlock | undefined {
  const o: Obj | undefined = asObject(c, v, p);
  if (o === undefined) return undefined;
  checkKeys(c, o, p, BLOCK_KEYS);
  const host = field(c, o, 'address', p, readString, true, 'expected a host name or IP address');
  const port = field(c, o, 'port', p, readPosInt, false, '') ?? SNMP_DEFAULT_PORT;
  if (port > 65535) err(c, at(p, 'port'), 'expected 1 to 65535');
  const version = field(c, o, 'version', p, readVersion, false, '') ?? '2c';
  let credentials: SnmpCredentials | undefined;
  if (version === '2c') {
    const community = readSecret(c, o, 'community', p, readString);
    if (community === undefined && o['community'] == null && o['community_env'] == null) err(c, at(p, 'community'), 'required for version 2c');
    credentials = community === undefined ? undefined : { version: '2c', community };
    if (o['user'] !== undefined) err(c, at(p, 'user'), 'only for version 3');
  } else {
    credentials = field(c, o, 'user', p, readUser, true, 'required for version 3 (a USM user)');
    for (const k of ['community', 'community_env']) if (o[k] !== undefined) err(c, at(p, k), 'only for version 2c');
  }
  const profile = field(c, o, 'profile', p, readString, true, `expected one of ${SNMP_PROFILE_NAMES.join(', ')}`);
  if (profile !== undefined && !isSnmpProfile(profile)) err(c, at(p, 'profile'), `unknown profile "${profile}" (one of ${SNMP_PROFILE_NAMES.join(', ')})`);
  else if (profile !== undefined && kind !== undefined && !(SNMP_PROFILES[profile].kinds as readonly string[]).includes(kind)) {
    err(c, at(p, 'profile'), `profile ${profile} reads kind ${SNMP_PROFILES[profile].kinds.join(' or ')}, not ${kind}`);
  }
  const max_repetitions = field(c, o, 'max_repetitions', p, readPosInt, false, '') ?? SNMP_DEFAULT_MAX_REPETITIONS;
  if (max_repetitions > 100) err(c, at(p, 'max_repetitions'), 'at most 100');
  const max_oids = field(c, o, 'max_oids', p, readPosInt, false, '') ?? SNMP_DEFAULT_MAX_OIDS;
  const iface = field(c, o, 'interface', p, readInterface, profile === 'if-mib', 'required for profile if-mib (ifIndex or ifName)');
  const inlet_probe = field(c, o, 'inlet_probe', p, readPosInt, false, '');
  const outlet_probe = field(c, o, 'outlet_probe', p, readPosInt, false, '');
  if (iface !== undefined && profile !== 'if-mib') err(c, at(p, 'interface'), 'only for profile if-mib');
  for (const [k, val] of [['inlet_probe', inlet_probe], ['outlet_probe', outlet_probe]] as const) {
    if (val !== undefined && profile !== 'apc-env' && profile !== 'entity-sensor') err(c, at(p, k), 'only for profile apc-env or entity-sensor');
  }
  if (host === undefined || credentials === undefined || profile === undefined) return undefined;
  const access: SnmpAccess = { credentials, profile, max_repetitions, max_oids };
  if (iface !== undefined) access.interface = iface;
  if (inlet_probe !== undefined) access.inlet_probe = inlet_probe;
  if (outlet_probe !== undefined) access.outlet_probe = outlet_probe;
  return { address: `${host.includes(':') ? `[${host}]` : host}:${port}`, access };
}
