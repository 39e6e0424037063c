// The shared vocabulary of Floorwatch: device kinds, their metrics (units in the names, docs/ARCHITECTURE.md §3),
// the Reading every source produces, the typed site model config turns into, and the figures computed
// from live state. Everything here is plain data: no I/O.

// The kinds and their metrics are declared once, in vocabulary.ts (one row per metric); these are
// derived from that table and re-exported so that importers of the vocabulary need only this module.
export { DEVICE_KINDS, METRICS_BY_KIND, METRIC_RANGES } from './vocabulary.js';
export type { DeviceKind, MetricName, MetricOf } from './vocabulary.js';
import type { DeviceKind, MetricName } from './vocabulary.js';

/** Where a power figure came from, so figures can say "estimated". */
export type PowerSource = 'device' | 'estimate' | 'meter';

/** One observation of one device: what every source (push, collector, simulator) produces. */
export interface Reading {
  device: string;
  /** epoch milliseconds */
  ts: number;
  /** null = the device said it does not know ("[N/A]", DCGM blank): stored as NULL, never 0. */
  metrics: Partial<Record<MetricName, number | null>>;
  /** Set by collectors that estimate power from the model when the firmware reports none. */
  power_source?: PowerSource;
}

// ---------------------------------------------------------------------------------------------------
// Site model: what a validated config becomes.

export type CoolingKind = 'air' | 'immersion' | 'liquid';
export type Fluid = 'water' | 'pg25' | 'eg30' | 'immersion_oil' | 'pao';
export type Feed = 'A' | 'B';

export interface DeviceModel {
  id: string;
  kind: DeviceKind;
  /** catalogue key (e.g. 'antminer-s21', 'h100-sxm'); absent for sensors without a catalogue entry */
  model?: string;
  hall?: string;
  rack?: string;
  /** cgminer-family API host:port (asic) */
  address?: string;
  /**
   * Which protocol polls this device; absent = push only. A name in server/collectors/registry.ts, which
   * config checks it against: typed `string` here because that list sits above this vocabulary.
   */
  collector?: string;
  /** dcgm-exporter / Prometheus text URL (gpu devices of a gpu_node) */
  exporter?: string;
  /** DMTF Redfish resource URL (env, pdu, cooling_loop, meter): polled by the redfish collector */
  redfish?: string;
  /** the GPU node a gpu device belongs to, and its index on that node */
  node?: string;
  gpu_index?: number;
  /** Overrides of the catalogue's figures for this device. */
  nominal_ths?: number;
  nominal_power_w?: number;
  max_temp_c?: number;
}

export interface RackModel {
  id: string;
  hall: string;
  row: number;
  col: number;
  rated_kw: number;
  feeds: Feed[];
  /** Rated capacity of one feed (kW); by default the rack's rated kW. */
  feed_rated_kw: number;
  cooling: CoolingKind;
  loop?: string;
  devices: DeviceModel[];
}

export interface HallModel {
  id: string;
  name: string;
  racks: RackModel[];
  rows: number;
  cols: number;
}

export interface CoolingLoopModel {
  id: string;
  hall?: string;
  fluid: Fluid;
  /** racks whose IT heat this loop removes */
  racks: string[];
}

export interface MeterModel {
  id: string;
  /** 'site' or the id of a hall: the load this meter measures, cooling and losses included */
  scope: 'site' | { hall: string };
}

export interface CatalogueModel {
  key: string;
  kind: 'asic' | 'gpu';
  name: string;
  /** asic: nominal hashrate TH/s */
  nominal_ths?: number;
  /** nominal (asic) or TDP / board power (gpu) in W */
  nominal_power_w: number;
  /** chip (asic) or GPU core slowdown temperature limit in °C */
  max_temp_c: number;
  /** GPU memory (HBM/GDDR) temperature limit in °C */
  max_mem_temp_c?: number;
  mem_total_mib?: number;
}

