// The collectors' part of the config, all read from the registry: the `collectors:` section (each
// collector's settings over its defaults) and what the device entries need to know about endpoints (which
// keys there are, which kinds may carry them, which collector polls them). server/config/ reads the
// topology with these; nothing there names a collector.

import { type ConfigKind, type Ctx, type Obj, type Reader, at, err, field, keySet, readEnum, readPosInt, readPositive, readString, section } from '../core/schema.js';
import type { CollectorSettings } from '../core/types.js';
import { COLLECTOR_NAMES, COLLECTORS, type CollectorName } from './registry.js';
import type { Endpoint, EndpointKey } from './types.js';

export const COLLECTOR_DEFAULTS: Readonly<Record<CollectorName, Readonly<CollectorSettings>>> = Object.fromEntries(
  COLLECTOR_NAMES.map((name) => [name, COLLECTORS[name].defaults]),
) as Record<CollectorName, CollectorSettings>;

/** Every collector's defaults, fresh copies: what a site that says nothing under `collectors:` polls with. */
export function defaultCollectorSettings(): Record<CollectorName, CollectorSettings> {
  return Object.fromEntries(COLLECTOR_NAMES.map((name) => {
    const d = COLLECTORS[name].defaults;
    return [name, d.login === undefined ? { ...d } : { ...d, login: { ...d.login } }];
  })) as Record<CollectorName, CollectorSettings>;
}

const COLLECTORS_KEYS = keySet(...COLLECTOR_NAMES);
const COLLECTOR_KEYS = keySet('interval_s', 'timeout_ms', 'concurrency');
/** A collector that logs into its devices (its defaults carry a login) also takes these. */
const LOGIN_COLLECTOR_KEYS = keySet('interval_s', 'timeout_ms', 'concurrency', 'username', 'password', 'password_env');

/** `env` is where `password_env` names are looked up (the process environment when loading a file). */
export function readCollectors(c: Ctx, v: unknown, env: NodeJS.ProcessEnv = {}): Record<CollectorName, CollectorSettings> {
  const out = defaultCollectorSettings();
  return section(c, v, 'collectors', COLLECTORS_KEYS, () => out, (o) => {
    for (const name of COLLECTOR_NAMES) {
      const p = `collectors.${name}`;
      const login = out[name].login;
      section(c, o[name], p, login === undefined ? COLLECTOR_KEYS : LOGIN_COLLECTOR_KEYS, () => undefined, (s) => {
        const interval_s = field(c, s, 'interval_s', p, readPositive, false, '');
        const timeout_ms = field(c, s, 'timeout_ms', p, readPosInt, false, '');
        const concurrency = field(c, s, 'concurrency', p, readPosInt, false, '');
        if (interval_s !== undefined) out[name].interval_s = interval_s;
        if (timeout_ms !== undefined) out[name].timeout_ms = timeout_ms;
        if (concurrency !== undefined) out[name].concurrency = concurrency;
        if (login !== undefined) readLogin(c, s, p, login, env);
      });
    }
    return out;
  });
}

/**
 * A device login: `username`, and the password either in clear (`password`) or, to keep it out of the
 * file, as the name of an environment variable (`password_env`). Never both; a named variable must be set.
 */
function readLogin(c: Ctx, s: Obj, p: string, login: { username: string; password: string }, env: NodeJS.ProcessEnv): void {
  const username = field(c, s, 'username', p, readString, false, '');
  const password = field(c, s, 'password', p, readString, false, '');
  const password_env = field(c, s, 'password_env', p, readString, false, '');
  if (username !== undefined) login.username = username;
  if (password !== undefined && password_env !== undefined) {
    err(c, at(p, 'password_env'), 'give password or password_env, not both');
  } else if (password !== undefined) login.password = password;
  else if (password_env !== undefined) {
    const value = env[password_env];
    if (value === undefined) err(c, at(p, 'password_env'), `environment variable ${password_env} is not set`);
    else login.password = value;
  }
}

/** One endpoint key as the device entries see it, with the collectors that poll at it (registry order). */
export interface DeviceEndpoint extends Endpoint {
  collectors: readonly CollectorName[];
  /** "only for kind …", for an entry of another kind that carries it */
  wrongKind(kind: ConfigKind): string;
}

function deviceEndpoints(): DeviceEndpoint[] {
  const byKey = new Map<EndpointKey, DeviceEndpoint & { collectors: CollectorName[] }>();
  for (const name of COLLECTOR_NAMES) {
    const ep = COLLECTORS[name].endpoint;
    const known = byKey.get(ep.key);
    if (known === undefined) {
      // An endpoint no rack device carries (a probe's, issue 19) is named by its own config section.
      const only = ep.kinds.length === 0 ? 'not a key of a rack device' : `only for kind ${ep.kinds.join(' or ')}`;
      byKey.set(ep.key, {
        ...ep, collectors: [name],
        wrongKind: (kind) => (ep.hint?.[kind] === undefined ? only : `${only} (${ep.hint[kind]})`),
      });
    } else if (known.check !== ep.check || known.kinds.join() !== ep.kinds.join()) {
      // Two readings of one config key would make what a device may carry depend on its collector.
      throw new Error(`collectors ${known.collectors[0]} and ${name} read endpoint "${ep.key}" differently`);
    } else known.collectors.push(name);
  }
  return [...byKey.values()];
}

/** The device keys that name an endpoint, in the order a device entry is read and reported. */
export const ENDPOINTS: readonly DeviceEndpoint[] = deviceEndpoints();

/**
 * What a device's `collector:` may name: the collectors that share their endpoint with another (cgminer
 * and whatsminer_v3 both speak at `address`). Where one collector alone polls an endpoint, it needs no name.
 */
export const CHOOSABLE: readonly CollectorName[] = ENDPOINTS.flatMap((e) => (e.collectors.length > 1 ? e.collectors : []));

export const readChoosable: Reader<CollectorName> = readEnum(CHOOSABLE);

/** The collector that polls an endpoint key when the device names none. */
export function defaultCollectorFor(key: EndpointKey): CollectorName {
  const ep = ENDPOINTS.find((e) => e.key === key);
  if (ep === undefined) throw new Error(`no collector polls endpoint "${key}"`);
  return ep.collectors[0];
}

export function endpointOf(name: CollectorName): EndpointKey {
  return COLLECTORS[name].endpoint.key;
}
