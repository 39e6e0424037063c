// Every SNMP profile, by the name a device's `snmp.profile` gives. A profile is one file per MIB family
// beside this one (PDUs share pdu.ts: one table of OIDs each); adding one is its file and a line here.

import { apcEnv } from './apc-env.js';
import { entitySensor } from './entity-sensor.js';
import { ifMib } from './if-mib.js';
import { apcRpdu2, eatonEpdu, raritanPdu2, sentry4 } from './pdu.js';
import type { SnmpProfile } from './types.js';
import { upsMib } from './ups-mib.js';

export const SNMP_PROFILES = {
  'apc-rpdu2': apcRpdu2,
  'raritan-pdu2': raritanPdu2,
  'sentry4': sentry4,
  'eaton-epdu': eatonEpdu,
  'ups-mib': upsMib,
  'apc-env': apcEnv,
  'entity-sensor': entitySensor,
  'if-mib': ifMib,
} as const satisfies Record<string, SnmpProfile>;

export type SnmpProfileName = keyof typeof SNMP_PROFILES;
export const SNMP_PROFILE_NAMES = Object.keys(SNMP_PROFILES) as SnmpProfileName[];

export function isSnmpProfile(name: string): name is SnmpProfileName {
  return Object.hasOwn(SNMP_PROFILES, name);
}
