// The shared vocabulary of Floorwatch: device kinds, their metrics (units in the names, docs/ARCHITECTURE.md §3),
// the Reading every source produces, the typed site model config turns into, and the figures computed
// from live state. Everything here is plain data: no I/O.

// The kinds and their metrics are declared once, in vocabulary.ts (one row per metric); these are
// derived from that table and re-exported so that importers of the vocabulary need only this module.
export { DEVICE_KINDS, METRICS_BY_KIND, METRIC_RANGES } from './vocabulary.js';
export type { DeviceKind, MetricName, MetricOf } from './vocabulary.js';
import type { DeviceKind, MetricName } from './vocabulary.js';
import type { EffectiveFigures } from './catalogue.js';
// Curtailment events' types (issue 16) are declared in their own module and re-exported with the rest.
export type {
  CurtailmentFigures, CurtailmentPhase, CurtailmentSettings, CurtailmentTarget, CurtailmentView, CurtailmentWindow,
} from './curtailment-types.js';
import type { CurtailmentSettings, CurtailmentView } from './curtailment-types.js';
import type { ExpectedPool, PoolEntry, ResolvedPools } from './pools.js';
export type { ExpectedPool, PoolEntry, ResolvedPools } from './pools.js';
// Issue 16's settings and figures (economics, power budget) are declared beside, in economics-types.ts.
export type * from './economics-types.js';
import type { EconomicsFigures, EconomicsSettings, PowerBudgetFigures, PowerCaps } from './economics-types.js';
export type { ConnectivityFigures, LinkFigures, LinkModel, SnmpAccess, SnmpCredentials, UpsFigures } from './connectivity-types.js';
import type { ConnectivityFigures, LinkModel, SnmpAccess } from './connectivity-types.js';

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
  /** a miner's pool list (cgminer `pools`), validated by core/pools.ts; kept in the live state only */
  pools?: PoolEntry[];
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
  /** host:port a `probe` device connects to (TCP connect probe, collectors/probe.ts) */
  probe?: string;
  /** SNMP agent host:port (pdu, env, ups; network_link from `links:`): polled by the snmp collector */
  snmp?: string;
  /** how to talk to that agent and which profile maps its OIDs (the rest of the device's `snmp:` block) */
  snmp_access?: SnmpAccess;
  /** the GPU node a gpu device belongs to, and its index on that node */
  node?: string;
  gpu_index?: number;
  /** Overrides of the catalogue's figures for this device. */
  nominal_ths?: number;
  nominal_power_w?: number;
  max_temp_c?: number;
  /**
   * A feed that reports less often than the site's stale_after (a market publishing a price every 5 or
   * 15 min): its own staleness (s), for its health and for whether its values are current. Absent = the site's.
   */
  stale_after_s?: number;
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

// The settings of the config sections (collectors, auth, retention, alerting, remote write): declared in
// settings-types.ts, re-exported here with the rest.
export type {
  AlertingSettings, AlertmanagerTarget, AuthSettings, CollectorSettings, RemoteWriteTarget, RetentionSettings,
} from './settings-types.js';
import type { AlertingSettings, AuthSettings, CollectorSettings, RemoteWriteTarget, RetentionSettings } from './settings-types.js';

export interface SiteModel {
  name: string;
  halls: HallModel[];
  loops: CoolingLoopModel[];
  meters: MeterModel[];
  /** the site's WAN links (config `links:`; absent = none); each is also a network_link device of its id */
  links?: LinkModel[];
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
  /** config `curtailment:`; absent = the defaults (server/live/curtailment-config.ts) */
  curtailment?: CurtailmentSettings;
  /** config `pools:`, the pools the miners should be on; absent = none named (MinerWrongPool stays quiet) */
  pools?: ExpectedPool[];
  /** config `economics:` (server/figures/economics-config.ts); absent = none: no fallback prices, no AI rates */
  economics?: EconomicsSettings;
  /** config `power:` caps (server/figures/economics-config.ts); absent = no caps */
  power?: PowerCaps;
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
  /**
   * Members (miners, GPUs; not down) within TEMP_NEAR_LIMIT_C of their model's limit, and the one closest to
   * or furthest past it (null when no member has both a temperature and a known limit): a hot miner that
   * still hashes at full rate is the rack's worst member on the wall though its mean and health read 'ok'.
   */
  hot_members: number;
  hottest: HottestMember | null;
  /** a mining rack inside an active curtailment event (absent otherwise) */
  curtailed?: true;
}

