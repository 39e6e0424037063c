// Pool figures (issue 19): per pool, how many miners mine on it, how many report it alive or dead, and
// its probe's latency and loss; from these, whether it is up. Pure: no I/O, the time is input.now. A
// pool's health is judged once for the site, so a pool that dies under a thousand miners is one figure
// (and one PoolDead alert), not a thousand miner faults.

import type { ExpectedPool, PoolEntry } from '../core/pools.js';
import type { DeviceLive, LiveInput, PoolFigures } from '../core/types.js';
import { downReason } from './health.js';

/**
 * A pool report older than this is not counted: three asks at the collectors' 40 s pool cadence. The
 * miner's own staleness (stale_after_ms, its last reading) is judged first.
 */
export const POOL_REPORT_MAX_AGE_MS = 120_000;
/** Pools no config names, shown by the most miners first and bounded (each is a /metrics series). */
export const MAX_UNEXPECTED_POOLS = 20;

interface Acc {
  fig: PoolFigures;
  order: number;
}

/** Whether the miner itself says every pool it may use is dead: a pool outage, not a miner fault. */
export function allPoolsDead(pools: readonly PoolEntry[] | undefined): boolean {
  if (pools === undefined) return false;
  const usable = pools.filter((p) => p.state !== 'disabled');
  return usable.length > 0 && usable.every((p) => p.state === 'dead');
}

/** The miner answers with fresh readings: deviceHealth's own rule, not a copy of it. */
function current(input: LiveInput, live: DeviceLive): boolean {
  return downReason(live, input) === null;
}

export function poolFigures(input: LiveInput): PoolFigures[] {
  const expected: readonly ExpectedPool[] = input.model.pools ?? [];
  const byId = new Map<string, Acc>();
  const empty = (id: string, url: string, isExpected: boolean): PoolFigures => ({
    id, url, expected: isExpected, miners: 0, reporting_alive: 0, reporting_dead: 0,
    probe_latency_ms: null, probe_loss_pct: null, up: null, down_reason: null,
  });
  expected.forEach((p, i) => byId.set(p.name, { fig: empty(p.name, p.url, true), order: i }));
  const acc = (id: string, url: string, isExpected: boolean): PoolFigures => {
    let a = byId.get(id);
    if (a === undefined) {
      a = { fig: empty(id, url, isExpected), order: Infinity };
      byId.set(id, a);
    }
    return a.fig;
  };

  for (const live of input.devices.values()) {
    const report = live.pools;
    if (report === undefined || live.model.kind !== 'asic' || !current(input, live)) continue;
    if (input.now - report.ts > POOL_REPORT_MAX_AGE_MS) continue;
    const r = report.resolved;
    for (let i = 0; i < r.votes.length; i++) {
      const v = r.votes[i];
      const f = acc(v.id, v.url, v.expected);
      if (v.alive) f.reporting_alive++;
      else f.reporting_dead++;
    }
    if (r.active !== null) byId.get(r.active)!.fig.miners++;
  }
  for (const p of expected) {
    const f = byId.get(p.name)!.fig;
    const probe = input.devices.get(p.probe);
    if (probe !== undefined && current(input, probe)) {
      f.probe_latency_ms = probe.metrics.latency_ms ?? null;
      f.probe_loss_pct = probe.metrics.loss_pct ?? null;
    }
  }
  for (const { fig: f } of byId.values()) {
    // Either says down: the miners' view first (what they mine on), then the probe's (what this site reaches).
    const reasons: string[] = [];
    if (f.reporting_dead > 0 && f.reporting_alive === 0) {
      const n = f.reporting_dead.toLocaleString('en-US');
      reasons.push(`dead on ${n} of ${n} miners`);
    }
    if (f.probe_loss_pct !== null && f.probe_loss_pct >= 100) reasons.push('probe: every connect failed');
    if (reasons.length > 0) {
      f.up = false;
      f.down_reason = reasons.join('; ');
    } else if (f.reporting_alive > 0 || f.probe_loss_pct !== null) f.up = true;
  }

  const all = [...byId.values()];
  const known = all.filter((a) => a.fig.expected).sort((a, b) => a.order - b.order).map((a) => a.fig);
  const others = all.filter((a) => !a.fig.expected)
    .sort((a, b) => b.fig.miners - a.fig.miners || b.fig.reporting_alive + b.fig.reporting_dead - a.fig.reporting_alive - a.fig.reporting_dead || (a.fig.id < b.fig.id ? -1 : 1))
    .slice(0, MAX_UNEXPECTED_POOLS)
    .map((a) => a.fig);
  return [...known, ...others];
}
