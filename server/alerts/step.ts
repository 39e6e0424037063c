// One alert key's state and its transitions: pending (since) → firing (fired_at) → resolved (resolved_at),
// with the rule's `for` duration and clear level (hysteresis) and flapping suppression. engine.ts (the
// header there says the rules these follow) calls these per target on each evaluation; they change only the
// engine's state passed in, and push every changed alert's view onto `changes`. Pure: time comes in `now`.

import type { AlertView, DeviceStatus } from '../core/types.js';
import { runningAgeMs } from '../figures/health.js';
import { compare, type AlertRule, type DeviceRule, type EvalContext, type RuleCommon } from './rules.js';

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

export type Phase = 'pending' | 'firing' | 'resolved';

export interface KeyState {
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

export interface RuleSlot<R extends AlertRule = AlertRule> {
  rule: R;
  states: Map<string, KeyState>;
  /** change-trigger memory: target id → last non-zero value (absent = 0 or never seen) */
  memory: Map<string, number> | null;
}

/** The engine's state: the keys, the shelves, the resolved list, and its clock. */
export interface AlertState {
  readonly flapWindowMs: number;
  readonly flapMaxFires: number;
  readonly flapHoldMs: number;
  readonly recentMax: number;
  readonly byKey: Map<string, KeyState>;
  readonly shelves: Map<string, ShelveInfo>;
  /** resolved alerts, newest first, at most recentMax */
  recent: EngineAlertView[];
  /** evaluation number */
  seq: number;
  startedAt: number | null;
  /** false until the first evaluation after a fresh start: change rules only learn values then */
  baselined: boolean;
  lastNow: number;
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

export function viewOf(s: AlertState, st: KeyState): EngineAlertView {
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
  const sh = s.shelves.get(st.key);
  if (sh && sh.until > s.lastNow && st.phase !== 'resolved') {
    v.shelved_until = sh.until;
    v.shelved = { ...sh };
  }
  if (st.flapping) v.flapping = true;
  return v;
}

export function newState(s: AlertState, slot: RuleSlot, id: string): KeyState {
  const scope = scopeOf(slot.rule, id);
  const st: KeyState = {
    rule: slot.rule, id, scope, key: `${slot.rule.name}:${scope}`, phase: 'resolved',
    since: 0, fired_at: null, resolved_at: null, value: null, level: null, detail: null, seen: s.seq,
    fires: [], clear_since: null, flapping: false, ack: null, changed_at: null,
  };
  slot.states.set(id, st);
  s.byKey.set(st.key, st);
  return st;
}

function forget(s: AlertState, slot: RuleSlot, st: KeyState): void {
  slot.states.delete(st.id);
  s.byKey.delete(st.key);
}

function pruneFires(s: AlertState, st: KeyState, now: number): void {
  while (st.fires.length > 0 && st.fires[0] <= now - s.flapWindowMs) st.fires.shift();
}

/** A resolved key is kept only while its firings still count towards flapping. */
function pruneResolved(s: AlertState, slot: RuleSlot, st: KeyState, now: number): void {
  pruneFires(s, st, now);
  if (st.fires.length === 0) forget(s, slot, st);
}

function start(s: AlertState, st: KeyState, now: number, changes: EngineAlertView[]): void {
  st.phase = 'pending';
  st.since = now;
  st.fired_at = null;
  st.resolved_at = null;
  st.ack = null;
  st.clear_since = null;
  st.flapping = false;
  if (st.rule.for_ms <= 0) fire(s, st, now, changes);
  else changes.push(viewOf(s, st));
}

function fire(s: AlertState, st: KeyState, now: number, changes: EngineAlertView[]): void {
  st.phase = 'firing';
  st.fired_at = now;
  pruneFires(s, st, now);
  st.fires.push(now);
  changes.push(viewOf(s, st));
}

/** Ends an episode: a firing alert resolves (kept in recent), a pending one is dropped. */
function end(s: AlertState, slot: RuleSlot, st: KeyState, now: number, changes: EngineAlertView[]): void {
  const wasFiring = st.phase === 'firing';
  st.phase = 'resolved';
  st.resolved_at = now;
  st.clear_since = null;
  st.flapping = false;
  const view = viewOf(s, st);
  changes.push(view);
  if (wasFiring) {
    s.recent.unshift(view);
    if (s.recent.length > s.recentMax) s.recent.length = s.recentMax;
  }
  st.ack = null;
  // Kept only while its firings still count towards flapping.
  pruneResolved(s, slot, st, now);
}

/** One threshold rule against one target; the slot's rule reads targets of type T. */
export function stepThreshold<T>(
  s: AlertState, slot: RuleSlot<AlertRule & RuleCommon<T>>, id: string, target: T, ctx: EvalContext, changes: EngineAlertView[],
): void {
  const rule = slot.rule;
  let st = slot.states.get(id);
  const now = ctx.now;
  if (st) st.seen = s.seq;
  if (rule.applies && !rule.applies(target, ctx)) {
    if (st && st.phase !== 'resolved') end(s, slot, st, now, changes);
    return;
  }
  const v = rule.value(target, ctx);
  if (v === null) {
    if (st && st.phase === 'pending') end(s, slot, st, now, changes);
    return;
  }
  const base = rule.base ? rule.base(target, ctx) : 0;
  if (base === null) {
    if (st && st.phase !== 'resolved') end(s, slot, st, now, changes);
    return;
  }
  const level = base + rule.threshold;
  const bad = compare(v, rule.op, level);
  if (!st || st.phase === 'resolved') {
    if (!bad) {
      if (st) pruneResolved(s, slot, st, now);
      return;
    }
    st ??= newState(s, slot, id);
    st.value = v;
    st.level = level;
    st.detail = rule.detail ? rule.detail(target, ctx) : null;
    start(s, st, now, changes);
    return;
  }
  st.value = v;
  st.level = level;
  if (st.phase === 'pending') {
    if (!bad) return end(s, slot, st, now, changes);
    // The text follows the target while pending (a down device's reason going from timeout to refused),
    // so the alert and the device API say the same from the moment it is pending; firing keeps its own.
    if (rule.detail) st.detail = rule.detail(target, ctx);
    if (runningAgeMs(now, st.since, ctx.offline) >= rule.for_ms) fire(s, st, now, changes);
    return;
  }
  // firing: hysteresis — it stays until the value is past the clear level, not merely the threshold.
  if (compare(v, rule.op, base + rule.clear)) {
    st.clear_since = null;
    return;
  }
  pruneFires(s, st, now);
  if (st.fires.length >= s.flapMaxFires) {
    st.flapping = true;
    st.clear_since ??= now;
    if (now - st.clear_since < s.flapHoldMs) return;
  }
  end(s, slot, st, now, changes);
}

/** One change-trigger rule (a new XID) against one device; `memory` is the slot's. */
export function stepChange(
  s: AlertState, slot: RuleSlot<DeviceRule>, memory: Map<string, number>, d: DeviceStatus, ctx: EvalContext, changes: EngineAlertView[],
): void {
  const rule = slot.rule;
  const now = ctx.now;
  const st = slot.states.get(d.id);
  if (st) st.seen = s.seq;
  const v = rule.value(d, ctx);
  if (v !== null) {
    const prev = memory.get(d.id) ?? 0;
    if (v !== prev) {
      if (v === 0) memory.delete(d.id);
      else memory.set(d.id, v);
      // The first look after a fresh start only learns what each device already reported.
      if (s.baselined && compare(v, rule.op, rule.threshold)) {
        if (st && st.phase === 'firing') {
          st.value = v;
          st.changed_at = now;
        } else {
          const k = st ?? newState(s, slot, d.id);
          k.value = v;
          k.level = rule.threshold;
          k.changed_at = now;
          k.detail = rule.detail ? rule.detail(d, ctx) : null;
          k.since = now;
          k.ack = null;
          k.resolved_at = null;
          k.flapping = false;
          fire(s, k, now, changes);
        }
        return;
      }
    }
  }
  if (st && st.phase === 'firing' && now - (st.changed_at ?? st.fired_at ?? now) >= (rule.hold_ms ?? 0)) {
    end(s, slot, st, now, changes);
  } else if (st && st.phase === 'resolved') {
    pruneResolved(s, slot, st, now);
  }
}

/** After an evaluation: keys whose target was not seen resolve (or are forgotten), expired shelves go. */
export function sweep(s: AlertState, slots: readonly RuleSlot[], now: number, changes: EngineAlertView[]): void {
  for (const slot of slots) {
    if (slot.states.size === 0) continue;
    for (const st of [...slot.states.values()]) {
      if (st.seen === s.seq) continue;
      if (st.phase !== 'resolved') end(s, slot, st, now, changes);
      else pruneResolved(s, slot, st, now);
    }
  }
  for (const [key, sh] of s.shelves) if (sh.until <= now) s.shelves.delete(key);
}
