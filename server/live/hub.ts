import { EventEmitter } from 'node:events';
import type {
  AlertView, CurtailmentView, DeviceStatus, Figures, HallFigures, Layout, LiveInput, LiveSnapshot, LiveUpdate, LoopFigures,
  RackFigures, RackLayout, SiteModel,
} from '../core/types.js';
import { computePass, type FiguresPass } from '../figures/compute.js';
import { createEnergyWindow, recordEnergy } from '../figures/energy.js';
import { deviceStatus, deviceStatuses } from '../figures/devices.js';
import { createDayLedger, recordDay, type DayLedger } from '../figures/economics-day.js';
import { liveByRef, prepareIndex, type SiteIndex } from '../figures/site-index.js';
import type { LiveState } from './state.js';
import { createCoalescer, loopTimer, type SetTimer } from './coalescer.js';

export interface HubEvents {
  /** the socket's stream: after a commit changed the live view (coalesced) and after each tick */
  update: [LiveUpdate];
  /** each 1 s tick's figures, once: what the scope rollups and remote write record */
  tick: [Figures];
  alert: [AlertView];
  racks: [Set<string>];
}

/** Alert evaluation plugged into the tick (the alert engine lives in server/alerts/). */
export interface AlertSource {
  evaluate(figures: Figures, input: LiveInput): AlertView[];
  active(): AlertView[];
  /** bumped whenever the set of active alerts or their state, acknowledgement or shelving changes */
  revision(): number;
}

/** Curtailment events plugged into the tick (server/live/curtailments.ts). */
export interface CurtailmentSource {
  curtailed(now: number): ReadonlySet<string>;
  record(figures: Figures, now: number): void;
  wall(): CurtailmentView[];
  /** an event's scope, where its CurtailmentShortfall belongs */
  scopeOf(id: string): string | undefined;
}

export interface Hub extends EventEmitter<HubEvents> {
  /**
   * what a socket client starts from: the figures of the last update sent, with its `seq`, so that update
   * `seq` + 1 applies on top of it (issue 15: a pass may be up to UPDATE_MIN_GAP_MS ahead of the last update)
   */
  snapshot(): LiveSnapshot;
  /**
   * the REST view (`GET /api/v1/site`): the latest pass's figures, as `figures()` and `/api/v1/racks/:id`
   * give them; `seq` is the last update's, which these figures may be ahead of until the next one goes
   */
  site(): LiveSnapshot;
  /** curtailment events as the wall sees them (scheduled soon, active, just ended) */
  curtailments(): CurtailmentView[];
  figures(): Figures;
  layout(): Layout;
  input(): LiveInput;
  deviceStatus(id: string): DeviceStatus | undefined;
  rackDevices(rackId: string): DeviceStatus[];
  /** recompute now: the server's background guard calls it every tickMs (server/lifecycle/background.ts) */
  tick(): void;
  /**
   * a commit changed the live view (the ingest pipeline says so): an update follows at once, or at most
   * UPDATE_MIN_GAP_MS after the previous one; nothing before the first tick (the view may be restoring)
   */
  changed(): void;
  /** sends the pending update now, whatever the window (tests and benches); false when none was pending */
  flush(): boolean;
  /** drops a pending update: the server is closing */
  stop(): void;
}

/**
 * The least time between two socket updates (issue 15): an update follows each commit that changed the
 * live view, so a reading reaches the wall in well under a second, and a burst of pushes costs at most 4
 * updates a second ("at most a few a second"). Measured at 100,000 devices (test/bench/hub.ts): an update
 * between ticks reads only the racks its commits touched, ~1-3 ms, against 60-100 ms for every rack.
 */
export const UPDATE_MIN_GAP_MS = 250;
/** the share of the main thread the commit-driven updates may take (coalescer.ts maxShare) */
export const UPDATE_MAX_SHARE = 0.15;

