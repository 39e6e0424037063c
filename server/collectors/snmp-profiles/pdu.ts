// The rack PDUs, one profile per vendor MIB, each mapped onto the pdu kind's power_w (the strip's real
// power, W). Each OID with its MIB object name and scale, from the vendor's published MIB:
//   APC PowerNet-MIB (rPDU2 branch, 1.3.6.1.4.1.318.1.1.26), Raritan PDU2-MIB (1.3.6.1.4.1.13742.6),
//   ServerTech Sentry4-MIB (1.3.6.1.4.1.1718.4), Eaton EATON-EPDU-MIB (1.3.6.1.4.1.534.6.6.7).
// The phase, bank and outlet tables are read where the device's own total is missing (a PDU that reports
// only per phase or per outlet still has a power). Currents have no field in the pdu vocabulary yet.

import { clean, column, num, sumColumn, type SnmpProfile, type Walk } from './types.js';

/** The first of the candidates that is known. */
function first(...vals: (number | null)[]): number | null {
  for (const v of vals) if (v !== null) return v;
  return null;
}

const RPDU2 = '1.3.6.1.4.1.318.1.1.26';
/** rPDU2DeviceStatusPower (hundredths of kW), per linked PDU */
const RPDU2_DEVICE_POWER = `${RPDU2}.4.3.1.5`;
/** rPDU2PhaseStatusPower (hundredths of kW) */
const RPDU2_PHASE_POWER = `${RPDU2}.6.3.1.7`;
/** rPDU2OutletMeteredStatusPower (W) */
const RPDU2_OUTLET_POWER = `${RPDU2}.9.4.3.1.7`;

export const apcRpdu2: SnmpProfile = {
  kinds: ['pdu'],
  walk: [RPDU2_DEVICE_POWER, RPDU2_PHASE_POWER, RPDU2_OUTLET_POWER],
  mapper: () => (w) => ({
    // hundredths of kW → W is × 10
    power_w: clean(first(sumColumn(w, RPDU2_DEVICE_POWER, 10), sumColumn(w, RPDU2_PHASE_POWER, 10), sumColumn(w, RPDU2_OUTLET_POWER, 1))),
  }),
};

const PDU2 = '1.3.6.1.4.1.13742.6';
/** measurementsInletSensorValue.{pdu}.{inlet}.{sensorType} (unsigned, scaled by the decimal digits below) */
const PDU2_INLET_VALUE = `${PDU2}.5.2.3.1.4`;
/** inletSensorDecimalDigits.{pdu}.{inlet}.{sensorType} */
const PDU2_INLET_DIGITS = `${PDU2}.3.3.4.1.7`;
/** measurementsOutletSensorValue.{pdu}.{outlet}.{sensorType}, outletSensorDecimalDigits */
const PDU2_OUTLET_VALUE = `${PDU2}.5.4.3.1.4`;
const PDU2_OUTLET_DIGITS = `${PDU2}.3.5.4.1.7`;
/** SensorTypeEnumeration activePower(5) */
const PDU2_ACTIVE_POWER = 5;

/** Sum of one sensor type over a PDU2 measurements table, each value / 10^digits (digits absent = 0). */
function pdu2Sum(w: Walk, values: string, digits: string, type: number): number | null {
  const dig = column(w, digits);
  let sum: number | null = null;
  for (const [idx, v] of column(w, values)) {
    if (!idx.endsWith(`.${type}`)) continue;
    const n = num(v);
    if (n === null) return null;
    sum = (sum ?? 0) + n / 10 ** (num(dig.get(idx)) ?? 0);
  }
  return sum;
}

export const raritanPdu2: SnmpProfile = {
  kinds: ['pdu'],
  walk: [PDU2_INLET_DIGITS, PDU2_INLET_VALUE, PDU2_OUTLET_DIGITS, PDU2_OUTLET_VALUE],
  mapper: () => (w) => ({
    power_w: clean(first(
      pdu2Sum(w, PDU2_INLET_VALUE, PDU2_INLET_DIGITS, PDU2_ACTIVE_POWER),
      pdu2Sum(w, PDU2_OUTLET_VALUE, PDU2_OUTLET_DIGITS, PDU2_ACTIVE_POWER),
    )),
  }),
};

/** st4InputCordActivePower.{unit}.{cord} (W; -1 when not available) */
const ST4_CORD_POWER = '1.3.6.1.4.1.1718.4.1.3.3.1.3';
/** st4OutletActivePower.{unit}.{outlet} (W; -1 when not available) */
const ST4_OUTLET_POWER = '1.3.6.1.4.1.1718.4.1.8.3.1.7';

export const sentry4: SnmpProfile = {
  kinds: ['pdu'],
  walk: [ST4_CORD_POWER, ST4_OUTLET_POWER],
  mapper: () => (w) => ({ power_w: clean(first(sumColumn(w, ST4_CORD_POWER, 1), sumColumn(w, ST4_OUTLET_POWER, 1))) }),
};

/** inputTotalWatts.{strapping}.{input} (W) */
const EPDU_INPUT_TOTAL_W = '1.3.6.1.4.1.534.6.6.7.3.5.1.4';
/** outletWatts.{strapping}.{outlet} (W) */
const EPDU_OUTLET_W = '1.3.6.1.4.1.534.6.6.7.6.5.1.3';

export const eatonEpdu: SnmpProfile = {
  kinds: ['pdu'],
  walk: [EPDU_INPUT_TOTAL_W, EPDU_OUTLET_W],
  mapper: () => (w) => ({ power_w: clean(first(sumColumn(w, EPDU_INPUT_TOTAL_W, 1), sumColumn(w, EPDU_OUTLET_W, 1))) }),
};
