// The device vocabulary: the kinds of device and every value a device reports, declared once. The
// validator (ranges), the store (one column per metric, in declaration order) and the rollups (the
// rolled metrics) all read this table; METRICS_BY_KIND and METRIC_RANGES are derived from it for their
// callers. Plain data, no imports: server/core/types.ts re-exports it.
//
// Adding a metric: one row below (after the last row of its kind: the store appends its column), then
// `npm run migration:new -- <name>` writes the migration that adds the column and re-creates the triggers
// (server/store/device-schema.ts); a test fails until that migration exists.

export const DEVICE_KINDS = ['asic', 'gpu', 'env', 'pdu', 'cooling_loop', 'meter', 'probe', 'market', 'ups', 'network_link'] as const;
export type DeviceKind = (typeof DEVICE_KINDS)[number];

/**
 * The unit a metric's name carries (`_w` W, `_c` °C, `_usd_per_mwh` USD/MWh, …); count, flag, code and number
 * are unitless values (number: a dimensionless quantity that is none of the others, like network difficulty,
 * the ratio of the difficulty-1 target to the current one).
 */
export type MetricUnit =
  | 'TH/s' | 'W' | '°C' | 'rpm' | '%' | 'MiB' | 'MHz' | 's' | 'ms' | 'L/min' | 'bit/s' | '/s' | 'A'
  | 'USD/MWh' | 'USD/PH/day' | 'USD' | 'BTC/block'
  | 'count' | 'flag' | 'code' | 'number';

export interface DeviceMetricSpec {
  kind: DeviceKind;
  /** unit-bearing name (contract: docs/ARCHITECTURE.md §3): the reading's key and the store's column */
  name: string;
  unit: MetricUnit;
  /**
   * Plausible range: a value outside is rejected at the edge as a device or integration fault rather
   * than stored. Wide on purpose (a 2 MW facility meter, an S21 at 0 TH/s while curtailed). A name that
   * several kinds share has one range (a test checks): METRIC_RANGES is keyed by name.
   */
  range: readonly [min: number, max: number];
  /**
   * Rolled up per device per minute and hour: the metrics worth a chart. The rest (counters, clocks,
   * limits, flags) stay in raw samples only, for raw retention (raw_hours). Every rolled metric costs
   * about 30 bytes per device-minute (sum, min, max as REAL, a count), so the rolled rows are the size of
   * the database. Changing it needs a migration.
   */
  rolled: boolean;
}

