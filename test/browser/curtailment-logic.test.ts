// The pure parts of the wall's curtailment banner (issue 16), in node: the banner line of an event, the
// response clock, the socket fold, and a curtailed rack left out of the racks called out as faulty.
import { describe, expect, it } from 'vitest';
import type { CurtailmentFigures, CurtailmentView, Layout } from '../../server/core/types.js';
import { activeCurtailments, bannerLine, clockText, curtailedMember } from '../../client/src/curtailment.js';
import { applySnapshot, applyUpdate, emptyState } from '../../client/src/live.js';
import { racksNeedingAttention } from '../../client/src/views/attention.js';
import { rack } from './figures-fixture.js';

const NB = '\u202f';
const T0 = 1_764_000_000_000;
const layout: Layout = { site: 'S', halls: [{ id: 'M', name: 'Mining hall', rows: 1, cols: 1, racks: [] }], loops: [] };

function event(f: Partial<CurtailmentFigures>, over: Partial<CurtailmentView> = {}): CurtailmentView {
  return {
    id: 'c-1', scope: 'hall:M', target_reduction_kw: 540, target_ceiling_kw: null, start: T0, end: T0 + 300_000,
    program: 'drill', note: null, source: 'recurring', created_by: null, cancelled_at: null, judged: true,
    figures: {
      phase: 'active', baseline_w: 4_000_000, current_w: 3_568_000, target_w: 540_000, achieved_w: 432_000, ratio: 0.8,
      response_s: null, curtailed_mwh: 0.01, mining_revenue_cost_usd: null, avoided_energy_usd: null, ...f,
    },
    ...over,
  };
}

describe('curtailment banner', () => {
  it('a shortfall: target, achieved with its share, the clock running from the start', () => {
    expect(bannerLine(event({}), layout, T0 + 151_000)).toEqual({
      scope: 'Mining hall · drill', target: `target 540${NB}kW`, achieved: `achieved 432${NB}kW · 80${NB}%`,
      response: 'response clock 2:31', level: 'warn',
    });
  });

  it('responded: the response time replaces the clock; a ceiling says what it is', () => {
    const l = bannerLine(event({ response_s: 83, ratio: 1.02, achieved_w: 551_000 }, { target_reduction_kw: null, target_ceiling_kw: 3460 }), layout, T0 + 200_000);
    expect(l).toMatchObject({ target: `target 540${NB}kW (to 3.46${NB}MW)`, response: 'responded in 1:23', level: 'ok' });
  });

  it('during the ramp allowance a shortfall is not yet one', () => {
    expect(bannerLine(event({ ratio: 0.2 }, { judged: false }), layout, T0 + 30_000).level).toBe('pending');
  });

  it('clock: m:ss, then h:mm:ss', () => {
    expect([clockText(0), clockText(59_999), clockText(61_000), clockText(3_725_000)]).toEqual(['0:00', '0:59', '1:01', '1:02:05']);
  });

  it('the socket fold keeps the list; only active events are on the banner', () => {
    const st = emptyState();
    const scheduled = event({ phase: 'scheduled' }, { id: 'c-0' });
    applySnapshot(st, {
      seq: 1, ts: T0, layout, figures: { site: null as never, halls: [], racks: [], loops: [] }, alerts: [], curtailments: [scheduled],
    }, T0);
    expect(activeCurtailments(st)).toEqual([]);
    expect(applyUpdate(st, { seq: 2, ts: T0 + 1000, curtailments: [scheduled, event({})] }, T0 + 1000)).toBe('applied');
    expect(activeCurtailments(st).map((c) => c.id)).toEqual(['c-1']);
    // an update without the list leaves it as it was
    applyUpdate(st, { seq: 3, ts: T0 + 2000 }, T0 + 2000);
    expect(st.curtailments).toHaveLength(2);
  });

  it('a curtailed rack reads curtailed and is not called out as faulty', () => {
    const sleeping = rack('M-01', { curtailed: true, hashrate_ratio: 0, health: { up: 1, degraded: 4, down: 0 } });
    const broken = rack('M-02', { hashrate_ratio: 0, health: { up: 1, degraded: 4, down: 0 } });
    expect(curtailedMember(sleeping)).toBe('⏻ curtailed');
    expect(curtailedMember(broken)).toBeNull();
    expect(racksNeedingAttention([sleeping, broken], 'hashrate', () => true).map((a) => a.id)).toEqual(['M-02']);
  });
});
