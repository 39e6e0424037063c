// Issue 11 case 12, the alert side: what an unknown (null) value does to an alert.
// Prometheus (rules/alerting.go, Eval): an alert whose expression returns no sample is deleted if it was
// pending, and goes inactive (resolved) if it was firing, unless keep_firing_for holds it. Floorwatch:
// - pending + unknown → dropped, like Prometheus: "above the target for 30 min" cannot be claimed over
//   minutes nobody could see, and a pending alert kept through an outage would fire the moment one half
//   of its inputs came back. The `for` clock starts again when the value is known and bad again.
// - firing + unknown → held (as keep_firing_for holds it, without a limit): a meter or sensor dropping
//   out is not a recovery; the dropout has its own alerts (DeviceDown, RackDevicesDown, DataStale).
import { describe, expect, it } from 'vitest';
import { createAlertEngine } from '../../server/alerts/engine.js';
import { defaultRules } from '../../server/alerts/builtin.js';
import { parseAlertRules } from '../../server/alerts/rules.js';
import type { Figures } from '../../server/core/types.js';
import { figures, MIN, rack, site, siteModel } from './alerts-fixture.js';

const T0 = 1_764_000_000_000;
const model = siteModel(); // pue_target 1.3

function pueEngine() {
  const engine = createAlertEngine(defaultRules().filter((r) => r.name === 'PueAboveTarget'));
  const at = (minutes: number, pue: number | null) =>
    engine.evaluate({ now: T0 + minutes * MIN, model, figures: figures({ site: site({ pue }) }), devices: [], lastReadingAt: T0 + minutes * MIN })
      .map((c) => `${c.state} ${c.key}${c.state === 'resolved' && c.fired_at === null ? ' (dropped)' : ''}`);
  return { engine, at };
}

describe('unknown values in the alert engine', () => {
  it('a pending PueAboveTarget is dropped when PUE becomes unknown, and `for` starts over after', () => {
    const { engine, at } = pueEngine();
    expect(at(0, 1.45)).toEqual(['pending PueAboveTarget:site']);
    expect(at(20, null)).toEqual(['resolved PueAboveTarget:site (dropped)']);
    expect(engine.active()).toEqual([]);
    expect(engine.recent()).toEqual([]); // never fired: nothing to show as resolved
    // Known and bad again at minute 25: pending from 25, firing only 30 min later.
    expect(at(25, 1.45)).toEqual(['pending PueAboveTarget:site']);
    expect(engine.get('PueAboveTarget:site')).toMatchObject({ state: 'pending', since: T0 + 25 * MIN });
    expect(at(31, 1.45)).toEqual([]);
    expect(at(55, 1.45)).toEqual(['firing PueAboveTarget:site']);
  });

  it('the issue: pending through an outage must not fire the moment a half-site value comes back', () => {
    const { at } = pueEngine();
    expect(at(0, 1.45)).toEqual(['pending PueAboveTarget:site']);
    for (let m = 1; m < 40; m++) at(m, null);
    // Before: still pending since minute 0, so this first value after the outage fired at once.
    expect(at(40, 1.45)).toEqual(['pending PueAboveTarget:site']);
  });

  it('a firing alert holds through an unknown value and resolves only on a known, clear one', () => {
    const { engine, at } = pueEngine();
    at(0, 1.45);
    expect(at(30, 1.45)).toEqual(['firing PueAboveTarget:site']);
    expect(at(31, null)).toEqual([]);
    expect(engine.get('PueAboveTarget:site')?.state).toBe('firing');
    expect(at(32, 1.2)).toEqual(['resolved PueAboveTarget:site']);
  });

  it('the same rule for every figure rule: a pending rack rule is dropped on an unknown value', () => {
    const { rules, errors } = parseAlertRules([{ name: 'Hot', scope: 'rack', metric: 'inlet_temp_c', op: '>', threshold: 27, for: '5m' }]);
    expect(errors).toEqual([]);
    const e = createAlertEngine(rules);
    const f = (t: number | null): Figures => figures({ racks: [rack({ id: 'R1', inlet_temp_c: t })] });
    expect(e.evaluate({ now: T0, model, figures: f(30), devices: [] }).map((c) => c.state)).toEqual(['pending']);
    const dropped = e.evaluate({ now: T0 + MIN, model, figures: f(null), devices: [] });
    expect(dropped).toHaveLength(1);
    expect(dropped[0]).toMatchObject({ key: 'Hot:rack:R1', state: 'resolved', fired_at: null, since: T0 });
    expect(e.active()).toEqual([]);
  });
});
