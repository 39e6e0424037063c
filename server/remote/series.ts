// What is written out, and under which names: every committed device metric as a series
// floorwatch_device_<metric in base units>{site,hall,rack,device,kind,model}, and each tick's site, hall
// and rack figures under the very names /metrics gives them (server/exposition/prometheus.ts; a test
// checks each name is there), with a site label added: one store holds many sites. The device names are
// derived from the vocabulary's unit, so a new metric is written out without a row here; a new unit fails
// to compile until BASE_UNITS names it.

import { DEVICE_METRICS, type DeviceKind, type MetricUnit } from '../core/vocabulary.js';
import type { DeviceModel, Figures, HallFigures, RackFigures, SiteFigures } from '../core/types.js';
import type { Label } from './proto.js';

const same = (v: number): number => v;
/**
 * Prometheus' base units (https://prometheus.io/docs/practices/naming/#base-units): the suffix a
 * vocabulary name's unit ends in, its base-unit suffix and the conversion to it (a percentage is divided
 * by 100, as /metrics does, not multiplied by 0.01: the same reading gives the same double). rpm, counts,
 * flags and codes have no base unit and keep their name.
 */
const BASE_UNITS: Record<MetricUnit, { from: string; to: string; convert: (v: number) => number } | null> = {
  'TH/s': { from: '_ths', to: '_hashes_per_second', convert: (v) => v * 1e12 },
  W: { from: '_w', to: '_watts', convert: same },
  '°C': { from: '_c', to: '_celsius', convert: same },
  '%': { from: '_pct', to: '_ratio', convert: (v) => v / 100 },
  MiB: { from: '_mib', to: '_bytes', convert: (v) => v * 2 ** 20 },
  MHz: { from: '_mhz', to: '_hertz', convert: (v) => v * 1e6 },
  s: { from: '_s', to: '_seconds', convert: same },
  'L/min': { from: '_lpm', to: '_cubic_meters_per_second', convert: (v) => v / 60_000 },
  ms: { from: '_ms', to: '_seconds', convert: (v) => v / 1000 },
  // bytes, as /metrics gives link throughput (server/exposition/connectivity.ts: promtool rejects bits)
  'bit/s': { from: '_bps', to: '_bytes_per_second', convert: (v) => v / 8 },
  '/s': { from: '_per_s', to: '_per_second', convert: same },
  A: { from: '_a', to: '_amperes', convert: same },
  // Money and Bitcoin have no Prometheus base unit: the names carry the currency and period, as /metrics'.
  'USD/MWh': null,
  'USD/PH/day': null,
  USD: null,
  'BTC/block': null,
  number: null,
  rpm: null,
  count: null,
  flag: null,
  code: null,
};
/** Abbreviations of the vocabulary spelt out, as /metrics does (inlet_temperature_celsius, utilization_ratio). */
const WORDS: Record<string, string> = { temp: 'temperature', util: 'utilization' };

export interface MetricMapping {
  name: string;
  /** the value in base units */
  convert(v: number): number;
}

/** A vocabulary metric's remote-write name and conversion. */
export function deviceMetricName(metric: string, unit: MetricUnit): MetricMapping {
  const base = BASE_UNITS[unit];
  const has = base !== null && metric.endsWith(base.from);
  const stem = (has ? metric.slice(0, -base.from.length) : metric).split('_').map((w) => WORDS[w] ?? w).join('_');
  return { name: `floorwatch_device_${stem}${has ? base.to : ''}`, convert: has ? base.convert : same };
}

/** Every device series name, by kind and vocabulary name: what include_metrics may name. */
export const DEVICE_MAPPINGS: ReadonlyMap<DeviceKind, ReadonlyMap<string, MetricMapping>> = (() => {
  const out = new Map<DeviceKind, Map<string, MetricMapping>>();
  for (const m of DEVICE_METRICS) {
    let k = out.get(m.kind);
    if (k === undefined) out.set(m.kind, (k = new Map()));
    k.set(m.name, deviceMetricName(m.name, m.unit));
  }
  return out;
})();

