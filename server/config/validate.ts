// Turns the parsed YAML tree into the typed SiteModel, checking everything once at load so nothing
// downstream re-validates. Hand-written rather than zod so that (a) every error carries the exact path
// style of the contract (`halls[1].racks[4].rated_kw: expected a number`), (b) all errors are collected
// in one pass, and (c) compact-form entries are checked once per entry and expanded cheaply, which keeps
// a 100,000-device site well under a second.

import { parseAlertRules } from '../alerts/rules.js';
import { createHash } from 'node:crypto';
import { catalogueMap } from '../core/catalogue.js';
import type {
  AuthSettings, CatalogueModel, CollectorSettings, CoolingKind, CoolingLoopModel, DeviceModel, Feed, Fluid,
  HallModel, MeterModel, RackModel, RetentionSettings, SiteModel,
} from '../core/types.js';
import { REDFISH_DEFAULT_SETTINGS } from '../collectors/redfish.js';
import { compilePattern, expandPattern, type Pattern, type PatternContext, type PatternVar } from './pattern.js';

/** Past this many, one more line says how many were left out: a pasted row repeated 500 times is one fault. */
export const MAX_REPORTED_ERRORS = 500;

export const COLLECTOR_DEFAULTS: Readonly<Record<'cgminer' | 'dcgm' | 'whatsminer_v3' | 'redfish', CollectorSettings>> = {
  // cgminer: thousands of cheap TCP requests per sweep, 15 s matches miners' own 15 s hashrate window.
  cgminer: { interval_s: 15, timeout_ms: 3000, concurrency: 256 },
  // dcgm-exporter refreshes its counters every few seconds and each scrape is a large text page.
  dcgm: { interval_s: 10, timeout_ms: 3000, concurrency: 32 },
  whatsminer_v3: { interval_s: 15, timeout_ms: 3000, concurrency: 256 },
  // BMCs and PDU cards answer slowly and few requests at a time; air and power readings change slowly.
  redfish: { ...REDFISH_DEFAULT_SETTINGS },
};

export const RETENTION_DEFAULTS: Readonly<Required<RetentionSettings>> = { raw_hours: 48, minute_days: 90, hour_days: 1825, device_minute_days: 7 };
export const PUE_TARGET_DEFAULT = 1.5;
/** Environment variable whose value is accepted as one more ingest token, named "env". */
export const ENV_INGEST_TOKEN = 'FLOORWATCH_INGEST_TOKEN';

const CONFIG_KINDS = ['asic', 'gpu_node', 'gpu', 'env', 'pdu'] as const;
type ConfigKind = (typeof CONFIG_KINDS)[number];
const COOLING: readonly CoolingKind[] = ['air', 'immersion', 'liquid'];
const FLUIDS: readonly Fluid[] = ['water', 'pg25', 'eg30', 'immersion_oil', 'pao'];
const FEEDS: readonly Feed[] = ['A', 'B'];
const POLL_COLLECTORS = ['cgminer', 'whatsminer_v3'] as const;

const ROOT_KEYS = keySet('site', 'halls', 'cooling_loops', 'meters', 'collectors', 'retention', 'auth', 'alerts', 'prometheus', 'models');
const SITE_KEYS = keySet('name');
const HALL_KEYS = keySet('id', 'name', 'racks');
const RACK_KEYS = keySet('id', 'row', 'col', 'rated_kw', 'feeds', 'feed_rated_kw', 'cooling', 'loop', 'devices', 'count', 'start');
const DEVICE_KEYS = keySet(
  'id', 'kind', 'model', 'address', 'collector', 'exporter', 'redfish', 'gpus', 'nominal_ths', 'nominal_power_w', 'max_temp_c', 'count', 'start',
);
const LOOP_KEYS = keySet('id', 'hall', 'fluid', 'racks', 'redfish');
const METER_KEYS = keySet('id', 'scope', 'redfish');
const COLLECTORS_KEYS = keySet('cgminer', 'dcgm', 'whatsminer_v3', 'redfish');
const COLLECTOR_KEYS = keySet('interval_s', 'timeout_ms', 'concurrency');
const RETENTION_KEYS = keySet('raw_hours', 'minute_days', 'hour_days', 'device_minute_days');
const AUTH_KEYS = keySet('ingest_tokens', 'read_token', 'read_token_sha256', 'metrics_token', 'metrics_token_sha256', 'cors_origins', 'ingest_rate_per_s', 'ingest_burst');
/** A browser origin as the Origin header carries it: scheme, host, optional port, nothing after. */
const ORIGIN_RE = /^https?:\/\/[A-Za-z0-9.-]+(?::[0-9]{1,5})?$|^https?:\/\/\[[0-9A-Fa-f:.]+\](?::[0-9]{1,5})?$/;
const TOKEN_KEYS = keySet('name', 'token', 'token_sha256');
const ALERTS_KEYS = keySet('pue_target', 'rules');
const PROMETHEUS_KEYS = keySet('per_device');
const MODEL_KEYS = keySet('kind', 'name', 'nominal_ths', 'nominal_power_w', 'max_temp_c', 'max_mem_temp_c', 'mem_total_mib');

// Ids end up in URLs, Prometheus label values and socket.io room names: keep them to a safe alphabet.
const ID_RE = /^[A-Za-z0-9][A-Za-z0-9._:-]*$/;
const ID_MESSAGE = 'expected an id (letters, digits and . _ : - only)';
// One regex pass per address (100,000 of them in a big site): the host part only needs to be plausible,
// the OS resolver is the judge of the rest.
const HOST_RE = /^(?:\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?)$/;
const PORT_RE = /^\d{1,5}$/;
const SHA256_RE = /^[0-9a-fA-F]{64}$/;
const MAX_GPUS_PER_NODE = 64;
/**
 * Devices a site may have once compact entries are expanded. Ten times the largest site measured
 * (100,000 devices load in ~0.3 s and ~130 MB RSS through check-config), and far under the 2^24 entries
 * where a JS Map gives up: 100,000 × 100,000 × 64 used to run 72 s and 4.4 GB before dying there.
 */
export const MAX_SITE_DEVICES = 1_000_000;
/** No single `count` may exceed what a whole site may hold: it is refused by itself, before any multiplying. */
export const MAX_COUNT = MAX_SITE_DEVICES;

type Obj = Record<string, unknown>;

interface Ctx {
  errors: string[];
  dropped: number;
  /** devices the compact entries expanded so far (or would have: see overBudget) */
  devices: number;
  /** the budget was passed: later entries are not expanded, and checks that need the racks stay quiet */
  overBudget: boolean;
}

