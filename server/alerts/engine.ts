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

import type {
  AlertView,
  DeviceKind,
  DeviceStatus,
  Figures,
  Severity,
  SiteModel,
} from '../core/types.js';
import { compare, rackOut, type AlertRule, type CollectorTarget, type DeviceRule, type EvalContext } from './rules.js';
import { runningAgeMs } from '../figures/health.js';

export interface ShelveInfo {
  by: string;
  note: string;
  at: number;
  until: number;
}

/** An AlertView with what the engine adds: the shelve's who/why, and whether flapping is holding it. */
export interface EngineAlertView extends AlertView {
  shelved?: ShelveInfo;
  flapping?: boolean;
}

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

type Phase = 'pending' | 'firing' | 'resolved';

interface KeyState {
  rule: AlertRule;
  id: string;
  scope: string;
  key: string;
  phase: Phase;
  since: number;
  fired_at: number | null;
  resolved_at: number | null;
  value: number | null;
  level: number | null;
  detail: string | null;
  /** evaluation number that last saw this key's target */
  seen: number;
  /** times this key went to firing, within the flap window */
  fires: number[];
  /** while held by flapping suppression: since when the value has been clear */
  clear_since: number | null;
  flapping: boolean;
  ack: { by: string; note: string; at: number } | null;
  /** change-trigger rules: when the value last changed to a new bad value */
  changed_at: number | null;
}

/** A key's state as saved: the live state less what is rebuilt on restore (scope, key, seen), by rule name. */
type StoredState = Omit<KeyState, 'rule' | 'scope' | 'key' | 'seen'> & { rule: string };

export interface AlertEngineSnapshot {
  version: 1;
  started_at: number | null;
  baselined: boolean;
  states: StoredState[];
  shelves: ({ key: string } & ShelveInfo)[];
  /** change-trigger rules' last non-zero value per target */
  memory: { rule: string; values: [string, number][] }[];
  recent: EngineAlertView[];
}

const SEVERITY_RANK: Record<Severity, number> = { critical: 0, warning: 1, info: 2 };

interface RuleSlot {
  rule: AlertRule;
  states: Map<string, KeyState>;
  /** change-trigger memory: target id → last non-zero value (absent = 0 or never seen) */
  memory: Map<string, number> | null;
}

function scopeOf(rule: AlertRule, id: string): string {
  return rule.scope === 'site' ? 'site' : `${rule.scope}:${id}`;
}

function fmt(v: number | null): string {
  if (v === null) return '?';
  return String(Math.round(v * 100) / 100);
}

function fmtPct(v: number | null): string {
  if (v === null) return '?';
  return `${Math.round(v * 1000) / 10} %`;
}

function render(st: KeyState): string {
  return st.rule.summary.replace(/\{(scope|id|value|threshold|value_pct|threshold_pct|detail)\}/g, (_m, k: string) => {
    switch (k) {
      case 'scope': return st.scope;
      case 'id': return st.id;
      case 'value': return fmt(st.value);
      case 'threshold': return fmt(st.level);
      case 'value_pct': return fmtPct(st.value);
      case 'threshold_pct': return fmtPct(st.level);
      default: return st.detail ?? 'unknown';
    }
  });
}

