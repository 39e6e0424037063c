// The one validator every reading passes through, whatever its source. Pure: the caller passes the
// device registry and the clock. A reading is checked field by field; a bad metric is reported by its
// path and dropped while the good metrics beside it are kept.

import { validatePools } from './pools.js';
import type { DeviceModel, MetricName, PowerSource, Reading } from './types.js';
import { DEVICE_KINDS, metricRangesOf } from './vocabulary.js';

/** Readings stamped further ahead than this are a clock or unit fault (seconds sent as ms, …). */
export const MAX_FUTURE_SKEW_MS = 5 * 60_000;

/** What validation needs of a device: an ingest thread holds only this of the site model. */
export type DeviceIdentity = Pick<DeviceModel, 'id' | 'kind'>;

export interface ValidationContext<M extends DeviceIdentity = DeviceModel> {
  devices: ReadonlyMap<string, M>;
  now: number;
  /** readings older than this are past raw retention: they would be deleted on arrival */
  oldest_ts: number;
}

export interface FieldError {
  /** index of the reading in its batch */
  index: number;
  /** path of the offending field, e.g. `readings[3].metrics.power_w` */
  path: string;
  error: string;
  /** coarse class for floorwatch_ingest_rejected_total{reason} */
  reason: RejectReason;
}

export type RejectReason =
  | 'malformed' | 'unknown_device' | 'bad_timestamp' | 'unknown_metric' | 'bad_value' | 'out_of_range';

export interface ValidatedBatch {
  readings: { reading: Reading; model: DeviceModel }[];
  errors: FieldError[];
}

const POWER_SOURCES: readonly PowerSource[] = ['device', 'estimate', 'meter'];
const NO_ERRORS: FieldError[] = [];
/** Each kind's metrics and their plausible ranges, from the one declaration (vocabulary.ts). */
const rangesByKind = new Map(DEVICE_KINDS.map((k) => [k, metricRangesOf(k)] as const));

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** RFC 3339 with a zone (Z or ±hh:mm); Date.parse alone accepts too much (zone-less local times). */
const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;

/** A time as the API takes it: integer epoch ms, or an RFC 3339 string with a zone. */
export function parseTime(v: unknown): { ts: number } | { error: string } {
  if (typeof v === 'number') {
    if (!Number.isFinite(v) || !Number.isInteger(v)) return { error: 'expected an integer epoch in milliseconds' };
    return { ts: v };
  }
  if (typeof v === 'string') {
    if (!RFC3339.test(v)) return { error: 'expected epoch ms or an RFC 3339 time with a zone' };
    const ts = Date.parse(v);
    return Number.isNaN(ts) ? { error: 'not a valid RFC 3339 time' } : { ts };
  }
  return { error: 'expected epoch ms or an RFC 3339 time' };
}

function parseTs(v: unknown, ctx: ValidationContext<DeviceIdentity>): { ts: number } | { error: string } {
  if (v === undefined) return { ts: ctx.now };
  const t = parseTime(v);
  if ('error' in t) return t;
  const ts = t.ts;
  if (ts > ctx.now + MAX_FUTURE_SKEW_MS) return { error: 'is in the future (more than 5 min ahead of the server clock)' };
  if (ts < ctx.oldest_ts) return { error: 'is older than raw retention' };
  return { ts };
}

/**
 * Validates one raw reading (`raw` as received: JSON-parsed push or a collector's object).
 * Returns the typed reading, or null when nothing of it can be kept, plus every error by path.
 */
