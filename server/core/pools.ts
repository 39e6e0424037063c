// Mining pools in the vocabulary (issue 19): what a miner says about its pools (the strings a Reading may
// carry beside its metrics), what the site expects (config `pools:`), and how the two are matched. Plain
// data and pure functions: no I/O. The numbers a store should keep (rejected and stale rates, the age of
// the last share) are asic metrics in vocabulary.ts; these strings live only in the live state.

/** A pool as the miner judges it: answering ('alive'), not ('dead': Dead, Rejecting, Unreachable), or switched off. */
export type PoolState = 'alive' | 'dead' | 'disabled';
export const POOL_STATES: readonly PoolState[] = ['alive', 'dead', 'disabled'];

/** One pool of a miner's list. */
export interface PoolEntry {
  /** as the miner reports it, e.g. stratum+tcp://btc.global.luxor.tech:700 */
  url: string;
  /** the worker name the miner logs in with, e.g. account.worker1 */
  user: string;
  state: PoolState;
  /** the miner is mining on it now (cgminer `Stratum Active`) */
  active: boolean;
  /** 0 = first choice; failover goes down the list */
  priority: number;
}

/** Bounds at the edge: a miner (or an integrator) cannot fill the live state with kilobytes per device. */
export const MAX_POOLS = 16;
export const MAX_POOL_URL = 256;
export const MAX_POOL_USER = 128;

// C0 controls, DEL and C1 controls: nothing a URL or worker name carries, and they break logs and labels.
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/u;

/** What is wrong with a pool URL or user string, or null. */
export function checkPoolText(v: unknown, max: number, empty: boolean): string | null {
  if (typeof v !== 'string') return 'expected a string';
  if (v.length > max) return `longer than ${max} characters`;
  if (!empty && v.trim() === '') return 'empty';
  if (CONTROL.test(v)) return 'contains a control character';
  return null;
}

/**
 * Validates a reading's `pools` (a push or a collector's object): a list of at most MAX_POOLS entries of
 * {url, user, state, active, priority}. Returns the typed list, or the first error with its path suffix.
 */
export function validatePools(raw: unknown): { pools: PoolEntry[] } | { path: string; error: string } {
  if (!Array.isArray(raw)) return { path: '', error: 'expected a list of pools' };
  if (raw.length > MAX_POOLS) return { path: '', error: `more than ${MAX_POOLS} pools` };
  const pools: PoolEntry[] = [];
  for (let i = 0; i < raw.length; i++) {
    const p: unknown = raw[i];
    const at = `[${i}]`;
    if (typeof p !== 'object' || p === null || Array.isArray(p)) return { path: at, error: 'expected an object' };
    const o = p as Record<string, unknown>;
    for (const k of Object.keys(o)) {
      if (k !== 'url' && k !== 'user' && k !== 'state' && k !== 'active' && k !== 'priority') return { path: `${at}.${k}`, error: 'unknown field' };
    }
    const url = checkPoolText(o.url, MAX_POOL_URL, false);
    if (url !== null) return { path: `${at}.url`, error: url };
    // A pool configured without a worker name is real (some firmware leaves it blank on spare slots).
    const user = checkPoolText(o.user, MAX_POOL_USER, true);
    if (user !== null) return { path: `${at}.user`, error: user };
    if (!POOL_STATES.includes(o.state as PoolState)) return { path: `${at}.state`, error: `expected one of ${POOL_STATES.join(', ')}` };
    if (typeof o.active !== 'boolean') return { path: `${at}.active`, error: 'expected true or false' };
    const pr = o.priority;
    if (typeof pr !== 'number' || !Number.isInteger(pr) || pr < 0 || pr > 1000) return { path: `${at}.priority`, error: 'expected an integer 0..1000' };
    pools.push({ url: o.url as string, user: o.user as string, state: o.state as PoolState, active: o.active, priority: pr });
  }
  return { pools };
}

