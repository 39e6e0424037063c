// The types of issue 19's connectivity: a device's SNMP access, the site's WAN links and the figures the
// wall and /metrics read for links and UPSes. Their own module so types.ts stays under the size limit;
// types.ts re-exports them. Plain types, no imports.

/** SNMP v2c community or v3 USM user (RFC 3414): how a device's agent is spoken to. */
export type SnmpCredentials =
  | { version: '2c'; community: string }
  | {
    version: '3';
    user: string;
    /** absent = noAuthNoPriv */
    auth?: { protocol: 'md5' | 'sha' | 'sha224' | 'sha256' | 'sha384' | 'sha512'; key: string };
    /** absent = no privacy; needs auth */
    priv?: { protocol: 'des' | 'aes' | 'aes256b' | 'aes256r'; key: string };
  };

/** A device's `snmp:` block less its address. `profile` is a name in server/collectors/snmp-profiles/ (checked by config). */
export interface SnmpAccess {
  credentials: SnmpCredentials;
  profile: string;
  /** GetBulk max-repetitions per request */
  max_repetitions: number;
  /** the most varbinds one poll of this agent may walk: past it the walk is cut and reported */
  max_oids: number;
  /** if-mib: the interface, by ifIndex (number) or ifName/ifDescr (string) */
  interface?: number | string;
  /** apc-env: the probe index read as inlet (default 1) and as outlet (none); entity-sensor: the sensor's entPhysicalIndex (default: the first ok celsius sensor) */
  inlet_probe?: number;
  outlet_probe?: number;
}

/** A site WAN link (config `links:`): a network_link device of the same id, polled over the router's IF-MIB. */
export interface LinkModel {
  id: string;
  capacity_bps: number;
  /** the device id (`probe:<name>`) of the `probes:` entry whose latency and loss are this link's */
  probe?: string;
}

/** One WAN link now (server/figures/connectivity.ts). */
export interface LinkFigures {
  id: string;
  capacity_bps: number;
  /** false when the interface is down or its router does not answer; null before anything is known */
  up: boolean | null;
  /** why it is down ('interface down', or the router's failure: 'timeout', 'refused', 'stale') */
  reason: string | null;
  rx_bps: number | null;
  tx_bps: number | null;
  /** the busier direction's share of capacity, 0–1 */
  utilisation: number | null;
  latency_ms: number | null;
  loss_pct: number | null;
}

export interface UpsFigures {
  id: string;
  hall?: string;
  rack?: string;
  /** the UPS answers with fresh readings */
  answering: boolean;
  on_battery: boolean | null;
  battery_charge_pct: number | null;
  battery_runtime_s: number | null;
  load_pct: number | null;
}

export interface ConnectivityFigures {
  links: LinkFigures[];
  ups: UpsFigures[];
  /** links known to be down */
  links_down: number;
  /** every configured link is down: the site is cut off (the wall's one loud line) */
  all_links_down: boolean;
}