export interface CollectorSettings {
  interval_s: number;
  timeout_ms: number;
  concurrency: number;
  /** the device login, for a protocol whose devices need one (braiins); absent for the others */
  login?: { username: string; password: string };
}

export interface AuthSettings {
  /** sha256 hex of each accepted ingest token, with the integrator's name */
  ingest_tokens: { name: string; sha256: string }[];
  read_token_sha256?: string;
  metrics_token_sha256?: string;
  /** browser origins allowed to call the API and socket.io from another origin; absent = same origin only */
  cors_origins?: string[];
  /** ingest requests per second per token (token bucket refill); absent = 1000 */
  ingest_rate_per_s?: number;
  /** ingest bucket size (requests allowed at once); absent = 2 × the rate */
  ingest_burst?: number;
}

export interface RetentionSettings {
  raw_hours: number;
  /** rack, hall and site minute rollups */
  minute_days: number;
  hour_days: number;
  /** device minute rollups (one row per device-minute: the bulk of the file); absent = 7 */
  device_minute_days?: number;
}

/** One Alertmanager Floorwatch sends to (config `alerting.alertmanagers[]`); HA peers are each sent to. */
export interface AlertmanagerTarget {
  /** base URL, e.g. http://am-1:9093 (the API is under /api/v2/) */
  url: string;
  /** Authorization: Bearer; at most one of bearer_token and basic_auth */
  bearer_token?: string;
  basic_auth?: { username: string; password: string };
  /** one request's limit (ms) */
  timeout_ms: number;
}

/** Config `alerting:`: where the alerts are pushed (server/notify/). Absent = nothing is sent. */
export interface AlertingSettings {
  alertmanagers: AlertmanagerTarget[];
  /** a firing alert is re-sent this often; its endsAt is 4 × this ahead */
  resend_s: number;
  /** how the wall is reached from outside (the generatorURL base); absent = from --host/--port */
  external_url?: string;
  /** notifications one Alertmanager's queue holds before the oldest is dropped */
  queue_capacity: number;
}

/** One remote-write store (config `remote_write[]`, server/remote/): Prometheus' remote_write block, units in the names. */
export interface RemoteWriteTarget {
  /** the label value in /metrics and /readyz: `name`, else the URL without user:password */
  name: string;
  /** the receiver's write endpoint, e.g. http://vm:8428/api/v1/write */
  url: string;
  /** Authorization: Bearer; at most one of bearer_token and basic_auth */
  bearer_token?: string;
  basic_auth?: { username: string; password: string };
  /** extra request headers (a tenant id: X-Scope-OrgID for Mimir, AccountID for VictoriaMetrics cluster…) */
  headers: Record<string, string>;
  /** one request's limit (s): Prometheus' remote_timeout */
  timeout_s: number;
  queue: {
    /** samples one shard holds before its oldest is dropped (Prometheus: per shard too) */
    capacity: number;
    max_shards: number;
    max_samples_per_send: number;
    /** a shard sends what it has after this long even when the batch is not full (s) */
    batch_send_deadline_s: number;
    /** back-off after a failed try (s), doubled per failure up to max_backoff_s */
    min_backoff_s: number;
    max_backoff_s: number;
  };
  /** absent = all: device samples of these kinds; series of these names (device and figure series alike) */
  include_kinds?: DeviceKind[];
  include_metrics?: string[];
}

export interface SiteModel {
  name: string;
  halls: HallModel[];
  loops: CoolingLoopModel[];
  meters: MeterModel[];
  /** every device, racks' and loops' and meters', by id */
  devices: Map<string, DeviceModel>;
  racks: Map<string, RackModel>;
  catalogue: Map<string, CatalogueModel>;
  /** every registered collector's settings, by its name (config fills in the defaults of those it does not name) */
  collectors: Record<string, CollectorSettings>;
  retention: RetentionSettings;
  auth: AuthSettings;
  prometheus: { per_device: boolean };
  /** target PUE for the PUE alert */
  pue_target: number;
  /** the site's own alert rules as written in config (checked at load by the alert engine's parser) */
  alert_rules: unknown[];
  /** config `alerting:`; absent or null = no Alertmanager (the demo) */
  alerting?: AlertingSettings | null;
  /** config `remote_write:`; absent or empty = nothing is written out */
  remote_write?: RemoteWriteTarget[];
}