/** A pool the site expects its miners on (config `pools:`). */
export interface ExpectedPool {
  /** the pool's name on the wall, in alerts and in /metrics' `pool` label */
  name: string;
  /** stratum URL as configured */
  url: string;
  /** the account: a miner's user matches when it is this, or this followed by `.worker` */
  user?: string;
  /** where its stratum server listens (from the URL), probed by a TCP connect probe */
  host: string;
  port: number;
  /** the probe device's id (kind `probe`) */
  probe: string;
}

/**
 * The form pool URLs are compared in: lower case, no surrounding space, no trailing slash, and no
 * scheme: miners report the same pool as `stratum+tcp://h:p`, `stratum://h:p` or bare `h:p`.
 */
export function poolKey(url: string): string {
  return url.trim().toLowerCase().replace(/^[a-z][a-z0-9+.-]*:\/\//u, '').replace(/\/+$/u, '');
}

/** Host and port of a stratum URL (`stratum+tcp://host:port`, `host:port`, `[v6]:port`), or null. */
export function poolHostPort(url: string): { host: string; port: number } | null {
  const m = /^\[?([^\]/]+?)\]?:(\d{1,5})$/u.exec(poolKey(url));
  if (!m) return null;
  const port = Number(m[2]);
  return port >= 1 && port <= 65535 ? { host: m[1], port } : null;
}

/** Whether a miner's user is the expected account (itself, or account.worker). Case is the pool's: kept. */
export function userMatches(expected: string, user: string): boolean {
  return user === expected || user.startsWith(`${expected}.`);
}

/** The expected pool a miner's pool entry is, or undefined. */
export function matchPool(expected: readonly ExpectedPool[], entry: Pick<PoolEntry, 'url' | 'user'>): ExpectedPool | undefined {
  const key = poolKey(entry.url);
  return expected.find((p) => poolKey(p.url) === key && (p.user === undefined || userMatches(p.user, entry.user)));
}

/**
 * The pool a miner mines on: the active entry of lowest priority (LuxOS runs one per group), or where
 * none is marked active (Elphapex has no such field), the first alive one by priority, as failover picks.
 */
export function activePool(pools: readonly PoolEntry[]): PoolEntry | undefined {
  const byPriority = [...pools].sort((a, b) => a.priority - b.priority);
  return byPriority.find((p) => p.active) ?? byPriority.find((p) => p.state === 'alive');
}

/** One pool report resolved against the expected pools: one vote per pool it lists, and the one it mines on. */
export interface ResolvedPools {
  votes: { id: string; url: string; expected: boolean; alive: boolean }[];
  /** the id of the active pool, null when none (all dead, or disabled) */
  active: string | null;
}

/**
 * The pool ids a report names: the expected pool's name where it is one, else the URL's normal form.
 * Done once per report (the live state stores it beside the list), not once per figures tick: at 100,000
 * miners the matching was 200 ms of every 1 s tick, and a WeakMap memo still 90 ms (on this shared box).
 */
export function resolvePools(expected: readonly ExpectedPool[], list: readonly PoolEntry[]): ResolvedPools {
  const idOf = (e: PoolEntry): { id: string; url: string; expected: boolean } => {
    const m = matchPool(expected, e);
    return m !== undefined ? { id: m.name, url: m.url, expected: true } : { id: poolKey(e.url), url: e.url, expected: false };
  };
  // One vote per miner per pool: LuxOS lists a URL once per group.
  const votes = new Map<string, ResolvedPools['votes'][number]>();
  for (const e of list) {
    if (e.state === 'disabled') continue;
    const who = idOf(e);
    const v = votes.get(who.id);
    // A literal of one shape, not a spread: the figures read these for every miner every second, and
    // spread objects read three times slower there (measured at 100,000 miners).
    if (v === undefined) votes.set(who.id, { id: who.id, url: who.url, expected: who.expected, alive: e.state === 'alive' });
    else v.alive ||= e.state === 'alive';
  }
  const act = activePool(list);
  return { votes: [...votes.values()], active: act === undefined || act.state === 'disabled' ? null : idOf(act).id };
}
