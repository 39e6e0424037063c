// The alert state machine: per (rule, scope id), pending (since) → firing (fired_at) → resolved (resolved_at),
// with the rule's `for` duration and clear level (hysteresis), flapping suppression, acknowledgement and
// shelving by operators, and a plain-JSON snapshot the server persists. Pure: no I/O, time comes in `now`.
//
// Cost: evaluate() visits every device once, and only the rules of its kind; a device that is fine and has no
// alert state costs its extractor calls and one Map lookup per rule, nothing allocated. State exists only for
// keys that are pending, firing, or resolved recently enough to count towards flapping.
//
// Flapping: a key that has gone to firing `flap_max_fires` times (default 3) within `flap_window_ms` (30 min)
// is flapping. Its latest firing then does not resolve when the value clears; it resolves only once the value
// has stayed past the clear level for `flap_hold_ms` (10 min) without a break. So a key sends at most
// flap_max_fires firing notifications per window, and the wall shows one steady alert marked `flapping`.
//
// Unknown values (null: a reading the device did not give, a figure whose inputs are not all current):
// - a pending alert is dropped, as Prometheus drops a pending alert whose expression returns no sample
//   (rules/alerting.go): "bad for `for`" cannot be claimed over time nobody could see, and a PueAboveTarget
//   kept pending through an outage fired the moment a half-site value came back. `for` starts over once
//   the value is known and bad again.
// - a firing alert holds (Prometheus would resolve it, unless keep_firing_for holds it): a sensor or meter
//   that drops out is not a recovery, and the dropout raises its own alerts (DeviceDown, DataStale).
// A target that disappears (no longer in the figures or device list) resolves its alerts; so does one the
// rule stops applying to (curtailed, device down, no model limit known).
//
// The modules: step.ts holds a key's state and its transitions, snapshot.ts the persisted form; this file
// holds the rule slots, one evaluation's walk over the targets, and the operators' actions.

import {
  DEVICE_KINDS,
  type DeviceKind,
  type DeviceStatus,
  type Figures,
  type Severity,
  type SiteModel,
} from '../core/types.js';
import { rackOut, type AlertRule, type CollectorTarget, type CurtailmentAlertTarget, type DeviceRule, type EvalContext } from './rules.js';
import { stepChange, stepThreshold, sweep, viewOf, type AlertState, type EngineAlertView, type KeyState, type RuleSlot } from './step.js';
import { restoreInto, snapshotOf, type AlertEngineSnapshot } from './snapshot.js';

export type DeviceSource = Iterable<DeviceStatus> | ((visit: (d: DeviceStatus) => void) => void);

export interface AlertInput {
  now: number;
  figures: Figures;
  devices: DeviceSource;
  model: SiteModel;
  /** collector name → epoch ms of its last successful poll */
  collectorsLastOk?: ReadonlyMap<string, number>;
  /** rack or device ids curtailed on purpose (low hashrate there is expected) */
  curtailed?: ReadonlySet<string>;
  /** active curtailment events, judged by curtailment-scoped rules (CurtailmentShortfall) */
  curtailments?: readonly CurtailmentAlertTarget[];
  /** newest reading site-wide; computed from the devices' last_seen when not given */
  lastReadingAt?: number | null;
  /**
   * Spans Floorwatch was not running (restarts): a `for` counts only running time, so a pending alert
   * restored after a restart still waits out the rest of its duration instead of firing at once.
   */
  offline?: readonly { from: number; to: number }[];
}

export interface AlertEngineOptions {
  flap_window_ms?: number;
  flap_max_fires?: number;
  flap_hold_ms?: number;
  /** resolved alerts kept for recent() */
  recent_max?: number;
}

export interface FiringCount {
  alertname: string;
  severity: Severity;
  count: number;
}

