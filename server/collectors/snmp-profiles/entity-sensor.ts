// Generic environmental sensors → the env kind, from RFC 3433 ENTITY-SENSOR-MIB's entPhySensorTable
// (1.3.6.1.2.1.99.1.1.1), which switches, routers, PDUs and probes of every make carry beside their own MIB:
//   .1 entPhySensorType       celsius(8), percentRH(9) are read; others (rpm, volts, watts…) are not env's
//   .2 entPhySensorScale      SI prefix of the value: units(9), milli(8), kilo(10)… → 10^(3 × (scale − 9))
//   .3 entPhySensorPrecision  decimal places in the value (0–9; negative: the value's last digits are zeros)
//   .4 entPhySensorValue      the reading = value × 10^(3 × (scale − 9)) × 10^(−precision)
//   .5 entPhySensorOperStatus ok(1), unavailable(2), nonoperational(3): only ok is a reading; a recording
//                             without the column (cumulus_edgecore) is read as the agent gives it
// The index is the sensor's entPhysicalIndex. Which sensor is the rack's inlet is the device's `inlet_probe`
// (default: the first celsius sensor by index that is ok), its outlet `outlet_probe`; humidity is the first
// percentRH sensor that is ok.

import type { SnmpAccess } from '../../core/types.js';
import { clean, column, num, type Metrics, type SnmpProfile, type Walk } from './types.js';

const SENSOR = '1.3.6.1.2.1.99.1.1.1';
const CELSIUS = 8;
const PERCENT_RH = 9;
const UNITS = 9;
const OK = 1;

/** A sensor's reading in its type's unit, or null when it is not there, not ok, or out of the MIB's ranges. */
function reading(w: Walk, index: string): number | null {
  const value = num(w.get(`${SENSOR}.4.${index}`));
  if (value === null) return null;
  const status = w.get(`${SENSOR}.5.${index}`);
  if (status !== undefined && num(status) !== OK) return null;
  const scale = num(w.get(`${SENSOR}.2.${index}`)) ?? UNITS;
  const precision = num(w.get(`${SENSOR}.3.${index}`)) ?? 0;
  if (scale < 1 || scale > 17 || precision < -8 || precision > 9) return null;
  return clean(value * 10 ** (3 * (scale - UNITS)) * 10 ** -precision);
}

/** The first sensor of a type (by index, as the walk gives them) that has a reading. */
function first(w: Walk, type: number): number | null {
  for (const [index, t] of column(w, `${SENSOR}.1`)) {
    if (num(t) !== type) continue;
    const r = reading(w, index);
    if (r !== null) return r;
  }
  return null;
}

/** The named sensor's reading, if it is of the type asked. */
function named(w: Walk, index: number, type: number): number | null {
  return num(w.get(`${SENSOR}.1.${index}`)) === type ? reading(w, String(index)) : null;
}

export const entitySensor: SnmpProfile = {
  kinds: ['env'],
  walk: [`${SENSOR}.1`, `${SENSOR}.2`, `${SENSOR}.3`, `${SENSOR}.4`, `${SENSOR}.5`],
  mapper: (access: SnmpAccess) => (w) => {
    const humidity = first(w, PERCENT_RH);
    const m: Metrics = {
      inlet_temp_c: access.inlet_probe === undefined ? first(w, CELSIUS) : named(w, access.inlet_probe, CELSIUS),
      humidity_pct: humidity !== null && humidity >= 0 && humidity <= 100 ? humidity : null,
    };
    if (access.outlet_probe !== undefined) m.outlet_temp_c = named(w, access.outlet_probe, CELSIUS);
    return m;
  },
};
