// The live feed: one socket.io connection to /live, folded into one in-memory state that every view reads.
// The fold (applySnapshot / applyUpdate / applyAlert) is pure so it is tested without a browser.

import { io, type Socket } from 'socket.io-client';
import type {
  AlertView, CurtailmentView, HallFigures, Layout, LiveSnapshot, LiveUpdate, LoopFigures, PoolFigures, RackDevicesUpdate, RackFigures,
  SiteFigures, Severity,
} from '../../server/core/types.js';
import { WALL_DATA_AGE_WARN_MS, WALL_DATA_STALE_MS } from '../../server/figures/bands.js';

/** The wall shows DATA STALE after this long without any message from the server. */
export const STALE_AFTER_MS = 10_000;

export interface LiveState {
  layout: Layout | null;
  site: SiteFigures | null;
  halls: Map<string, HallFigures>;
  racks: Map<string, RackFigures>;
  loops: Map<string, LoopFigures>;
  /** mining pools, expected ones first (issue 19); the server sends the whole list when it changes */
  pools: PoolFigures[];
  /** pending and firing alerts, by key */
  alerts: Map<string, AlertView>;
  /** curtailment events as the server lists them for the wall (scheduled soon, active, just ended) */
  curtailments: CurtailmentView[];
  /** seq of the last update folded in; -1 before the first snapshot */
  seq: number;
  /** server time of the latest figures */
  serverTs: number | null;
  /** client time the latest message arrived: staleness is judged on the client's own clock */
  lastMessageAt: number | null;
  connected: boolean;
  /**
   * How old the newest reading of any device was when the latest message was sent (server clock on both
   * sides, so a skewed client clock does not matter): null = the server has no reading yet; undefined =
   * the server does not say (an older server), and only the socket's silence counts.
   */
  readingAgeAtMessage: number | null | undefined;
  /** client time readingAgeAtMessage was set (alerts and rack messages move lastMessageAt, not this) */
  readingAgeSetAt: number | null;
  /** a gap was seen and a resync asked for: updates are ignored until the fresh snapshot */
  awaitingSnapshot: boolean;
}

export function emptyState(): LiveState {
  return {
    layout: null, site: null, halls: new Map(), racks: new Map(), loops: new Map(), pools: [], alerts: new Map(), curtailments: [],
    seq: -1, serverTs: null, lastMessageAt: null, connected: false, awaitingSnapshot: false,
    readingAgeAtMessage: undefined, readingAgeSetAt: null,
  };
}

function replaceAll<T extends { id: string }>(map: Map<string, T>, items: readonly T[]): void {
  map.clear();
  for (const it of items) map.set(it.id, it);
}

function merge<T extends { id: string }>(map: Map<string, T>, items: readonly T[] | undefined): void {
  if (!items) return;
  for (const it of items) map.set(it.id, it);
}

function readingAge(ts: number, newest: number | null | undefined): number | null | undefined {
  if (newest === undefined) return undefined;
  return newest === null ? null : Math.max(0, ts - newest);
}

function setAlerts(state: LiveState, alerts: readonly AlertView[]): void {
  state.alerts.clear();
  for (const a of alerts) if (a.state !== 'resolved') state.alerts.set(a.key, a);
}

export function applySnapshot(state: LiveState, snap: LiveSnapshot, now: number): void {
  state.layout = snap.layout;
  state.site = snap.figures.site;
  replaceAll(state.halls, snap.figures.halls);
  replaceAll(state.racks, snap.figures.racks);
  replaceAll(state.loops, snap.figures.loops);
  state.pools = snap.figures.pools ?? [];
  setAlerts(state, snap.alerts);
  state.curtailments = snap.curtailments ?? [];
  state.seq = snap.seq;
  state.serverTs = snap.ts;
  state.lastMessageAt = now;
  state.readingAgeAtMessage = readingAge(snap.ts, snap.newest_reading_ts);
  state.readingAgeSetAt = now;
  state.awaitingSnapshot = false;
}

export type UpdateResult = 'applied' | 'gap' | 'old';

