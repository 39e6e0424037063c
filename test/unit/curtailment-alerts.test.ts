// The alert engine during curtailment events (issue 16): miners inside an active event are curtailed, not
// faults (no DeviceDown, MinerHashrateLow, MinerNotHashing or RackDevicesDown for them, while their rack's
// sensors are still judged), and CurtailmentShortfall fires only after the ramp allowance, below 90 % of the
// target for its `for`, and resolves once the target is met again.
import { describe, expect, it } from 'vitest';
import { createAlertEngine } from '../../server/alerts/engine.js';
import { defaultRules } from '../../server/alerts/builtin.js';
import type { CurtailmentAlertTarget } from '../../server/alerts/rules.js';
import type { DeviceStatus } from '../../server/core/types.js';
import { asic, figures, rack, siteModel } from './alerts-fixture.js';

const T0 = 1_764_000_000_000;
const MIN = 60_000;
const model = siteModel([{ id: 'A-01-pdu', kind: 'pdu', hall: 'A', rack: 'A-01' }]);

function devices(): DeviceStatus[] {
  return [
    asic('A-01-01', {}, { health: 'down', reason: 'stale', last_seen: T0 - 5 * MIN }),
    asic('A-01-02', { hashrate_ths: 0, uptime_s: 90_000 }, { health: 'degraded', reason: 'not hashing', last_seen: T0 }),
    { id: 'A-01-pdu', kind: 'pdu', rack: 'A-01', hall: 'A', health: 'down', reason: 'stale', last_seen: T0 - 5 * MIN, metrics: {} },
  ];
}
const racks = [rack({ id: 'A-01', health: { up: 0, degraded: 1, down: 2 } })];

function run(curtailed: ReadonlySet<string>, minutes: number): string[] {
  const e = createAlertEngine(defaultRules());
  for (let m = 0; m <= minutes; m++) {
    e.evaluate({ now: T0 + m * MIN, model, figures: figures({ racks }), devices: devices(), curtailed, lastReadingAt: T0 + m * MIN });
  }
  return e.active().filter((a) => a.state === 'firing').map((a) => a.key).sort();
}

describe('curtailed miners are not faults', () => {
  it('without an event: the rack is out (2 of 3 down), one rack alert for its down devices, and the idle miner', () => {
    expect(run(new Set(), 3)).toEqual(['MinerNotHashing:device:A-01-02', 'RackDevicesDown:rack:A-01']);
  });

  it('inside an event (the miners and their rack curtailed): only the PDU, which no event switches off', () => {
    expect(run(new Set(['A-01-01', 'A-01-02', 'A-01']), 3)).toEqual(['DeviceDown:device:A-01-pdu']);
  });
});

describe('CurtailmentShortfall', () => {
  const key = 'CurtailmentShortfall:curtailment:c-1';
  function engine(forMs = 5 * MIN) {
    const e = createAlertEngine(defaultRules({ curtailment_shortfall_for_ms: forMs }));
    const at = (s: number, c: Partial<CurtailmentAlertTarget> | null) => e.evaluate({
      now: T0 + s * 1000, model, figures: figures(), devices: [], lastReadingAt: T0 + s * 1000,
      curtailments: c === null ? [] : [{ id: 'c-1', scope: 'hall:A', ratio: 0.5, judged: true, ...c }],
    });
    return { e, at, state: () => e.get(key)?.state ?? null };
  }

  it('not judged during the ramp allowance, however far below the target', () => {
    const x = engine();
    for (let s = 0; s <= 600; s += 10) x.at(s, { judged: false, ratio: 0 });
    expect(x.state()).toBeNull();
  });

  it('fires after 5 min below 90 %, holds at 89 %, resolves at 90 %', () => {
    const x = engine();
    x.at(0, { ratio: 0.7 });
    expect(x.state()).toBe('pending');
    x.at(299, { ratio: 0.8 });
    expect(x.state()).toBe('pending');
    x.at(300, { ratio: 0.8 });
    expect(x.state()).toBe('firing');
    expect(x.e.get(key)?.summary).toBe('curtailment on hall:A achieving 80 % of its target (below 90 %)');
    x.at(310, { ratio: 0.89 });
    expect(x.state()).toBe('firing');
    x.at(320, { ratio: 0.9 });
    expect(x.state()).toBe('resolved');
  });

  it('a dip shorter than the for does not fire; an event that ends resolves its alert', () => {
    const x = engine(MIN);
    x.at(0, { ratio: 0.5 });
    x.at(30, { ratio: 0.95 });
    expect(x.e.active()).toEqual([]);
    x.at(40, { ratio: 0.5 });
    x.at(100, { ratio: 0.5 });
    expect(x.state()).toBe('firing');
    x.at(110, null);
    expect(x.state()).toBe('resolved');
  });
});
