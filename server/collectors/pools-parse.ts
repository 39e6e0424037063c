// Pool status from every firmware's own pool reply (issue 19), into one shape: the pool list (strings, for
// the live state) and three asic metrics of the active pool. Pure: no I/O. The replies, as captured in
// test/fixtures/asic/*/ (sources in that README):
// - cgminer-family `pools` (stock Antminer bmminer, LuxOS, Avalon, btminer API v1/v2, Auradine, SealMiner):
//   POOLS[] with URL, User, Status ("Alive", "Dead", "Disabled", "Rejecting"), "Stratum Active", Priority,
//   "Pool Rejected%", "Pool Stale%" (bmminer spells it "Pool Stale%%"), "Last Share Time" and the
//   difficulty sums; STATUS[0].When is the miner's clock.
// - Bitmain's new API layout (Elphapex): lower-case url, user, status ("Unreachable"), priority, diffa,
//   diffr, diffs, lstime; no active flag.
// - Whatsminer API v3 `get.miner.status` `pools`: msg.pools[] with url, account, status, stratum-active,
//   pool-priority.
// - Braiins OS REST `GET /api/v1/pools/`: groups[].pools[] with url, user, enabled, alive, active and
//   stats (accepted/rejected/stale share counts, last_share_time {seconds, nanos}).

import type { DeviceModel, MetricOf, PoolEntry, Reading } from '../core/types.js';
import type { PoolState } from '../core/pools.js';
import { activePool, checkPoolText, MAX_POOL_URL, MAX_POOL_USER, MAX_POOLS } from '../core/pools.js';
import { entries, isObject, num, round } from './asic-values.js';
import type { CollectorPlugin, JsonObject, PollContext } from './types.js';

export type PoolMetric = Extract<MetricOf<'asic'>, 'pool_rejected_pct' | 'pool_stale_pct' | 'last_share_age_s'>;
export const POOL_METRICS: readonly PoolMetric[] = ['pool_rejected_pct', 'pool_stale_pct', 'last_share_age_s'];

/** One reply read: the list, and the active pool's figures (null where the firmware says nothing). */
export interface PoolReport {
  pools: PoolEntry[];
  metrics: Record<PoolMetric, number | null>;
}

/** A pool as read, with the figures only the active one's metrics need. */
interface Raw extends PoolEntry {
  rejected_pct: number | null;
  stale_pct: number | null;
  last_share_age_s: number | null;
}

function str(v: unknown): string {
  return typeof v === 'string' ? v : '';
}

function stateOf(status: unknown, enabled = true): PoolState {
  if (!enabled) return 'disabled';
  const s = str(status).trim().toLowerCase();
  if (s === 'alive') return 'alive';
  if (s === 'disabled') return 'disabled';
  return 'dead';
}

/**
 * A share of a total in %, from cgminer's difficulty sums (its own "Pool Rejected%" is
 * diff_rejected ÷ (diff_accepted + diff_rejected + diff_stale) × 100: cgminer api.c, and the Avalon
 * capture's 786432 ÷ 369336608 = 0.2129 % agrees), or from share counts where a firmware gives only those.
 */
function pct(part: number | null, ...rest: (number | null)[]): number | null {
  if (part === null) return null;
  const total = rest.reduce<number>((s, x) => s + (x ?? 0), part);
  return total > 0 ? round((part / total) * 100, 4) : null;
}

/**
 * "Last Share Time" in its firmware spellings → seconds ago: "0:00:03" / "00:57:33" (bmminer, LuxOS: the
 * time since), an epoch in seconds (btminer, bdminer: against the reply's own When, the miner's clock, so a
 * skewed miner clock does not matter), 0 / "0" / "" for none yet. A small number that is neither (Avalon's
 * cgminer 4.11.1 gives 31279 beside a When of 1753431847) is not read: null, not a guess.
 */