/**
 * Folds one update in when it is the next in sequence. An update from the past (a replay) is ignored;
 * one from after a gap is not applied, since the parts missed are unknown: the caller asks for a snapshot.
 */
export function applyUpdate(state: LiveState, u: LiveUpdate, now: number): UpdateResult {
  state.lastMessageAt = now;
  if (state.seq < 0 || state.awaitingSnapshot) return 'gap';
  if (u.seq <= state.seq) return 'old';
  if (u.seq !== state.seq + 1) return 'gap';
  if (u.site) state.site = u.site;
  merge(state.halls, u.halls);
  merge(state.racks, u.racks);
  merge(state.loops, u.loops);
  if (u.pools) state.pools = u.pools;
  if (u.alerts) setAlerts(state, u.alerts);
  if (u.curtailments) state.curtailments = u.curtailments;
  state.seq = u.seq;
  state.serverTs = u.ts;
  state.readingAgeAtMessage = readingAge(u.ts, u.newest_reading_ts);
  state.readingAgeSetAt = now;
  return 'applied';
}

export function applyAlert(state: LiveState, a: AlertView, now: number): void {
  state.lastMessageAt = now;
  if (a.state === 'resolved') state.alerts.delete(a.key);
  else state.alerts.set(a.key, a);
}

export interface Staleness { stale: boolean; reason: string | null }

/** The wall's limits on the data's age (bands.ts); a kiosk URL may shorten them (`data_warn_s`, `data_stale_s`). */
export interface DataAgeLimits { warnMs: number; staleMs: number }
export const DATA_AGE_LIMITS: DataAgeLimits = { warnMs: WALL_DATA_AGE_WARN_MS, staleMs: WALL_DATA_STALE_MS };

/** The URL's limits, each a positive number of seconds; anything else keeps the shared default. */
export function dataAgeLimits(params: URLSearchParams): DataAgeLimits {
  const sec = (name: string): number | null => {
    const v = Number(params.get(name));
    return params.get(name) !== null && Number.isFinite(v) && v > 0 ? v * 1000 : null;
  };
  const staleMs = sec('data_stale_s') ?? WALL_DATA_STALE_MS;
  const warnMs = Math.min(sec('data_warn_s') ?? WALL_DATA_AGE_WARN_MS, staleMs);
  return { warnMs, staleMs };
}

/** Age of the newest reading now: null when unknown (no reading yet, or the server does not say). */
export function dataAge(state: LiveState, now: number): number | null {
  if (state.readingAgeAtMessage == null || state.readingAgeSetAt == null) return null;
  return state.readingAgeAtMessage + Math.max(0, now - state.readingAgeSetAt);
}

export function staleness(
  state: LiveState, now: number, staleAfterMs = STALE_AFTER_MS, limits: DataAgeLimits = DATA_AGE_LIMITS,
): Staleness {
  if (!state.connected) return { stale: true, reason: 'connection to the server lost' };
  if (state.lastMessageAt == null) return { stale: true, reason: 'waiting for the first data' };
  const age = now - state.lastMessageAt;
  if (age > staleAfterMs) return { stale: true, reason: `no update for ${Math.floor(age / 1000)} s` };
  // The socket is up and talking, but the figures it carries may be old: an ingest or collector outage.
  if (state.readingAgeAtMessage === null) return { stale: true, reason: 'no reading received from any device yet' };
  const readings = dataAge(state, now);
  if (readings !== null && readings > limits.staleMs) {
    return { stale: true, reason: `no new reading from any device for ${Math.floor(readings / 1000)} s` };
  }
  return { stale: false, reason: null };
}

/** The header's data-age state: 'warn' (amber) before the banner, so a slowing feed shows early. */
export function freshness(state: LiveState, now: number, limits: DataAgeLimits = DATA_AGE_LIMITS): 'ok' | 'warn' | 'stale' {
  if (staleness(state, now, STALE_AFTER_MS, limits).stale) return 'stale';
  const readings = dataAge(state, now);
  return readings !== null && readings > limits.warnMs ? 'warn' : 'ok';
}

const SEVERITY_RANK: Record<Severity, number> = { critical: 0, warning: 1, info: 2 };

