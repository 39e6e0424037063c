// The wall's pool panel, its pure part (issue 19): each pool's level and words, and the live fold carrying
// the pool list from the snapshot and from an update. The wall-scale browser test measures the panel.
import { describe, expect, it } from 'vitest';
import type { LiveSnapshot, PoolFigures } from '../../server/core/types.js';
import { applySnapshot, applyUpdate, emptyState } from '../../client/src/live.js';
import { poolLevel, poolLine } from '../../client/src/views/pools.js';

const pool = (over: Partial<PoolFigures> = {}): PoolFigures => ({
  id: 'primary', url: 'stratum+tcp://p.example:3333', expected: true, miners: 1038, reporting_alive: 1038, reporting_dead: 0,
  probe_latency_ms: 37.6, probe_loss_pct: 0, up: true, down_reason: null, ...over,
});

describe('pool panel', () => {
  it('says a pool\'s health and its miners in one short line', () => {
    expect(poolLine(pool())).toBe('primary · 1,038 miners · 38 ms');
    expect(poolLine(pool({ miners: 1, probe_latency_ms: null }))).toBe('primary · 1 miner');
    expect(poolLine(pool({ up: false, miners: 0, down_reason: 'dead on 1,040 of 1,040 miners' }))).toBe('primary DOWN · 0 miners');
    expect(poolLevel(pool())).toBe('ok');
    expect(poolLevel(pool({ up: false }))).toBe('crit');
    expect(poolLevel(pool({ up: null }))).toBe('unknown');
    expect(poolLevel(pool({ expected: false, miners: 1 }))).toBe('warn');
    expect(poolLevel(pool({ expected: false, miners: 0 }))).toBe('ok');
  });

  it('the fold takes the pools from the snapshot and replaces them from an update', () => {
    const st = emptyState();
    const snap = {
      seq: 1, ts: 1000, layout: { site: 'S', halls: [], loops: [] }, alerts: [], newest_reading_ts: 1000,
      figures: { site: null, halls: [], racks: [], loops: [], pools: [pool()] },
    } as unknown as LiveSnapshot;
    applySnapshot(st, snap, 1000);
    expect(st.pools.map((p) => p.id)).toEqual(['primary']);
    applyUpdate(st, { seq: 2, ts: 2000 }, 2000);
    expect(st.pools.map((p) => p.id)).toEqual(['primary']); // an update without pools keeps them
    applyUpdate(st, { seq: 3, ts: 3000, pools: [pool({ up: false }), pool({ id: 'backup' })] }, 3000);
    expect(st.pools.map((p) => [p.id, p.up])).toEqual([['primary', false], ['backup', true]]);
  });
});