function keySet(...keys: string[]): ReadonlySet<string> {
  return new Set(keys);
}

function err(c: Ctx, path: string, message: string): void {
  if (c.errors.length < MAX_REPORTED_ERRORS) c.errors.push(`${path}: ${message}`);
  else c.dropped++;
}

function errorCount(c: Ctx): number {
  return c.errors.length + c.dropped;
}

function at(path: string, key: string): string {
  return path === '' ? key : `${path}.${key}`;
}

function isObj(v: unknown): v is Obj {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function asObject(c: Ctx, v: unknown, path: string): Obj | undefined {
  if (isObj(v)) return v;
  err(c, path, 'expected an object');
  return undefined;
}

function checkKeys(c: Ctx, o: Obj, path: string, allowed: ReadonlySet<string>): void {
  for (const k of Object.keys(o)) if (!allowed.has(k)) err(c, at(path, k), 'unknown key');
}

/** A value reader: returns the value, or reports at `path` and returns undefined. */
type Reader<T> = (c: Ctx, v: unknown, path: string) => T | undefined;

/** Absent (or YAML null) required fields get the same message as a wrong type: it says what is wanted. */
function field<T>(c: Ctx, o: Obj, key: string, path: string, read: Reader<T>, required: boolean, missing: string): T | undefined {
  const v = o[key];
  const p = at(path, key);
  if (v === undefined || v === null) {
    if (required) err(c, p, missing);
    return undefined;
  }
  return read(c, v, p);
}

const readString: Reader<string> = (c, v, p) => {
  if (typeof v === 'string' && v.length > 0) return v;
  err(c, p, typeof v === 'string' ? 'expected a non-empty string' : 'expected a string');
  return undefined;
};

const readId: Reader<string> = (c, v, p) => {
  const s = readString(c, v, p);
  if (s === undefined) return undefined;
  if (ID_RE.test(s)) return s;
  err(c, p, ID_MESSAGE);
  return undefined;
};

const readNumber: Reader<number> = (c, v, p) => {
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  err(c, p, 'expected a number');
  return undefined;
};

const readPositive: Reader<number> = (c, v, p) => {
  const n = readNumber(c, v, p);
  if (n === undefined) return undefined;
  if (n > 0) return n;
  err(c, p, 'must be greater than 0');
  return undefined;
};

const readPosInt: Reader<number> = (c, v, p) => {
  if (typeof v === 'number' && Number.isInteger(v) && v > 0) return v;
  err(c, p, 'expected a positive integer');
  return undefined;
};

const readNonNegInt: Reader<number> = (c, v, p) => {
  if (typeof v === 'number' && Number.isInteger(v) && v >= 0) return v;
  err(c, p, 'expected an integer ≥ 0');
  return undefined;
};

const readBool: Reader<boolean> = (c, v, p) => {
  if (typeof v === 'boolean') return v;
  err(c, p, 'expected true or false');
  return undefined;
};

function readEnum<T extends string>(values: readonly T[]): Reader<T> {
  const message = `expected one of ${values.join(', ')}`;
  return (c, v, p) => {
    if (typeof v === 'string' && (values as readonly string[]).includes(v)) return v as T;
    err(c, p, message);
    return undefined;
  };
}

const readList: Reader<unknown[]> = (c, v, p) => {
  if (Array.isArray(v)) return v;
  err(c, p, 'expected a list');
  return undefined;
};

/** A pattern-capable string (id, address, exporter); `check` validates the literal parts that can be checked early. */
const readPattern: Reader<Pattern> = (c, v, p) => {
  const s = readString(c, v, p);
  if (s === undefined) return undefined;
  const pat = compilePattern(s);
  if (typeof pat === 'string') {
    err(c, p, pat);
    return undefined;
  }
  return pat;
};

/** An id that may hold placeholders: its literal text must be id-safe, and placeholders expand to digits or ids. */
const readIdPattern: Reader<Pattern> = (c, v, p) => {
  const pat = readPattern(c, v, p);
  if (pat === undefined) return undefined;
  const probe = expandPattern(pat, { n: 1, r: 1, rack: 'R' });
  if (ID_RE.test(probe)) return pat;
  err(c, p, ID_MESSAGE);
  return undefined;
};

function checkVars(c: Ctx, pat: Pattern, path: string, allowed: ReadonlySet<PatternVar>): boolean {
  for (const v of pat.vars) {
    if (allowed.has(v)) continue;
    err(c, path, v === 'n' ? '{n} needs count' : v === 'r' ? '{r} needs a rack with count' : '{rack} is only known inside a rack');
    return false;
  }
  return true;
}

function sha256Hex(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

function checkAddress(address: string): string | null {
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

function checkExporter(url: string): string | null {
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
const readUrl: Reader<string> = (c, v, p) => {
  const s = readString(c, v, p);
  if (s === undefined) return undefined;
  const problem = checkExporter(s);
  if (problem === null) return s;
  err(c, p, problem);
  return undefined;
};

// ---------------------------------------------------------------------------------------------------
// Raw (validated, not yet expanded) entries

interface RawDevice {
  path: string;
  idPat?: Pattern;
  kind?: ConfigKind;
  counted: boolean;
  count: number;
  start: number;
  model?: string;
  addrPat?: Pattern;
  collector?: 'cgminer' | 'whatsminer_v3';
  exporterPat?: Pattern;
  redfishPat?: Pattern;
  gpus: number;
  nominal_ths?: number;
  nominal_power_w?: number;
  max_temp_c?: number;
}

type Coord = number | Pattern;

interface RawRack {
  path: string;
  idPat?: Pattern;
  counted: boolean;
  count: number;
  start: number;
  row?: Coord;
  col?: Coord;
  rated_kw: number;
  feeds: Feed[];
  feed_rated_kw?: number;
  cooling: CoolingKind;
  loop?: string;
  devices: RawDevice[];
}

/** Where an id was defined: the entry's path plus, for counted entries, which instance. */
interface Where {
  path: string;
  n?: number;
  r?: number;
}

function instance(w: Where): string {
  const tags: string[] = [];
  if (w.r !== undefined) tags.push(`rack n=${w.r}`);
  if (w.n !== undefined) tags.push(`n=${w.n}`);
  return tags.length === 0 ? '' : ` (${tags.join(', ')})`;
}

function duplicate(c: Ctx, what: string, id: string, here: Where, first: Where): void {
  err(c, here.path, `duplicate ${what} "${id}"${instance(here)}, first at ${first.path}${instance(first)}`);
}

function readCount(c: Ctx, o: Obj, path: string): { counted: boolean; count: number; start: number } {
  let count = field(c, o, 'count', path, readPosInt, false, '');
  const start = field(c, o, 'start', path, readNonNegInt, false, '');
  if (start !== undefined && count === undefined) err(c, at(path, 'start'), 'start needs count');
  if (count !== undefined && count > MAX_COUNT) {
    err(c, at(path, 'count'), `at most ${fmtCount(MAX_COUNT)}`);
    // Still counted (so the id's {n} raises nothing more), but nothing to expand.
    count = 0;
  }
  return { counted: count !== undefined, count: count ?? 1, start: start ?? 1 };
}

function fmtCount(n: number): string {
  return n.toLocaleString('en-US');
}

const BUDGET = `over the limit of ${fmtCount(MAX_SITE_DEVICES)} devices a site may have`;

/**
 * Checks, before expanding a rack entry, how many devices it would make (its count × the devices of one
 * rack, a gpu_node counting its GPUs) and what that brings the site to. Multiplying the counts costs
 * nothing; building them is what took 72 s and 4.4 GB. Errors name the entry that passes the budget: a
 * device entry that alone passes it, else the rack entry's count (or its devices, for one rack), else the
 * entry with which the site total passes it. false = do not expand it.
 */
function withinBudget(c: Ctx, raw: RawRack): boolean {
  if (c.overBudget) return false;
  let perRack = 0;
  let entryTooBig = false;
  for (const d of raw.devices) {
    if (d.idPat === undefined || d.kind === undefined) continue;
    const n = d.kind === 'gpu_node' ? d.count * d.gpus : d.count;
    if (n > MAX_SITE_DEVICES) {
      entryTooBig = true;
      err(c, `${d.path}.count`, d.kind === 'gpu_node'
        ? `${fmtCount(d.count)} gpu nodes × ${d.gpus} GPUs = ${fmtCount(n)} devices in each rack, ${BUDGET}`
        : `${fmtCount(n)} devices in each rack, ${BUDGET}`);
    }
    perRack += n;
  }
  const total = raw.count * perRack;
  const after = c.devices + total;
  c.devices = after;
  if (after <= MAX_SITE_DEVICES) return true;
  c.overBudget = true;
  if (raw.counted && raw.count > 1 && total > MAX_SITE_DEVICES) {
    err(c, `${raw.path}.count`, `${fmtCount(raw.count)} racks × ${fmtCount(perRack)} devices = ${fmtCount(total)} devices, ${BUDGET}`);
  } else if (total > MAX_SITE_DEVICES) {
    if (!entryTooBig) err(c, `${raw.path}.devices`, `${fmtCount(total)} devices in one rack, ${BUDGET}`);
  } else {
    const what = raw.counted ? `${fmtCount(raw.count)} racks × ${fmtCount(perRack)} devices = ${fmtCount(total)} devices` : `${fmtCount(total)} devices`;
    err(c, raw.counted ? `${raw.path}.count` : `${raw.path}.devices`, `${what} would bring the site to ${fmtCount(after)} devices, ${BUDGET}`);
  }
  return false;
}

function readModelRef(
  c: Ctx, o: Obj, path: string, kind: ConfigKind | undefined, catalogue: ReadonlyMap<string, CatalogueModel>,
  overrides: { nominal_ths?: number; nominal_power_w?: number },
): string | undefined {
  const model = field(c, o, 'model', path, readString, kind === 'asic', 'required for kind asic');
  if (model === undefined || kind === undefined) return model;
  const p = at(path, 'model');
  if (kind === 'env' || kind === 'pdu') {
    err(c, p, `only for kind asic, gpu_node or gpu (the catalogue has no ${kind} models)`);
    return undefined;
  }
  const wanted = kind === 'asic' ? 'asic' : 'gpu';
  const entry = catalogue.get(model);
  if (entry === undefined) {
    // An uncatalogued model is fine when the device carries the figures the maths needs.
    const described = overrides.nominal_power_w !== undefined && (wanted === 'gpu' || overrides.nominal_ths !== undefined);
    if (!described) {
      const need = wanted === 'asic' ? 'nominal_ths and nominal_power_w' : 'nominal_power_w';
      err(c, p, `unknown model "${model}" (not in the catalogue: add it under models: or give ${need})`);
    }
    return model;
  }
  if (entry.kind !== wanted) err(c, p, `model "${model}" is a ${entry.kind}, not a ${wanted}`);
  return model;
}

function readDevice(
  c: Ctx, raw: unknown, path: string, rackCounted: boolean, catalogue: ReadonlyMap<string, CatalogueModel>,
): RawDevice | undefined {
  const o = asObject(c, raw, path);
  if (o === undefined) return undefined;
  checkKeys(c, o, path, DEVICE_KEYS);
  const cnt = readCount(c, o, path);
  const kind = field(c, o, 'kind', path, readEnum(CONFIG_KINDS), true, `expected one of ${CONFIG_KINDS.join(', ')}`);
  let idPat = field(c, o, 'id', path, readIdPattern, true, 'expected a string');
  const allowed = new Set<PatternVar>(['rack']);
  if (cnt.counted) allowed.add('n');
  if (rackCounted) allowed.add('r');
  if (idPat !== undefined) {
    const idPath = at(path, 'id');
    if (!checkVars(c, idPat, idPath, allowed)) idPat = undefined;
    else if (cnt.count > 1 && !idPat.vars.has('n')) {
      err(c, idPath, 'with count, the id must contain {n}');
      idPat = undefined;
    } else if (rackCounted && !idPat.vars.has('rack') && !idPat.vars.has('r')) {
      err(c, idPath, 'in a rack with count, the id must contain {rack} or {r}');
      idPat = undefined;
    }
  }

  const nominal_ths = field(c, o, 'nominal_ths', path, readPositive, false, '');
  const nominal_power_w = field(c, o, 'nominal_power_w', path, readPositive, false, '');
  const max_temp_c = field(c, o, 'max_temp_c', path, readNumber, false, '');
  if (nominal_ths !== undefined && kind !== undefined && kind !== 'asic') err(c, at(path, 'nominal_ths'), 'only for kind asic');
  if (kind === 'env' || kind === 'pdu') {
    if (nominal_power_w !== undefined) err(c, at(path, 'nominal_power_w'), 'only for kind asic, gpu_node or gpu');
    if (max_temp_c !== undefined) err(c, at(path, 'max_temp_c'), 'only for kind asic, gpu_node or gpu');
  }
  const model = readModelRef(c, o, path, kind, catalogue, { nominal_ths, nominal_power_w });

  let addrPat = field(c, o, 'address', path, readPattern, false, '');
  if (addrPat !== undefined) {
    const p = at(path, 'address');
    if (kind !== undefined && kind !== 'asic') {
      err(c, p, kind === 'gpu_node' ? 'only for kind asic (a gpu_node is polled through exporter)' : 'only for kind asic');
      addrPat = undefined;
    } else if (!checkVars(c, addrPat, p, allowed)) addrPat = undefined;
  }
  const collector = field(c, o, 'collector', path, readEnum(POLL_COLLECTORS), false, '');
  if (collector !== undefined && o['address'] === undefined) err(c, at(path, 'collector'), 'needs address');

  let exporterPat = field(c, o, 'exporter', path, readPattern, false, '');
  if (exporterPat !== undefined) {
    const p = at(path, 'exporter');
    if (kind !== undefined && kind !== 'gpu_node') {
      err(c, p, 'only for kind gpu_node');
      exporterPat = undefined;
    } else if (!checkVars(c, exporterPat, p, allowed)) exporterPat = undefined;
  }
  let redfishPat = field(c, o, 'redfish', path, readPattern, false, '');
  if (redfishPat !== undefined) {
    const p = at(path, 'redfish');
    if (kind !== undefined && kind !== 'env' && kind !== 'pdu') {
      err(c, p, 'only for kind env or pdu');
      redfishPat = undefined;
    } else if (!checkVars(c, redfishPat, p, allowed)) redfishPat = undefined;
  }
  const gpus = field(c, o, 'gpus', path, readPosInt, false, '');
  if (gpus !== undefined) {
    if (kind !== undefined && kind !== 'gpu_node') err(c, at(path, 'gpus'), 'only for kind gpu_node');
    else if (gpus > MAX_GPUS_PER_NODE) err(c, at(path, 'gpus'), `at most ${MAX_GPUS_PER_NODE}`);
  }

  const dev: RawDevice = { path, counted: cnt.counted, count: cnt.count, start: cnt.start, gpus: gpus ?? 8 };
  if (idPat !== undefined) dev.idPat = idPat;
  if (kind !== undefined) dev.kind = kind;
  if (model !== undefined) dev.model = model;
  if (addrPat !== undefined) dev.addrPat = addrPat;
  if (collector !== undefined) dev.collector = collector;
  if (exporterPat !== undefined) dev.exporterPat = exporterPat;
  if (redfishPat !== undefined) dev.redfishPat = redfishPat;
  if (nominal_ths !== undefined) dev.nominal_ths = nominal_ths;
  if (nominal_power_w !== undefined) dev.nominal_power_w = nominal_power_w;
  if (max_temp_c !== undefined) dev.max_temp_c = max_temp_c;
  return dev;
}

function readCoord(c: Ctx, o: Obj, key: 'row' | 'col', path: string, counted: boolean): Coord | undefined {
  const v = o[key];
  const p = at(path, key);
  if (typeof v === 'string' && counted) {
    const pat = compilePattern(v);
    if (typeof pat === 'string') {
      err(c, p, pat);
      return undefined;
    }
    if (!checkVars(c, pat, p, new Set<PatternVar>(['n']))) return undefined;
    return pat;
  }
  return field(c, o, key, path, readPosInt, true, 'expected a positive integer');
}

function readRack(c: Ctx, raw: unknown, path: string, catalogue: ReadonlyMap<string, CatalogueModel>): RawRack | undefined {
  const o = asObject(c, raw, path);
  if (o === undefined) return undefined;
  checkKeys(c, o, path, RACK_KEYS);
  const cnt = readCount(c, o, path);
  let idPat = field(c, o, 'id', path, readIdPattern, true, 'expected a string');
  if (idPat !== undefined) {
    const idPath = at(path, 'id');
    if (!checkVars(c, idPat, idPath, new Set<PatternVar>(cnt.counted ? ['n'] : []))) idPat = undefined;
    else if (cnt.count > 1 && !idPat.vars.has('n')) {
      err(c, idPath, 'with count, the id must contain {n}');
      idPat = undefined;
    }
  }
  const row = readCoord(c, o, 'row', path, cnt.counted);
  const col = readCoord(c, o, 'col', path, cnt.counted);
  const rated_kw = field(c, o, 'rated_kw', path, readPositive, true, 'expected a number');
  const feed_rated_kw = field(c, o, 'feed_rated_kw', path, readPositive, false, '');
  const cooling = field(c, o, 'cooling', path, readEnum(COOLING), false, '');
  const loop = field(c, o, 'loop', path, readId, false, '');

  let feeds: Feed[] = ['A', 'B'];
  const feedList = field(c, o, 'feeds', path, readList, false, '');
  if (feedList !== undefined) {
    const fp = at(path, 'feeds');
    const seen: Feed[] = [];
    feedList.forEach((f, i) => {
      const feed = readEnum(FEEDS)(c, f, `${fp}[${i}]`);
      if (feed === undefined) return;
      if (seen.includes(feed)) err(c, `${fp}[${i}]`, `duplicate feed "${feed}"`);
      else seen.push(feed);
    });
    if (feedList.length === 0) err(c, fp, 'expected at least one feed');
    if (seen.length > 0) feeds = seen;
  }

  const devices: RawDevice[] = [];
  const devList = field(c, o, 'devices', path, readList, false, '');
  if (devList !== undefined) {
    const dp = at(path, 'devices');
    devList.forEach((d, i) => {
      const dev = readDevice(c, d, `${dp}[${i}]`, cnt.counted, catalogue);
      if (dev !== undefined) devices.push(dev);
    });
  }

  const rack: RawRack = {
    path, counted: cnt.counted, count: cnt.count, start: cnt.start, rated_kw: rated_kw ?? 0, feeds,
    cooling: cooling ?? 'air', devices,
  };
  if (idPat !== undefined) rack.idPat = idPat;
  if (row !== undefined) rack.row = row;
  if (col !== undefined) rack.col = col;
  if (feed_rated_kw !== undefined) rack.feed_rated_kw = feed_rated_kw;
  if (loop !== undefined) rack.loop = loop;
  return rack;
}

function readModels(c: Ctx, v: unknown, catalogue: Map<string, CatalogueModel>): void {
  const o = asObject(c, v, 'models');
  if (o === undefined) return;
  for (const [key, raw] of Object.entries(o)) {
    const p = `models.${key}`;
    const m = asObject(c, raw, p);
    if (m === undefined) continue;
    const before = errorCount(c);
    checkKeys(c, m, p, MODEL_KEYS);
    const base = catalogue.get(key);
    const kind = field(c, m, 'kind', p, readEnum(['asic', 'gpu'] as const), base === undefined, 'expected one of asic, gpu');
    if (base !== undefined && kind !== undefined && kind !== base.kind) {
      err(c, at(p, 'kind'), `catalogue model "${key}" is a ${base.kind}`);
    }
    const effKind = kind ?? base?.kind;
    const name = field(c, m, 'name', p, readString, false, '');
    const nominal_ths = field(c, m, 'nominal_ths', p, readPositive, base === undefined && effKind === 'asic', 'expected a number');
    const nominal_power_w = field(c, m, 'nominal_power_w', p, readPositive, base === undefined, 'expected a number');
    const max_temp_c = field(c, m, 'max_temp_c', p, readNumber, base === undefined, 'expected a number');
    const max_mem_temp_c = field(c, m, 'max_mem_temp_c', p, readNumber, false, '');
    const mem_total_mib = field(c, m, 'mem_total_mib', p, readPosInt, false, '');
    if (effKind === 'gpu' && nominal_ths !== undefined) err(c, at(p, 'nominal_ths'), 'only for kind asic');
    if (effKind === 'asic' && max_mem_temp_c !== undefined) err(c, at(p, 'max_mem_temp_c'), 'only for kind gpu');
    if (effKind === 'asic' && mem_total_mib !== undefined) err(c, at(p, 'mem_total_mib'), 'only for kind gpu');
    if (errorCount(c) !== before || effKind === undefined) continue;
    const merged: CatalogueModel = base !== undefined
      ? { ...base }
      : { key, kind: effKind, name: key, nominal_power_w: 0, max_temp_c: 0 };
    if (name !== undefined) merged.name = name;
    if (nominal_ths !== undefined) merged.nominal_ths = nominal_ths;
    if (nominal_power_w !== undefined) merged.nominal_power_w = nominal_power_w;
    if (max_temp_c !== undefined) merged.max_temp_c = max_temp_c;
    if (max_mem_temp_c !== undefined) merged.max_mem_temp_c = max_mem_temp_c;
    if (mem_total_mib !== undefined) merged.mem_total_mib = mem_total_mib;
    catalogue.set(key, merged);
  }
}

function readCollectors(c: Ctx, v: unknown): SiteModel['collectors'] {
  const out = {
    cgminer: { ...COLLECTOR_DEFAULTS.cgminer },
    dcgm: { ...COLLECTOR_DEFAULTS.dcgm },
    whatsminer_v3: { ...COLLECTOR_DEFAULTS.whatsminer_v3 },
    redfish: { ...COLLECTOR_DEFAULTS.redfish },
  };
  if (v === undefined || v === null) return out;
  const o = asObject(c, v, 'collectors');
  if (o === undefined) return out;
  checkKeys(c, o, 'collectors', COLLECTORS_KEYS);
  for (const name of ['cgminer', 'dcgm', 'whatsminer_v3', 'redfish'] as const) {
    if (o[name] === undefined || o[name] === null) continue;
    const p = `collectors.${name}`;
    const s = asObject(c, o[name], p);
    if (s === undefined) continue;
    checkKeys(c, s, p, COLLECTOR_KEYS);
    const interval_s = field(c, s, 'interval_s', p, readPositive, false, '');
    const timeout_ms = field(c, s, 'timeout_ms', p, readPosInt, false, '');
    const concurrency = field(c, s, 'concurrency', p, readPosInt, false, '');
    if (interval_s !== undefined) out[name].interval_s = interval_s;
    if (timeout_ms !== undefined) out[name].timeout_ms = timeout_ms;
    if (concurrency !== undefined) out[name].concurrency = concurrency;
  }
  return out;
}

function readRetention(c: Ctx, v: unknown): RetentionSettings {
  const out = { ...RETENTION_DEFAULTS };
  if (v === undefined || v === null) return out;
  const o = asObject(c, v, 'retention');
  if (o === undefined) return out;
  checkKeys(c, o, 'retention', RETENTION_KEYS);
  for (const k of ['raw_hours', 'minute_days', 'hour_days', 'device_minute_days'] as const) {
    const n = field(c, o, k, 'retention', readPositive, false, '');
    if (n !== undefined) out[k] = n;
  }
  // A late or corrected reading is accepted for raw_hours and folded into its device minute row; the
  // hour's extremes are then recomputed from minute rows, so those must still be there.
  if (out.device_minute_days * 24 < out.raw_hours) {
    err(c, at('retention', 'device_minute_days'), `must keep at least raw_hours (${out.raw_hours} h = ${out.raw_hours / 24} days)`);
  }
  return out;
}

/** A secret given either in clear (`key`) or already hashed (`key_sha256`); only the hash is kept. */
function readSecret(c: Ctx, o: Obj, path: string, key: string, required: boolean): string | undefined {
  const clear = field(c, o, key, path, readString, false, '');
  const hashed = field(c, o, `${key}_sha256`, path, readString, false, '');
  if (clear !== undefined && hashed !== undefined) {
    err(c, at(path, `${key}_sha256`), `give ${key} or ${key}_sha256, not both`);
    return undefined;
  }
  if (hashed !== undefined) {
    if (SHA256_RE.test(hashed)) return hashed.toLowerCase();
    err(c, at(path, `${key}_sha256`), 'expected 64 hex digits (a sha256)');
    return undefined;
  }
  if (clear !== undefined) return sha256Hex(clear);
  if (required && o[key] === undefined && o[`${key}_sha256`] === undefined) err(c, at(path, key), `expected ${key} or ${key}_sha256`);
  return undefined;
}

function readAuth(c: Ctx, v: unknown, env: NodeJS.ProcessEnv): AuthSettings {
  const out: AuthSettings = { ingest_tokens: [] };
  if (v !== undefined && v !== null) {
    const o = asObject(c, v, 'auth');
    if (o !== undefined) {
      checkKeys(c, o, 'auth', AUTH_KEYS);
      const list = field(c, o, 'ingest_tokens', 'auth', readList, false, '');
      const names = new Map<string, string>();
      list?.forEach((t, i) => {
        const p = `auth.ingest_tokens[${i}]`;
        const to = asObject(c, t, p);
        if (to === undefined) return;
        checkKeys(c, to, p, TOKEN_KEYS);
        const name = field(c, to, 'name', p, readString, true, 'expected a string');
        const sha = readSecret(c, to, p, 'token', true);
        if (name !== undefined) {
          const first = names.get(name);
          if (first !== undefined) err(c, at(p, 'name'), `duplicate token name "${name}", first at ${first}`);
          else names.set(name, at(p, 'name'));
        }
        if (name !== undefined && sha !== undefined) out.ingest_tokens.push({ name, sha256: sha });
      });
      const read = readSecret(c, o, 'auth', 'read_token', false);
      if (read !== undefined) out.read_token_sha256 = read;
      const metrics = readSecret(c, o, 'auth', 'metrics_token', false);
      if (metrics !== undefined) out.metrics_token_sha256 = metrics;
      const origins = field(c, o, 'cors_origins', 'auth', readList, false, '');
      if (origins !== undefined) {
        const ok: string[] = [];
        origins.forEach((x, i) => {
          const p = `auth.cors_origins[${i}]`;
          if (typeof x === 'string' && ORIGIN_RE.test(x)) ok.push(x);
          else err(c, p, 'expected an origin such as https://ops.example.com (scheme, host, optional port)');
        });
        out.cors_origins = ok;
      }
      const rate = field(c, o, 'ingest_rate_per_s', 'auth', readPositive, false, '');
      if (rate !== undefined) out.ingest_rate_per_s = rate;
      const burst = field(c, o, 'ingest_burst', 'auth', readPosInt, false, '');
      if (burst !== undefined) out.ingest_burst = burst;
    }
  }
  const envToken = env[ENV_INGEST_TOKEN];
  if (envToken !== undefined && envToken.length > 0) out.ingest_tokens.push({ name: 'env', sha256: sha256Hex(envToken) });
  return out;
}

function readAlerts(c: Ctx, v: unknown): { pue_target: number; rules: unknown[] } {
  const none = { pue_target: PUE_TARGET_DEFAULT, rules: [] };
  if (v === undefined || v === null) return none;
  const o = asObject(c, v, 'alerts');
  if (o === undefined) return none;
  checkKeys(c, o, 'alerts', ALERTS_KEYS);
  const pue = field(c, o, 'pue_target', 'alerts', readNumber, false, '');
  if (pue !== undefined && pue < 1) err(c, 'alerts.pue_target', 'must be at least 1 (PUE = facility ÷ IT power)');
  // The alert engine's own parser checks the rules, so check-config reports their errors by path too.
  const rules = field(c, o, 'rules', 'alerts', readList, false, '') ?? [];
  for (const e of parseAlertRules(rules, 'alerts.rules').errors) {
    const at = e.indexOf(': ');
    err(c, e.slice(0, at), e.slice(at + 2));
  }
  return { pue_target: pue !== undefined && pue >= 1 ? pue : PUE_TARGET_DEFAULT, rules };
}

function readPrometheus(c: Ctx, v: unknown): { per_device: boolean } {
  if (v === undefined || v === null) return { per_device: false };
  const o = asObject(c, v, 'prometheus');
  if (o === undefined) return { per_device: false };
  checkKeys(c, o, 'prometheus', PROMETHEUS_KEYS);
  return { per_device: field(c, o, 'per_device', 'prometheus', readBool, false, '') ?? false };
}

// ---------------------------------------------------------------------------------------------------
// Expansion

interface Registry {
  devices: Map<string, DeviceModel>;
  deviceWhere: Map<string, Where>;
  nodeWhere: Map<string, Where>;
  racks: Map<string, RackModel>;
  rackWhere: Map<string, Where>;
  /** the loop each rack's own entry named; RackModel.loop is set only once the loop is known to exist */
  rackLoop: Map<string, string>;
}

function addDevice(c: Ctx, reg: Registry, dev: DeviceModel, where: Where): boolean {
  const first = reg.deviceWhere.get(dev.id);
  if (first !== undefined) {
    duplicate(c, 'device id', dev.id, where, first);
    return false;
  }
  reg.devices.set(dev.id, dev);
  reg.deviceWhere.set(dev.id, where);
  return true;
}

function coordValue(c: Ctx, coord: Coord, ctx: PatternContext, path: string): number | undefined {
  if (typeof coord === 'number') return coord;
  const text = expandPattern(coord, ctx);
  const n = Number(text);
  if (Number.isInteger(n) && n > 0 && /^\d+$/.test(text)) return n;
  err(c, path, `expected a positive integer, got "${text}"${ctx.n === undefined ? '' : ` (n=${ctx.n})`}`);
  return undefined;
}

/** Copies an entry's model and figure overrides onto one of its devices. */
function addFigures(dev: DeviceModel, d: RawDevice): void {
  if (d.model !== undefined) dev.model = d.model;
  if (d.nominal_ths !== undefined && dev.kind === 'asic') dev.nominal_ths = d.nominal_ths;
  if (d.nominal_power_w !== undefined) dev.nominal_power_w = d.nominal_power_w;
  if (d.max_temp_c !== undefined) dev.max_temp_c = d.max_temp_c;
}

// Each device object is built in one literal of its final shape: adding address/collector to a spread
// copy afterwards made a 100,000-miner site three times slower to load.
function expandRackDevices(c: Ctx, reg: Registry, raw: RawRack, rack: RackModel, rackN: number | undefined, reported: Set<string>): void {
  const hall = rack.hall;
  const rackId = rack.id;
  for (const d of raw.devices) {
    if (d.idPat === undefined || d.kind === undefined) continue;
    const kind = d.kind;
    for (let i = 0; i < d.count; i++) {
      const ctx: PatternContext = { rack: rackId };
      if (d.counted) ctx.n = d.start + i;
      if (rackN !== undefined) ctx.r = rackN;
      const id = expandPattern(d.idPat, ctx);
      const where: Where = { path: `${d.path}.id` };
      if (ctx.n !== undefined) where.n = ctx.n;
      if (ctx.r !== undefined) where.r = ctx.r;

      if (kind === 'gpu_node') {
        const first = reg.nodeWhere.get(id) ?? reg.deviceWhere.get(id);
        if (first !== undefined) {
          duplicate(c, 'device id', id, where, first);
          continue;
        }
        reg.nodeWhere.set(id, where);
        let exporter: string | undefined;
        if (d.exporterPat !== undefined) {
          exporter = expandPattern(d.exporterPat, ctx);
          const problem = checkExporter(exporter);
          if (problem !== null) {
            if (!reported.has(d.path)) err(c, `${d.path}.exporter`, problem + instance(where));
            reported.add(d.path);
            exporter = undefined;
          }
        }
        for (let g = 0; g < d.gpus; g++) {
          const gid = `${id}/gpu${g}`;
          const gpu: DeviceModel = exporter !== undefined
            ? { id: gid, kind: 'gpu', hall, rack: rackId, node: id, gpu_index: g, exporter, collector: 'dcgm' }
            : { id: gid, kind: 'gpu', hall, rack: rackId, node: id, gpu_index: g };
          addFigures(gpu, d);
          if (addDevice(c, reg, gpu, where)) rack.devices.push(gpu);
        }
        continue;
      }

      let address: string | undefined;
      if (d.addrPat !== undefined) {
        address = expandPattern(d.addrPat, ctx);
        const problem = checkAddress(address);
        if (problem !== null) {
          if (!reported.has(d.path)) err(c, `${d.path}.address`, problem + instance(where));
          reported.add(d.path);
          address = undefined;
        }
      }
      let redfish: string | undefined;
      if (d.redfishPat !== undefined) {
        redfish = expandPattern(d.redfishPat, ctx);
        const problem = checkExporter(redfish);
        if (problem !== null) {
          if (!reported.has(d.path)) err(c, `${d.path}.redfish`, problem + instance(where));
          reported.add(d.path);
          redfish = undefined;
        }
      }
      const dev: DeviceModel = address !== undefined
        ? { id, kind, hall, rack: rackId, address, collector: d.collector ?? 'cgminer' }
        : redfish !== undefined
          ? { id, kind, hall, rack: rackId, redfish, collector: 'redfish' }
          : { id, kind, hall, rack: rackId };
      addFigures(dev, d);
      if (addDevice(c, reg, dev, where)) rack.devices.push(dev);
    }
  }
}

function expandRacks(c: Ctx, reg: Registry, hall: HallModel, raws: RawRack[]): void {
  const positions = new Map<string, Where & { id: string }>();
  const reported = new Set<string>();
  for (const raw of raws) {
    if (raw.idPat === undefined || raw.row === undefined || raw.col === undefined) continue;
    if (!withinBudget(c, raw)) continue;
    for (let i = 0; i < raw.count; i++) {
      const n = raw.counted ? raw.start + i : undefined;
      const ctx: PatternContext = n === undefined ? {} : { n };
      const id = expandPattern(raw.idPat, ctx);
      const where: Where = { path: `${raw.path}.id` };
      if (n !== undefined) where.n = n;
      const row = coordValue(c, raw.row, ctx, `${raw.path}.row`);
      const col = coordValue(c, raw.col, ctx, `${raw.path}.col`);
      if (row === undefined || col === undefined) continue;
      const firstRack = reg.rackWhere.get(id);
      if (firstRack !== undefined) {
        duplicate(c, 'rack id', id, where, firstRack);
        continue;
      }
      const key = `${row},${col}`;
      const taken = positions.get(key);
      if (taken !== undefined) {
        err(c, raw.path, `rack "${id}"${instance(where)} is at row ${row}, col ${col} of hall ${hall.id}, ` +
          `where rack "${taken.id}" already is (${taken.path})`);
      } else {
        positions.set(key, { ...where, path: raw.path, id });
      }
      const rack: RackModel = {
        id, hall: hall.id, row, col, rated_kw: raw.rated_kw, feeds: [...raw.feeds],
        feed_rated_kw: raw.feed_rated_kw ?? raw.rated_kw, cooling: raw.cooling, devices: [],
      };
      reg.racks.set(id, rack);
      reg.rackWhere.set(id, where);
      if (raw.loop !== undefined) reg.rackLoop.set(id, raw.loop);
      hall.racks.push(rack);
      if (row > hall.rows) hall.rows = row;
      if (col > hall.cols) hall.cols = col;
      expandRackDevices(c, reg, raw, rack, n, reported);
    }
  }
}

// ---------------------------------------------------------------------------------------------------

export type BuildResult = { ok: true; model: SiteModel } | { ok: false; errors: string[] };

/** Validates a parsed YAML tree and builds the site model; every problem is reported by its path. */
export function buildSiteModel(root: unknown, env: NodeJS.ProcessEnv): BuildResult {
  const c: Ctx = { errors: [], dropped: 0, devices: 0, overBudget: false };
  const finish = (): { ok: false; errors: string[] } => {
    const errors = [...c.errors];
    if (c.dropped > 0) errors.push(`(${c.dropped} more errors not shown)`);
    return { ok: false, errors };
  };
  if (!isObj(root)) {
    err(c, '(top level)', 'expected an object with site and halls');
    return finish();
  }
  checkKeys(c, root, '', ROOT_KEYS);

  const catalogue = catalogueMap();
  if (root['models'] !== undefined && root['models'] !== null) readModels(c, root['models'], catalogue);

  let name = '';
  const site = field(c, root, 'site', '', (cc, v, p) => asObject(cc, v, p), true, 'expected an object');
  if (site !== undefined) {
    checkKeys(c, site, 'site', SITE_KEYS);
    name = field(c, site, 'name', 'site', readString, true, 'expected a string') ?? '';
  }

  const reg: Registry = {
    devices: new Map(), deviceWhere: new Map(), nodeWhere: new Map(), racks: new Map(), rackWhere: new Map(),
    rackLoop: new Map(),
  };
  const halls: HallModel[] = [];
  const hallWhere = new Map<string, string>();
  const hallList = field(c, root, 'halls', '', readList, true, 'expected a list');
  if (hallList !== undefined && hallList.length === 0) err(c, 'halls', 'expected at least one hall');
  hallList?.forEach((h, hi) => {
    const hp = `halls[${hi}]`;
    const o = asObject(c, h, hp);
    if (o === undefined) return;
    checkKeys(c, o, hp, HALL_KEYS);
    const id = field(c, o, 'id', hp, readId, true, 'expected a string');
    const hallName = field(c, o, 'name', hp, readString, false, '');
    const raws: RawRack[] = [];
    const rackList = field(c, o, 'racks', hp, readList, false, '');
    rackList?.forEach((r, ri) => {
      const raw = readRack(c, r, `${hp}.racks[${ri}]`, catalogue);
      if (raw !== undefined) raws.push(raw);
    });
    if (id === undefined) return;
    const first = hallWhere.get(id);
    if (first !== undefined) {
      err(c, `${hp}.id`, `duplicate hall id "${id}", first at ${first}`);
      return;
    }
    hallWhere.set(id, `${hp}.id`);
    const hall: HallModel = { id, name: hallName ?? id, racks: [], rows: 0, cols: 0 };
    halls.push(hall);
    expandRacks(c, reg, hall, raws);
  });

  const loops = readLoops(c, root['cooling_loops'], reg, hallWhere, halls);
  const meters = readMeters(c, root['meters'], reg, hallWhere);

  const collectors = readCollectors(c, root['collectors']);
  const retention = readRetention(c, root['retention']);
  const auth = readAuth(c, root['auth'], env);
  const { pue_target, rules: alert_rules } = readAlerts(c, root['alerts']);
  const prometheus = readPrometheus(c, root['prometheus']);

  if (errorCount(c) > 0) return finish();
  return {
    ok: true,
    model: {
      name, halls, loops, meters, devices: reg.devices, racks: reg.racks, catalogue, collectors, retention, auth,
      prometheus, pue_target, alert_rules,
    },
  };
}

function readLoops(
  c: Ctx, v: unknown, reg: Registry, hallWhere: ReadonlyMap<string, string>, halls: HallModel[],
): CoolingLoopModel[] {
  const loops: CoolingLoopModel[] = [];
  const byId = new Map<string, CoolingLoopModel>();
  const member = new Map<string, string>();
  if (v !== undefined && v !== null) {
    const list = readList(c, v, 'cooling_loops') ?? [];
    list.forEach((l, li) => {
      const lp = `cooling_loops[${li}]`;
      const o = asObject(c, l, lp);
      if (o === undefined) return;
      checkKeys(c, o, lp, LOOP_KEYS);
      const id = field(c, o, 'id', lp, readId, true, 'expected a string');
      const hall = field(c, o, 'hall', lp, readId, false, '');
      const fluid = field(c, o, 'fluid', lp, readEnum(FLUIDS), true, `expected one of ${FLUIDS.join(', ')}`);
      if (hall !== undefined && !hallWhere.has(hall)) err(c, `${lp}.hall`, `unknown hall "${hall}"`);
      const redfish = field(c, o, 'redfish', lp, readUrl, false, '');
      const rackIds = field(c, o, 'racks', lp, readList, false, '') ?? [];
      const racks: string[] = [];
      rackIds.forEach((r, ri) => {
        const rp = `${lp}.racks[${ri}]`;
        const rid = readString(c, r, rp);
        if (rid === undefined) return;
        const rack = reg.racks.get(rid);
        if (rack === undefined) {
          // Over budget the racks were never built: "unknown" would be noise, not a finding.
          if (!c.overBudget) err(c, rp, `unknown rack "${rid}"`);
          return;
        }
        if (hall !== undefined && rack.hall !== hall) err(c, rp, `rack "${rid}" is in hall ${rack.hall}, not ${hall}`);
        const other = member.get(rid);
        if (other !== undefined) {
          err(c, rp, `rack "${rid}" is already on cooling loop "${other}"`);
          return;
        }
        if (id !== undefined) member.set(rid, id);
        racks.push(rid);
      });
      if (id === undefined || fluid === undefined) return;
      const loop: CoolingLoopModel = { id, fluid, racks };
      if (hall !== undefined) loop.hall = hall;
      const where: Where = { path: `${lp}.id` };
      if (byId.has(id)) {
        err(c, where.path, `duplicate cooling loop id "${id}", first at ${reg.deviceWhere.get(id)?.path ?? 'cooling_loops'}`);
        return;
      }
      byId.set(id, loop);
      loops.push(loop);
      const dev: DeviceModel = { id, kind: 'cooling_loop' };
      if (hall !== undefined) dev.hall = hall;
      if (redfish !== undefined) {
        dev.redfish = redfish;
        dev.collector = 'redfish';
      }
      addDevice(c, reg, dev, where);
    });
  }

  // A rack may name its loop instead of (or as well as) the loop listing the rack; both end up the same.
  const reportedRaw = new Set<string>();
  for (const hall of halls) {
    for (const rack of hall.racks) {
      const listed = member.get(rack.id);
      const named = reg.rackLoop.get(rack.id);
      if (named !== undefined) {
        const where = reg.rackWhere.get(rack.id);
        const path = `${(where?.path ?? 'halls.id').slice(0, -'.id'.length)}.loop`;
        const loop = byId.get(named);
        if (loop === undefined) {
          if (!reportedRaw.has(path)) err(c, path, `unknown cooling loop "${named}"`);
          reportedRaw.add(path);
          continue;
        }
        if (loop.hall !== undefined && loop.hall !== rack.hall) {
          err(c, path, `rack "${rack.id}" is in hall ${rack.hall}, but cooling loop "${named}" serves hall ${loop.hall}`);
          continue;
        }
        if (listed !== undefined && listed !== named) {
          err(c, path, `rack "${rack.id}" names loop "${named}" but cooling loop "${listed}" lists it`);
          continue;
        }
        if (listed === undefined) {
          loop.racks.push(rack.id);
          member.set(rack.id, loop.id);
        }
        rack.loop = named;
      } else if (listed !== undefined) {
        rack.loop = listed;
      }
    }
  }
  // A loop that names no hall but serves racks of one hall belongs to that hall (hall-level figures use it).
  for (const loop of loops) {
    if (loop.hall !== undefined || loop.racks.length === 0) continue;
    const first = reg.racks.get(loop.racks[0] ?? '')?.hall;
    if (first !== undefined && loop.racks.every((r) => reg.racks.get(r)?.hall === first)) {
      loop.hall = first;
      const dev = reg.devices.get(loop.id);
      if (dev !== undefined && dev.kind === 'cooling_loop') dev.hall = first;
    }
  }
  return loops;
}

function readMeters(c: Ctx, v: unknown, reg: Registry, hallWhere: ReadonlyMap<string, string>): MeterModel[] {
  const meters: MeterModel[] = [];
  if (v === undefined || v === null) return meters;
  const list = readList(c, v, 'meters') ?? [];
  list.forEach((m, mi) => {
    const mp = `meters[${mi}]`;
    const o = asObject(c, m, mp);
    if (o === undefined) return;
    checkKeys(c, o, mp, METER_KEYS);
    const id = field(c, o, 'id', mp, readId, true, 'expected a string');
    const scopeText = field(c, o, 'scope', mp, readString, true, 'expected "site" or "hall:<id>"');
    let scope: MeterModel['scope'] | undefined;
    if (scopeText === 'site') scope = 'site';
    else if (scopeText !== undefined && scopeText.startsWith('hall:')) {
      const hall = scopeText.slice(5);
      if (hallWhere.has(hall)) scope = { hall };
      else err(c, `${mp}.scope`, `unknown hall "${hall}"`);
    } else if (scopeText !== undefined) err(c, `${mp}.scope`, 'expected "site" or "hall:<id>"');
    const redfish = field(c, o, 'redfish', mp, readUrl, false, '');
    if (id === undefined || scope === undefined) return;
    meters.push({ id, scope });
    const dev: DeviceModel = { id, kind: 'meter' };
    if (scope !== 'site') dev.hall = scope.hall;
    if (redfish !== undefined) {
      dev.redfish = redfish;
      dev.collector = 'redfish';
    }
    addDevice(c, reg, dev, { path: `${mp}.id` });
  });
  return meters;
}
