// Every polled protocol, by the name it goes by everywhere (config, DeviceModel.collector, stats, the
// `collector` label). An explicit map, as prom-client lists its default metrics in lib/defaultMetrics.js:
// adding a protocol is its own file exporting a CollectorPlugin, and one line here. The order is the
// order config reads and reports in (collectors.*, the device endpoint keys); among collectors that share
// an endpoint key the first is the default for a device that names none (cgminer for `address`). Everything that lists collectors
// reads this map: the config readers (server/collectors/config.ts) and the scheduler.

import { braiinsCollector } from './braiins.js';
import { cgminerCollector } from './cgminer.js';
import { dcgmCollector } from './dcgm.js';
import { probeCollector } from './probe.js';
import { redfishCollector } from './redfish.js';
import { snmpCollector } from './snmp.js';
import type { CollectorPlugin } from './types.js';
import { whatsminerV3Collector } from './whatsminer-v3.js';

export const COLLECTORS = {
  cgminer: cgminerCollector,
  dcgm: dcgmCollector,
  whatsminer_v3: whatsminerV3Collector,
  braiins: braiinsCollector,
  redfish: redfishCollector,
  probe: probeCollector,
  snmp: snmpCollector,
} as const satisfies Record<string, CollectorPlugin>;

export type CollectorName = keyof typeof COLLECTORS;

/** The names in registry order. */
export const COLLECTOR_NAMES = Object.keys(COLLECTORS) as CollectorName[];

export function isCollectorName(name: string): name is CollectorName {
  return Object.hasOwn(COLLECTORS, name);
}
