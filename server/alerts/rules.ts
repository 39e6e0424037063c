// Alert rules: what a rule is, the figures a rule may read, and the parsing of rules written in config.
// Pure: no I/O. The built-in defaults are in builtin.ts; the engine (engine.ts, step.ts) holds the state. A
// rule is only a description of how to read one value from one target and when that value is bad.

import {
  DEVICE_KINDS,
  METRICS_BY_KIND,
  type AggregateFigures,
  type DeviceKind,
  type DeviceStatus,
  type HallFigures,
  type LinkFigures,
  type LoopFigures,
  type MetricName,
  type PoolFigures,
  type RackFigures,
  type Severity,
  type SiteFigures,
  type SiteModel,
} from '../core/types.js';
import type { OfflineSpan } from '../figures/health.js';

export type Comparison = '>' | '>=' | '<' | '<=';
export const COMPARISONS: readonly Comparison[] = ['>', '>=', '<', '<='];
export const SEVERITIES: readonly Severity[] = ['info', 'warning', 'critical'];
export type ScopeKind = 'device' | 'rack' | 'hall' | 'site' | 'loop' | 'collector' | 'curtailment' | 'pool' | 'link';
export const CONFIG_SCOPES = ['device', 'rack', 'hall', 'site', 'loop'] as const;
export type ConfigScope = (typeof CONFIG_SCOPES)[number];

/** One collector's delivery record, the target of collector-scoped rules. */
export interface CollectorTarget {
  /** collector name ('cgminer', 'dcgm', 'whatsminer_v3', or any name the caller tracks) */
  id: string;
  /** epoch ms of its last successful poll */
  last_ok: number;
  /** its poll interval from the site model (30 s when the model does not know the name) */
  interval_s: number;
}

/** An active curtailment event, the target of CurtailmentShortfall (server/live/curtailments.ts builds them). */
export interface CurtailmentAlertTarget {
  /** the event's id */
  id: string;
  /** 'site', 'hall:ID' or 'rack:ID' */
  scope: string;
  /** achieved ÷ target reduction; null = unknown */
  ratio: number | null;
  /** past its ramp allowance, with a reduction to meet: judged now */
  judged: boolean;
}

/** What every extractor may look at besides its target. */
export interface EvalContext {
  now: number;
  model: SiteModel;
  /** rack or device ids that are deliberately curtailed: low hashrate there is not a fault */
  curtailed: ReadonlySet<string>;
  /** epoch ms of the newest reading site-wide, null = none since the engine started */
  last_reading_at: number | null;
  /** when the engine first evaluated: the age of "no data at all" counts from here */
  started_at: number;
  /** racks with at least RACK_OUTAGE_SHARE of their devices down: one rack alert speaks for them */
  racks_out: ReadonlySet<string>;
  /** spans Floorwatch was not running (restarts): not counted as silence, nor towards a `for` */
  offline?: readonly OfflineSpan[];
}

export interface RuleCommon<T> {
  /** alertname: letters, digits and underscores (a Prometheus label value, and the key's prefix) */
  name: string;
  severity: Severity;
  op: Comparison;
  /** fires when `value op (base + threshold)` holds for `for_ms` */
  threshold: number;
  /** resolves only once `value op (base + clear)` no longer holds (hysteresis); = threshold when none */
  clear: number;
  for_ms: number;
  /**
   * Summary template: {scope} {id} {value} {threshold} {value_pct} {threshold_pct} {detail}.
   * Rendered when a view is built, so it always shows the latest value.
   */
  summary: string;
  /**
   * The value to compare: null = unknown (a missing reading, a figure from inputs not all current). It
   * holds a firing alert rather than resolving it, so a sensor that drops out never clears an alert it
   * raised, and drops a pending one (engine.ts says why).
   */
  value: (target: T, ctx: EvalContext) => number | null;
  /**
   * Per-target base the threshold and clear are offsets from (e.g. a model's temperature limit);
   * null = the rule cannot judge this target (no limit known). Absent = 0.
   */
  base?: (target: T, ctx: EvalContext) => number | null;
  /**
   * false = the rule does not apply to this target right now (curtailed, just booted, device down):
   * any alert of it resolves at once, without waiting for the clear level.
   */
  applies?: (target: T, ctx: EvalContext) => boolean;
  /** extra words for the summary ({detail}), read only when an alert starts or fires */
  detail?: (target: T, ctx: EvalContext) => string | null;
}