export function createAlertEngine(rules: readonly AlertRule[], opts: AlertEngineOptions = {}): AlertEngine {
  const flapWindowMs = opts.flap_window_ms ?? 30 * 60_000;
  const flapMaxFires = opts.flap_max_fires ?? 3;
  const flapHoldMs = opts.flap_hold_ms ?? 10 * 60_000;
  const recentMax = opts.recent_max ?? 200;

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
  const deviceSlotsByKind = new Map<DeviceKind, RuleSlot[]>();
  const slotsOf = (scope: AlertRule['scope']): RuleSlot[] => slots.filter((s) => s.rule.scope === scope);
  const deviceSlots = slotsOf('device');
  const rackSlots = slotsOf('rack');
  const hallSlots = slotsOf('hall');
  const siteSlots = slotsOf('site');
  const loopSlots = slotsOf('loop');
  const collectorSlots = slotsOf('collector');
  for (const s of deviceSlots) {
    const kind = (s.rule as DeviceRule).kind;
    const kinds: DeviceKind[] = kind ? [kind] : ['asic', 'gpu', 'env', 'pdu', 'cooling_loop', 'meter'];
    for (const k of kinds) {
      const list = deviceSlotsByKind.get(k) ?? [];
      list.push(s);
      deviceSlotsByKind.set(k, list);
    }
  }

  const byKey = new Map<string, KeyState>();
  const shelves = new Map<string, ShelveInfo>();
  let recentList: EngineAlertView[] = [];
  let seq = 0;
  let startedAt: number | null = null;
  let baselined = false;
  let lastNow = 0;

  function viewOf(st: KeyState): EngineAlertView {
    const v: EngineAlertView = {
      key: st.key,
      alertname: st.rule.name,
      severity: st.rule.severity,
      scope: st.scope,
      state: st.phase,
      summary: render(st),
      value: st.value,
      threshold: st.level,
      since: st.since,
      fired_at: st.fired_at,
      resolved_at: st.resolved_at,
    };
    if (st.ack) v.acknowledged = { ...st.ack };
    const sh = shelves.get(st.key);
    if (sh && sh.until > lastNow && st.phase !== 'resolved') {
      v.shelved_until = sh.until;
      v.shelved = { ...sh };
    }
    if (st.flapping) v.flapping = true;
    return v;
  }

  function newState(slot: RuleSlot, id: string): KeyState {
    const scope = scopeOf(slot.rule, id);
    const st: KeyState = {
      rule: slot.rule, id, scope, key: `${slot.rule.name}:${scope}`, phase: 'resolved',
      since: 0, fired_at: null, resolved_at: null, value: null, level: null, detail: null, seen: seq,
      fires: [], clear_since: null, flapping: false, ack: null, changed_at: null,
    };
    slot.states.set(id, st);
    byKey.set(st.key, st);
    return st;
  }

  function forget(slot: RuleSlot, st: KeyState): void {
    slot.states.delete(st.id);
    byKey.delete(st.key);
  }

  function pruneFires(st: KeyState, now: number): void {
    while (st.fires.length > 0 && st.fires[0] <= now - flapWindowMs) st.fires.shift();
  }

  function start(st: KeyState, now: number, changes: EngineAlertView[]): void {
    st.phase = 'pending';
    st.since = now;
    st.fired_at = null;
    st.resolved_at = null;
    st.ack = null;
    st.clear_since = null;
    st.flapping = false;
    if (st.rule.for_ms <= 0) fire(st, now, changes);
    else changes.push(viewOf(st));
  }

  function fire(st: KeyState, now: number, changes: EngineAlertView[]): void {
    st.phase = 'firing';
    st.fired_at = now;
    pruneFires(st, now);
    st.fires.push(now);
    changes.push(viewOf(st));
  }

  /** Ends an episode: a firing alert resolves (kept in recent), a pending one is dropped. */
  function end(slot: RuleSlot, st: KeyState, now: number, changes: EngineAlertView[]): void {
    const wasFiring = st.phase === 'firing';
    st.phase = 'resolved';
    st.resolved_at = now;
    st.clear_since = null;
    st.flapping = false;
    const view = viewOf(st);
    changes.push(view);
    if (wasFiring) {
      recentList.unshift(view);
      if (recentList.length > recentMax) recentList.length = recentMax;
    }
    st.ack = null;
    pruneFires(st, now);
    // Kept only while its firings still count towards flapping.
    if (st.fires.length === 0) forget(slot, st);
  }

  function stepThreshold(slot: RuleSlot, id: string, target: unknown, ctx: EvalContext, changes: EngineAlertView[]): void {
    // The rule's target type matches its scope by construction; the engine handles them uniformly.
    const rule = slot.rule as unknown as {
      op: AlertRule['op']; threshold: number; clear: number; for_ms: number;
      value: (t: unknown, c: EvalContext) => number | null;
      base?: (t: unknown, c: EvalContext) => number | null;
      applies?: (t: unknown, c: EvalContext) => boolean;
      detail?: (t: unknown, c: EvalContext) => string | null;
    };
    let st = slot.states.get(id);
    const now = ctx.now;
    if (st) st.seen = seq;
    if (rule.applies && !rule.applies(target, ctx)) {
      if (st && st.phase !== 'resolved') end(slot, st, now, changes);
      return;
    }
    const v = rule.value(target, ctx);
    if (v === null) {
      if (st && st.phase === 'pending') end(slot, st, now, changes);
      return;
    }
    const base = rule.base ? rule.base(target, ctx) : 0;
    if (base === null) {
      if (st && st.phase !== 'resolved') end(slot, st, now, changes);
      return;
    }
    const level = base + rule.threshold;
    const bad = compare(v, rule.op, level);
    if (!st || st.phase === 'resolved') {
      if (!bad) {
        if (st) {
          pruneFires(st, now);
          if (st.fires.length === 0) forget(slot, st);
        }
        return;
      }
      st ??= newState(slot, id);
      st.value = v;
      st.level = level;
      st.detail = rule.detail ? rule.detail(target, ctx) : null;
      start(st, now, changes);
      return;
    }
    st.value = v;
    st.level = level;
    if (st.phase === 'pending') {
      if (!bad) end(slot, st, now, changes);
      else if (runningAgeMs(now, st.since, ctx.offline) >= rule.for_ms) {
        if (rule.detail) st.detail = rule.detail(target, ctx);
        fire(st, now, changes);
      }
      return;
    }
    // firing: hysteresis — it stays until the value is past the clear level, not merely the threshold.
    if (compare(v, rule.op, base + rule.clear)) {
      st.clear_since = null;
      return;
    }
    pruneFires(st, now);
    if (st.fires.length >= flapMaxFires) {
      st.flapping = true;
      st.clear_since ??= now;
      if (now - st.clear_since < flapHoldMs) return;
    }
    end(slot, st, now, changes);
  }

  function stepChange(slot: RuleSlot, d: DeviceStatus, ctx: EvalContext, changes: EngineAlertView[]): void {
    const rule = slot.rule as DeviceRule;
    const memory = slot.memory as Map<string, number>;
    const now = ctx.now;
    const st = slot.states.get(d.id);
    if (st) st.seen = seq;
    const v = rule.value(d, ctx);
    if (v !== null) {
      const prev = memory.get(d.id) ?? 0;
      if (v !== prev) {
        if (v === 0) memory.delete(d.id);
        else memory.set(d.id, v);
        // The first look after a fresh start only learns what each device already reported.
        if (baselined && compare(v, rule.op, rule.threshold)) {
          if (st && st.phase === 'firing') {
            st.value = v;
            st.changed_at = now;
          } else {
            const s = st ?? newState(slot, d.id);
            s.value = v;
            s.level = rule.threshold;
            s.changed_at = now;
            s.detail = rule.detail ? rule.detail(d, ctx) : null;
            s.since = now;
            s.ack = null;
            s.resolved_at = null;
            s.flapping = false;
            fire(s, now, changes);
          }
          return;
        }
      }
    }
    if (st && st.phase === 'firing' && now - (st.changed_at ?? st.fired_at ?? now) >= (rule.hold_ms ?? 0)) {
      end(slot, st, now, changes);
    } else if (st && st.phase === 'resolved') {
      pruneFires(st, now);
      if (st.fires.length === 0) forget(slot, st);
    }
  }

  function visitDevice(d: DeviceStatus, ctx: EvalContext, changes: EngineAlertView[]): void {
    const list = deviceSlotsByKind.get(d.kind);
    if (!list) return;
    for (let i = 0; i < list.length; i++) {
      const slot = list[i];
      if (slot.memory) stepChange(slot, d, ctx, changes);
      else stepThreshold(slot, d.id, d, ctx, changes);
    }
  }

  function collect(now: number, changes: EngineAlertView[]): void {
    for (const slot of slots) {
      if (slot.states.size === 0) continue;
      for (const st of [...slot.states.values()]) {
        if (st.seen === seq) continue;
        if (st.phase !== 'resolved') end(slot, st, now, changes);
        else {
          pruneFires(st, now);
          if (st.fires.length === 0) forget(slot, st);
        }
      }
    }
    for (const [key, sh] of shelves) if (sh.until <= now) shelves.delete(key);
  }

  function evaluate(input: AlertInput): EngineAlertView[] {
    const now = input.now;
    seq++;
    lastNow = now;
    startedAt ??= now;
    const changes: EngineAlertView[] = [];
    const racksOut = new Set<string>();
    for (const r of input.figures.racks) if (rackOut(r.health)) racksOut.add(r.id);
    const ctx: EvalContext = {
      now,
      model: input.model,
      curtailed: input.curtailed ?? new Set<string>(),
      last_reading_at: input.lastReadingAt ?? null,
      started_at: startedAt,
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
    for (const slot of rackSlots) for (const r of f.racks) stepThreshold(slot, r.id, r, ctx, changes);
    for (const slot of hallSlots) for (const h of f.halls) stepThreshold(slot, h.id, h, ctx, changes);
    for (const slot of siteSlots) stepThreshold(slot, 'site', f.site, ctx, changes);
    for (const slot of loopSlots) for (const l of f.loops) stepThreshold(slot, l.id, l, ctx, changes);
    if (collectorSlots.length > 0 && input.collectorsLastOk) {
      const settings = input.model.collectors as Partial<Record<string, { interval_s: number }>>;
      for (const [id, last_ok] of input.collectorsLastOk) {
        const target: CollectorTarget = { id, last_ok, interval_s: settings[id]?.interval_s ?? 30 };
        for (const slot of collectorSlots) stepThreshold(slot, id, target, ctx, changes);
      }
    }
    collect(now, changes);
    baselined = true;
    return changes;
  }

  function active(): EngineAlertView[] {
    const out: KeyState[] = [];
    for (const st of byKey.values()) if (st.phase !== 'resolved') out.push(st);
    out.sort((a, b) =>
      SEVERITY_RANK[a.rule.severity] - SEVERITY_RANK[b.rule.severity] || a.since - b.since || (a.key < b.key ? -1 : 1));
    return out.map(viewOf);
  }

  function activeState(key: string): KeyState | null {
    const st = byKey.get(key);
    return st && st.phase !== 'resolved' ? st : null;
  }

  function firingCounts(now = lastNow): FiringCount[] {
    const counts = new Map<string, number>();
    for (const st of byKey.values()) {
      if (st.phase !== 'firing') continue;
      const sh = shelves.get(st.key);
      if (sh && sh.until > now) continue;
      counts.set(st.rule.name, (counts.get(st.rule.name) ?? 0) + 1);
    }
    return rules.map((r) => ({ alertname: r.name, severity: r.severity, count: counts.get(r.name) ?? 0 }));
  }

  function snapshot(): AlertEngineSnapshot {
    const states: StoredState[] = [];
    for (const st of byKey.values()) {
      states.push({
        rule: st.rule.name, id: st.id, phase: st.phase, since: st.since, fired_at: st.fired_at,
        resolved_at: st.resolved_at, value: st.value, level: st.level, detail: st.detail, fires: [...st.fires],
        clear_since: st.clear_since, flapping: st.flapping, ack: st.ack ? { ...st.ack } : null, changed_at: st.changed_at,
      });
    }
    return {
      version: 1,
      started_at: startedAt,
      baselined,
      states,
      shelves: [...shelves].map(([key, sh]) => ({ key, ...sh })),
      memory: slots.filter((s) => s.memory).map((s) => ({ rule: s.rule.name, values: [...(s.memory as Map<string, number>)] })),
      recent: recentList.map((v) => ({ ...v })),
    };
  }

  const num = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
  const numOrNull = (v: unknown): number | null => (num(v) ? v : null);

  function restore(raw: unknown): void {
    if (typeof raw !== 'object' || raw === null) throw new Error('alert snapshot: expected an object');
    const snap = raw as Partial<AlertEngineSnapshot>;
    if (snap.version !== 1) throw new Error(`alert snapshot: unsupported version ${String(snap.version)}`);
    for (const s of slots) {
      s.states.clear();
      s.memory?.clear();
    }
    byKey.clear();
    shelves.clear();
    startedAt = numOrNull(snap.started_at);
    baselined = snap.baselined === true;
    for (const s of Array.isArray(snap.states) ? snap.states : []) {
      const slot = slotByName.get(s?.rule);
      if (!slot || typeof s.id !== 'string' || !['pending', 'firing', 'resolved'].includes(s.phase)) continue;
      const st = newState(slot, s.id);
      st.phase = s.phase;
      st.since = num(s.since) ? s.since : 0;
      st.fired_at = numOrNull(s.fired_at);
      st.resolved_at = numOrNull(s.resolved_at);
      st.value = numOrNull(s.value);
      st.level = numOrNull(s.level);
      st.detail = typeof s.detail === 'string' ? s.detail : null;
      st.fires = Array.isArray(s.fires) ? s.fires.filter(num) : [];
      st.clear_since = numOrNull(s.clear_since);
      st.flapping = s.flapping === true;
      st.ack = s.ack && typeof s.ack.by === 'string' ? { by: s.ack.by, note: String(s.ack.note ?? ''), at: Number(s.ack.at) } : null;
      st.changed_at = numOrNull(s.changed_at);
    }
    for (const sh of Array.isArray(snap.shelves) ? snap.shelves : []) {
      if (typeof sh?.key === 'string' && num(sh.until)) {
        shelves.set(sh.key, { by: String(sh.by ?? ''), note: String(sh.note ?? ''), at: Number(sh.at ?? 0), until: sh.until });
      }
    }
    for (const m of Array.isArray(snap.memory) ? snap.memory : []) {
      const slot = slotByName.get(m?.rule);
      if (!slot?.memory || !Array.isArray(m.values)) continue;
      for (const pair of m.values) if (Array.isArray(pair) && typeof pair[0] === 'string' && num(pair[1])) slot.memory.set(pair[0], pair[1]);
    }
    recentList = (Array.isArray(snap.recent) ? snap.recent : []).slice(0, recentMax);
  }

  return {
    rules,
    evaluate,
    active,
    recent: () => recentList.slice(),
    get: (key) => {
      const st = byKey.get(key);
      return st ? viewOf(st) : (recentList.find((v) => v.key === key) ?? null);
    },
    acknowledge(key, by, note, now) {
      const st = activeState(key);
      if (!st) return null;
      st.ack = { by, note, at: now };
      return viewOf(st);
    },
    shelve(key, until, by, note, now) {
      const st = activeState(key);
      if (!st || until <= now) return null;
      shelves.set(key, { by, note, at: now, until });
      // viewOf compares against the last evaluation's clock; an operator acting later must see their shelve.
      if (now > lastNow) lastNow = now;
      return viewOf(st);
    },
    unshelve: (key) => shelves.delete(key),
    firingCounts,
    snapshot,
    restore,
  };
}