/** Every device metric, one row each. A kind's rows, in order, are its columns in the store. */
export const DEVICE_METRICS = [
  { kind: 'asic', name: 'hashrate_ths', unit: 'TH/s', range: [0, 10_000], rolled: true },
  { kind: 'asic', name: 'power_w', unit: 'W', range: [0, 500_000_000], rolled: true },
  { kind: 'asic', name: 'chip_temp_c', unit: '°C', range: [-40, 150], rolled: true },
  { kind: 'asic', name: 'board_temp_c', unit: '°C', range: [-40, 150], rolled: false },
  { kind: 'asic', name: 'inlet_temp_c', unit: '°C', range: [-40, 100], rolled: true },
  { kind: 'asic', name: 'outlet_temp_c', unit: '°C', range: [-40, 120], rolled: false },
  { kind: 'asic', name: 'fan_rpm', unit: 'rpm', range: [0, 50_000], rolled: false },
  { kind: 'asic', name: 'accepted_shares', unit: 'count', range: [0, 1e15], rolled: false },
  { kind: 'asic', name: 'rejected_shares', unit: 'count', range: [0, 1e15], rolled: false },
  { kind: 'asic', name: 'hw_errors', unit: 'count', range: [0, 1e15], rolled: false },
  { kind: 'asic', name: 'chains_ok', unit: 'count', range: [0, 64], rolled: false },
  { kind: 'asic', name: 'chains_total', unit: 'count', range: [0, 64], rolled: false },
  { kind: 'asic', name: 'uptime_s', unit: 's', range: [0, 1e10], rolled: false },
  // The slowest fan: a mean over four fans hides the one that stopped (issue 13).
  { kind: 'asic', name: 'fan_min_rpm', unit: 'rpm', range: [0, 50_000], rolled: false },
  // What the firmware says the unit was built to do (total_rateideal, rate_ideal, Factory GHS, factory-hash):
  // the nominal when neither the catalogue nor the config gives one (issue 13).
  { kind: 'asic', name: 'nameplate_ths', unit: 'TH/s', range: [0, 10_000], rolled: false },
  // The active pool's share quality and freshness, from the cgminer-family `pools` command (issue 19).
  { kind: 'asic', name: 'pool_rejected_pct', unit: '%', range: [0, 100], rolled: false },
  { kind: 'asic', name: 'pool_stale_pct', unit: '%', range: [0, 100], rolled: false },
  { kind: 'asic', name: 'last_share_age_s', unit: 's', range: [0, 1e10], rolled: false },

  { kind: 'gpu', name: 'util_pct', unit: '%', range: [0, 100], rolled: true },
  { kind: 'gpu', name: 'mem_util_pct', unit: '%', range: [0, 100], rolled: false },
  { kind: 'gpu', name: 'mem_used_mib', unit: 'MiB', range: [0, 10_000_000], rolled: false },
  { kind: 'gpu', name: 'mem_total_mib', unit: 'MiB', range: [0, 10_000_000], rolled: false },
  { kind: 'gpu', name: 'power_w', unit: 'W', range: [0, 500_000_000], rolled: true },
  { kind: 'gpu', name: 'power_limit_w', unit: 'W', range: [0, 10_000], rolled: false },
  { kind: 'gpu', name: 'temp_c', unit: '°C', range: [-40, 150], rolled: true },
  { kind: 'gpu', name: 'mem_temp_c', unit: '°C', range: [-40, 150], rolled: true },
  { kind: 'gpu', name: 'sm_clock_mhz', unit: 'MHz', range: [0, 10_000], rolled: false },
  { kind: 'gpu', name: 'throttle_thermal', unit: 'flag', range: [0, 1], rolled: false },
  { kind: 'gpu', name: 'throttle_power', unit: 'flag', range: [0, 1], rolled: false },
  { kind: 'gpu', name: 'xid_last', unit: 'code', range: [0, 100_000], rolled: false },
  { kind: 'gpu', name: 'ecc_dbe_total', unit: 'count', range: [0, 1e15], rolled: false },

  { kind: 'env', name: 'inlet_temp_c', unit: '°C', range: [-40, 100], rolled: true },
  { kind: 'env', name: 'outlet_temp_c', unit: '°C', range: [-40, 120], rolled: true },
  { kind: 'env', name: 'humidity_pct', unit: '%', range: [0, 100], rolled: false },

  { kind: 'pdu', name: 'power_w', unit: 'W', range: [0, 500_000_000], rolled: true },
  { kind: 'pdu', name: 'feed_a_w', unit: 'W', range: [0, 10_000_000], rolled: false },
  { kind: 'pdu', name: 'feed_b_w', unit: 'W', range: [0, 10_000_000], rolled: false },
  // issue 19: the input current summed over the PDU's inputs and lines, and its busiest line's (a breaker trips on that)
  { kind: 'pdu', name: 'current_a', unit: 'A', range: [0, 10_000], rolled: false },
  { kind: 'pdu', name: 'max_phase_current_a', unit: 'A', range: [0, 10_000], rolled: false },

  { kind: 'cooling_loop', name: 'supply_temp_c', unit: '°C', range: [-40, 120], rolled: true },
  { kind: 'cooling_loop', name: 'return_temp_c', unit: '°C', range: [-40, 120], rolled: true },
  { kind: 'cooling_loop', name: 'flow_lpm', unit: 'L/min', range: [0, 1_000_000], rolled: true },

  { kind: 'meter', name: 'power_w', unit: 'W', range: [0, 500_000_000], rolled: true },

  // A TCP connect probe to a host:port (a pool's stratum endpoint, a customer's gateway; issue 19): the
  // mean connect time of the connects that succeeded in one interval, and the share that failed.
  { kind: 'probe', name: 'latency_ms', unit: 'ms', range: [0, 600_000], rolled: true },
  { kind: 'probe', name: 'loss_pct', unit: '%', range: [0, 100], rolled: true },
  // A market: prices pushed by an integrator (a grid price feed, a hashprice index), issue 16. Energy prices
  // go negative in real markets (ERCOT real-time has cleared below −$200/MWh) and are capped at $5,000/MWh
  // there (ERCOT's system-wide offer cap); the range is wider than any market's on purpose.
  { kind: 'market', name: 'energy_price_usd_per_mwh', unit: 'USD/MWh', range: [-100_000, 100_000], rolled: true },
  { kind: 'market', name: 'hashprice_usd_per_ph_day', unit: 'USD/PH/day', range: [0, 1_000_000], rolled: true },
  { kind: 'market', name: 'btc_usd', unit: 'USD', range: [0, 1e9], rolled: true },
  { kind: 'market', name: 'network_difficulty', unit: 'number', range: [1, 1e20], rolled: false },
  { kind: 'market', name: 'fees_btc_per_block', unit: 'BTC/block', range: [0, 1000], rolled: false },
  // A UPS on RFC 1628 UPS-MIB (issue 19). load_pct may pass 100 on overload.
  { kind: 'ups', name: 'input_power_w', unit: 'W', range: [0, 10_000_000], rolled: false },
  { kind: 'ups', name: 'output_power_w', unit: 'W', range: [0, 10_000_000], rolled: true },
  { kind: 'ups', name: 'load_pct', unit: '%', range: [0, 200], rolled: false },
  { kind: 'ups', name: 'battery_charge_pct', unit: '%', range: [0, 100], rolled: true },
  { kind: 'ups', name: 'battery_runtime_s', unit: 's', range: [0, 10_000_000], rolled: false },
  { kind: 'ups', name: 'on_battery', unit: 'flag', range: [0, 1], rolled: false },

  // A site WAN link (config `links:`, issue 19): IF-MIB counters of the router interface that carries it;
  // latency and loss from a TCP probe when the link names one (null from SNMP).
  { kind: 'network_link', name: 'rx_bps', unit: 'bit/s', range: [0, 1e13], rolled: true },
  { kind: 'network_link', name: 'tx_bps', unit: 'bit/s', range: [0, 1e13], rolled: true },
  { kind: 'network_link', name: 'oper_up', unit: 'flag', range: [0, 1], rolled: false },
  { kind: 'network_link', name: 'errors_per_s', unit: '/s', range: [0, 1e9], rolled: false },
  { kind: 'network_link', name: 'latency_ms', unit: 'ms', range: [0, 600_000], rolled: true },
  { kind: 'network_link', name: 'loss_pct', unit: '%', range: [0, 100], rolled: false },
] as const satisfies readonly DeviceMetricSpec[];