export interface AlertEngine {
  readonly rules: readonly AlertRule[];
  /**
   * Advances every rule to `input.now`; returns the alerts whose state changed, in their new state. A pending
   * alert whose value recovered before its `for` comes back as 'resolved' with fired_at null (so clients drop
   * it) and is not kept in recent().
   */
  evaluate(input: AlertInput): EngineAlertView[];
  /** pending and firing alerts, worst first (critical > warning > info), then oldest first */
  active(): EngineAlertView[];
  /** resolved alerts, newest first, bounded */
  recent(): EngineAlertView[];
  get(key: string): EngineAlertView | null;
  /** null when no pending or firing alert has this key */
  acknowledge(key: string, by: string, note: string, now: number): EngineAlertView | null;
  /** Silences an active alert's key until `until` (across re-firings); null when not active or until ≤ now. */
  shelve(key: string, until: number, by: string, note: string, now: number): EngineAlertView | null;
  unshelve(key: string): boolean;
  /** firing alerts per rule that are not shelved, one row per rule (zeros included) for /metrics */
  firingCounts(now?: number): FiringCount[];
  snapshot(): AlertEngineSnapshot;
  /** Replaces the state with a snapshot's; states of rules that no longer exist are dropped. */
  restore(snapshot: unknown): void;
}

const SEVERITY_RANK: Record<Severity, number> = { critical: 0, warning: 1, info: 2 };

type RuleOfScope<S extends AlertRule['scope']> = Extract<AlertRule, { scope: S }>;

/** The slots of one scope, typed by it: a rack rule's slot reads RackFigures, a device rule's DeviceStatus. */
function slotsOf<S extends AlertRule['scope']>(slots: readonly RuleSlot[], scope: S): RuleSlot<RuleOfScope<S>>[] {
  return slots.filter((s): s is RuleSlot<RuleOfScope<S>> => s.rule.scope === scope);
}

