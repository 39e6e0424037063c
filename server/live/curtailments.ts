// Curtailment events, live: the posted ones (stored, server/store/curtailments.ts) and the occurrences of
// the config's recurring windows; the scope power each tick samples for them; their figures
// (server/figures/curtailment.ts); which miners they curtail; what the wall, the API, /metrics and the
// CurtailmentShortfall rule read. State lives here (the events, the power samples); the figures are pure.
//
// Power samples: one per tick for each scope an event needs (from the baseline window before its start to
// its end), kept in memory. Where the baseline window lies before Floorwatch was sampling it (an event
// posted late, a restart), the missing part comes from the scope's minute rollups (`history`).

import { randomUUID } from 'node:crypto';
import type {
  CurtailmentFigures, CurtailmentSettings, CurtailmentTarget, CurtailmentView, Figures, SiteModel,
} from '../core/types.js';
import {
  curtailedIds, curtailmentFigures, occurrenceStarts, parseCurtailmentScope, scopePowerW, scopeThsPerKw,
  type CurtailmentScope, type PowerSample,
} from '../figures/curtailment.js';
import type { CurtailmentAlertTarget } from '../alerts/rules.js';
import type { Db } from '../store/db.js';
import { isBusy } from '../store/busy.js';
import { queryHistory } from '../store/history.js';
import { cancelCurtailment, insertCurtailment, readCurtailments, saveCurtailmentFigures, type StoredCurtailment } from '../store/curtailments.js';
import { CURTAILMENT_DEFAULTS } from './curtailment-config.js';
import { scopePrices, type CurrentPrices } from './curtailment-prices.js';

/** "current" power is the mean over the last minute: a single second's sample is too noisy to judge. */
const CURRENT_MS = 60_000;
/** The wall keeps an ended event's banner this long, so a shift sees how it went. */
export const ENDED_SHOWN_MS = 10 * 60_000;
/** Events listed by the API: ended within this, or not ended yet. */
const LISTED_MS = 24 * 3_600_000;
/** Recurring occurrences are generated this far ahead for the list. */
const AHEAD_MS = 24 * 3_600_000;

/** A posted event as validated at the edge (server/http/curtailments.ts): what is stored, less who and when. */
export type NewCurtailment = Pick<StoredCurtailment, 'scope' | 'target' | 'start' | 'end' | 'program' | 'note'>;

interface EventState {
  id: string;
  scope: string;
  where: CurtailmentScope;
  target: CurtailmentTarget;
  start: number;
  end: number;
  program: string | null;
  note: string | null;
  source: 'api' | 'recurring';
  created_by: string | null;
  cancelled_at: number | null;
  /** TH/s per kW of the scope's miners, last known before the start */
  ths_per_kw: number | null;
  figures: CurtailmentFigures | null;
  /** figures frozen at the end (stored, for a posted event) */
  frozen: boolean;
}

export class CurtailmentConflictError extends Error {}
export class CurtailmentBusyError extends Error {}

export interface Curtailments {
  /** ids curtailed at `now`: miners and mining racks inside an active event */
  curtailed(now: number): ReadonlySet<string>;
  /** after each tick's figures: samples the scopes' power and brings every event's figures to `now` */
  record(f: Figures, now: number): void;
  /** what the wall shows: scheduled within the baseline window, active, or ended in the last 10 min */
  wall(): CurtailmentView[];
  /** the API's list: not ended, or ended in the last 24 h; recurring occurrences of the next 24 h */
  list(now: number): CurtailmentView[];
  get(id: string, now: number): CurtailmentView | null;
  /** the scope of an event this knows ('site', 'hall:ID', 'rack:ID'): where its alerts belong */
  scopeOf(id: string): string | undefined;
  alertTargets(): CurtailmentAlertTarget[];
  /** active events, for /metrics */
  active(): CurtailmentView[];
  /** stores and starts tracking; rejects an overlap with another posted event on the same scope */
  create(e: NewCurtailment, by: string, now: number): Promise<CurtailmentView>;
  /** null: no posted event with this id; false: already cancelled or ended */
  cancel(id: string, by: string, note: string, now: number): Promise<CurtailmentView | null | false>;
  readonly settings: CurtailmentSettings;
}

const RETRIES = 8;
const RETRY_WAIT_MS = 15;

/** A short write on the main connection, retried off the event loop while another connection holds the lock. */
async function writeRetrying<T>(fn: () => T): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return fn();
    } catch (e) {
      if (!isBusy(e)) throw e;
      if (attempt >= RETRIES) throw new CurtailmentBusyError('database is locked');
      await new Promise((r) => setTimeout(r, RETRY_WAIT_MS));
    }
  }
}

