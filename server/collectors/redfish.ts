// DMTF Redfish → env / pdu / cooling_loop / meter readings. Each device names one resource URL; one GET per
// poll, and the reply is mapped by what it is (@odata.type, else its shape), so the same device kind can be
// served by the deprecated Power/Thermal schemas of older BMCs or the newer *Metrics, Sensor and
// CoolantConnector resources. A reading the resource marks Absent/Disabled, or reports as null, is null:
// never 0. A resource that carries nothing for the device's kind is a 'bad reply', so a URL pointing at the
// wrong resource shows on the device instead of silently reading as "no data".
//
// EnvironmentMetrics.TemperatureCelsius: Redfish uses it for "the" temperature of whatever owns the resource.
// For a rack air sensor that is the air it measures, but on a server chassis it is often a CPU sensor (the
// DMTF mockup points it at Sensors/CPU1Temp, 39 °C). Reporting that as rack inlet would raise false ASHRAE
// alerts, so it counts as inlet_temp_c only when it has no DataSourceUri (the resource is the sensor) or the
// sensor it names is an intake/inlet/ambient one; otherwise inlet is null.

import { checkHttpUrl } from '../core/schema.js';
import type { DeviceKind, DeviceModel, MetricName, Reading } from '../core/types.js';
import { CollectorError, onePerDevice, type CollectorPlugin, type JsonObject } from './types.js';
import { httpGetText } from './http.js';

type Metrics = Partial<Record<MetricName, number | null>>;

/** A Redfish resource is a few KiB; a cap well above that keeps a misbehaving endpoint from filling memory. */
export const MAX_REDFISH_BYTES = 1024 * 1024;

const OFF_STATES = new Set(['Absent', 'Disabled']);

function isObject(v: unknown): v is JsonObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** An object whose Status.State says there is nothing to read. */
function isOff(o: JsonObject): boolean {
  const status = o['Status'];
  return isObject(status) && typeof status['State'] === 'string' && OFF_STATES.has(status['State']);
}

function num(v: unknown): number | null {
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
}

/** A SensorExcerpt ({ Reading, DataSourceUri }) → its reading; absent excerpt → undefined, null reading → null. */
function excerpt(o: JsonObject, key: string): number | null | undefined {
  const e = o[key];
  if (e === undefined) return undefined;
  if (!isObject(e) || isOff(e)) return null;
  return num(e['Reading']);
}

function schemaOf(o: JsonObject): string | null {
  const t = o['@odata.type'];
  if (typeof t !== 'string') return null;
  // "#Thermal.v1_7_3.Thermal" → "Thermal"
  const m = /^#?([A-Za-z]+)\./u.exec(t);
  return m ? m[1] : null;
}

/** What the resource is, by @odata.type when present, else by the members that only that schema has. */
export function redfishSchema(o: JsonObject): string | null {
  const s = schemaOf(o);
  if (s !== null) return s;
  if (Array.isArray(o['Temperatures'])) return 'Thermal';
  if (Array.isArray(o['PowerControl'])) return 'Power';
  if (isObject(o['TemperatureSummaryCelsius'])) return 'ThermalMetrics';
  if (isObject(o['InputPowerWatts'])) return 'PowerSupplyMetrics';
  if (isObject(o['SupplyTemperatureCelsius']) || isObject(o['FlowLitersPerMinute'])) return 'CoolantConnector';
  if (typeof o['ReadingUnits'] === 'string') return 'Sensor';
  if (isObject(o['PowerWatts']) || isObject(o['TemperatureCelsius'])) return 'EnvironmentMetrics';
  return null;
}

/** Mean of the usable readings of legacy Thermal.Temperatures[] with this PhysicalContext; null if none. */
function legacyTemp(o: JsonObject, context: string): number | null | undefined {
  const list = o['Temperatures'];
  if (!Array.isArray(list)) return undefined;
  let found = false;
  let sum = 0;
  let n = 0;
  for (const t of list) {
    if (!isObject(t) || t['PhysicalContext'] !== context) continue;
    found = true;
    if (isOff(t)) continue;
    const v = num(t['ReadingCelsius']);
    if (v === null) continue;
    sum += v;
    n++;
  }
  if (!found) return undefined;
  return n === 0 ? null : sum / n;
}

const AIR_SENSOR_RE = /intake|inlet|ambient/iu;

function put(m: Metrics, key: MetricName, v: number | null | undefined): void {
  if (v !== undefined) m[key] = v;
}

/**
 * One Redfish resource → the metrics of `kind` it carries. Throws CollectorError('bad reply: …') when it
 * carries none (a URL configured to the wrong resource).
 */