export function validateReading<M extends DeviceIdentity = DeviceModel>(
  raw: unknown, index: number, ctx: ValidationContext<M>, field = 'readings',
): { reading: Reading | null; model?: M; errors: FieldError[] } {
  // Paths are built only for errors: this runs for every reading of every push, and a string per
  // metric per reading was a large share of ingest's garbage.
  const at = (suffix: string): string => `${field}[${index}]${suffix}`;
  // Most readings are clean: their error list is a shared empty array until the first error.
  let errors: FieldError[] = NO_ERRORS;
  const report = (e: FieldError): void => {
    if (errors === NO_ERRORS) errors = [];
    errors.push(e);
  };
  const fail = (path: string, error: string, reason: RejectReason = 'malformed') => {
    report({ index, path, error, reason });
    return { reading: null, errors };
  };
  if (!isRecord(raw)) return fail(at(''), 'expected an object');
  for (const key in raw) {
    if (key !== 'device' && key !== 'ts' && key !== 'metrics' && key !== 'power_source' && key !== 'pools') {
      report({ index, path: at(`.${key}`), error: 'unknown field', reason: 'malformed' });
    }
  }
  const device = raw.device;
  if (typeof device !== 'string' || device.length === 0) return fail(at('.device'), 'expected a device id string');
  const model = ctx.devices.get(device);
  if (!model) return fail(at('.device'), `unknown device ${JSON.stringify(device.slice(0, 100))}`, 'unknown_device');
  const ts = parseTs(raw.ts, ctx);
  if ('error' in ts) return fail(at('.ts'), ts.error, 'bad_timestamp');
  let powerSource: PowerSource | undefined;
  if (raw.power_source !== undefined) {
    if (!POWER_SOURCES.includes(raw.power_source as PowerSource)) {
      return fail(at('.power_source'), `expected one of ${POWER_SOURCES.join(', ')}`);
    }
    powerSource = raw.power_source as PowerSource;
  }
  const rawMetrics = raw.metrics;
  if (!isRecord(rawMetrics)) return fail(at('.metrics'), 'expected an object of metric: number');
  const ranges = rangesByKind.get(model.kind)!;
  const metrics: Reading['metrics'] = {};
  let kept = 0;
  for (const name in rawMetrics) {
    const value = rawMetrics[name];
    const range = ranges.get(name);
    if (range === undefined) {
      const path = at(`.metrics.${name}`);
      report({ index, path, error: `not a metric of a ${model.kind} device`, reason: 'unknown_metric' });
      continue;
    }
    if (value === null) {
      metrics[name as MetricName] = null;
      kept++;
      continue;
    }
    if (typeof value !== 'number') {
      report({ index, path: at(`.metrics.${name}`), error: 'expected a number or null', reason: 'bad_value' });
      continue;
    }
    if (!Number.isFinite(value)) {
      report({ index, path: at(`.metrics.${name}`), error: 'expected a finite number', reason: 'bad_value' });
      continue;
    }
    const [min, max] = range;
    if (value < min || value > max) {
      report({ index, path: at(`.metrics.${name}`), error: `${value} is outside the plausible range ${min}..${max}`, reason: 'out_of_range' });
      continue;
    }
    metrics[name as MetricName] = value;
    kept++;
  }
  if (kept === 0) {
    if (errors.length === 0) report({ index, path: at('.metrics'), error: 'no metrics', reason: 'malformed' });
    return { reading: null, errors };
  }
  const reading: Reading = { device, ts: ts.ts, metrics };
  if (powerSource) reading.power_source = powerSource;
  if (raw.pools !== undefined) {
    // A bad pool list is dropped whole (a partial list would say a pool is missing) and the metrics kept.
    const p = model.kind === 'asic' ? validatePools(raw.pools) : { path: '', error: `not a field of a ${model.kind} device` };
    if ('pools' in p) reading.pools = p.pools;
    else report({ index, path: at(`.pools${p.path}`), error: p.error, reason: 'malformed' });
  }
  return { reading, model, errors };
}

export function validateReadings(raws: readonly unknown[], ctx: ValidationContext, field = 'readings'): ValidatedBatch {
  const out: ValidatedBatch = { readings: [], errors: [] };
  for (let i = 0; i < raws.length; i++) {
    const r = validateReading(raws[i], i, ctx, field);
    if (r.reading && r.model) out.readings.push({ reading: r.reading, model: r.model });
    for (const e of r.errors) out.errors.push(e);
  }
  return out;
}
