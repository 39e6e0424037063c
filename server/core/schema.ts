// The reader kit every config section is written with: the error list, the path style, the value readers
// and the address checks. Hand-written rather than zod so that (a) every error carries the exact path
// style of the contract (`halls[1].racks[4].rated_kw: expected a number`), (b) all errors are collected
// in one pass, and (c) compact-form entries are checked once per entry and expanded cheaply, which keeps
// a 100,000-device site well under a second. Each section's reader sits beside the code it configures
// (collectors, store, http, alerts, catalogue, exposition); server/config/ assembles them (docs/ARCHITECTURE.md).

/** Past this many, one more line says how many were left out: a pasted row repeated 500 times is one fault. */
export const MAX_REPORTED_ERRORS = 500;

/** The device kinds a config entry may name: the stored kinds less the loops and meters (their own sections), plus gpu_node. */
export const CONFIG_KINDS = ['asic', 'gpu_node', 'gpu', 'env', 'pdu', 'ups'] as const;
export type ConfigKind = (typeof CONFIG_KINDS)[number];

export type Obj = Record<string, unknown>;

/** The one error list of a load: every reader reports into it, and the load fails at the end if it is not empty. */
export interface Ctx {
  errors: string[];
  dropped: number;
  /** where `*_env` names are looked up (the process environment when loading a file); absent = none set */
  env?: NodeJS.ProcessEnv;
}

export function keySet(...keys: string[]): ReadonlySet<string> {
  return new Set(keys);
}

export function err(c: Ctx, path: string, message: string): void {
  if (c.errors.length < MAX_REPORTED_ERRORS) c.errors.push(`${path}: ${message}`);
  else c.dropped++;
}

export function errorCount(c: Ctx): number {
  return c.errors.length + c.dropped;
}

export function at(path: string, key: string): string {
  return path === '' ? key : `${path}.${key}`;
}

export function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function asObject(c: Ctx, v: unknown, path: string): Obj | undefined {
  if (isObj(v)) return v;
  err(c, path, 'expected an object');
  return undefined;
}

export function checkKeys(c: Ctx, o: Obj, path: string, allowed: ReadonlySet<string>): void {
  for (const k of Object.keys(o)) if (!allowed.has(k)) err(c, at(path, k), 'unknown key');
}

/** A value reader: returns the value, or reports at `path` and returns undefined. */
export type Reader<T> = (c: Ctx, v: unknown, path: string) => T | undefined;

/** Absent (or YAML null) required fields get the same message as a wrong type: it says what is wanted. */
export function field<T>(c: Ctx, o: Obj, key: string, path: string, read: Reader<T>, required: boolean, missing: string): T | undefined {
  const v = o[key];
  const p = at(path, key);
  if (v === undefined || v === null) {
    if (required) err(c, p, missing);
    return undefined;
  }
  return read(c, v, p);
}

/**
 * A section that may be absent: undefined and YAML null give `none`, anything but an object is
 * reported; otherwise its keys are checked and `read` reads it.
 */
export function section<T>(c: Ctx, v: unknown, path: string, keys: ReadonlySet<string>, none: () => T, read: (o: Obj) => T): T {
  if (v === undefined || v === null) return none();
  const o = asObject(c, v, path);
  if (o === undefined) return none();
  checkKeys(c, o, path, keys);
  return read(o);
}

// Ids end up in URLs, Prometheus label values and socket.io room names: keep them to a safe alphabet.
export const ID_RE = /^[A-Za-z0-9][A-Za-z0-9._:-]*$/;
export const ID_MESSAGE = 'expected an id (letters, digits and . _ : - only)';
// One regex pass per address (100,000 of them in a big site): the host part only needs to be plausible,
// the OS resolver is the judge of the rest.
const HOST_RE = /^(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?)$/;
const PORT_RE = /^\d{1,5}$/;

export const readString: Reader<string> = (c, v, p) => {
  if (typeof v === 'string' && v.length > 0) return v;
  err(c, p, typeof v === 'string' ? 'expected a non-empty string' : 'expected a string');
  return undefined;
};

export const readId: Reader<string> = (c, v, p) => {
  const s = readString(c, v, p);
  if (s === undefined) return undefined;
  if (ID_RE.test(s)) return s;
  err(c, p, ID_MESSAGE);
  return undefined;
};

export const readNumber: Reader<number> = (c, v, p) => {
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  err(c, p, 'expected a number');
  return undefined;
};

