// The alert engine's state as plain JSON, which the server persists (server/live/alerts.ts) so that a
// restart keeps pending `for` timers, firing alerts, acknowledgements, shelves and flapping history. A
// restored snapshot is read defensively: it comes from disk, and from whatever version wrote it.

import { newState, type AlertState, type EngineAlertView, type KeyState, type RuleSlot, type ShelveInfo } from './step.js';

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

export function snapshotOf(s: AlertState, slots: readonly RuleSlot[]): AlertEngineSnapshot {
  const states: StoredState[] = [];
  for (const st of s.byKey.values()) {
    states.push({
      rule: st.rule.name, id: st.id, phase: st.phase, since: st.since, fired_at: st.fired_at,
      resolved_at: st.resolved_at, value: st.value, level: st.level, detail: st.detail, fires: [...st.fires],
      clear_since: st.clear_since, flapping: st.flapping, ack: st.ack ? { ...st.ack } : null, changed_at: st.changed_at,
    });
  }
  return {
    version: 1,
    started_at: s.startedAt,
    baselined: s.baselined,
    states,
    shelves: [...s.shelves].map(([key, sh]) => ({ key, ...sh })),
    memory: slots.flatMap((slot) => (slot.memory ? [{ rule: slot.rule.name, values: [...slot.memory] }] : [])),
    recent: s.recent.map((v) => ({ ...v })),
  };
}

const num = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const numOrNull = (v: unknown): number | null => (num(v) ? v : null);

/** Replaces the state with a snapshot's; states of rules that no longer exist are dropped. */
export function restoreInto(s: AlertState, slots: readonly RuleSlot[], slotByName: ReadonlyMap<string, RuleSlot>, raw: unknown): void {
  if (typeof raw !== 'object' || raw === null) throw new Error('alert snapshot: expected an object');
  const snap = raw as Partial<AlertEngineSnapshot>;
  if (snap.version !== 1) throw new Error(`alert snapshot: unsupported version ${String(snap.version)}`);
  for (const slot of slots) {
    slot.states.clear();
    slot.memory?.clear();
  }
  s.byKey.clear();
  s.shelves.clear();
  s.startedAt = numOrNull(snap.started_at);
  s.baselined = snap.baselined === true;
  for (const k of Array.isArray(snap.states) ? snap.states : []) {
    const slot = slotByName.get(k?.rule);
    if (!slot || typeof k.id !== 'string' || !['pending', 'firing', 'resolved'].includes(k.phase)) continue;
    const st = newState(s, slot, k.id);
    st.phase = k.phase;
    st.since = num(k.since) ? k.since : 0;
    st.fired_at = numOrNull(k.fired_at);
    st.resolved_at = numOrNull(k.resolved_at);
    st.value = numOrNull(k.value);
    st.level = numOrNull(k.level);
    st.detail = typeof k.detail === 'string' ? k.detail : null;
    st.fires = Array.isArray(k.fires) ? k.fires.filter(num) : [];
    st.clear_since = numOrNull(k.clear_since);
    st.flapping = k.flapping === true;
    st.ack = k.ack && typeof k.ack.by === 'string' ? { by: k.ack.by, note: String(k.ack.note ?? ''), at: Number(k.ack.at) } : null;
    st.changed_at = numOrNull(k.changed_at);
  }
  for (const sh of Array.isArray(snap.shelves) ? snap.shelves : []) {
    if (typeof sh?.key === 'string' && num(sh.until)) {
      s.shelves.set(sh.key, { by: String(sh.by ?? ''), note: String(sh.note ?? ''), at: Number(sh.at ?? 0), until: sh.until });
    }
  }
  for (const m of Array.isArray(snap.memory) ? snap.memory : []) {
    const slot = slotByName.get(m?.rule);
    if (!slot?.memory || !Array.isArray(m.values)) continue;
    for (const pair of m.values) if (Array.isArray(pair) && typeof pair[0] === 'string' && num(pair[1])) slot.memory.set(pair[0], pair[1]);
  }
  s.recent = (Array.isArray(snap.recent) ? snap.recent : []).slice(0, s.recentMax);
}
