// RFC 1628 UPS-MIB (1.3.6.1.2.1.33) → the ups kind. Every object named as in RFC 1628 §4:
//   upsOutputSource      1.3.6.1.2.1.33.1.4.1.0     other(1) none(2) normal(3) bypass(4) battery(5) booster(6) reducer(7)
//   upsSecondsOnBattery  1.3.6.1.2.1.33.1.2.2.0     s; "zero shall be returned if the unit is not on battery power"
//   upsEstimatedMinutesRemaining 1.3.6.1.2.1.33.1.2.3.0   minutes → battery_runtime_s × 60
//   upsEstimatedChargeRemaining  1.3.6.1.2.1.33.1.2.4.0   % → battery_charge_pct
//   upsInputTruePower    1.3.6.1.2.1.33.1.3.3.1.5.{line}  W, summed over the input lines → input_power_w
//   upsOutputPower       1.3.6.1.2.1.33.1.4.4.1.4.{line}  W, summed over the output lines → output_power_w
//   upsOutputPercentLoad 1.3.6.1.2.1.33.1.4.4.1.5.{line}  %, the most loaded line → load_pct
// The powers are NonNegativeInteger in the MIB: a line that reads negative (a real CS141 card does) makes
// the sum unknown (null), never a made-up total.

import { num, sumColumn, column, type SnmpProfile, type Walk } from './types.js';

const UPS = '1.3.6.1.2.1.33.1';
export const UPS_OUTPUT_SOURCE = `${UPS}.4.1.0`;
const UPS_SECONDS_ON_BATTERY = `${UPS}.2.2.0`;
const UPS_MINUTES_REMAINING = `${UPS}.2.3.0`;
const UPS_CHARGE_REMAINING = `${UPS}.2.4.0`;
const UPS_INPUT_TRUE_POWER = `${UPS}.3.3.1.5`;
const UPS_OUTPUT_POWER = `${UPS}.4.4.1.4`;
const UPS_OUTPUT_LOAD = `${UPS}.4.4.1.5`;
/** upsOutputSource battery(5) */
const SOURCE_BATTERY = 5;

function onBattery(w: Walk): number | null {
  const source = num(w.get(UPS_OUTPUT_SOURCE));
  if (source !== null) return source === SOURCE_BATTERY ? 1 : 0;
  const secs = num(w.get(UPS_SECONDS_ON_BATTERY));
  return secs === null ? null : secs > 0 ? 1 : 0;
}

function maxColumn(w: Walk, oid: string): number | null {
  let max: number | null = null;
  for (const v of column(w, oid).values()) {
    const n = num(v);
    if (n === null || n < 0) return null;
    max = max === null ? n : Math.max(max, n);
  }
  return max;
}

export const upsMib: SnmpProfile = {
  kinds: ['ups'],
  // The scalars live under upsBattery (.2) and upsOutput (.4); one walk of each group gets them with the tables.
  walk: [`${UPS}.2`, UPS_INPUT_TRUE_POWER, `${UPS}.4`],
  mapper: () => (w) => {
    const minutes = num(w.get(UPS_MINUTES_REMAINING));
    const charge = num(w.get(UPS_CHARGE_REMAINING));
    return {
      input_power_w: sumColumn(w, UPS_INPUT_TRUE_POWER, 1),
      output_power_w: sumColumn(w, UPS_OUTPUT_POWER, 1),
      load_pct: maxColumn(w, UPS_OUTPUT_LOAD),
      battery_charge_pct: charge !== null && charge >= 0 && charge <= 100 ? charge : null,
      battery_runtime_s: minutes !== null && minutes >= 0 ? minutes * 60 : null,
      on_battery: onBattery(w),
    };
  },
};
