// The built-in alert rules, the defaults operators expect (issue 5). Each is a description of how to read
// one value from one target and when that value is bad; thresholds shared with the figures and the wall
// come from server/figures/bands.ts. Pure: no I/O. Config rules replace these by name (rules.ts mergeRules).

import type { DeviceStatus } from '../core/types.js';
import { effectiveFigures, type EffectiveFigures } from '../core/catalogue.js';
import {
  ASHRAE_A1_ALLOWABLE_MAX_C, ASHRAE_RECOMMENDED_MAX_C, HASHRATE_LOW_RATIO, HASHRATE_WARMUP_S, RACK_CONTINUOUS_LOAD_FRACTION,
  TEMP_NEAR_LIMIT_C,
} from '../figures/bands.js';
import { NOT_HASHING, runningAgeMs } from '../figures/health.js';
import { allPoolsDead } from '../figures/pools.js';
import { poolRules } from './pool-rules.js';
import { connectivityRules } from './connectivity.js';
import { RACK_OUTAGE_SHARE, deviceMetric, notDown, type AlertRule, type EvalContext } from './rules.js';

const MINUTE_MS = 60_000;

export interface DefaultRuleOptions {
  /** DataStale fires after this long without any reading site-wide (default 60 s) */
  stale_after_s?: number;
  /** CollectorStalled fires after this many poll intervals without a good poll (default 3) */
  collector_missed_polls?: number;
  /** CurtailmentShortfall fires after this long below 90 % of the target (default 5 min; config curtailment.shortfall_for_s) */
  curtailment_shortfall_for_ms?: number;
}

/** A device or its rack inside an active curtailment event: not hashing, or off, is what was asked. */
const curtailed = (d: DeviceStatus, ctx: EvalContext): boolean =>
  ctx.curtailed.size > 0 && (ctx.curtailed.has(d.id) || (d.rack !== undefined && ctx.curtailed.has(d.rack)));

/**
 * The device's nameplate figures: its own overrides, else its model's catalogue entry. The model the site
 * model names wins; the status's model stands in when the site model names none. The tick's statuses
 * carry them resolved (`nameplate`, from the site index): the lookup by id below was 14 % of the tick.
 */
function figuresOf(d: DeviceStatus, ctx: EvalContext): EffectiveFigures {
  if (d.nameplate !== undefined) return d.nameplate;
  const dm = ctx.model.devices.get(d.id);
  const model = dm?.model ?? d.model;
  return effectiveFigures(ctx.model.catalogue, dm !== undefined && dm.model === model ? dm : { ...dm, model });
}

function maxTempOf(d: DeviceStatus, ctx: EvalContext): number | null {
  return figuresOf(d, ctx).max_temp_c;
}

