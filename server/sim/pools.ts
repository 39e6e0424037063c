// The demo's pools and probes (issue 19): every miner lists the site's expected pools (config `pools:`),
// mines on the first, and once an hour the first fails for six minutes: the miners report it dead and
// move to the next (the backup), and its probe loses every connect, so the wall shows one PoolDead and
// the miners per pool moving, then moving back. One miner mines on a pool nobody configured
// (MinerWrongPool). Probes to the pools and to the hand-listed targets answer in tens of ms.

import type { DeviceModel, PoolEntry, SiteModel } from '../core/types.js';

/** The first outage starts this long after the demo does, so a fresh demo shows it within minutes. */
export const FAILOVER_FIRST_MS = 2 * 60_000;
export const FAILOVER_EVERY_MS = 60 * 60_000;
export const FAILOVER_LASTS_MS = 6 * 60_000;
/** The pool the planted miner was left on (a factory default). */
export const STRAY_POOL = { url: 'stratum+tcp://stratum.default-pool.example:3333', user: 'factory.default' };

export interface SimPools {
  /** the primary pool is down at `ts` */
  outage(ts: number): boolean;
  /** one miner's pool list and its active pool's figures at `ts`; `o` is its steady offset (−1..1) */
  miner(d: DeviceModel, ts: number, o: number, jitter: (amp: number) => number): {
    pools: PoolEntry[]; metrics: { pool_rejected_pct: number; pool_stale_pct: number; last_share_age_s: number };
  } | null;
  /** every probe device's reading at `ts` */
  probes(ts: number, jitter: (amp: number) => number): { device: string; ts: number; metrics: Record<string, number | null> }[];
}

export function createSimPools(model: SiteModel, startedAt: number): SimPools {
  const expected = model.pools ?? [];
  const asics = [...model.devices.values()].filter((d) => d.kind === 'asic');
  const stray = asics.length > 40 ? asics[40].id : undefined;
  const primaryProbe = expected[0]?.probe;
  const outage = (ts: number): boolean => {
    const t = ts - startedAt - FAILOVER_FIRST_MS;
    return expected.length > 1 && t >= 0 && t % FAILOVER_EVERY_MS < FAILOVER_LASTS_MS;
  };
  const round = (v: number, digits: number): number => Math.round(v * 10 ** digits) / 10 ** digits;
  return {
    outage,
    miner(d, ts, o, jitter) {
      if (expected.length === 0) return null;
      const down = outage(ts);
      const worker = `${d.id.replace(/[^A-Za-z0-9]/gu, '')}`;
      const pools: PoolEntry[] = d.id === stray
        ? [{ url: STRAY_POOL.url, user: STRAY_POOL.user, state: 'alive', active: true, priority: 0 }]
        : expected.map((p, i) => ({
          url: p.url, user: p.user === undefined ? worker : `${p.user}.${worker}`,
          state: i === 0 && down ? 'dead' : 'alive',
          active: down ? i === 1 : i === 0,
          priority: i,
        }));
      return {
        pools,
        metrics: {
          pool_rejected_pct: round(Math.max(0, 0.12 + 0.08 * o + jitter(0.03)), 4),
          pool_stale_pct: round(Math.max(0, 0.02 + 0.01 * o + jitter(0.01)), 4),
          last_share_age_s: Math.floor(Math.max(0, 4 + 3 * o + jitter(4))),
        },
      };
    },
    probes(ts, jitter) {
      const out: { device: string; ts: number; metrics: Record<string, number | null> }[] = [];
      for (const d of model.devices.values()) {
        if (d.kind !== 'probe') continue;
        if (d.id === primaryProbe && outage(ts)) {
          out.push({ device: d.id, ts, metrics: { latency_ms: null, loss_pct: 100 } });
          continue;
        }
        const pool = d.id.startsWith('pool:');
        out.push({ device: d.id, ts, metrics: { latency_ms: round((pool ? 38 : 9) + jitter(pool ? 6 : 2), 2), loss_pct: 0 } });
      }
      return out;
    },
  };
}