export interface HottestMember {
  id: string;
  temp_c: number;
  limit_c: number;
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
  /** issue 16; always sent by the server (optional only for figures built without a model's economics) */
  economics?: EconomicsFigures;
  power_budget?: PowerBudgetFigures;
}

export interface SiteFigures extends AggregateFigures {
  name: string;
  ts: number;
  energy_it_kwh: number;
  energy_facility_kwh: number;
  /** issue 16; always sent by the server (optional only for figures built without a model's economics) */
  economics?: EconomicsFigures;
  power_budget?: PowerBudgetFigures;
  /** the WAN links and UPSes (issue 19); absent on a site with neither */
  connectivity?: ConnectivityFigures;
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
  /** inside an active curtailment event: not hashing or down is expected, not a fault */
  curtailed?: boolean;
  /** the miner's pools as of its latest pool report (absent: never reported) */
  pools?: PoolEntry[];
  /**
   * Its nameplate figures as the site index resolved them (config override, else catalogue): set by the
   * tick's visitor (figures/devices.ts) so the alert rules need no lookup by id; absent in API answers.
   */
  nameplate?: EffectiveFigures;
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
  /** the latest pool list a reading carried, that reading's place (epoch ms), and the list resolved against config `pools:` */
  pools?: { ts: number; list: PoolEntry[]; resolved: ResolvedPools };
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
  /** miners and mining racks inside an active curtailment event (ids): curtailed, not faults */
  curtailed?: ReadonlySet<string>;
  /**
   * `devices`' entries by DeviceRef.ord (figures/site-index.ts liveByRef), when the caller keeps one: the
   * figures and alert passes read every device each tick, and a 100,000-key map lookup per device was the
   * largest single cost of both (hub bench profile). Absent: looked up in `devices`.
   */
  byRef?: readonly (DeviceLive | undefined)[];
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

/** One pool the site's miners use or the site expects (figures/pools.ts). */
export interface PoolFigures {
  /** the expected pool's name, else the URL's host:port */
  id: string;
  url: string;
  expected: boolean;
  /** miners (up, with a current pool report) mining on it now */
  miners: number;
  /** miners that list it and report it alive / dead */
  reporting_alive: number;
  reporting_dead: number;
  /** its probe's latest figures, null when it has none or no current reading */
  probe_latency_ms: number | null;
  probe_loss_pct: number | null;
  /** false: every miner that lists it reports it dead, or its probe lost every connect; null = nobody can tell */
  up: boolean | null;
  /** why it counts as down ('dead on 1,000 of 1,000 miners', 'probe: 100 % loss'); null when up or unknown */
  down_reason: string | null;
}

export interface Figures {
  site: SiteFigures;
  halls: HallFigures[];
  racks: RackFigures[];
  loops: LoopFigures[];
  /** pools (issue 19); absent on figures built before pools existed */
  pools?: PoolFigures[];
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
  /** curtailment events scheduled within the baseline window, active, or ended in the last 10 min */
  curtailments?: CurtailmentView[];
}

/** Only what changed since the previous update: a client that sees a gap in seq asks for a snapshot. */
export interface LiveUpdate {
  seq: number;
  ts: number;
  site?: SiteFigures;
  halls?: HallFigures[];
  racks?: RackFigures[];
  loops?: LoopFigures[];
  /** the whole list of pools, when any pool's figures changed */
  pools?: PoolFigures[];
  /** the whole list of alerts that are pending or firing, when it changed */
  alerts?: AlertView[];
  /** as in LiveSnapshot: sent on every update, so a wall whose socket stays up still sees ingest stop */
  newest_reading_ts?: number | null;
  /** the whole curtailment list as in LiveSnapshot, when it changed */
  curtailments?: CurtailmentView[];
}

/** Device-level update for a subscribed rack (`subscribe` with a rack id). */
export interface RackDevicesUpdate {
  rack: string;
  ts: number;
  devices: DeviceStatus[];
}

/** One remote-write store's counts (server/remote/sender.ts keeps them; /metrics reads them at scrape time). */
export interface RemoteWriteStats {
  remote: string;
  sent: number;
  failed: number;
  retried: number;
  dropped: number;
  pending: number;
  /** epoch ms of the newest sample the store has acknowledged; null before the first */
  highest_sent_ts: number | null;
  shards: number;
}