export function lastShareAge(v: unknown, when: number | null): number | null {
  if (typeof v === 'string') {
    const m = /^(\d+):(\d{2}):(\d{2})$/u.exec(v.trim());
    if (m) return Number(m[1]) * 3600 + Number(m[2]) * 60 + Number(m[3]);
    return v.trim() === '' ? null : lastShareAge(num(v), when);
  }
  if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) return null;
  if (v >= 1e9 && when !== null && when >= v) return when - v;
  return null;
}

/** Keeps what the live state can hold: bounded text without control characters, at most MAX_POOLS. */
function keep(raws: Raw[]): Raw[] {
  return raws
    .filter((p) => checkPoolText(p.url, MAX_POOL_URL, false) === null && checkPoolText(p.user, MAX_POOL_USER, true) === null)
    .slice(0, MAX_POOLS);
}

function report(raws: Raw[]): PoolReport | null {
  const list = keep(raws);
  if (list.length === 0) return null;
  const pools = list.map(({ url, user, state, active, priority }) => ({ url, user, state, active, priority }));
  // activePool returns one of the entries it is given: the Raw itself, with its figures.
  const act = activePool(list) as Raw | undefined;
  return {
    pools,
    metrics: {
      pool_rejected_pct: act?.rejected_pct ?? null,
      pool_stale_pct: act?.stale_pct ?? null,
      last_share_age_s: act?.last_share_age_s ?? null,
    },
  };
}

function priorityOf(v: unknown, i: number): number {
  const n = num(v);
  return n !== null && Number.isInteger(n) && n >= 0 && n <= 1000 ? n : i;
}

/** A cgminer-family `pools` reply (both layouts), or null when it holds no pool. */
export function parseCgminerPools(reply: JsonObject | undefined): PoolReport | null {
  if (reply === undefined) return null;
  const st = Array.isArray(reply.STATUS) ? reply.STATUS[0] : reply.STATUS;
  const when = isObject(st) ? num(st.When) ?? num(st.timestamp) : null;
  return report(entries(reply, 'POOLS').map((p, i): Raw => {
    if (p.URL === undefined && typeof p.url === 'string') {
      // Bitmain's new API layout: lower-case keys, difficulty sums diffa / diffr / diffs.
      const diffa = num(p.diffa);
      const diffr = num(p.diffr);
      const diffs = num(p.diffs);
      return {
        url: p.url, user: str(p.user), state: stateOf(p.status), active: false, priority: priorityOf(p.priority, i),
        rejected_pct: pct(diffr, diffa, diffs), stale_pct: pct(diffs, diffa, diffr), last_share_age_s: lastShareAge(p.lstime, when),
      };
    }
    const da = num(p['Difficulty Accepted']);
    const dr = num(p['Difficulty Rejected']);
    const ds = num(p['Difficulty Stale']);
    const fromDiff = da !== null && dr !== null;
    return {
      url: str(p.URL), user: str(p.User), state: stateOf(p.Status), active: p['Stratum Active'] === true,
      priority: priorityOf(p.Priority, i),
      // From the difficulty sums by cgminer's own formula where they are given: stock bmminer 1.0.0 writes
      // "Pool Rejected%" 0.0 beside sums that say 0.19 % (the S19 Pro capture); Avalon's and bdminer's
      // fields agree with their sums. Else the firmware's field, else share counts (Auradine, btminer v2).
      rejected_pct: fromDiff ? pct(dr, da, ds) : num(p['Pool Rejected%']) ?? pct(num(p.Rejected), num(p.Accepted), num(p.Stale)),
      stale_pct: fromDiff && ds !== null ? pct(ds, da, dr)
        : num(p['Pool Stale%']) ?? num(p['Pool Stale%%']) ?? pct(num(p.Stale), num(p.Accepted), num(p.Rejected)),
      last_share_age_s: lastShareAge(p['Last Share Time'], when),
    };
  }));
}

/** A Whatsminer API v3 `get.miner.status` `pools` reply (code 0 checked by the caller), or null. */
export function parseWhatsminerV3Pools(reply: JsonObject): PoolReport | null {
  const msg = reply.msg;
  const list = isObject(msg) && Array.isArray(msg.pools) ? msg.pools.filter(isObject) : [];
  return report(list.map((p, i): Raw => ({
    url: str(p.url), user: str(p.account), state: stateOf(p.status), active: p['stratum-active'] === true,
    priority: priorityOf(p['pool-priority'], i),
    // The v3 pool entry carries no share counts and no last-share time (the captured sample has none).
    rejected_pct: null, stale_pct: null, last_share_age_s: null,
  })));
}