type Scope = 'site' | 'hall' | 'rack';
interface FigureSeriesSpec<S extends Scope> {
  name: string;
  scope: S;
  value(f: S extends 'site' ? SiteFigures : S extends 'hall' ? HallFigures : RackFigures): number | null;
}
type AnyFigureSeries = FigureSeriesSpec<'site'> | FigureSeriesSpec<'hall'> | FigureSeriesSpec<'rack'>;

const ths = (v: number | null): number | null => (v === null ? null : v * 1e12);
/** The tick's figures written out: the names, values and units of /metrics' families of the same name. */
export const FIGURE_SERIES: readonly AnyFigureSeries[] = [
  { name: 'floorwatch_site_it_power_watts', scope: 'site', value: (f) => f.it_power_w },
  { name: 'floorwatch_site_facility_power_watts', scope: 'site', value: (f) => f.facility_power_w },
  { name: 'floorwatch_site_pue', scope: 'site', value: (f) => f.pue },
  { name: 'floorwatch_site_pue_24h', scope: 'site', value: (f) => f.pue_24h },
  { name: 'floorwatch_site_hashrate_hashes_per_second', scope: 'site', value: (f) => ths(f.hashrate_ths) },
  { name: 'floorwatch_site_efficiency_joules_per_terahash', scope: 'site', value: (f) => f.j_per_th },
  { name: 'floorwatch_hall_it_power_watts', scope: 'hall', value: (f) => f.it_power_w },
  { name: 'floorwatch_hall_pue', scope: 'hall', value: (f) => f.pue },
  { name: 'floorwatch_rack_power_watts', scope: 'rack', value: (f) => f.power_w },
  { name: 'floorwatch_rack_rated_power_watts', scope: 'rack', value: (f) => f.rated_kw * 1000 },
  { name: 'floorwatch_rack_inlet_temperature_celsius', scope: 'rack', value: (f) => f.inlet_temp_c },
  { name: 'floorwatch_rack_hashrate_hashes_per_second', scope: 'rack', value: (f) => ths(f.hashrate_ths) },
];
/** floorwatch_rack_devices{state}: one series per health state, as /metrics. */
export const RACK_DEVICES = 'floorwatch_rack_devices';
const STATES = ['up', 'degraded', 'down'] as const;

/** Every series name that can be written: what include_metrics is checked against. */
export function knownSeriesNames(): Set<string> {
  const out = new Set<string>([...FIGURE_SERIES.map((s) => s.name), RACK_DEVICES]);
  for (const k of DEVICE_MAPPINGS.values()) for (const m of k.values()) out.add(m.name);
  return out;
}

/** A new series, as the remote thread learns it (once): its labels (sorted, no empty value) and its stores. */
export interface NewSeries {
  /** stable for the process: which shard of each store it goes to (its samples stay in order there) */
  id: number;
  labels: Label[];
  /** indexes into the store list */
  to: readonly number[];
}

/** What the commit path and the tick need of a series: its id and which stores take it. */
export interface SeriesRef {
  id: number;
  to: readonly number[];
}

export interface RemoteFilter {
  include_kinds?: readonly DeviceKind[];
  include_metrics?: readonly string[];
}

/** Labels sorted by name (the spec's MUST), an empty value left out (the same as an absent label to Prometheus). */
function labels(pairs: [string, string | undefined][]): Label[] {
  return pairs
    .filter((p): p is [string, string] => p[1] !== undefined && p[1] !== '')
    .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
    .map(([name, value]) => ({ name, value }));
}

/** One device metric's series family: its name, conversion, stores, and its slot in a device's id array. */
export interface DeviceFamily {
  slot: number;
  name: string;
  convert: (v: number) => number;
  to: readonly number[];
}

export interface SeriesIndex {
  /** the series made since the last call, labels and all (the remote thread learns each once; they are not kept here) */
  takeNew(): NewSeries[];
  /** a kind's families by vocabulary name; a name no store takes is absent */
  families(kind: DeviceKind): ReadonlyMap<string, DeviceFamily>;
  /** the series id of a device's family, made on first use */
  deviceSeries(m: DeviceModel, f: DeviceFamily): number;
  /** each figure series of a tick with a known value */
  figures(f: Figures, emit: (s: SeriesRef, v: number) => void): void;
}

