// The built-in pool alerts (issue 19), listed with the others by builtin.ts. Pure: no I/O.
// - PoolDead: one per pool, from the pool's figures (figures/pools.ts): every miner that lists it reports
//   it dead, or its probe lost every connect. A site-wide pool failure is this one alert, not one per miner.
// - MinerWrongPool: a miner whose active pool and user are not one of config `pools:` (a miner set up by
//   hand, a leftover default, a hijacked config). Quiet while the site names no pool.
// - ProbeUnreachable: a probe of `probes:` whose every connect failed for 2 min.

import { activePool, matchPool } from '../core/pools.js';
import { deviceMetric, notDown, type AlertRule } from './rules.js';

const MINUTE_MS = 60_000;

export function poolRules(): AlertRule[] {
  return [
    {
      name: 'PoolDead', scope: 'pool', severity: 'critical',
      // 1 min: a miner's own failover takes tens of seconds, and the probe's loss is per 30 s interval.
      op: '>=', threshold: 1, clear: 1, for_ms: MINUTE_MS,
      value: (p) => (p.up === null ? null : p.up ? 0 : 1),
      detail: (p) => p.down_reason,
      summary: 'pool {id} is down ({detail})',
    },
    {
      name: 'MinerWrongPool', scope: 'device', kind: 'asic', severity: 'warning',
      // 5 min: an operator changing pools by hand goes through a wrong state or two on the way.
      op: '>=', threshold: 1, clear: 1, for_ms: 5 * MINUTE_MS,
      applies: (d, ctx) => notDown(d) && (ctx.model.pools?.length ?? 0) > 0 && d.pools !== undefined,
      value: (d, ctx) => {
        const active = d.pools === undefined ? undefined : activePool(d.pools);
        // No active pool: not a wrong pool (PoolDead or MinerNotHashing says what it is).
        return active === undefined ? null : matchPool(ctx.model.pools ?? [], active) === undefined ? 1 : 0;
      },
      detail: (d) => {
        const active = d.pools === undefined ? undefined : activePool(d.pools);
        return active === undefined ? null : `${active.url} as ${active.user === '' ? '(no user)' : active.user}`;
      },
      summary: '{id} mines on a pool the site does not expect: {detail}',
    },
    {
      // A hand-listed probe (a customer's gateway) that reaches nothing; a pool's probe speaks through PoolDead.
      name: 'ProbeUnreachable', scope: 'device', kind: 'probe', severity: 'warning',
      op: '>=', threshold: 100, clear: 50, for_ms: 2 * MINUTE_MS,
      applies: (d, ctx) => notDown(d) && !(ctx.model.pools ?? []).some((p) => p.probe === d.id),
      value: (d) => deviceMetric(d, 'loss_pct'),
      summary: 'probe {id}: every TCP connect failed ({value} % loss)',
    },
  ];
}
