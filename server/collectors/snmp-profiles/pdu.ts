// The rack PDUs, one profile per vendor MIB, each mapped onto the pdu kind's power_w (the strip's real
// power, W), current_a (the input current summed over its inputs and lines, A) and max_phase_current_a (its
// busiest line's, where the MIB reports per line or phase: the figure a breaker trips on). Each OID with its MIB object name and scale, from the vendor's published MIB:
//   APC PowerNet-MIB (rPDU2 branch, 1.3.6.1.4.1.318.1.1.26), Raritan PDU2-MIB (1.3.6.1.4.1.13742.6),
//   ServerTech Sentry4-MIB (1.3.6.1.4.1.1718.4), Eaton EATON-EPDU-MIB (1.3.6.1.4.1.534.6.6.7).
// The phase, bank and outlet tables are read where the device's own total is missing (a PDU that reports
// only per phase or per outlet still has a power). Each current's scale is checked in its recording against
// the power beside it (V × I × power factor ≈ W; test/integration/collectors-snmp.test.ts).

import { clean, column, num, sumColumn, type SnmpProfile, type Walk } from './types.js';

/** The largest of a column's numbers, scaled; null as sumColumn's (absent, or any row not a valid reading). */
function maxColumn(w: Walk, oid: string, scale: number): number | null {
  const rows = column(w, oid);
  if (rows.size === 0) return null;
  let max = -Infinity;
  for (const v of rows.values()) {
    const n = num(v);
    if (n === null || n < 0) return null;
    max = Math.max(max, n * scale);
  }
  return max;
}

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
/**
 * rPDU2PhaseStatusCurrent (tenths of A), per phase of each linked PDU. The bank currents
 * (rPDU2BankStatusCurrent) are a split of the same phases and would count them twice.
 */
const RPDU2_PHASE_CURRENT = `${RPDU2}.6.3.1.5`;

export const apcRpdu2: SnmpProfile = {
  kinds: ['pdu'],
  walk: [RPDU2_DEVICE_POWER, RPDU2_PHASE_POWER, RPDU2_OUTLET_POWER, RPDU2_PHASE_CURRENT],
  mapper: () => (w) => ({
    // hundredths of kW → W is × 10
    power_w: clean(first(sumColumn(w, RPDU2_DEVICE_POWER, 10), sumColumn(w, RPDU2_PHASE_POWER, 10), sumColumn(w, RPDU2_OUTLET_POWER, 1))),
    current_a: clean(sumColumn(w, RPDU2_PHASE_CURRENT, 0.1)),
    max_phase_current_a: clean(maxColumn(w, RPDU2_PHASE_CURRENT, 0.1)),
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
/** SensorTypeEnumeration rmsCurrent(1), activePower(5) */
const PDU2_RMS_CURRENT = 1;
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
    // the inlets' rmsCurrent sensors; the per-line (inlet pole) sensors are not read: no recording has them
    current_a: clean(pdu2Sum(w, PDU2_INLET_VALUE, PDU2_INLET_DIGITS, PDU2_RMS_CURRENT)),
  }),
};

/** st4InputCordActivePower.{unit}.{cord} (W; -1 when not available) */
const ST4_CORD_POWER = '1.3.6.1.4.1.1718.4.1.3.3.1.3';
/** st4OutletActivePower.{unit}.{outlet} (W; -1 when not available) */
const ST4_OUTLET_POWER = '1.3.6.1.4.1.1718.4.1.8.3.1.7';

/** st4LineCurrent.{unit}.{cord}.{line} (hundredths of A; -1 when not available): the cord's line currents */
const ST4_LINE_CURRENT = '1.3.6.1.4.1.1718.4.1.4.3.1.3';

export const sentry4: SnmpProfile = {
  kinds: ['pdu'],
  walk: [ST4_CORD_POWER, ST4_OUTLET_POWER, ST4_LINE_CURRENT],
  mapper: () => (w) => ({
    power_w: clean(first(sumColumn(w, ST4_CORD_POWER, 1), sumColumn(w, ST4_OUTLET_POWER, 1))),
    current_a: clean(sumColumn(w, ST4_LINE_CURRENT, 0.01)),
    max_phase_current_a: clean(maxColumn(w, ST4_LINE_CURRENT, 0.01)),
  }),
};

/** inputTotalWatts.{strapping}.{input} (W) */
const EPDU_INPUT_TOTAL_W = '1.3.6.1.4.1.534.6.6.7.3.5.1.4';
/** outletWatts.{strapping}.{outlet} (W) */
const EPDU_OUTLET_W = '1.3.6.1.4.1.534.6.6.7.6.5.1.3';

/** inputCurrentMeasType.{strapping}.{input}.{current}: singlePhase(1), neutral(2), phase1(3)…phase3(5) */
const EPDU_CURRENT_TYPE = '1.3.6.1.4.1.534.6.6.7.3.3.1.2';
/** inputCurrent.{strapping}.{input}.{current} (mA) */
const EPDU_CURRENT = '1.3.6.1.4.1.534.6.6.7.3.3.1.4';
const EPDU_NEUTRAL = 2;

/** The input line currents in A, the neutral's left out (it is the lines' imbalance, not more load); null as sumColumn's. */
function epduLineCurrents(w: Walk): number[] | null {
  const types = column(w, EPDU_CURRENT_TYPE);
  const rows = column(w, EPDU_CURRENT);
  if (rows.size === 0) return null;
  const out: number[] = [];
  for (const [idx, v] of rows) {
    if (num(types.get(idx)) === EPDU_NEUTRAL) continue;
    const n = num(v);
    if (n === null || n < 0) return null;
    out.push(n / 1000);
  }
  return out.length === 0 ? null : out;
}

export const eatonEpdu: SnmpProfile = {
  kinds: ['pdu'],
  walk: [EPDU_INPUT_TOTAL_W, EPDU_OUTLET_W, EPDU_CURRENT_TYPE, EPDU_CURRENT],
  mapper: () => (w) => {
    const lines = epduLineCurrents(w);
    return {
      power_w: clean(first(sumColumn(w, EPDU_INPUT_TOTAL_W, 1), sumColumn(w, EPDU_OUTLET_W, 1))),
      current_a: lines === null ? null : clean(lines.reduce((a, b) => a + b, 0)),
      max_phase_current_a: lines === null ? null : clean(Math.max(...lines)),
    };
  },
};
