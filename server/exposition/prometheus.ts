import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { registerPoolMetrics } from './pools.js';
import type { RejectReason } from '../core/validate.js';
import type { DeviceKind, DeviceLive, DeviceModel, LiveInput, RackFigures, SiteModel } from '../core/types.js';
import type { Hub } from '../live/hub.js';
import { downReason } from '../figures/health.js';
import { economicsFamilies } from './economics.js';
import { registerConnectivityMetrics } from './connectivity.js';
import { registerRemoteWriteMetrics, type RemoteWriteStats } from './remote-write.js';

export interface Exposition {
  registry: Registry;
  ingestSamples: Counter;
  ingestRejected: Counter<'reason'>;
  pollDuration: Histogram<'collector'>;
  pollFailures: Counter<'collector' | 'reason'>;
  backgroundErrors: Counter<'task'>;
  render(): Promise<string>;
  contentType: string;
}

/** One Alertmanager's notification counts (server/notify/ keeps them; read at scrape time). */
export interface NotificationStats {
  alertmanager: string;
  sent: number;
  failed: number;
  dropped: number;
  queue_length: number;
}

/** A gauge family written as Prometheus text by hand (see createExposition for why). */
interface TextFamily {
  name: string;
  help: string;
  lines(out: string[]): void;
}

