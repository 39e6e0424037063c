// Config `pools:` (the pools the site's miners should be on) and `probes:` (TCP connect probes to the
// endpoints the site depends on), issue 19. Each expected pool gets a probe of its own to its stratum
// host and port; `probes:` adds the rest by hand (an AI customer's gateway). Every probe is a device of
// kind `probe`, polled by the probe collector (server/collectors/probe.ts). Errors by path, in one pass.
//
//   pools:
//     - { name: luxor, url: "stratum+tcp://btc.global.luxor.tech:700", user: acme }   # acme or acme.<worker>
//   probes:
//     - { name: gw-customer-a, target: "203.0.113.7:443" }

import { defaultCollectorFor } from '../collectors/config.js';
import { poolHostPort, checkPoolText, MAX_POOL_URL, MAX_POOL_USER, poolKey, type ExpectedPool } from '../core/pools.js';
import { asObject, at, checkAddress, checkKeys, err, field, keySet, readId, readList, readString, type Reader } from '../core/schema.js';
import type { DeviceModel } from '../core/types.js';
import { addDevice, type SiteCtx, type SiteIndex } from './topology.js';

const POOL_KEYS = keySet('name', 'url', 'user');
const PROBE_KEYS = keySet('name', 'target');
/** The collector that polls a `probe` endpoint. */
const PROBE = defaultCollectorFor('probe');
/** Probe device ids: one namespace per source, so a pool and a hand-listed probe may share a name. */
export const poolProbeId = (name: string): string => `pool:${name}`;
export const probeId = (name: string): string => `probe:${name}`;

function readText(max: number, empty: boolean): Reader<string> {
  return (c, v, p) => {
    const s = readString(c, v, p);
    if (s === undefined) return undefined;
    const problem = checkPoolText(s, max, empty);
    if (problem === null) return s;
    err(c, p, problem);
    return undefined;
  };
}

function probeDevice(c: SiteCtx, reg: SiteIndex, id: string, target: string, path: string): void {
  const dev: DeviceModel = { id, kind: 'probe', probe: target, collector: PROBE };
  addDevice(c, reg, dev, { path });
}

export function readPools(c: SiteCtx, v: unknown, reg: SiteIndex): ExpectedPool[] {
  const out: ExpectedPool[] = [];
  if (v === undefined || v === null) return out;
  const names = new Map<string, string>();
  const urls = new Map<string, string>();
  (readList(c, v, 'pools') ?? []).forEach((raw, i) => {
    const p = `pools[${i}]`;
    const o = asObject(c, raw, p);
    if (o === undefined) return;
    checkKeys(c, o, p, POOL_KEYS);
    const name = field(c, o, 'name', p, readId, true, 'expected a name');
    const url = field(c, o, 'url', p, readText(MAX_POOL_URL, false), true, 'expected a stratum URL (stratum+tcp://host:port)');
    const user = field(c, o, 'user', p, readText(MAX_POOL_USER, false), false, '');
    const hp = url === undefined ? null : poolHostPort(url);
    if (url !== undefined && hp === null) err(c, at(p, 'url'), `expected a stratum URL with host and port (stratum+tcp://host:port), got "${url}"`);
    if (name === undefined || url === undefined || hp === null) return;
    const first = names.get(name);
    if (first !== undefined) return void err(c, at(p, 'name'), `duplicate pool name "${name}", first at ${first}`);
    names.set(name, at(p, 'name'));
    // The same URL twice is allowed only for different accounts: otherwise a miner would match both.
    const key = `${poolKey(url)} ${user ?? ''}`;
    const dupe = urls.get(key);
    if (dupe !== undefined) return void err(c, at(p, 'url'), `the same pool as ${dupe}`);
    urls.set(key, at(p, 'url'));
    const pool: ExpectedPool = { name, url, host: hp.host, port: hp.port, probe: poolProbeId(name) };
    if (user !== undefined) pool.user = user;
    out.push(pool);
    const target = hp.host.includes(':') ? `[${hp.host}]:${hp.port}` : `${hp.host}:${hp.port}`;
    probeDevice(c, reg, pool.probe, target, at(p, 'name'));
  });
  return out;
}

export function readProbes(c: SiteCtx, v: unknown, reg: SiteIndex): void {
  if (v === undefined || v === null) return;
  (readList(c, v, 'probes') ?? []).forEach((raw, i) => {
    const p = `probes[${i}]`;
    const o = asObject(c, raw, p);
    if (o === undefined) return;
    checkKeys(c, o, p, PROBE_KEYS);
    const name = field(c, o, 'name', p, readId, true, 'expected a name');
    const target = field(c, o, 'target', p, readString, true, 'expected host:port');
    if (target !== undefined) {
      const problem = checkAddress(target);
      if (problem !== null) return void err(c, at(p, 'target'), problem);
    }
    if (name === undefined || target === undefined) return;
    probeDevice(c, reg, probeId(name), target, at(p, 'name'));
  });
}
