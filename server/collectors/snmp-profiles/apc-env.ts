// APC environmental probes → the env kind, from PowerNet-MIB's two probe tables:
//   emsProbeStatusTable (Environmental Monitoring Unit, NetBotz 200), 1.3.6.1.4.1.318.1.1.10.3.13.1.1:
//     .3 emsProbeStatusProbeTemperature (whole degrees, in emsStatusSysTempUnits), .6 emsProbeStatusProbeHumidity
//     (whole %), .10 emsProbeStatusProbeCommStatus (commsEstablished(2); anything else: no reading)
//   emsStatusSysTempUnits 1.3.6.1.4.1.318.1.1.10.3.12.11.0 celsius(1) fahrenheit(2); absent: Celsius, the default
//   iemStatusProbesTable (the Integrated Environmental Monitor of a UPS/PDU network card), 1.3.6.1.4.1.318.1.1.10.2.3.2.1:
//     .4 iemStatusProbeCurrentTemp (whole degrees), .5 iemStatusProbeTempUnits celsius(1) fahrenheit(2),
//     .6 iemStatusProbeCurrentHumid (whole %)
// Which probe is the rack's inlet (and outlet) is the device's `inlet_probe` (default 1) and `outlet_probe`.

import type { SnmpAccess } from '../../core/types.js';
import { num, type Metrics, type SnmpProfile, type Walk } from './types.js';

const EMS_PROBE = '1.3.6.1.4.1.318.1.1.10.3.13.1.1';
const EMS_TEMP_UNITS = '1.3.6.1.4.1.318.1.1.10.3.12.11.0';
const IEM_PROBE = '1.3.6.1.4.1.318.1.1.10.2.3.2.1';
const COMMS_ESTABLISHED = 2;
const FAHRENHEIT = 2;

function toCelsius(t: number, units: number | null): number {
  return units === FAHRENHEIT ? Math.round(((t - 32) * 5 / 9) * 100) / 100 : t;
}

/** One probe's temperature and humidity, or nulls when it is not there or not talking. */
function probe(w: Walk, index: number): { temp: number | null; humidity: number | null } {
  const comm = num(w.get(`${EMS_PROBE}.10.${index}`));
  const emsTemp = num(w.get(`${EMS_PROBE}.3.${index}`));
  if (emsTemp !== null) {
    if (comm !== COMMS_ESTABLISHED) return { temp: null, humidity: null };
    const h = num(w.get(`${EMS_PROBE}.6.${index}`));
    return { temp: toCelsius(emsTemp, num(w.get(EMS_TEMP_UNITS))), humidity: h !== null && h >= 0 && h <= 100 ? h : null };
  }
  const iemTemp = num(w.get(`${IEM_PROBE}.4.${index}`));
  if (iemTemp === null) return { temp: null, humidity: null };
  const h = num(w.get(`${IEM_PROBE}.6.${index}`));
  return { temp: toCelsius(iemTemp, num(w.get(`${IEM_PROBE}.5.${index}`))), humidity: h !== null && h >= 0 && h <= 100 ? h : null };
}

export const apcEnv: SnmpProfile = {
  kinds: ['env'],
  walk: [EMS_TEMP_UNITS.slice(0, -2), `${EMS_PROBE}.3`, `${EMS_PROBE}.6`, `${EMS_PROBE}.10`, `${IEM_PROBE}.4`, `${IEM_PROBE}.5`, `${IEM_PROBE}.6`],
  mapper: (access: SnmpAccess) => (w) => {
    const inlet = probe(w, access.inlet_probe ?? 1);
    const m: Metrics = { inlet_temp_c: inlet.temp, humidity_pct: inlet.humidity };
    if (access.outlet_probe !== undefined) m.outlet_temp_c = probe(w, access.outlet_probe).temp;
    return m;
  },
};