/** Worst first: critical before warning before info, then the one firing longest. */
export function firingAlertsWorstFirst(alerts: Iterable<AlertView>): AlertView[] {
  const firing = [...alerts].filter((a) => a.state === 'firing');
  return firing.sort((a, b) =>
    SEVERITY_RANK[a.severity] - SEVERITY_RANK[b.severity]
    || (a.fired_at ?? a.since) - (b.fired_at ?? b.since)
    || a.key.localeCompare(b.key));
}

export type ChangeKind = 'snapshot' | 'update' | 'alert' | 'connection';
export type Listener = (state: LiveState, kind: ChangeKind) => void;
export type RackListener = (u: RackDevicesUpdate) => void;

export interface LiveClient {
  readonly state: LiveState;
  onChange(fn: Listener): () => void;
  /** Device-level updates of one rack; the subscription survives reconnects. */
  watchRack(rackId: string, fn: RackListener): () => void;
  close(): void;
}

/**
 * The read token of a kiosk URL (`/?token=…`), for the socket and REST calls of a site that requires one;
 * null where there is none (an open site, or a desk browser that logged in with Basic auth).
 */
export function readToken(): string | null {
  if (typeof location === 'undefined') return null;
  const t = new URLSearchParams(location.search).get('token');
  return t !== null && t !== '' ? t : null;
}

/** Headers for the REST API: the kiosk's read token when it has one. */
export function authHeaders(): Record<string, string> {
  const t = readToken();
  return t === null ? {} : { authorization: `Bearer ${t}` };
}

export function connectLive(url = '/live'): LiveClient {
  const token = readToken();
  const state = emptyState();
  const listeners = new Set<Listener>();
  const rackListeners = new Map<string, Set<RackListener>>();
  const socket: Socket = io(url, {
    transports: ['websocket'],
    // In the handshake query too: the server checks a token there, before it gives out an engine session.
    ...(token !== null ? { auth: { token }, query: { token } } : {}),
    // A wall has nobody to press reload: keep trying forever, but not so slowly that a restart looks long.
    reconnection: true,
    reconnectionDelay: 500,
    reconnectionDelayMax: 3000,
  });

  const emit = (kind: ChangeKind): void => {
    for (const fn of listeners) fn(state, kind);
  };

  socket.on('connect', () => {
    state.connected = true;
    for (const rack of rackListeners.keys()) socket.emit('subscribe', rack);
    emit('connection');
  });
  socket.on('disconnect', () => {
    state.connected = false;
    emit('connection');
  });
  socket.on('snapshot', (snap: LiveSnapshot) => {
    applySnapshot(state, snap, Date.now());
    emit('snapshot');
  });
  socket.on('update', (u: LiveUpdate) => {
    const wasAwaiting = state.awaitingSnapshot;
    const r = applyUpdate(state, u, Date.now());
    if (r === 'gap' && !wasAwaiting && state.seq >= 0) {
      state.awaitingSnapshot = true;
      socket.emit('resync');
    }
    if (r === 'applied') emit('update');
  });
  socket.on('alert', (a: AlertView) => {
    applyAlert(state, a, Date.now());
    emit('alert');
  });
  socket.on('rack', (u: RackDevicesUpdate) => {
    state.lastMessageAt = Date.now();
    const set = rackListeners.get(u.rack);
    if (set) for (const fn of set) fn(u);
  });

  return {
    state,
    onChange(fn) {
      listeners.add(fn);
      return () => listeners.delete(fn);
    },
    watchRack(rackId, fn) {
      let set = rackListeners.get(rackId);
      if (!set) {
        set = new Set();
        rackListeners.set(rackId, set);
        if (socket.connected) socket.emit('subscribe', rackId);
      }
      set.add(fn);
      return () => {
        const s = rackListeners.get(rackId);
        if (!s) return;
        s.delete(fn);
        if (s.size === 0) {
          rackListeners.delete(rackId);
          if (socket.connected) socket.emit('unsubscribe', rackId);
        }
      };
    },
    close() {
      socket.close();
    },
  };
}