export function createSeriesIndex(site: string, remotes: readonly RemoteFilter[]): SeriesIndex {
  let nextId = 0;
  // One array per distinct set of stores, shared by every series that goes to it.
  const interned = new Map<string, readonly number[]>();
  const takers = (name: string, kind: DeviceKind | null): readonly number[] => {
    const out: number[] = [];
    remotes.forEach((r, i) => {
      if (kind !== null && r.include_kinds !== undefined && !r.include_kinds.includes(kind)) return;
      if (r.include_metrics !== undefined && !r.include_metrics.includes(name)) return;
      out.push(i);
    });
    const key = out.join(',');
    let to = interned.get(key);
    if (to === undefined) interned.set(key, (to = out));
    return to;
  };
  let fresh: NewSeries[] = [];
  const make = (name: string, to: readonly number[], pairs: [string, string | undefined][]): number => {
    const id = nextId++;
    fresh.push({ id, labels: labels([['__name__', name], ['site', site], ...pairs]), to });
    return id;
  };

  const families = new Map<DeviceKind, Map<string, DeviceFamily>>();
  for (const [kind, byName] of DEVICE_MAPPINGS) {
    const out = new Map<string, DeviceFamily>();
    for (const [metric, m] of byName) {
      const to = takers(m.name, kind);
      if (to.length > 0) out.set(metric, { slot: out.size, name: m.name, convert: m.convert, to });
    }
    families.set(kind, out);
  }
  const none = new Map<string, DeviceFamily>();
  // Per device, one id per family (-1 until its first sample): ~50 bytes a device rather than an object a series.
  const deviceIds = new Map<string, Int32Array>();

  // By family (a name, or the rack-devices name and a state), then hall or rack id: no key string built
  // per sample each tick (a 100,000-device site has ~25,000 figure samples a tick).
  const figureRefs = new Map<string, Map<string, SeriesRef | null>>();
  const figure = (family: string, id: string, name: string, pairs: () => [string, string | undefined][]): SeriesRef | null => {
    let byId = figureRefs.get(family);
    if (byId === undefined) figureRefs.set(family, (byId = new Map()));
    let s = byId.get(id);
    if (s === undefined) {
      const to = takers(name, null);
      byId.set(id, (s = to.length === 0 ? null : { id: make(name, to, pairs()), to }));
    }
    return s;
  };

  return {
    takeNew() {
      const out = fresh;
      fresh = [];
      return out;
    },
    families: (kind) => families.get(kind) ?? none,
    deviceSeries(m, f) {
      let ids = deviceIds.get(m.id);
      if (ids === undefined) {
        ids = new Int32Array(families.get(m.kind)?.size ?? 0).fill(-1);
        deviceIds.set(m.id, ids);
      }
      let id = ids[f.slot];
      if (id < 0) {
        id = make(f.name, f.to, [['hall', m.hall], ['rack', m.rack], ['device', m.id], ['kind', m.kind], ['model', m.model]]);
        ids[f.slot] = id;
      }
      return id;
    },
    figures(f, emit) {
      const put = (s: SeriesRef | null, v: number | null): void => {
        if (s !== null && v !== null && Number.isFinite(v)) emit(s, v);
      };
      for (const spec of FIGURE_SERIES) {
        if (spec.scope === 'site') put(figure(spec.name, '', spec.name, () => []), spec.value(f.site));
        else if (spec.scope === 'hall') for (const h of f.halls) put(figure(spec.name, h.id, spec.name, () => [['hall', h.id]]), spec.value(h));
        else for (const r of f.racks) put(figure(spec.name, r.id, spec.name, () => [['hall', r.hall], ['rack', r.id]]), spec.value(r));
      }
      for (const state of STATES) {
        const family = `${RACK_DEVICES}{state=${state}}`;
        for (const r of f.racks) put(figure(family, r.id, RACK_DEVICES, () => [['hall', r.hall], ['rack', r.id], ['state', state]]), r.health[state]);
      }
    },
  };
}