export function createAlertEngine(rules: readonly AlertRule[], opts: AlertEngineOptions = {}): AlertEngine {
  const state: AlertState = {
    flapWindowMs: opts.flap_window_ms ?? 30 * 60_000,
    flapMaxFires: opts.flap_max_fires ?? 3,
    flapHoldMs: opts.flap_hold_ms ?? 10 * 60_000,
    recentMax: opts.recent_max ?? 200,
    byKey: new Map<string, KeyState>(),
    shelves: new Map(),
    recent: [],
    seq: 0,
    startedAt: null,
    baselined: false,
    lastNow: 0,
  };

  const names = new Set<string>();
  for (const r of rules) {
    if (names.has(r.name)) throw new Error(`alert rule ${r.name} defined twice`);
    names.add(r.name);
  }

  const slots: RuleSlot[] = rules.map((rule) => ({
    rule,
    states: new Map(),
    memory: rule.scope === 'device' && rule.trigger === 'change' ? new Map() : null,
  }));
  const slotByName = new Map(slots.map((s) => [s.rule.name, s]));
  // Device rules by kind, so a device only meets the rules that can concern it.
  const deviceSlotsByKind = new Map<DeviceKind, RuleSlot<DeviceRule>[]>();
  const deviceSlots = slotsOf(slots, 'device');
  const rackSlots = slotsOf(slots, 'rack');
  const hallSlots = slotsOf(slots, 'hall');
  const siteSlots = slotsOf(slots, 'site');
  const loopSlots = slotsOf(slots, 'loop');
  const collectorSlots = slotsOf(slots, 'collector');
  const curtailmentSlots = slotsOf(slots, 'curtailment');
  const poolSlots = slotsOf(slots, 'pool');
  const linkSlots = slotsOf(slots, 'link');
  for (const s of deviceSlots) {
    const kind = s.rule.kind;
    const kinds: readonly DeviceKind[] = kind ? [kind] : DEVICE_KINDS;
    for (const k of kinds) {
      const list = deviceSlotsByKind.get(k) ?? [];
      list.push(s);
      deviceSlotsByKind.set(k, list);
    }
  }

  function visitDevice(d: DeviceStatus, ctx: EvalContext, changes: EngineAlertView[]): void {
    const list = deviceSlotsByKind.get(d.kind);
    if (!list) return;
    for (let i = 0; i < list.length; i++) {
      const slot = list[i];
      if (slot.memory) stepChange(state, slot, slot.memory, d, ctx, changes);
      else stepThreshold(state, slot, d.id, d, ctx, changes);
    }
  }

  function evaluate(input: AlertInput): EngineAlertView[] {
    const now = input.now;
    state.seq++;
    state.lastNow = now;
    state.startedAt ??= now;
    const changes: EngineAlertView[] = [];
    const curtailed = input.curtailed ?? new Set<string>();
    // A curtailed rack's switched-off miners do not make it "out": its PDU and sensors keep their own DeviceDown.
    const racksOut = new Set<string>();
    for (const r of input.figures.racks) if (rackOut(r.health) && !curtailed.has(r.id)) racksOut.add(r.id);
    const ctx: EvalContext = {
      now,
      model: input.model,
      curtailed,
      last_reading_at: input.lastReadingAt ?? null,
      started_at: state.startedAt,
      racks_out: racksOut,
      offline: input.offline,
    };
    const findLast = input.lastReadingAt === undefined;
    let newest: number | null = null;
    const visit = (d: DeviceStatus): void => {
      if (findLast && d.last_seen !== null && (newest === null || d.last_seen > newest)) newest = d.last_seen;
      visitDevice(d, ctx, changes);
    };
    if (typeof input.devices === 'function') input.devices(visit);
    else for (const d of input.devices) visit(d);
    if (findLast) ctx.last_reading_at = newest;

    const f = input.figures;
    for (const slot of rackSlots) for (const r of f.racks) stepThreshold(state, slot, r.id, r, ctx, changes);
    for (const slot of hallSlots) for (const h of f.halls) stepThreshold(state, slot, h.id, h, ctx, changes);
    for (const slot of siteSlots) stepThreshold(state, slot, 'site', f.site, ctx, changes);
    for (const slot of loopSlots) for (const l of f.loops) stepThreshold(state, slot, l.id, l, ctx, changes);
    for (const slot of poolSlots) for (const p of f.pools ?? []) stepThreshold(state, slot, p.id, p, ctx, changes);
    for (const slot of linkSlots) for (const l of f.site.connectivity?.links ?? []) stepThreshold(state, slot, l.id, l, ctx, changes);
    if (collectorSlots.length > 0 && input.collectorsLastOk) {
      // a collector the model has no settings for (a hand-built model) is judged on the 30 s default
      const settings: Readonly<Record<string, { interval_s: number } | undefined>> = input.model.collectors;
      for (const [id, last_ok] of input.collectorsLastOk) {
        const target: CollectorTarget = { id, last_ok, interval_s: settings[id]?.interval_s ?? 30 };
        for (const slot of collectorSlots) stepThreshold(state, slot, id, target, ctx, changes);
      }
    }
    for (const slot of curtailmentSlots) for (const c of input.curtailments ?? []) stepThreshold(state, slot, c.id, c, ctx, changes);
    sweep(state, slots, now, changes);
    state.baselined = true;
    return changes;
  }

  function active(): EngineAlertView[] {
    const out: KeyState[] = [];
    for (const st of state.byKey.values()) if (st.phase !== 'resolved') out.push(st);
    out.sort((a, b) =>
      SEVERITY_RANK[a.rule.severity] - SEVERITY_RANK[b.rule.severity] || a.since - b.since || (a.key < b.key ? -1 : 1));
    return out.map((st) => viewOf(state, st));
  }

  function activeState(key: string): KeyState | null {
    const st = state.byKey.get(key);
    return st && st.phase !== 'resolved' ? st : null;
  }

  function firingCounts(now = state.lastNow): FiringCount[] {
    const counts = new Map<string, number>();
    for (const st of state.byKey.values()) {
      if (st.phase !== 'firing') continue;
      const sh = state.shelves.get(st.key);
      if (sh && sh.until > now) continue;
      counts.set(st.rule.name, (counts.get(st.rule.name) ?? 0) + 1);
    }
    return rules.map((r) => ({ alertname: r.name, severity: r.severity, count: counts.get(r.name) ?? 0 }));
  }

  return {
    rules,
    evaluate,
    active,
    recent: () => state.recent.slice(),
    get: (key) => {
      const st = state.byKey.get(key);
      return st ? viewOf(state, st) : (state.recent.find((v) => v.key === key) ?? null);
    },
    acknowledge(key, by, note, now) {
      const st = activeState(key);
      if (!st) return null;
      st.ack = { by, note, at: now };
      return viewOf(state, st);
    },
    shelve(key, until, by, note, now) {
      const st = activeState(key);
      if (!st || until <= now) return null;
      state.shelves.set(key, { by, note, at: now, until });
      // viewOf compares against the last evaluation's clock; an operator acting later must see their shelve.
      if (now > state.lastNow) state.lastNow = now;
      return viewOf(state, st);
    },
    unshelve: (key) => state.shelves.delete(key),
    firingCounts,
    snapshot: () => snapshotOf(state, slots),
    restore: (raw) => restoreInto(state, slots, slotByName, raw),
  };
}