export const readPositive: Reader<number> = (c, v, p) => {
  const n = readNumber(c, v, p);
  if (n === undefined) return undefined;
  if (n > 0) return n;
  err(c, p, 'must be greater than 0');
  return undefined;
};

export const readPosInt: Reader<number> = (c, v, p) => {
  if (typeof v === 'number' && Number.isInteger(v) && v > 0) return v;
  err(c, p, 'expected a positive integer');
  return undefined;
};

export const readNonNegInt: Reader<number> = (c, v, p) => {
  if (typeof v === 'number' && Number.isInteger(v) && v >= 0) return v;
  err(c, p, 'expected an integer ≥ 0');
  return undefined;
};

export const readBool: Reader<boolean> = (c, v, p) => {
  if (typeof v === 'boolean') return v;
  err(c, p, 'expected true or false');
  return undefined;
};

export function readEnum<T extends string>(values: readonly T[]): Reader<T> {
  const message = `expected one of ${values.join(', ')}`;
  return (c, v, p) => {
    if (typeof v === 'string' && (values as readonly string[]).includes(v)) return v as T;
    err(c, p, message);
    return undefined;
  };
}

export const readList: Reader<unknown[]> = (c, v, p) => {
  if (Array.isArray(v)) return v;
  err(c, p, 'expected a list');
  return undefined;
};

/** A device's host:port (a miner's API): the problem, or null when it is usable. */
export function checkAddress(address: string): string | null {
  const colon = address.lastIndexOf(':');
  const host = address.slice(0, colon);
  const port = address.slice(colon + 1);
  if (colon <= 0 || !PORT_RE.test(port) || !HOST_RE.test(host) || host.includes('..')) {
    return `expected host:port (e.g. 10.0.1.17:4028), got "${address}"`;
  }
  const portNum = Number(port);
  if (portNum < 1 || portNum > 65535) return `port must be 1 to 65535, got "${address}"`;
  return null;
}

/** An http(s) URL (an exporter page, a Redfish resource): the problem, or null when it is usable. */
export function checkHttpUrl(url: string): string | null {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return `expected an http(s) URL, got "${url}"`;
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') return `expected an http(s) URL, got "${url}"`;
  return null;
}

/** A literal http(s) URL (no placeholders): loops' and meters' redfish. */
export const readUrl: Reader<string> = (c, v, p) => {
  const s = readString(c, v, p);
  if (s === undefined) return undefined;
  const problem = checkHttpUrl(s);
  if (problem === null) return s;
  err(c, p, problem);
  return undefined;
};

/** A URL as a label and in logs: without user:password (Alertmanagers, remote-write stores). */
export function displayUrl(url: string): string {
  try {
    const u = new URL(url);
    u.username = '';
    u.password = '';
    return u.toString().replace(/\/+$/, '');
  } catch {
    return url;
  }
}

const BASIC_AUTH_KEYS = keySet('username', 'password');

/** An HTTP client's credentials, as Prometheus' own blocks spell them. */
export interface HttpAuth {
  bearer_token?: string;
  basic_auth?: { username: string; password: string };
}

/**
 * `bearer_token`, or `basic_auth: {username, password}`, not both: the credentials of an outgoing HTTP
 * client block (alerting.alertmanagers[], remote_write[]). Both are checked and reported by path; only the
 * bearer is kept when both are given (the config is refused anyway).
 */
export function readHttpAuth(c: Ctx, o: Obj, p: string): HttpAuth {
  const bearer = field(c, o, 'bearer_token', p, readString, false, '');
  let basic: HttpAuth['basic_auth'];
  const b = o['basic_auth'];
  if (b !== undefined && b !== null) {
    const bp = at(p, 'basic_auth');
    const bo = asObject(c, b, bp);
    if (bo !== undefined) {
      checkKeys(c, bo, bp, BASIC_AUTH_KEYS);
      const username = field(c, bo, 'username', bp, readString, true, 'expected a string');
      const password = field(c, bo, 'password', bp, readString, true, 'expected a string');
      if (username !== undefined && password !== undefined) basic = { username, password };
    }
    if (bearer !== undefined) err(c, bp, 'give bearer_token or basic_auth, not both');
  }
  return { ...(bearer !== undefined ? { bearer_token: bearer } : {}), ...(basic !== undefined && bearer === undefined ? { basic_auth: basic } : {}) };
}