/** Layout of the site for the floor map: static for the life of the process. */
export function buildLayout(model: SiteModel): Layout {
  return {
    site: model.name,
    halls: model.halls.map((h) => ({
      id: h.id,
      name: h.name,
      rows: h.rows,
      cols: h.cols,
      racks: h.racks.map((r): RackLayout => {
        const asics = r.devices.filter((d) => d.kind === 'asic').length;
        const gpus = r.devices.filter((d) => d.kind === 'gpu').length;
        const load = asics && gpus ? 'mixed' : asics ? 'asic' : gpus ? 'gpu' : 'none';
        return { id: r.id, row: r.row, col: r.col, rated_kw: r.rated_kw, cooling: r.cooling, load, devices: r.devices.length };
      }),
    })),
    loops: model.loops.map((l) => ({ id: l.id, hall: l.hall, fluid: l.fluid, racks: l.racks })),
  };
}

/**
 * The hall an alert's scope lies in ('hall:M', a rack's, a device's or a loop's hall), so a wall rotating
 * through halls shows device-level alerts in their hall's view; none for site and collector scopes.
 */
export function alertHall(model: SiteModel, scope: string, curtailmentScope?: (id: string) => string | undefined): string | undefined {
  const i = scope.indexOf(':');
  if (i < 0) return undefined;
  const kind = scope.slice(0, i);
  const id = scope.slice(i + 1);
  if (kind === 'hall') return id;
  // CurtailmentShortfall's scope is its event: it belongs where the event's scope is (a hall's event in that hall).
  if (kind === 'curtailment') {
    const s = curtailmentScope?.(id);
    return s === undefined || s.startsWith('curtailment:') ? undefined : alertHall(model, s);
  }
  if (kind === 'rack') return model.racks.get(id)?.hall;
  if (kind === 'device') {
    const d = model.devices.get(id);
    return d?.hall ?? (d?.rack ? model.racks.get(d.rack)?.hall : undefined);
  }
  if (kind === 'loop') return model.loops.find((l) => l.id === id)?.hall;
  return undefined;
}

/** The alert as the wall and the API show it: a copy naming its hall, where it has one (the engine's own object untouched). */
export function withAlertHall<A extends AlertView>(model: SiteModel, a: A, curtailmentScope?: (id: string) => string | undefined): A {
  const hall = alertHall(model, a.scope, curtailmentScope);
  return hall === undefined ? a : { ...a, hall };
}

/**
 * Whether two figure values serialise to the same JSON, i.e. whether the wall would see a difference:
 * non-finite numbers read as null, keys whose value is undefined as absent. Compared in place rather
 * than by JSON.stringify of each rack, which at 2,800 racks was ~15 ms of every tick.
 */
export function sameJson(a: unknown, b: unknown): boolean {
  if (typeof a === 'number' || typeof b === 'number') {
    const x = typeof a === 'number' && !Number.isFinite(a) ? null : a;
    const y = typeof b === 'number' && !Number.isFinite(b) ? null : b;
    return x === y;
  }
  if (a === b) return true;
  if (a === null || b === null || typeof a !== 'object' || typeof b !== 'object') return false;
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!sameJson(a[i] ?? null, b[i] ?? null)) return false;
    return true;
  }
  const ao = a as Record<string, unknown>;
  const bo = b as Record<string, unknown>;
  let na = 0;
  for (const k in ao) {
    if (ao[k] === undefined) continue;
    na++;
    if (!sameJson(ao[k], bo[k])) return false;
  }
  let nb = 0;
  for (const k in bo) if (bo[k] !== undefined) nb++;
  return na === nb;
}

// Figures carry no timestamps of their own except the site's, so comparing them tells what changed.
// The previous tick's objects are kept as they are: figures are built afresh each tick, never mutated.
function changed<T extends { id: string }>(prev: Map<string, T>, next: readonly T[]): T[] {
  const out: T[] = [];
  for (const item of next) {
    const before = prev.get(item.id);
    if (before === undefined || !sameJson(before, item)) out.push(item);
    prev.set(item.id, item);
  }
  return out;
}