// prom-client's escaping, so the text is the same whichever path wrote it.
function escapeHelp(s: string): string {
  return s.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

function labelValue(s: string): string {
  return /[\\\n"]/.test(s) ? escapeHelp(s).replace(/"/g, '\\"') : s;
}

/** Finite values only, as `set()` above: unknown is no series, never 0. */
function pushValue(out: string[], name: string, labels: string, v: number | null): void {
  if (v !== null && Number.isFinite(v)) out.push(labels === '' ? `${name} ${v}` : `${name}{${labels}} ${v}`);
}

/** Answering with fresh readings: deviceHealth's rule (LiveInput carries its now, stale_after_ms and offline). */
function isFresh(input: LiveInput, live: DeviceLive): boolean {
  return downReason(live, input) === null;
}

// Devices whose count grows with racks, not with miners: their up series stay bounded by default.
const INFRA_KINDS: ReadonlySet<DeviceKind> = new Set(['gpu', 'env', 'pdu', 'cooling_loop', 'meter', 'probe']);

/**
 * GET /metrics (docs/ARCHITECTURE.md §5): base units (W, °C, H/s, ratios 0–1), values read from the live figures
 * at scrape time. Rack-level by default; `prometheus.per_device: true` adds an up series for every
 * miner. GPU utilisation is per GPU (the contract's label set), bounded by the number of GPUs.
 */
export function createExposition(
  model: SiteModel, hub: Hub, firingCounts?: () => { alertname: string; severity: string; count: number }[],
  notifications?: () => readonly NotificationStats[], remoteWrite?: () => readonly RemoteWriteStats[],
): Exposition {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'floorwatch_process_' });
  // prom-client names these gauges *_total, which promtool rejects; the handle counts are of little use here.
  for (const name of ['active_handles_total', 'active_requests_total', 'active_resources_total']) {
    registry.removeSingleMetric(`floorwatch_process_nodejs_${name}`);
  }
  const perDevice = model.prometheus.per_device;

  const gauge = (name: string, help: string, labelNames: string[], collect: (g: Gauge<string>) => void) =>
    new Gauge({
      name, help, labelNames, registers: [registry],
      collect() {
        this.reset();
        collect(this);
      },
    });
  const set = (g: Gauge<string>, labels: Record<string, string>, v: number | null) => {
    if (v !== null && Number.isFinite(v)) g.set(labels, v);
  };

  gauge('floorwatch_hall_it_power_watts', 'IT power of a hall', ['hall'], (g) => {
    for (const h of hub.figures().halls) set(g, { hall: h.id }, h.it_power_w);
  });
  gauge('floorwatch_hall_pue', 'Partial PUE of a hall: hall meter / hall IT power', ['hall'], (g) => {
    for (const h of hub.figures().halls) set(g, { hall: h.id }, h.pue);
  });
  registerConnectivityMetrics(gauge, set, () => hub.figures().site.connectivity);
  gauge('floorwatch_loop_heat_removed_watts', 'Heat removed by a liquid loop: flow × density × cp × ΔT', ['loop'], (g) => {
    for (const l of hub.figures().loops) set(g, { loop: l.id }, l.heat_removed_w);
  });

  // The families that grow with the site (a series per rack, per GPU, per sensor) are written as text
  // straight from the figures: prom-client hashes every label set on each set(), which at 100,000
  // devices (~30,000 series) took ~120 ms a scrape on 2 cores. Same names, labels (same order), values
  // and formatting; a null value is no series, as with the gauges above.
  const rackLabels = new Map<string, string>();
  const rackLabel = (hall: string, rack: string): string => {
    let l = rackLabels.get(rack);
    if (l === undefined) {
      l = `hall="${labelValue(hall)}",rack="${labelValue(rack)}"`;
      rackLabels.set(rack, l);
    }
    return l;
  };
  const deviceLabels = new Map<string, string>();
  const deviceLabel = (m: DeviceModel, withKind: boolean): string => {
    const key = withKind ? `k${m.id}` : `d${m.id}`;
    let l = deviceLabels.get(key);
    if (l === undefined) {
      l = `hall="${labelValue(m.hall ?? '')}",rack="${labelValue(m.rack ?? '')}",device="${labelValue(m.id)}"${withKind ? `,kind="${labelValue(m.kind)}"` : ''}`;
      deviceLabels.set(key, l);
    }
    return l;
  };
  // Site figures too: a prom-client gauge without labels always has a sample (0 after reset), and an
  // unknown PUE or facility power must be absent, never 0.
  const siteFamily = (name: string, help: string, value: (f: ReturnType<Hub['figures']>['site']) => number | null): TextFamily => ({
    name, help, lines: (out) => pushValue(out, name, '', value(hub.figures().site)),
  });
  const textFamilies: TextFamily[] = [
    siteFamily('floorwatch_site_it_power_watts', 'IT power of the whole site (sum of racks)', (f) => f.it_power_w),
    siteFamily('floorwatch_site_facility_power_watts', 'Facility power (site meter, cooling and losses included)', (f) => f.facility_power_w),
    siteFamily('floorwatch_site_pue', 'Power usage effectiveness now: facility power / IT power (ISO/IEC 30134-2)', (f) => f.pue),
    siteFamily('floorwatch_site_pue_24h', 'PUE from energy over the last 24 h: facility kWh / IT kWh', (f) => f.pue_24h),
    siteFamily('floorwatch_site_hashrate_hashes_per_second', 'Mining hashrate of the whole site', (f) => (f.hashrate_ths === null ? null : f.hashrate_ths * 1e12)),
    siteFamily('floorwatch_site_efficiency_joules_per_terahash', 'Fleet efficiency: sum of miner power / sum of hashrate', (f) => f.j_per_th),
    rackFamily('floorwatch_rack_power_watts', 'Rack power: PDU reading, else the sum of its devices', (r) => r.power_w),
    rackFamily('floorwatch_rack_rated_power_watts', 'Rated power of a rack', (r) => r.rated_kw * 1000),
    rackFamily('floorwatch_rack_inlet_temperature_celsius', 'Hottest inlet temperature of a rack', (r) => r.inlet_temp_c),
    rackFamily('floorwatch_rack_hashrate_hashes_per_second', 'Hashrate of the miners in a rack', (r) => (r.hashrate_ths === null ? null : r.hashrate_ths * 1e12)),
    {
      name: 'floorwatch_rack_devices', help: 'Devices of a rack by health state',
      lines(out) {
        for (const r of hub.figures().racks) {
          const l = rackLabel(r.hall, r.id);
          for (const state of ['up', 'degraded', 'down'] as const) out.push(`floorwatch_rack_devices{${l},state="${state}"} ${r.health[state]}`);
        }
      },
    },
    {
      name: 'floorwatch_gpu_utilization_ratio', help: 'GPU utilisation (0–1)',
      lines(out) {
        for (const live of hub.input().devices.values()) {
          if (live.model.kind !== 'gpu') continue;
          const u = live.metrics.util_pct;
          if (u === undefined || u === null) continue;
          pushValue(out, 'floorwatch_gpu_utilization_ratio', deviceLabel(live.model, false), u / 100);
        }
      },
    },
    {
      name: 'floorwatch_device_up', help: '1 while a device answers with fresh readings (degraded included), 0 when it is down (stale or failing)',
      lines(out) {
        const input = hub.input();
        for (const live of input.devices.values()) {
          if (!perDevice && !INFRA_KINDS.has(live.model.kind)) continue;
          out.push(`floorwatch_device_up{${deviceLabel(live.model, true)}} ${isFresh(input, live) ? 1 : 0}`);
        }
      },
    },
    // A PDU's own readings (Redfish, SNMP or pushed), per PDU: bounded by racks like the other infra kinds.
    // Only while the PDU is fresh: a dead PDU's last current is not its current now (floorwatch_device_up says why).
    pduFamily('floorwatch_pdu_power_watts', 'Power a PDU measures on its inputs', 'power_w'),
    pduFamily('floorwatch_pdu_current_amperes', 'Input current of a PDU, summed over its inputs and lines', 'current_a'),
    pduFamily('floorwatch_pdu_max_phase_current_amperes', 'Current of a PDU\'s busiest line or phase (its breaker trips on that)', 'max_phase_current_a'),
    ...economicsFamilies(hub, labelValue),
  ];

  // The PDU ids, once from the static model: a scrape looks up these few instead of walking every device
  // (100,000 at the bench's site) three times.
  const pduIds = [...model.devices.values()].filter((d) => d.kind === 'pdu').map((d) => d.id);
  function pduFamily(name: string, help: string, metric: 'power_w' | 'current_a' | 'max_phase_current_a'): TextFamily {
    return {
      name, help,
      lines(out) {
        const input = hub.input();
        for (const id of pduIds) {
          const live = input.devices.get(id);
          if (live === undefined || !isFresh(input, live)) continue;
          pushValue(out, name, deviceLabel(live.model, false), live.metrics[metric] ?? null);
        }
      },
    };
  }

  function rackFamily(name: string, help: string, value: (r: RackFigures) => number | null): TextFamily {
    return {
      name, help,
      lines(out) {
        for (const r of hub.figures().racks) pushValue(out, name, rackLabel(r.hall, r.id), value(r));
      },
    };
  }

  registerPoolMetrics(registry, hub);

  gauge('floorwatch_alerts_firing', 'Alerts firing now, by rule and severity (shelved ones excluded)', ['alertname', 'severity'], (g) => {
    // One series per rule, zeros included, so a rule that stops firing reads 0 rather than vanishing.
    for (const c of firingCounts?.() ?? []) g.set({ alertname: c.alertname, severity: c.severity }, c.count);
  });

  // Active curtailment events (issue 16), one series per scope; of two events on one scope at once (a
  // posted one inside a recurring window) the later-started one is shown. An unknown figure is no series.
  gauge('floorwatch_curtailment_target_watts', 'Reduction an active curtailment event asks of its scope', ['scope'], (g) => {
    for (const c of hub.curtailments()) if (c.figures.phase === 'active') set(g, { scope: c.scope }, c.figures.target_w);
  });
  gauge('floorwatch_curtailment_achieved_watts', 'Reduction achieved: baseline power - mean power over the last minute', ['scope'], (g) => {
    for (const c of hub.curtailments()) if (c.figures.phase === 'active') set(g, { scope: c.scope }, c.figures.achieved_w);
  });

  // Per Alertmanager, as Prometheus' own prometheus_notifications_* families (alerts, not requests, counted);
  // the notifier keeps the totals, so these are set from them at scrape time. No series without `alerting:`.
  const notificationCounter = (name: string, help: string, read: (s: NotificationStats) => number) =>
    new Counter({
      name, help, labelNames: ['alertmanager'] as const, registers: [registry],
      collect() {
        this.reset();
        for (const s of notifications?.() ?? []) this.inc({ alertmanager: s.alertmanager }, read(s));
      },
    });
  notificationCounter('floorwatch_notifications_sent_total', 'Alerts sent to an Alertmanager', (s) => s.sent);
  notificationCounter('floorwatch_notifications_failed_total', 'Alerts whose sending to an Alertmanager failed (each try counted; retried unless refused)', (s) => s.failed);
  notificationCounter('floorwatch_notifications_dropped_total', 'Alerts dropped before an Alertmanager had them: queue full (oldest first) or refused', (s) => s.dropped);
  gauge('floorwatch_notifications_queue_length', 'Alerts queued for an Alertmanager', ['alertmanager'], (g) => {
    for (const s of notifications?.() ?? []) g.set({ alertmanager: s.alertmanager }, s.queue_length);
  });

  if (remoteWrite) registerRemoteWriteMetrics(registry, remoteWrite);

  const ingestSamples = new Counter({ name: 'floorwatch_ingest_samples_total', help: 'Metric samples accepted and committed', registers: [registry] });
  const ingestRejected = new Counter({ name: 'floorwatch_ingest_rejected_total', help: 'Rejected readings or metrics, by reason', labelNames: ['reason'] as const, registers: [registry] });
  for (const reason of ['malformed', 'unknown_device', 'bad_timestamp', 'unknown_metric', 'bad_value', 'out_of_range'] satisfies RejectReason[]) {
    ingestRejected.inc({ reason }, 0);
  }
  const pollDuration = new Histogram({
    name: 'floorwatch_collector_poll_duration_seconds', help: 'Duration of one device poll, by collector',
    labelNames: ['collector'] as const, buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10], registers: [registry],
  });
  const pollFailures = new Counter({
    name: 'floorwatch_collector_poll_failures_total', help: 'Failed device polls, by collector and reason',
    labelNames: ['collector', 'reason'] as const, registers: [registry],
  });

  const backgroundErrors = new Counter({
    name: 'floorwatch_background_errors_total', help: 'Failed runs of a timer-driven step (tick, retention, alert-state save, rollups), by task',
    labelNames: ['task'] as const, registers: [registry],
  });

  return {
    registry, ingestSamples, ingestRejected, pollDuration, pollFailures, backgroundErrors,
    async render() {
      // prom-client's layout: families apart by a blank line, HELP then TYPE, text ending in a newline.
      const parts = [(await registry.metrics()).trimEnd()];
      for (const f of textFamilies) {
        const out = [`# HELP ${f.name} ${escapeHelp(f.help)}`, `# TYPE ${f.name} gauge`];
        f.lines(out);
        parts.push(out.join('\n'));
      }
      return `${parts.join('\n\n')}\n`;
    },
    contentType: registry.contentType,
  };
}