export function createCurtailments(opts: {
  model: SiteModel;
  db: Db;
  now?: () => number;
  /** the scope's stored power over [from, to), for a baseline Floorwatch did not sample; default: its minute rollups */
  history?: (scope: string, from: number, to: number) => PowerSample[];
  /** a scope's prices now; default: the economics figures of the last tick recorded (curtailment-prices.ts) */
  prices?: (scope: string) => CurrentPrices;
}): Curtailments {
  const { model, db } = opts;
  const settings: CurtailmentSettings = model.curtailment ?? { ...CURTAILMENT_DEFAULTS, recurring: [] };
  let lastFigures: Figures | null = null;
  const prices = opts.prices ?? ((scope: string): CurrentPrices => scopePrices(lastFigures, scope));
  const clock = opts.now ?? Date.now;
  const history = opts.history ?? ((scope: string, from: number, to: number): PowerSample[] => {
    try {
      const step_ms = 60_000;
      const a = queryHistory(db, model, { scope, metric: 'power_w', from: from - (from % step_ms), to, step_ms });
      return a.points.map(([ts, v]) => ({ ts, power_w: v, span_ms: step_ms }));
    } catch {
      return []; // a scope with no rollups yet: the baseline is what Floorwatch samples from now on
    }
  });
  const events = new Map<string, EventState>();
  const series = new Map<string, PowerSample[]>();
  /** scopes whose stored history has been read back for [from, to) already */
  const filled = new Map<string, number>();
  /** each sampled scope's last tick */
  const lastTick = new Map<string, number>();
  let curtailedCache: { key: string; ids: ReadonlySet<string> } = { key: '', ids: new Set() };

  const endOf = (e: EventState): number => (e.cancelled_at !== null && e.cancelled_at < e.end ? e.cancelled_at : e.end);

  function add(s: StoredCurtailment, source: 'api' | 'recurring'): EventState | null {
    const where = parseCurtailmentScope(model, s.scope);
    if (where === null) return null; // a stored event over a hall or rack the config no longer has
    const e: EventState = {
      id: s.id, scope: s.scope, where, target: s.target, start: s.start, end: s.end, program: s.program, note: s.note,
      source, created_by: source === 'api' ? s.created_by : null, cancelled_at: s.cancelled_at,
      ths_per_kw: null, figures: s.figures, frozen: s.figures !== null,
    };
    events.set(e.id, e);
    return e;
  }

  for (const s of readCurtailments(db, clock() - LISTED_MS)) add(s, 'api');

  /** Recurring occurrences overlapping [from, to) that are not yet known. */
  function addRecurring(from: number, to: number): void {
    for (const w of settings.recurring) {
      for (const start of occurrenceStarts(w, from, to)) {
        const id = `recurring:${w.name}:${start}`;
        if (events.has(id)) continue;
        add({
          id, scope: w.scope, target: w.target, start, end: start + w.duration_ms, program: w.program, note: null,
          created_at: start, created_by: 'config', cancelled_at: null, cancelled_by: null, figures: null,
        }, 'recurring');
      }
    }
  }

  /** The stored power before the first in-memory sample, read once per scope and window. */
  function fill(scope: string, from: number, now: number): void {
    const mem = series.get(scope) ?? [];
    const to = mem.length > 0 ? mem[0].ts : now;
    const done = filled.get(scope);
    if (to <= from || (done !== undefined && done <= from)) return;
    filled.set(scope, from);
    const old = history(scope, from, to).filter((p) => p.ts >= from && p.ts < to);
    if (old.length > 0) series.set(scope, [...old, ...mem]);
  }

  function figuresOf(e: EventState, now: number): CurtailmentFigures {
    if (e.frozen && e.figures) return e.figures;
    const p = prices(e.scope);
    return curtailmentFigures({
      series: series.get(e.scope) ?? [], start: e.start, end: endOf(e), now, target: e.target,
      baseline_ms: settings.baseline_ms, current_ms: CURRENT_MS,
      prices: { energy_usd_per_mwh: p.energy_usd_per_mwh, hashprice_usd_per_th_day: p.hashprice_usd_per_th_day, ths_per_kw: e.ths_per_kw },
    });
  }

  function view(e: EventState, now: number): CurtailmentView {
    const figures = e.figures ?? figuresOf(e, now);
    const active = e.start <= now && now < endOf(e);
    return {
      id: e.id, scope: e.scope,
      target_reduction_kw: 'reduction_kw' in e.target ? e.target.reduction_kw : null,
      target_ceiling_kw: 'ceiling_kw' in e.target ? e.target.ceiling_kw : null,
      start: e.start, end: e.end, program: e.program, note: e.note, source: e.source, created_by: e.created_by,
      cancelled_at: e.cancelled_at, figures,
      judged: active && now - e.start >= settings.ramp_allowance_ms && figures.target_w !== null && figures.target_w > 0,
    };
  }

  let wallViews: CurtailmentView[] = [];

  function record(f: Figures, now: number): void {
    lastFigures = f;
    addRecurring(now - settings.baseline_ms, now + settings.baseline_ms + 1);
    // Which scopes need a sample now, and from when each must keep them.
    const keepFrom = new Map<string, number>();
    for (const e of events.values()) {
      if (e.frozen) continue;
      const from = e.start - settings.baseline_ms;
      if (now < from) continue;
      keepFrom.set(e.scope, Math.min(keepFrom.get(e.scope) ?? Infinity, from));
    }
    for (const [scope, from] of keepFrom) {
      const where = parseCurtailmentScope(model, scope);
      if (where === null) continue;
      fill(scope, from, now);
      let s = series.get(scope);
      if (!s) series.set(scope, (s = []));
      // A tick's sample stands for the time since the previous tick (a minute at most); the first one for 1 s,
      // since the store's minute averages before it already cover the time up to it.
      const prev = lastTick.get(scope);
      lastTick.set(scope, now);
      s.push({ ts: now, power_w: scopePowerW(f, where), span_ms: prev === undefined ? 1000 : Math.min(60_000, Math.max(1, now - prev)) });
      let drop = 0;
      while (drop < s.length && s[drop].ts < from) drop++;
      if (drop > 0) s.splice(0, drop);
    }
    for (const scope of series.keys()) if (!keepFrom.has(scope)) series.delete(scope);
    for (const scope of filled.keys()) if (!keepFrom.has(scope)) filled.delete(scope);
    for (const scope of lastTick.keys()) if (!keepFrom.has(scope)) lastTick.delete(scope);

    const wall: CurtailmentView[] = [];
    for (const e of events.values()) {
      const end = endOf(e);
      if (!e.frozen && now < e.start) e.ths_per_kw = scopeThsPerKw(f, e.where) ?? e.ths_per_kw;
      if (!e.frozen && now >= e.start - settings.baseline_ms) e.figures = figuresOf(e, now);
      if (!e.frozen && now >= end) {
        e.figures = figuresOf(e, end);
        e.frozen = true;
        if (e.source === 'api') {
          const id = e.id;
          const fig = e.figures;
          // Kept in memory when the store refuses: only a restart before the next save would lose them.
          void writeRetrying(() => saveCurtailmentFigures(db, id, fig)).catch(() => undefined);
        }
      }
      if (now - end > LISTED_MS && now - e.start > LISTED_MS) events.delete(e.id);
      else if (now >= e.start - settings.baseline_ms && now < end + ENDED_SHOWN_MS) wall.push(view(e, now));
    }
    wall.sort((a, b) => a.start - b.start || (a.id < b.id ? -1 : 1));
    wallViews = wall;
  }

  function curtailed(now: number): ReadonlySet<string> {
    const scopes: CurtailmentScope[] = [];
    let key = '';
    for (const e of events.values()) {
      if (e.start <= now && now < endOf(e)) {
        scopes.push(e.where);
        key += `${e.id};`;
      }
    }
    if (key !== curtailedCache.key) curtailedCache = { key, ids: curtailedIds(model, scopes) };
    return curtailedCache.ids;
  }

  function overlaps(n: NewCurtailment): EventState | undefined {
    for (const e of events.values()) {
      if (e.source === 'api' && e.scope === n.scope && e.start < n.end && n.start < endOf(e)) return e;
    }
    return undefined;
  }

  return {
    settings,
    curtailed,
    record,
    wall: () => wallViews,
    list(now) {
      addRecurring(now - LISTED_MS, now + AHEAD_MS);
      return [...events.values()].sort((a, b) => a.start - b.start || (a.id < b.id ? -1 : 1)).map((e) => view(e, now));
    },
    scopeOf: (id) => events.get(id)?.scope,
    get(id, now) {
      const e = events.get(id);
      return e ? view(e, now) : null;
    },
    alertTargets: () => wallViews.filter((v) => v.figures.phase === 'active' && v.cancelled_at === null)
      .map((v) => ({ id: v.id, scope: v.scope, ratio: v.figures.ratio, judged: v.judged })),
    active: () => wallViews.filter((v) => v.figures.phase === 'active'),
    async create(n, by, now) {
      const clash = overlaps(n);
      if (clash) throw new CurtailmentConflictError(`overlaps event ${clash.id} on ${clash.scope}`);
      const s: StoredCurtailment = {
        id: `c-${now.toString(36)}-${randomUUID().slice(0, 8)}`, scope: n.scope, target: n.target, start: n.start, end: n.end,
        program: n.program, note: n.note, created_at: now, created_by: by, cancelled_at: null, cancelled_by: null, figures: null,
      };
      await writeRetrying(() => insertCurtailment(db, s));
      const e = add(s, 'api');
      if (e === null) throw new Error(`scope ${n.scope} is not in this site`);
      return view(e, now);
    },
    async cancel(id, by, note, now) {
      const e = events.get(id);
      if (!e || e.source !== 'api') return null;
      if (e.cancelled_at !== null || now >= e.end) return false;
      const ok = await writeRetrying(() => cancelCurtailment(db, id, now, by, note));
      if (!ok) return false;
      e.cancelled_at = now;
      return view(e, now);
    },
  };
}