// ---------------------------------------------------------------------------------------------------
// Live figures (docs/ARCHITECTURE.md §4). null = not known (no reading), never 0.

export type Health = 'up' | 'degraded' | 'down';
export type AshraeState = 'below' | 'recommended' | 'allowable' | 'above';

export interface HealthCounts {
  up: number;
  degraded: number;
  down: number;
}

export interface RackFigures {
  id: string;
  hall: string;
  power_w: number | null;
  /** 'pdu' = measured at the rack's PDU; 'estimated' = sum of its devices (some maybe model estimates) */
  power_source: 'pdu' | 'estimated' | null;
  rated_kw: number;
  /** 80 % of rated power minus current power (W); negative = over budget */
  headroom_w: number | null;
  /** power ÷ rated */
  load_ratio: number | null;
  feed_a_w: number | null;
  feed_b_w: number | null;
  /** could either feed alone carry the whole rack? null when feeds are not metered */
  feed_failover_ok: boolean | null;
  inlet_temp_c: number | null;
  outlet_temp_c: number | null;
  delta_t_c: number | null;
  ashrae: AshraeState | null;
  hashrate_ths: number | null;
  nominal_ths: number | null;
  hashrate_ratio: number | null;
  gpu_util_pct: number | null;
  gpus_busy: number;
  gpus_idle: number;
  health: HealthCounts;
}

export interface LoopFigures {
  id: string;
  supply_temp_c: number | null;
  return_temp_c: number | null;
  flow_lpm: number | null;
  delta_t_c: number | null;
  heat_removed_w: number | null;
  /** sum of the known power of the loop's racks (may be partial: see capture_unknown_reason) */
  it_power_w: number | null;
  /** heat removed ÷ IT power of the loop's racks; null unless the sensors and every rack's power are current */
  capture_ratio: number | null;
  /** why capture_ratio is null ('loop G-LOOP: stale', 'IT incomplete: G-01 (1 of 2 devices down)'); null when known */
  capture_unknown_reason: string | null;
}

export interface AggregateFigures {
  /** sum of the racks' known power; while it_power_complete is false, a part of the load is missing from it */
  it_power_w: number | null;
  /**
   * every rack's power is from current, complete inputs: all its PDUs, or else every miner and GPU of it
   * up with a power reading. Ratios against a meter (PUE) are only computed when this holds.
   */
  it_power_complete: boolean;
  facility_power_w: number | null;
  /** instantaneous PUE (or partial PUE for a hall); null unless meter and IT are both current and complete */
  pue: number | null;
  /**
   * why pue is null, for people ('meter FAC: stale', 'IT incomplete: M-02 (1 of 2 devices down)', 'no meter',
   * 'facility below IT (metering fault)', 'no IT load'; several joined by '; '); null when pue is known
   */
  pue_unknown_reason: string | null;
  /** PUE from energy over the last 24 h window (null until there is energy on both sides) */
  pue_24h: number | null;
  hashrate_ths: number | null;
  nominal_ths: number | null;
  hashrate_ratio: number | null;
  /** ΣW ÷ ΣTH/s of hashing miners */
  j_per_th: number | null;
  miners_hashing: number;
  miners_total: number;
  gpu_util_pct: number | null;
  gpus_busy: number;
  gpus_idle: number;
  gpus_total: number;
  w_per_gpu: number | null;
  worst_inlet_c: number | null;
  health: HealthCounts;
}

export interface HallFigures extends AggregateFigures {
  id: string;
  name: string;
}

export interface SiteFigures extends AggregateFigures {
  name: string;
  ts: number;
  energy_it_kwh: number;
  energy_facility_kwh: number;
}