/**
 * Computes the site's figures from live state and turns them into the socket's `update` stream: a
 * sequence number, and only the halls, racks and loops whose figures changed since the previous update.
 * The 1 s tick reads every rack, integrates energy and today's economics, records curtailments, runs the
 * alert pass and sends an update; between ticks, a commit that changed the live view asks for an update
 * (changed()), which reads again only the racks whose devices changed (figures/compute.ts computePass),
 * at most one every UPDATE_MIN_GAP_MS (coalescer.ts). Both kinds share one `seq`: each update is the next.
 */
export function createHub(opts: {
  model: SiteModel;
  live: LiveState;
  staleAfterMs?: number;
  alerts?: AlertSource;
  curtailments?: CurtailmentSource;
  index?: SiteIndex;
  now?: () => number;
  /** spans Floorwatch was not running (restarts): left out of every device's age */
  offline?: () => readonly { from: number; to: number }[];
  /** today's economic totals so far (seeded from the rollups at start); absent = a fresh one from 0 */
  day?: DayLedger;
  /** least ms between two updates (default UPDATE_MIN_GAP_MS) */
  minGapMs?: number;
  /**
   * the coalescer's clock and timer (default: `now` when given, else performance.now; the event loop's
   * timers). The server's timer is its background guard's once(): a send it fires runs under the guard,
   * and stopAll() drops one still pending.
   */
  clock?: () => number;
  setTimer?: SetTimer;
}): Hub {
  const { model, live } = opts;
  const now = opts.now ?? Date.now;
  const staleAfterMs = opts.staleAfterMs ?? 60_000;
  const layout = buildLayout(model);
  const index = opts.index ?? prepareIndex(model);
  // The live state's entries are updated in place, never replaced: one lookup each, here, for every pass.
  const byRef = liveByRef(index, live.devices);
  const energy = createEnergyWindow();
  const day = opts.day ?? createDayLedger(model.economics?.timezone ?? 'UTC', now());
  const emitter = new EventEmitter<HubEvents>();
  let seq = 0;
  const prevHalls = new Map<string, HallFigures>();
  const prevRacks = new Map<string, RackFigures>();
  const prevLoops = new Map<string, LoopFigures>();
  let sentAlertsRevision = 0;
  const eventScope = (id: string): string | undefined => opts.curtailments?.scopeOf(id);
  const withHall = <A extends AlertView>(a: A): A => withAlertHall(model, a, eventScope);

  const input = (): LiveInput => {
    const t = now();
    return { model, devices: live.devices, byRef, now: t, stale_after_ms: staleAfterMs, offline: opts.offline?.(), curtailed: opts.curtailments?.curtailed(t) };
  };
  let sentCurtailments: CurtailmentView[] = [];
  let pass: FiguresPass = computePass(input(), energy, index, day);
  let current: Figures = pass.figures;
  /** the figures of the last update sent: what a snapshot carries with its seq, so the next update follows on from it */
  let sent: Figures = current;
  changed(prevHalls, current.halls);
  changed(prevRacks, current.racks);
  changed(prevLoops, current.loops);
  let prevPools = current.pools;
  /** racks whose devices changed since the last pass, and since the last device-level `racks` event */
  const dirty = new Set<string>();
  const subscribed = new Set<string>();
  /** a commit came in since the last pass (meters and markets are in no rack: the site's figures move too) */
  let stale = false;
  let started = false;

  const takeChanged = (): void => {
    for (const r of live.takeChangedRacks()) {
      dirty.add(r);
      subscribed.add(r);
    }
  };

  function send(): void {
    if (stale) {
      takeChanged();
      pass = computePass(input(), energy, index, day, { prev: pass, dirty });
      current = pass.figures;
      dirty.clear();
      stale = false;
    }
    const f = current;
    sent = f;
    const update: LiveUpdate = { seq: ++seq, ts: f.site.ts, site: f.site, newest_reading_ts: live.lastReadingTs() };
    const curtailments = opts.curtailments?.wall() ?? [];
    if (!sameJson(curtailments, sentCurtailments)) update.curtailments = sentCurtailments = curtailments;
    const halls: HallFigures[] = changed(prevHalls, f.halls);
    const racks: RackFigures[] = changed(prevRacks, f.racks);
    const loops: LoopFigures[] = changed(prevLoops, f.loops);
    if (halls.length) update.halls = halls;
    if (racks.length) update.racks = racks;
    if (loops.length) update.loops = loops;
    // Pools are few (the expected ones and at most 20 others): the whole list goes when any of it changed.
    if (!sameJson(prevPools ?? [], f.pools ?? [])) update.pools = f.pools ?? [];
    prevPools = f.pools;
    // The update carries the alert list as of the latest alert pass (the tick's, which runs after the
    // tick's own update); each change also goes out as its own `alert` event right after that pass.
    // Compared by revision, not by content: in a site-wide outage the list holds one alert per device,
    // and serialising it every second to find out whether it changed cost more than the figures.
    if (opts.alerts && opts.alerts.revision() !== sentAlertsRevision) {
      sentAlertsRevision = opts.alerts.revision();
      update.alerts = opts.alerts.active().map(withHall);
    }
    emitter.emit('update', update);
  }

  const coalescer = createCoalescer({
    minGapMs: opts.minGapMs ?? UPDATE_MIN_GAP_MS,
    // Under a full site's ingest every rack changes between updates, so each send is a whole figure pass
    // (~60 ms at 100,000 devices): four a second cost the HTTP ingest ~11 % (median of 3 runs, 487 k
    // against 547 k samples/s). A send may take at most this share of the main thread; the window grows.
    maxShare: UPDATE_MAX_SHARE,
    // The hub's own clock when one is given (tests drive both with it); else one that never goes back.
    now: opts.clock ?? (opts.now !== undefined ? opts.now : () => performance.now()),
    setTimer: opts.setTimer ?? loopTimer,
    send,
  });

  function tick(): void {
    started = true;
    takeChanged();
    dirty.clear();
    stale = false;
    const inp = input();
    pass = computePass(inp, energy, index, day);
    const f = pass.figures;
    recordEnergy(energy, inp.now, f.site.it_power_w, f.site.facility_power_w, f.site.it_power_complete);
    recordDay(day, inp.now, f);
    current = f;
    opts.curtailments?.record(f, inp.now);
    // The figures go out before the alert pass (the longest part of a tick at 100k devices), so what
    // was pushed reaches the wall without waiting for it; within UPDATE_MIN_GAP_MS of the previous
    // update, they go at that window's end instead.
    coalescer.requestNow();
    emitter.emit('tick', f);
    if (opts.alerts) {
      for (const a of opts.alerts.evaluate(f, inp)) emitter.emit('alert', withHall(a));
    }
    takeChanged();
    if (subscribed.size) {
      const racks = new Set(subscribed);
      subscribed.clear();
      emitter.emit('racks', racks);
    }
  }

  const view = (f: Figures): LiveSnapshot => ({
    seq,
    ts: f.site.ts,
    layout,
    figures: f,
    alerts: (opts.alerts?.active() ?? []).map(withHall),
    newest_reading_ts: live.lastReadingTs(),
    curtailments: opts.curtailments?.wall() ?? [],
  });

  return Object.assign(emitter, {
    snapshot: () => view(sent),
    site: () => view(current),
    curtailments: () => opts.curtailments?.wall() ?? [],
    figures: () => current,
    layout: () => layout,
    input,
    deviceStatus: (id: string) => deviceStatus(input(), id, index),
    rackDevices: (rackId: string) => deviceStatuses(input(), rackId, index),
    tick,
    changed() {
      if (!started) return;
      stale = true;
      coalescer.request();
    },
    flush() {
      if (!coalescer.pending()) return false;
      coalescer.cancel();
      send();
      return true;
    },
    stop: () => coalescer.cancel(),
  });
}