export type DeclaredMetric = (typeof DEVICE_METRICS)[number];
export type MetricOf<K extends DeviceKind> = Extract<DeclaredMetric, { kind: K }>['name'];
export type MetricName = DeclaredMetric['name'];
export type RolledMetricOf<K extends DeviceKind> = Extract<DeclaredMetric, { kind: K; rolled: true }>['name'];

/** The names of each kind's rows that `keep` accepts, in declaration order. */
export function metricNamesByKind(keep: (m: DeclaredMetric) => boolean = () => true): Record<DeviceKind, string[]> {
  const out = {} as Record<DeviceKind, string[]>;
  for (const kind of DEVICE_KINDS) out[kind] = [];
  for (const m of DEVICE_METRICS) if (keep(m)) out[m.kind].push(m.name);
  return out;
}

/** Metric vocabulary per kind (contract: docs/ARCHITECTURE.md §3). Order fixes the column order in the store. */
export const METRICS_BY_KIND = metricNamesByKind() as { readonly [K in DeviceKind]: readonly MetricOf<K>[] };

/** The plausible range of each metric name (rows that share a name share it). */
export const METRIC_RANGES = Object.fromEntries(DEVICE_METRICS.map((m) => [m.name, m.range])) as Record<MetricName, readonly [min: number, max: number]>;

/** Each kind's ranges by metric name: the validator's lookup (an absent name is not a metric of the kind). */
export function metricRangesOf(kind: DeviceKind): Map<string, readonly [min: number, max: number]> {
  return new Map(DEVICE_METRICS.filter((m) => m.kind === kind).map((m) => [m.name, m.range]));
}