export interface DeviceStatus {
  id: string;
  kind: DeviceKind;
  rack?: string;
  hall?: string;
  model?: string;
  health: Health;
  /** why it is degraded or down ('stale', 'refused', 'chains down', 'thermal throttle', …) */
  reason?: string;
  last_seen: number | null;
  power_source?: PowerSource;
  metrics: Partial<Record<MetricName, number | null>>;
}

// ---------------------------------------------------------------------------------------------------
// Live state: the latest reading of every device, kept in memory, fed only by the one path in.

export interface DeviceLive {
  model: DeviceModel;
  /** epoch ms of the latest accepted reading, null = never seen */
  ts: number | null;
  metrics: Partial<Record<MetricName, number | null>>;
  power_source?: PowerSource;
  /** the last collector failure ('refused', 'timeout', 'bad reply: …'), cleared by a good reading */
  error?: { reason: string; ts: number };
}

/** Everything the figures are computed from: pure input, no I/O. */
export interface LiveInput {
  model: SiteModel;
  devices: ReadonlyMap<string, DeviceLive>;
  now: number;
  /** a device with no reading for this long is down ('stale') */
  stale_after_ms: number;
  /** spans (epoch ms) Floorwatch was not running, left out of every age; absent = none */
  offline?: readonly { from: number; to: number }[];
}

// ---------------------------------------------------------------------------------------------------
// Alerts (docs/ARCHITECTURE.md §4): shown on the wall, in the API, in /metrics.

export type Severity = 'info' | 'warning' | 'critical';
export type AlertState = 'pending' | 'firing' | 'resolved';

export interface AlertView {
  /** stable key: rule name + scope id */
  key: string;
  alertname: string;
  severity: Severity;
  /** 'site' | 'hall:A' | 'rack:A-01' | 'device:A-01-07' | 'loop:L1' */
  scope: string;
  state: AlertState;
  summary: string;
  value: number | null;
  threshold: number | null;
  since: number;
  fired_at: number | null;
  resolved_at: number | null;
  acknowledged?: { by: string; note: string; at: number };
  shelved_until?: number;
  /** the hall the scope lies in (a device's, rack's or loop's hall), set by the hub for the wall's hall view */
  hall?: string;
}

// ---------------------------------------------------------------------------------------------------
// socket.io /live payloads (contract: docs/ARCHITECTURE.md §5).

export interface RackLayout {
  id: string;
  row: number;
  col: number;
  rated_kw: number;
  cooling: CoolingKind;
  /** what the rack mostly holds, for the map's default metric */
  load: 'asic' | 'gpu' | 'mixed' | 'none';
  devices: number;
}

export interface Layout {
  site: string;
  halls: { id: string; name: string; rows: number; cols: number; racks: RackLayout[] }[];
  loops: { id: string; hall?: string; fluid: Fluid; racks: string[] }[];
}

export interface Figures {
  site: SiteFigures;
  halls: HallFigures[];
  racks: RackFigures[];
  loops: LoopFigures[];
}

export interface LiveSnapshot {
  /** sequence number of the last update folded into this snapshot; the next update has seq + 1 */
  seq: number;
  ts: number;
  layout: Layout;
  figures: Figures;
  alerts: AlertView[];
  /** place (epoch ms) of the newest reading of any device, null before the first: the wall's data age */
  newest_reading_ts?: number | null;
}

/** Only what changed since the previous update: a client that sees a gap in seq asks for a snapshot. */
export interface LiveUpdate {
  seq: number;
  ts: number;
  site?: SiteFigures;
  halls?: HallFigures[];
  racks?: RackFigures[];
  loops?: LoopFigures[];
  /** the whole list of alerts that are pending or firing, when it changed */
  alerts?: AlertView[];
  /** as in LiveSnapshot: sent on every update, so a wall whose socket stays up still sees ingest stop */
  newest_reading_ts?: number | null;
}

/** Device-level update for a subscribed rack (`subscribe` with a rack id). */
export interface RackDevicesUpdate {
  rack: string;
  ts: number;
  devices: DeviceStatus[];
}