/** A Braiins OS REST `pools/` reply (a list of pool groups), or null. `now` in epoch ms: the reply has no clock. */
export function parseBraiinsPools(reply: unknown, now: number): PoolReport | null {
  const groups = Array.isArray(reply) ? reply.filter(isObject) : isObject(reply) && Array.isArray(reply.pool_groups) ? reply.pool_groups.filter(isObject) : [];
  const raws: Raw[] = [];
  for (const g of groups) {
    const pools = Array.isArray(g.pools) ? g.pools.filter(isObject) : [];
    for (const p of pools) {
      const s: JsonObject = isObject(p.stats) ? p.stats : {};
      const acc = num(s.accepted_shares);
      const rej = num(s.rejected_shares);
      const stale = num(s.stale_shares);
      const lst = isObject(s.last_share_time) ? num(s.last_share_time.seconds) : null;
      raws.push({
        url: str(p.url), user: str(p.user), state: p.enabled === false ? 'disabled' : p.alive === true ? 'alive' : 'dead',
        active: p.active === true, priority: raws.length,
        // Share counts, not difficulty: bosminer's REST stats give no per-pool difficulty sums.
        rejected_pct: pct(rej, acc, stale), stale_pct: pct(stale, acc, rej),
        last_share_age_s: lst !== null && lst > 0 && now / 1000 >= lst ? Math.floor(now / 1000 - lst) : null,
      });
    }
  }
  return report(raws);
}

/** What a poll did about pools: nothing this time (undefined), asked and got nothing (null), or a report. */
export type PoolsFetched = PoolReport | null | undefined;

/**
 * Puts a poll's pool result into its reading: the list and the active pool's figures when read; the
 * figures as unknown (null) when asked and not answered; and when pools were not asked this poll, no pool
 * figure at all, so the live state keeps the last one read (within its carry window).
 */
export function withPools(metrics: Record<string, number | null | undefined>, fetched: PoolsFetched): PoolEntry[] | undefined {
  for (const k of POOL_METRICS) {
    if (fetched === undefined) delete metrics[k];
    else metrics[k] = fetched === null ? null : fetched.metrics[k];
  }
  return fetched?.pools;
}

/**
 * How often a miner is asked for its pools: every poll at most, at least 40 s apart. At the default 15 s
 * interval that is every third sweep (45 s: one request in three sweeps), inside the live state's 60 s
 * carry window, so the pool figures never lapse between two asks; a jittered poll a little early still
 * lands on the third sweep, not the fourth.
 */
export const POOLS_EVERY_MS = 40_000;

/** Per target: whether this poll asks for pools. The first poll always does. */
export function poolsCadence(every_ms = POOLS_EVERY_MS): { due(now: number): boolean; done(now: number): void } {
  let last: number | null = null;
  return {
    due: (now) => last === null || now - last >= every_ms,
    done: (now) => {
      last = now;
    },
  };
}

/**
 * One target per miner at `address`, each with its own pools cadence: `poll` is told whether this poll
 * asks for pools, and the cadence moves on only once it has (a failed poll asks again next time).
 */
export function onePerMinerWithPools(
  poll: (device: DeviceModel, ctx: PollContext, timeout_ms: number, pools: boolean) => Promise<Reading>,
): CollectorPlugin['targets'] {
  return (devices, ctx) => devices.filter((d) => d.address).map((d) => {
    const cadence = poolsCadence();
    return {
      key: d.id, devices: [d],
      poll: async (timeout_ms: number) => {
        const t = ctx.now();
        const pools = cadence.due(t);
        ctx.sink.accept([await poll(d, ctx, timeout_ms, pools)]);
        if (pools) cadence.done(t);
      },
    };
  });
}
