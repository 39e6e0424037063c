// A rack's device entries, read and checked once per entry (not per device a compact entry expands to):
// kind, id pattern, model and figures, and the endpoint that says which collector polls it. The endpoint
// keys, which kinds may carry them and which collector each means come from the collector registry.

import { ENDPOINTS, endpointOf, readChoosable, type DeviceEndpoint } from '../collectors/config.js';
import type { CollectorName } from '../collectors/registry.js';
import {
  CONFIG_KINDS, asObject, at, checkKeys, err, field, keySet, readEnum, readNumber, readPosInt, readPositive, readString,
  type ConfigKind, type Obj,
} from '../core/schema.js';
import type { CatalogueModel, DeviceModel } from '../core/types.js';
import type { Pattern, PatternVar } from './pattern.js';
import { checkVars, readCount, readIdPattern, readPattern, type SiteCtx } from './topology.js';

const DEVICE_KEYS = keySet(
  'id', 'kind', 'model', 'collector', 'gpus', 'nominal_ths', 'nominal_power_w', 'max_temp_c', 'count', 'start',
  ...ENDPOINTS.map((e) => e.key),
);
const MAX_GPUS_PER_NODE = 64;
/** `collector:` is read right after the last endpoint it can choose for, which keeps the report in entry order. */
const CHOICE_AFTER = Math.max(0, ENDPOINTS.findLastIndex((e) => e.collectors.length > 1));

/** An endpoint an entry names, still a pattern, and the collector its devices get. */
export interface RawEndpoint {
  ep: DeviceEndpoint;
  pat: Pattern;
  collector: CollectorName;
  /** what a block endpoint (snmp) gives each device besides its address */
  extra?: Partial<DeviceModel>;
}

export interface RawDevice {
  path: string;
  idPat?: Pattern;
  kind?: ConfigKind;
  counted: boolean;
  count: number;
  start: number;
  model?: string;
  /** in ENDPOINTS order; the first that expands to a usable value polls the device */
  endpoints: RawEndpoint[];
  gpus: number;
  nominal_ths?: number;
  nominal_power_w?: number;
  max_temp_c?: number;
}

function readModelRef(
  c: SiteCtx, o: Obj, path: string, kind: ConfigKind | undefined, catalogue: ReadonlyMap<string, CatalogueModel>,
  overrides: { nominal_ths?: number; nominal_power_w?: number },
): string | undefined {
  const model = field(c, o, 'model', path, readString, kind === 'asic', 'required for kind asic');
  if (model === undefined || kind === undefined) return model;
  const p = at(path, 'model');
  if (kind === 'env' || kind === 'pdu' || kind === 'ups') {
    err(c, p, `only for kind asic, gpu_node or gpu (the catalogue has no ${kind} models)`);
    return undefined;
  }
  const wanted = kind === 'asic' ? 'asic' : 'gpu';
  const entry = catalogue.get(model);
  if (entry === undefined) {
    // An uncatalogued model is fine when the device carries its nominal power (a misspelt model name that
    // carries none is caught here). Its nominal hashrate need not be given: config > catalogue > the
    // nameplate the firmware states (total_rateideal, rate_ideal, Factory GHS, factory-hash, Braiins
    // nominal_hashrate), which can only be known from the reply (issue 13).
    if (overrides.nominal_power_w === undefined) {
      err(c, p, `unknown model "${model}" (not in the catalogue: add it under models: or give nominal_power_w)`);
    }
    return model;
  }
  if (entry.kind !== wanted) err(c, p, `model "${model}" is a ${entry.kind}, not a ${wanted}`);
  return model;
}

/** A device's `collector:`, which must name a collector whose endpoint the entry gives. */
function readCollectorChoice(c: SiteCtx, o: Obj, path: string): CollectorName | undefined {
  const collector = field(c, o, 'collector', path, readChoosable, false, '');
  if (collector !== undefined && o[endpointOf(collector)] === undefined) err(c, at(path, 'collector'), `needs ${endpointOf(collector)}`);
  return collector;
}

export function readDevice(
  c: SiteCtx, raw: unknown, path: string, rackCounted: boolean, catalogue: ReadonlyMap<string, CatalogueModel>,
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
  if (kind === 'env' || kind === 'pdu' || kind === 'ups') {
    if (nominal_power_w !== undefined) err(c, at(path, 'nominal_power_w'), 'only for kind asic, gpu_node or gpu');
    if (max_temp_c !== undefined) err(c, at(path, 'max_temp_c'), 'only for kind asic, gpu_node or gpu');
  }
  const model = readModelRef(c, o, path, kind, catalogue, { nominal_ths, nominal_power_w });

  // One check per endpoint key (address, exporter, redfish): the kinds that may carry it, the placeholders.
  const found: { ep: DeviceEndpoint; pat: Pattern; extra?: Partial<DeviceModel> }[] = [];
  let collector: CollectorName | undefined;
  for (let i = 0; i < ENDPOINTS.length; i++) {
    const ep = ENDPOINTS[i];
    const p = at(path, ep.key);
    // A block endpoint (snmp) is read whole; its address is then a pattern like any other endpoint's.
    const block = ep.block !== undefined && o[ep.key] !== undefined && o[ep.key] !== null ? ep.block(c, o[ep.key], p, kind) : undefined;
    let pat = ep.block === undefined ? field(c, o, ep.key, path, readPattern, false, '')
      : block === undefined ? undefined : readPattern(c, block.address, at(p, 'address'));
    if (pat !== undefined) {
      if (kind !== undefined && !ep.kinds.includes(kind)) {
        err(c, p, ep.wrongKind(kind));
        pat = undefined;
      } else if (!checkVars(c, pat, p, allowed)) pat = undefined;
    }
    if (pat !== undefined) found.push(block === undefined ? { ep, pat } : { ep, pat, extra: block.extra });
    if (i === CHOICE_AFTER) collector = readCollectorChoice(c, o, path);
  }
  const gpus = field(c, o, 'gpus', path, readPosInt, false, '');
  if (gpus !== undefined) {
    if (kind !== undefined && kind !== 'gpu_node') err(c, at(path, 'gpus'), 'only for kind gpu_node');
    else if (gpus > MAX_GPUS_PER_NODE) err(c, at(path, 'gpus'), `at most ${MAX_GPUS_PER_NODE}`);
  }

  // The collector named for an endpoint polls it; any other endpoint gets the collector that polls it by default.
  const endpoints = found.map(({ ep, pat, extra }) => ({
    ep, pat, collector: collector !== undefined && endpointOf(collector) === ep.key ? collector : ep.collectors[0],
    ...(extra === undefined ? {} : { extra }),
  }));
  const dev: RawDevice = { path, counted: cnt.counted, count: cnt.count, start: cnt.start, endpoints, gpus: gpus ?? 8 };
  if (idPat !== undefined) dev.idPat = idPat;
  if (kind !== undefined) dev.kind = kind;
  if (model !== undefined) dev.model = model;
  if (nominal_ths !== undefined) dev.nominal_ths = nominal_ths;
  if (nominal_power_w !== undefined) dev.nominal_power_w = nominal_power_w;
  if (max_temp_c !== undefined) dev.max_temp_c = max_temp_c;
  return dev;
}
