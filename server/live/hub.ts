import { EventEmitter } from 'node:events';
import type {
  AlertView, CurtailmentView, DeviceStatus, Figures, HallFigures, Layout, LiveInput, LiveSnapshot, LiveUpdate, LoopFigures,
  RackFigures, RackLayout, SiteModel,
} from '../core/types.js';
import { computeFigures } from '../figures/compute.js';
import { createEnergyWindow, recordEnergy } from '../figures/energy.js';
import { deviceStatus, deviceStatuses } from '../figures/devices.js';
import { createDayLedger, recordDay, type DayLedger } from '../figures/economics-day.js';
import { prepareIndex, type SiteIndex } from '../figures/site-index.js';
import type { LiveState } from './state.js';

export interface HubEvents {
  update: [LiveUpdate];
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
  snapshot(): LiveSnapshot;
  /** curtailment events as the wall sees them (scheduled soon, active, just ended) */
  curtailments(): CurtailmentView[];
  figures(): Figures;
  layout(): Layout;
  input(): LiveInput;
  deviceStatus(id: string): DeviceStatus | undefined;
  rackDevices(rackId: string): DeviceStatus[];
  /** recompute now: the server's background guard calls it every tickMs (server/lifecycle/background.ts) */
  tick(): void;
}

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
 * Computes the site's figures from live state once a second and turns them into the socket's
 * `update` stream: a sequence number, and only the halls, racks and loops whose figures changed.
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
}): Hub {
  const { model, live } = opts;
  const now = opts.now ?? Date.now;
  const staleAfterMs = opts.staleAfterMs ?? 60_000;
  const layout = buildLayout(model);
  const index = opts.index ?? prepareIndex(model);
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
    return { model, devices: live.devices, now: t, stale_after_ms: staleAfterMs, offline: opts.offline?.(), curtailed: opts.curtailments?.curtailed(t) };
  };
  let sentCurtailments: CurtailmentView[] = [];
  let current: Figures = computeFigures(input(), energy, index, day);
  changed(prevHalls, current.halls);
  changed(prevRacks, current.racks);
  changed(prevLoops, current.loops);
  let prevPools = current.pools;

  function tick(): void {
    const inp = input();
    const f = computeFigures(inp, energy, index, day);
    recordEnergy(energy, inp.now, f.site.it_power_w, f.site.facility_power_w, f.site.it_power_complete);
    recordDay(day, inp.now, f);
    current = f;
    opts.curtailments?.record(f, inp.now);
    const update: LiveUpdate = { seq: ++seq, ts: inp.now, site: f.site, newest_reading_ts: live.lastReadingTs() };
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
    // The figures go out before the alert pass (the longest part of a tick at 100k devices), so what
    // was pushed reaches the wall without waiting for it. The update carries the alert list as of the
    // previous pass; each change also goes out as its own `alert` event right after this pass.
    // Compared by revision, not by content: in a site-wide outage the list holds one alert per device,
    // and serialising it every second to find out whether it changed cost more than the figures.
    if (opts.alerts && opts.alerts.revision() !== sentAlertsRevision) {
      sentAlertsRevision = opts.alerts.revision();
      update.alerts = opts.alerts.active().map(withHall);
    }
    // The volatile update goes first: a volatile frame is dropped when the transport is still busy
    // with an earlier frame of the same turn, so anything emitted before it would always cost it.
    emitter.emit('update', update);
    if (opts.alerts) {
      for (const a of opts.alerts.evaluate(f, inp)) emitter.emit('alert', withHall(a));
    }
    const racksChanged = live.takeChangedRacks();
    if (racksChanged.size) emitter.emit('racks', racksChanged);
  }

  return Object.assign(emitter, {
    snapshot: (): LiveSnapshot => ({
      seq,
      ts: current.site.ts,
      layout,
      figures: current,
      alerts: (opts.alerts?.active() ?? []).map(withHall),
      newest_reading_ts: live.lastReadingTs(),
      curtailments: opts.curtailments?.wall() ?? [],
    }),
    curtailments: () => opts.curtailments?.wall() ?? [],
    figures: () => current,
    layout: () => layout,
    input,
    deviceStatus: (id: string) => deviceStatus(input(), id, index),
    rackDevices: (rackId: string) => deviceStatuses(input(), rackId, index),
    tick,
  });
}
