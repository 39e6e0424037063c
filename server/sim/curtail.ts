// The demo's miners during a curtailment event: for each active event the fleet software picks whole
// mining racks of the scope, in config order, until their nominal power covers the target (plus a little),
// and puts their miners to sleep one after another (a fleet is switched in steps so the load does not drop
// as one block): over about a minute, except the second rack picked, whose controller works through its
// miners over 10 minutes, so the event falls short for a while and CurtailmentShortfall shows. After the
// event they wake up over a minute. Stateful (each rack's shed share); time comes in `ts`.

import type { SiteModel } from '../core/types.js';
import { parseCurtailmentScope } from '../figures/curtailment.js';

/** What the simulator needs to know of an event (the server's wall list gives it). */
export interface SimCurtailment {
  id: string;
  scope: string;
  /** the reduction asked (W); null while unknown (a ceiling before its baseline) */
  target_w: number | null;
  active: boolean;
}

/** A sleeping miner's draw: control board and network, fans stopped. */
export const SLEEP_W = 15;
const RAMP_MS = 60_000;
const SLOW_RAMP_MS = 10 * 60_000;
/** Picks racks until they cover the target by this much, so noise does not leave it just short. */
const MARGIN = 1.02;

export interface Shedding {
  /** advances every rack's shed share to `ts`; returns the miners asleep now */
  step(ts: number, events: readonly SimCurtailment[]): ReadonlySet<string>;
}

export function createShedding(model: SiteModel): Shedding {
  const level = new Map<string, number>();
  const plans = new Map<string, { racks: string[]; slow: string | null }>();
  let lastTs: number | null = null;

  const minersOf = (rackId: string) => model.racks.get(rackId)?.devices.filter((d) => d.kind === 'asic') ?? [];
  const nominalW = (rackId: string): number => minersOf(rackId).reduce((sum, d) => {
    const c = d.model ? model.catalogue.get(d.model) : undefined;
    return sum + (d.nominal_power_w ?? c?.nominal_power_w ?? 3500);
  }, 0);

  function plan(e: SimCurtailment): { racks: string[]; slow: string | null } | null {
    const known = plans.get(e.id);
    if (known) return known;
    const where = parseCurtailmentScope(model, e.scope);
    if (where === null || e.target_w === null || e.target_w <= 0) return null;
    const candidates = where.kind === 'rack' ? [where.id]
      : model.halls.filter((h) => where.kind === 'site' || h.id === where.id).flatMap((h) => h.racks.map((r) => r.id));
    const racks: string[] = [];
    let covered = 0;
    for (const id of candidates) {
      if (covered >= e.target_w * MARGIN) break;
      const w = nominalW(id);
      if (w === 0) continue;
      racks.push(id);
      covered += w;
    }
    const p = { racks, slow: racks.length > 1 ? racks[1] : null };
    plans.set(e.id, p);
    return p;
  }

  return {
    step(ts, events) {
      const dt = lastTs === null ? 0 : Math.min(60_000, Math.max(0, ts - lastTs));
      lastTs = ts;
      const goal = new Map<string, { to: number; ramp: number }>();
      for (const e of events) {
        if (!e.active) continue;
        const p = plan(e);
        if (!p) continue;
        for (const r of p.racks) goal.set(r, { to: 1, ramp: r === p.slow ? SLOW_RAMP_MS : RAMP_MS });
      }
      for (const id of new Set([...level.keys(), ...goal.keys()])) {
        const g = goal.get(id) ?? { to: 0, ramp: RAMP_MS };
        const cur = level.get(id) ?? 0;
        const stepBy = dt / g.ramp;
        const next = g.to > cur ? Math.min(g.to, cur + stepBy) : Math.max(g.to, cur - stepBy);
        if (next <= 0 && g.to === 0) level.delete(id);
        else level.set(id, next);
      }
      const asleep = new Set<string>();
      for (const [id, l] of level) {
        const miners = minersOf(id);
        const n = Math.round(l * miners.length);
        for (let i = 0; i < n; i++) asleep.add(miners[i].id);
      }
      return asleep;
    },
  };
}