export interface DeviceRule extends RuleCommon<DeviceStatus> {
  scope: 'device';
  /** only devices of this kind */
  kind?: DeviceKind;
  /**
   * 'threshold' (default) compares the value; 'change' fires when the value changes to a new non-zero
   * value (a new XID) and resolves `hold_ms` after the last change; `for_ms` and `clear` play no part.
   * The engine's first evaluation after a fresh start (no restored snapshot) only learns current values.
   */
  trigger?: 'threshold' | 'change';
  hold_ms?: number;
}
export interface RackRule extends RuleCommon<RackFigures> { scope: 'rack' }
export interface HallRule extends RuleCommon<HallFigures> { scope: 'hall' }
export interface SiteRule extends RuleCommon<SiteFigures> { scope: 'site' }
export interface LoopRule extends RuleCommon<LoopFigures> { scope: 'loop' }
export interface CollectorRule extends RuleCommon<CollectorTarget> { scope: 'collector' }
export interface CurtailmentRule extends RuleCommon<CurtailmentAlertTarget> { scope: 'curtailment' }

/** One per pool (figures/pools.ts), whatever number of miners use it (issue 19). */
export interface PoolRule extends RuleCommon<PoolFigures> { scope: 'pool' }

/**
 * One per WAN link of `links:`, judged on the site's connectivity figures (figures/connectivity.ts): the
 * latency and loss the wall shows, which are the link's probe's where it names one (issue 19).
 */
export interface LinkRule extends RuleCommon<LinkFigures> { scope: 'link' }

export type AlertRule = DeviceRule | RackRule | HallRule | SiteRule | LoopRule | CollectorRule | CurtailmentRule | PoolRule | LinkRule;

export function compare(value: number, op: Comparison, level: number): boolean {
  switch (op) {
    case '>': return value > level;
    case '>=': return value >= level;
    case '<': return value < level;
    case '<=': return value <= level;
  }
}

// ---------------------------------------------------------------------------------------------------
// Shared by the built-in rules (builtin.ts) and the config rules below.

/** A device metric as a finite number, else null (unknown). */
export function deviceMetric(d: DeviceStatus, name: MetricName): number | null {
  const v = d.metrics[name];
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
}

/** A down device's metrics are its last words: only DeviceDown speaks for it, so the wall shows one alert. */
export const notDown = (d: DeviceStatus): boolean => d.health !== 'down';

/**
 * A rack with at least this share of its devices down (a tripped breaker, a dead switch, a site-wide
 * network cut) raises one RackDevicesDown instead of a DeviceDown per device: 100,000 alerts help nobody.
 */
export const RACK_OUTAGE_SHARE = 0.5;

/** Rack health counts → whether the rack counts as out (at least two devices, most of them down). */
export function rackOut(health: { up: number; degraded: number; down: number }): boolean {
  const total = health.up + health.degraded + health.down;
  return total >= 2 && health.down >= RACK_OUTAGE_SHARE * total;
}

/** Config rules replace built-ins of the same name (so operators can retune a default), others are added. */
export function mergeRules(builtins: readonly AlertRule[], configured: readonly AlertRule[]): AlertRule[] {
  const byName = new Map<string, AlertRule>();
  for (const r of builtins) byName.set(r.name, r);
  for (const r of configured) byName.set(r.name, r);
  return [...byName.values()];
}

// ---------------------------------------------------------------------------------------------------
// Figures a config rule may name, per scope. Booleans read as 0/1, health counts by state.

const AGGREGATE_METRICS = [
  'it_power_w', 'facility_power_w', 'pue', 'pue_24h', 'hashrate_ths', 'nominal_ths', 'hashrate_ratio',
  'j_per_th', 'miners_hashing', 'miners_total', 'gpu_util_pct', 'gpus_busy', 'gpus_idle', 'gpus_total',
  'w_per_gpu', 'worst_inlet_c',
] as const satisfies readonly (keyof AggregateFigures)[];

