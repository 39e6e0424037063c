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

/** A series, made once and kept: its labels (sorted, no empty value) and which remotes take it. */
export interface Series {
  /** stable for the process: which shard of each remote it goes to (its samples stay in order there) */
  id: number;
  labels: readonly Label[];
  /** indexes into the remote list */
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

export interface SeriesIndex {
  /** the series made since the last call (the remote thread learns each once) */
  takeNew(): Series[];
  /** null when no remote takes it */
  device(m: DeviceModel, metric: string): { series: Series; convert: (v: number) => number } | null;
  /** each figure series of a tick with a known value */
  figures(f: Figures, emit: (s: Series, v: number) => void): void;
}

export function createSeriesIndex(site: string, remotes: readonly RemoteFilter[]): SeriesIndex {
  let nextId = 0;
  const takers = (name: string, kind: DeviceKind | null): number[] => {
    const out: number[] = [];
    remotes.forEach((r, i) => {
      if (kind !== null && r.include_kinds !== undefined && !r.include_kinds.includes(kind)) return;
      if (r.include_metrics !== undefined && !r.include_metrics.includes(name)) return;
      out.push(i);
    });
    return out;
  };
  let fresh: Series[] = [];
  const make = (name: string, kind: DeviceKind | null, pairs: [string, string | undefined][]): Series | null => {
    const to = takers(name, kind);
    if (to.length === 0) return null;
    const s: Series = { id: nextId++, labels: labels([['__name__', name], ['site', site], ...pairs]), to };
    fresh.push(s);
    return s;
  };
  // By device id, then metric: one Map lookup pair per sample on the commit path.
  const devices = new Map<string, Map<string, { series: Series; convert: (v: number) => number } | null>>();
  // By family (a name, or the rack-devices name and a state), then hall or rack id: no key string built
  // per sample each tick (a 100,000-device site has ~25,000 figure samples a tick).
  const figures = new Map<string, Map<string, Series | null>>();
  const figure = (family: string, id: string, name: string, pairs: () => [string, string | undefined][]): Series | null => {
    let byId = figures.get(family);
    if (byId === undefined) figures.set(family, (byId = new Map()));
    let s = byId.get(id);
    if (s === undefined) byId.set(id, (s = make(name, null, pairs())));
    return s;
  };

  return {
    takeNew() {
      const out = fresh;
      fresh = [];
      return out;
    },
    device(m, metric) {
      let byMetric = devices.get(m.id);
      if (byMetric === undefined) devices.set(m.id, (byMetric = new Map()));
      let e = byMetric.get(metric);
      if (e === undefined) {
        const mapping = DEVICE_MAPPINGS.get(m.kind)?.get(metric);
        const series = mapping === undefined ? null
          : make(mapping.name, m.kind, [['hall', m.hall], ['rack', m.rack], ['device', m.id], ['kind', m.kind], ['model', m.model]]);
        e = series === null || mapping === undefined ? null : { series, convert: mapping.convert };
        byMetric.set(metric, e);
      }
      return e;
    },
    figures(f, emit) {
      const put = (s: Series | null, v: number | null): void => {
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