export function mapRedfish(kind: DeviceKind, body: unknown): Metrics {
  if (!isObject(body)) throw new CollectorError('bad reply: not a JSON object');
  const schema = redfishSchema(body);
  const m: Metrics = {};
  const off = isOff(body);
  switch (kind) {
    case 'env':
      if (schema === 'Thermal') {
        put(m, 'inlet_temp_c', legacyTemp(body, 'Intake'));
        put(m, 'outlet_temp_c', legacyTemp(body, 'Exhaust'));
      } else if (schema === 'ThermalMetrics') {
        const sum = body['TemperatureSummaryCelsius'];
        if (isObject(sum)) {
          put(m, 'inlet_temp_c', excerpt(sum, 'Intake'));
          put(m, 'outlet_temp_c', excerpt(sum, 'Exhaust'));
        }
      } else if (schema === 'EnvironmentMetrics') {
        const t = body['TemperatureCelsius'];
        if (isObject(t)) {
          const src = t['DataSourceUri'];
          const air = typeof src !== 'string' || AIR_SENSOR_RE.test(src.slice(src.lastIndexOf('/') + 1));
          m.inlet_temp_c = air ? (excerpt(body, 'TemperatureCelsius') ?? null) : null;
        }
        put(m, 'humidity_pct', excerpt(body, 'HumidityPercent'));
      } else if (schema === 'Sensor') {
        const units = body['ReadingUnits'];
        const ctx = body['PhysicalContext'];
        const v = off ? null : num(body['Reading']);
        if (units === 'Cel' && ctx === 'Intake') m.inlet_temp_c = v;
        else if (units === 'Cel' && ctx === 'Exhaust') m.outlet_temp_c = v;
        else if (units === '%' && body['ReadingType'] === 'Humidity') m.humidity_pct = v;
      }
      break;
    case 'pdu':
    case 'meter':
      if (schema === 'Power') {
        const pc = body['PowerControl'];
        const first: unknown = Array.isArray(pc) ? pc[0] : undefined;
        if (isObject(first)) m.power_w = isOff(first) ? null : num(first['PowerConsumedWatts']);
      } else if (schema === 'PowerSupplyMetrics') {
        // Input power: what the feed carries, PSU losses included (output is what the server draws).
        put(m, 'power_w', off ? null : excerpt(body, 'InputPowerWatts'));
      } else if (schema === 'Sensor') {
        if (body['ReadingUnits'] === 'W') m.power_w = off ? null : num(body['Reading']);
      } else {
        // EnvironmentMetrics, and the PDU schemas (Outlet, Circuit, PowerDistributionMetrics) share PowerWatts.
        put(m, 'power_w', off ? null : excerpt(body, 'PowerWatts'));
      }
      break;
    case 'cooling_loop':
      if (schema === 'CoolantConnector') {
        put(m, 'supply_temp_c', off ? null : excerpt(body, 'SupplyTemperatureCelsius'));
        put(m, 'return_temp_c', off ? null : excerpt(body, 'ReturnTemperatureCelsius'));
        put(m, 'flow_lpm', off ? null : excerpt(body, 'FlowLitersPerMinute'));
      }
      break;
    default:
      break;
  }
  if (Object.keys(m).length === 0) {
    throw new CollectorError(`bad reply: no ${kind} readings in ${schema ?? 'unknown'} resource`);
  }
  return m;
}

/** GET a Redfish resource as JSON. user:password in the URL becomes HTTP Basic auth (fetch refuses userinfo). */
export async function fetchRedfish(url: string, timeout_ms: number): Promise<unknown> {
  const u = new URL(url);
  const headers: Record<string, string> = { accept: 'application/json' };
  if (u.username !== '' || u.password !== '') {
    const user = decodeURIComponent(u.username);
    const pass = decodeURIComponent(u.password);
    headers['authorization'] = `Basic ${Buffer.from(`${user}:${pass}`, 'utf8').toString('base64')}`;
    u.username = '';
    u.password = '';
  }
  const text = await httpGetText(u, timeout_ms, MAX_REDFISH_BYTES, headers);
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new CollectorError('bad reply: not JSON');
  }
}

/** One poll of a device with a `redfish` URL → its reading. */
export async function pollRedfish(device: DeviceModel, timeout_ms: number, now: () => number = Date.now): Promise<Reading> {
  if (device.redfish === undefined) throw new CollectorError('bad reply: no redfish URL');
  const body = await fetchRedfish(device.redfish, timeout_ms);
  return { device: device.id, ts: now(), metrics: mapRedfish(device.kind, body) };
}

/**
 * Redfish resources of rack PDUs and air sensors (and of the loops and meters, whose own config sections
 * name a `redfish` URL): one target per device.
 */
export const redfishCollector: CollectorPlugin = {
  // BMCs and PDU cards answer slowly and few requests at a time; air and power readings change slowly.
  defaults: { interval_s: 15, timeout_ms: 3000, concurrency: 32 },
  endpoint: { key: 'redfish', kinds: ['env', 'pdu'], check: checkHttpUrl },
  targets: onePerDevice('redfish', (d, ctx, timeout_ms) => pollRedfish(d, timeout_ms, ctx.now)),
};