export const FIGURE_METRICS = {
  rack: [
    'power_w', 'rated_kw', 'headroom_w', 'load_ratio', 'feed_a_w', 'feed_b_w', 'feed_failover_ok',
    'inlet_temp_c', 'outlet_temp_c', 'delta_t_c', 'hashrate_ths', 'nominal_ths', 'hashrate_ratio',
    'gpu_util_pct', 'gpus_busy', 'gpus_idle', 'devices_up', 'devices_degraded', 'devices_down',
  ],
  hall: [...AGGREGATE_METRICS, 'devices_up', 'devices_degraded', 'devices_down'],
  site: [...AGGREGATE_METRICS, 'energy_it_kwh', 'energy_facility_kwh', 'devices_up', 'devices_degraded', 'devices_down'],
  loop: ['supply_temp_c', 'return_temp_c', 'flow_lpm', 'delta_t_c', 'heat_removed_w', 'it_power_w', 'capture_ratio'],
} as const;

type FigureTarget = RackFigures | HallFigures | SiteFigures | LoopFigures;

/** Reads a named figure as a number; health counts and booleans included. */
export function readFigure(target: FigureTarget, name: string): number | null {
  if ('health' in target) {
    if (name === 'devices_up') return target.health.up;
    if (name === 'devices_degraded') return target.health.degraded;
    if (name === 'devices_down') return target.health.down;
  }
  const v: unknown = (target as unknown as Record<string, unknown>)[name];
  if (typeof v === 'number') return Number.isFinite(v) ? v : null;
  if (typeof v === 'boolean') return v ? 1 : 0;
  return null;
}

// ---------------------------------------------------------------------------------------------------
// Config rules.

const DURATION_RE = /^(\d+(?:\.\d+)?)(ms|s|m|h|d)$/;
const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const NAME_RE = /^[A-Za-z_][A-Za-z0-9_]*$/;
const CONFIG_KEYS = new Set(['name', 'severity', 'scope', 'metric', 'op', 'threshold', 'for', 'clear', 'kind', 'summary']);

/** '10m', '90s', '1.5h', '250ms' or a number of seconds; null when it is neither. */
export function parseDurationMs(raw: unknown): number | null {
  if (typeof raw === 'number') return Number.isFinite(raw) && raw >= 0 ? raw * 1000 : null;
  if (typeof raw !== 'string') return null;
  const m = DURATION_RE.exec(raw.trim());
  if (!m) return null;
  return Number(m[1]) * UNIT_MS[m[2]];
}

const ALL_DEVICE_METRICS: ReadonlySet<string> = new Set(Object.values(METRICS_BY_KIND).flat());

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function defaultSummary(scope: ConfigScope, metricName: string, op: Comparison): string {
  const what = scope === 'site' ? 'site' : `${scope} {id}`;
  return `${what} ${metricName} {value} ${op} {threshold}`;
}

/**
 * Parses `alerts.rules` from config. Every problem is reported with its path
 * (`alerts.rules[2].threshold: expected a number`); a rule with any error is left out of `rules`.
 */