export function defaultRules(opts: DefaultRuleOptions = {}): AlertRule[] {
  const staleAfterS = opts.stale_after_s ?? 60;
  const missedPolls = opts.collector_missed_polls ?? 3;
  const rules: AlertRule[] = [
    {
      name: 'DeviceDown', scope: 'device', severity: 'critical',
      // 1 min: one missed poll or a reboot is not worth waking anyone; the device stays "down" on the wall meanwhile.
      op: '>=', threshold: 1, clear: 1, for_ms: MINUTE_MS,
      // A miner switched off by a curtailment event is curtailed, not down (its rack's PDU and sensors still count).
      applies: (d, ctx) => (d.rack === undefined || !ctx.racks_out.has(d.rack)) && !(d.kind === 'asic' && curtailed(d, ctx)),
      value: (d) => (d.health === 'down' ? 1 : 0),
      detail: (d) => d.reason ?? null,
      summary: '{id} is down ({detail})',
    },
    {
      name: 'MinerHashrateLow', scope: 'device', kind: 'asic', severity: 'warning',
      // Judged only once a miner has warmed up (30 min) and while nobody has curtailed it on purpose.
      op: '<', threshold: HASHRATE_LOW_RATIO, clear: 0.85, for_ms: 10 * MINUTE_MS,
      applies: (d, ctx) => {
        if (d.health === 'down') return false;
        // A miner at 0 is MinerNotHashing's, under the same words its health shows.
        if ((deviceMetric(d, 'hashrate_ths') ?? 0) <= 0) return false;
        if (curtailed(d, ctx)) return false;
        // Unknown uptime is judged anyway: a firmware that omits it must not silence the alert for good.
        const up = deviceMetric(d, 'uptime_s');
        return up === null || up >= HASHRATE_WARMUP_S;
      },
      value: (d, ctx) => {
        const ths = deviceMetric(d, 'hashrate_ths');
        // the catalogue's or config's nominal, else the nameplate the firmware states (as the health does)
        const nominal = figuresOf(d, ctx).nominal_ths ?? deviceMetric(d, 'nameplate_ths');
        return ths === null || nominal === null || nominal <= 0 ? null : ths / nominal;
      },
      summary: '{id} hashing at {value_pct} of nominal (below {threshold_pct})',
    },
    {
      // Driven by the device's own reason, so the alert and the device API say the same from pending on.
      name: 'MinerNotHashing', scope: 'device', kind: 'asic', severity: 'warning',
      op: '>=', threshold: 1, clear: 1, for_ms: 2 * MINUTE_MS,
      // A miner whose every pool is dead is not at fault: PoolDead speaks for all of them at once (issue 19).
      applies: (d, ctx) => d.health !== 'down' && !curtailed(d, ctx) && !allPoolsDead(d.pools),
      value: (d) => (d.reason !== undefined && d.reason.split(', ').includes(NOT_HASHING) ? 1 : 0),
      detail: (d) => d.reason ?? null,
      summary: '{id} answers but is not hashing ({detail})',
    },
    {
      name: 'MinerChainsDown', scope: 'device', kind: 'asic', severity: 'warning',
      op: '>', threshold: 0, clear: 0, for_ms: 2 * MINUTE_MS,
      applies: notDown,
      value: (d) => {
        const ok = deviceMetric(d, 'chains_ok');
        const total = deviceMetric(d, 'chains_total');
        return ok === null || total === null ? null : total - ok;
      },
      summary: '{id} has {value} hash chain(s) down',
    },
    {
      name: 'ChipTempNearLimit', scope: 'device', kind: 'asic', severity: 'warning',
      // Fires within TEMP_NEAR_LIMIT_C (5 °C) of the model's limit, clears once 8 °C below it.
      op: '>=', threshold: -TEMP_NEAR_LIMIT_C, clear: -8, for_ms: 2 * MINUTE_MS,
      applies: notDown,
      base: maxTempOf,
      value: (d) => deviceMetric(d, 'chip_temp_c'),
      summary: '{id} chip at {value} °C, limit {detail}',
      detail: (d, ctx) => { const m = maxTempOf(d, ctx); return m === null ? null : `${m} °C`; },
    },
    {
      name: 'GpuTempNearLimit', scope: 'device', kind: 'gpu', severity: 'warning',
      op: '>=', threshold: -TEMP_NEAR_LIMIT_C, clear: -8, for_ms: 2 * MINUTE_MS,
      applies: notDown,
      base: maxTempOf,
      value: (d) => deviceMetric(d, 'temp_c'),
      summary: '{id} GPU at {value} °C, limit {detail}',
      detail: (d, ctx) => { const m = maxTempOf(d, ctx); return m === null ? null : `${m} °C`; },
    },
    {
      name: 'GpuThermalThrottle', scope: 'device', kind: 'gpu', severity: 'warning',
      op: '>=', threshold: 1, clear: 1, for_ms: MINUTE_MS,
      applies: notDown,
      value: (d) => deviceMetric(d, 'throttle_thermal'),
      summary: '{id} is thermally throttling',
    },
    {
      // Power capping under full load is routine for a few seconds; only a sustained cap is worth a look.
      name: 'GpuPowerThrottle', scope: 'device', kind: 'gpu', severity: 'info',
      op: '>=', threshold: 1, clear: 1, for_ms: 10 * MINUTE_MS,
      applies: notDown,
      value: (d) => deviceMetric(d, 'throttle_power'),
      summary: '{id} is power throttling',
    },
    {
      // DCGM reports the last XID and keeps it: the alert is about a change to a new one, not its presence.
      name: 'GpuXidError', scope: 'device', kind: 'gpu', severity: 'warning',
      trigger: 'change', hold_ms: 30 * MINUTE_MS,
      op: '>', threshold: 0, clear: 0, for_ms: 0,
      value: (d) => deviceMetric(d, 'xid_last'),
      summary: '{id} reported XID {value}',
    },
    {
      name: 'RackInletWarm', scope: 'rack', severity: 'warning',
      // ASHRAE TC 9.9 recommended band tops out at 27 °C.
      op: '>', threshold: ASHRAE_RECOMMENDED_MAX_C, clear: 26, for_ms: 5 * MINUTE_MS,
      value: (r) => r.inlet_temp_c,
      summary: 'rack {id} inlet {value} °C, above {threshold} °C',
    },
    {
      name: 'RackInletHot', scope: 'rack', severity: 'critical',
      // ...and the class A1 allowable one at 32 °C.
      op: '>', threshold: ASHRAE_A1_ALLOWABLE_MAX_C, clear: 31, for_ms: 2 * MINUTE_MS,
      value: (r) => r.inlet_temp_c,
      summary: 'rack {id} inlet {value} °C, above {threshold} °C',
    },
    {
      name: 'RackDevicesDown', scope: 'rack', severity: 'critical',
      op: '>=', threshold: RACK_OUTAGE_SHARE, clear: RACK_OUTAGE_SHARE, for_ms: MINUTE_MS,
      // A mining rack switched off for a curtailment event is doing what was asked.
      applies: (r, ctx) => !ctx.curtailed.has(r.id),
      value: (r) => {
        const total = r.health.up + r.health.degraded + r.health.down;
        return total < 2 ? null : r.health.down / total;
      },
      summary: 'rack {id}: {value_pct} of its devices down',
    },
    {
      name: 'RackPowerHigh', scope: 'rack', severity: 'warning',
      // The 80 % continuous-load budget the figures' headroom is measured to.
      op: '>', threshold: RACK_CONTINUOUS_LOAD_FRACTION, clear: 0.75, for_ms: 5 * MINUTE_MS,
      value: (r) => r.load_ratio,
      summary: 'rack {id} drawing {value_pct} of rated power (above {threshold_pct})',
    },
    {
      name: 'RackFeedNoFailover', scope: 'rack', severity: 'warning',
      op: '>=', threshold: 1, clear: 1, for_ms: 5 * MINUTE_MS,
      value: (r) => (r.feed_failover_ok === null ? null : r.feed_failover_ok ? 0 : 1),
      summary: 'rack {id}: one feed alone could not carry its load',
    },
    {
      name: 'LoopDeltaTHigh', scope: 'loop', severity: 'warning',
      op: '>', threshold: 15, clear: 12, for_ms: 5 * MINUTE_MS,
      value: (l) => l.delta_t_c,
      summary: 'loop {id} ΔT {value} °C, above {threshold} °C (flow too low for the load)',
    },
    {
      // A loop carrying IT load with almost no ΔT is bypassing or has a failed sensor; idle loops are fine.
      name: 'LoopDeltaTLow', scope: 'loop', severity: 'info',
      op: '<', threshold: 1, clear: 2, for_ms: 10 * MINUTE_MS,
      applies: (l) => l.it_power_w !== null && l.it_power_w > 0,
      value: (l) => l.delta_t_c,
      summary: 'loop {id} ΔT only {value} °C under load',
    },
    {
      // The model carries no per-loop design flow, so the built-in catches a stopped pump; tighter bands go in config.
      name: 'LoopFlowLow', scope: 'loop', severity: 'critical',
      op: '<', threshold: 1, clear: 5, for_ms: MINUTE_MS,
      value: (l) => l.flow_lpm,
      summary: 'loop {id} flow {value} L/min',
    },
    {
      name: 'PueAboveTarget', scope: 'site', severity: 'info',
      op: '>', threshold: 0, clear: -0.02, for_ms: 30 * MINUTE_MS,
      base: (_s, ctx) => (ctx.model.pue_target > 0 ? ctx.model.pue_target : null),
      value: (s) => s.pue,
      summary: 'site PUE {value}, above target {threshold}',
    },
    {
      name: 'CollectorStalled', scope: 'collector', severity: 'critical',
      op: '>=', threshold: missedPolls, clear: 1, for_ms: 0,
      value: (c, ctx) => (ctx.now - c.last_ok) / 1000 / c.interval_s,
      summary: 'collector {id} has delivered nothing for {value} poll intervals',
    },
    {
      name: 'DataStale', scope: 'site', severity: 'critical',
      op: '>=', threshold: staleAfterS, clear: staleAfterS, for_ms: 0,
      value: (_s, ctx) => runningAgeMs(ctx.now, ctx.last_reading_at ?? ctx.started_at, ctx.offline) / 1000,
      summary: 'DATA STALE: no reading from anywhere for {value} s',
    },
    {
      // Issue 16: below 90 % of the reduction asked for 5 min, once the ramp allowance after the start is over.
      name: 'CurtailmentShortfall', scope: 'curtailment', severity: 'warning',
      op: '<', threshold: 0.9, clear: 0.9, for_ms: opts.curtailment_shortfall_for_ms ?? 5 * MINUTE_MS,
      applies: (c) => c.judged,
      value: (c) => c.ratio,
      detail: (c) => c.scope,
      summary: 'curtailment on {detail} achieving {value_pct} of its target (below {threshold_pct})',
    },
    ...poolRules(),
    ...connectivityRules(),
  ];
  return rules;
}
