// The built-in connectivity and power-protection rules (issue 19): a WAN link down or losing packets, a
// UPS on battery or with a low battery. Thresholds come from server/figures/bands.ts, shared with the wall.
// A router that stops answering SNMP at all makes its links DeviceDown; UplinkDown is the interface itself
// reported down (ifOperStatus), which is what a cut fibre or a dead modem looks like.

import { UPLINK_LOSS_HIGH_PCT, UPS_BATTERY_LOW_PCT } from '../figures/bands.js';
import { deviceMetric, notDown, type AlertRule } from './rules.js';

const MINUTE_MS = 60_000;

export function connectivityRules(): AlertRule[] {
  return [
    {
      name: 'UplinkDown', scope: 'device', kind: 'network_link', severity: 'critical',
      // Two polls at the default 30 s: one flap is not an outage, a site without its uplink is.
      op: '>=', threshold: 1, clear: 1, for_ms: MINUTE_MS,
      applies: notDown,
      value: (d) => { const up = deviceMetric(d, 'oper_up'); return up === null ? null : up === 1 ? 0 : 1; },
      summary: 'uplink {id} is down',
    },
    {
      // Judged on the link's figures, the loss the wall shows: its probe's where it names one, else what a
      // push reports for the link (figures/connectivity.ts linkLatency). SNMP gives no loss; unknown is not bad.
      // A link known down is UplinkDown's or DeviceDown's to speak for: its loss says nothing more.
      name: 'UplinkLossHigh', scope: 'link', severity: 'warning',
      op: '>', threshold: UPLINK_LOSS_HIGH_PCT, clear: UPLINK_LOSS_HIGH_PCT / 2, for_ms: 2 * MINUTE_MS,
      applies: (l) => l.up !== false,
      value: (l) => l.loss_pct,
      summary: 'uplink {id} losing {value} % of packets (above {threshold} %)',
    },
    {
      // A transfer to battery for a self-test or a sag lasts seconds; 30 s on battery is a utility outage.
      name: 'UpsOnBattery', scope: 'device', kind: 'ups', severity: 'critical',
      op: '>=', threshold: 1, clear: 1, for_ms: 30_000,
      applies: notDown,
      value: (d) => deviceMetric(d, 'on_battery'),
      summary: 'UPS {id} is on battery',
    },
    {
      name: 'UpsBatteryLow', scope: 'device', kind: 'ups', severity: 'critical',
      op: '<', threshold: UPS_BATTERY_LOW_PCT, clear: UPS_BATTERY_LOW_PCT + 10, for_ms: 0,
      applies: notDown,
      value: (d) => deviceMetric(d, 'battery_charge_pct'),
      summary: 'UPS {id} battery at {value} % (below {threshold} %)',
    },
  ];
}