export function parseAlertRules(raw: unknown[], path = 'alerts.rules'): { rules: AlertRule[]; errors: string[] } {
  const rules: AlertRule[] = [];
  const errors: string[] = [];
  const seen = new Set<string>();
  raw.forEach((item, i) => {
    const at = `${path}[${i}]`;
    const errs: string[] = [];
    const err = (field: string, msg: string): void => { errs.push(`${at}.${field}: ${msg}`); };
    if (!isRecord(item)) {
      errors.push(`${at}: expected a mapping`);
      return;
    }
    for (const k of Object.keys(item)) if (!CONFIG_KEYS.has(k)) err(k, 'unknown key');

    const name = item.name;
    if (typeof name !== 'string' || !NAME_RE.test(name)) err('name', 'expected a name of letters, digits and _');
    else if (seen.has(name)) err('name', `duplicate rule name ${name}`);
    else seen.add(name);

    let severity: Severity = 'warning';
    if (item.severity !== undefined) {
      if (typeof item.severity === 'string' && (SEVERITIES as readonly string[]).includes(item.severity)) {
        severity = item.severity as Severity;
      } else err('severity', `expected one of ${SEVERITIES.join(', ')}`);
    }

    const scope = item.scope;
    const scopeOk = typeof scope === 'string' && (CONFIG_SCOPES as readonly string[]).includes(scope);
    if (!scopeOk) err('scope', `expected one of ${CONFIG_SCOPES.join(', ')}`);

    let kind: DeviceKind | undefined;
    if (item.kind !== undefined) {
      if (scope !== 'device') err('kind', 'only a device rule takes a kind');
      else if (typeof item.kind === 'string' && (DEVICE_KINDS as readonly string[]).includes(item.kind)) {
        kind = item.kind as DeviceKind;
      } else err('kind', `expected one of ${DEVICE_KINDS.join(', ')}`);
    }

    const metricName = item.metric;
    if (typeof metricName !== 'string') err('metric', 'expected a metric name');
    else if (scopeOk) {
      if (scope === 'device') {
        const allowed: ReadonlySet<string> = kind ? new Set<string>(METRICS_BY_KIND[kind]) : ALL_DEVICE_METRICS;
        if (!allowed.has(metricName)) err('metric', `unknown ${kind ?? 'device'} metric ${metricName}`);
      } else {
        const allowed: readonly string[] = FIGURE_METRICS[scope as Exclude<ConfigScope, 'device'>];
        if (!allowed.includes(metricName)) err('metric', `unknown ${scope} figure ${metricName}`);
      }
    }

    const op = item.op;
    const opOk = typeof op === 'string' && (COMPARISONS as readonly string[]).includes(op);
    if (!opOk) err('op', `expected one of ${COMPARISONS.join(' ')}`);

    const threshold = item.threshold;
    const thresholdOk = typeof threshold === 'number' && Number.isFinite(threshold);
    if (!thresholdOk) err('threshold', 'expected a number');

    let clear = thresholdOk ? threshold : 0;
    if (item.clear !== undefined) {
      if (typeof item.clear !== 'number' || !Number.isFinite(item.clear)) err('clear', 'expected a number');
      else {
        clear = item.clear;
        // Hysteresis only makes sense on the safe side of the threshold.
        if (thresholdOk && opOk) {
          const above = op === '>' || op === '>=';
          if (above && clear > threshold) err('clear', `must not be above threshold ${threshold} for ${op}`);
          if (!above && clear < threshold) err('clear', `must not be below threshold ${threshold} for ${op}`);
        }
      }
    }

    let forMs = 0;
    if (item.for !== undefined) {
      const d = parseDurationMs(item.for);
      if (d === null) err('for', "expected a duration like '10m', '30s', '2h' or a number of seconds");
      else forMs = d;
    }

    let summary: string | undefined;
    if (item.summary !== undefined) {
      if (typeof item.summary === 'string') summary = item.summary;
      else err('summary', 'expected a string');
    }

    if (errs.length > 0) {
      errors.push(...errs);
      return;
    }
    const common = {
      name: name as string, severity, op: op as Comparison, threshold: threshold as number, clear, for_ms: forMs,
      summary: summary ?? defaultSummary(scope as ConfigScope, metricName as string, op as Comparison),
    };
    const m = metricName as string;
    switch (scope as ConfigScope) {
      case 'device': {
        const dm = m as MetricName;
        rules.push({
          ...common, scope: 'device', ...(kind ? { kind } : {}),
          applies: notDown,
          value: (d: DeviceStatus) => deviceMetric(d, dm),
        });
        break;
      }
      case 'rack': rules.push({ ...common, scope: 'rack', value: (t: RackFigures) => readFigure(t, m) }); break;
      case 'hall': rules.push({ ...common, scope: 'hall', value: (t: HallFigures) => readFigure(t, m) }); break;
      case 'site': rules.push({ ...common, scope: 'site', value: (t: SiteFigures) => readFigure(t, m) }); break;
      case 'loop': rules.push({ ...common, scope: 'loop', value: (t: LoopFigures) => readFigure(t, m) }); break;
    }
  });
  return { rules, errors };
}
