// The connectivity built-ins (issue 19) fire and resolve on crafted series, with their `for` and clear
// levels: UplinkDown from ifOperStatus, UplinkLossHigh on the link figures' loss (its probe's), UpsOnBattery after
// 30 s, UpsBatteryLow under the band.
import { describe, expect, it } from 'vitest';
import { defaultRules } from '../../server/alerts/builtin.js';
import { createAlertEngine } from '../../server/alerts/engine.js';
import type { DeviceStatus, LinkFigures } from '../../server/core/types.js';
import { UPS_BATTERY_LOW_PCT } from '../../server/figures/bands.js';
import { figures, MIN, siteModel } from './alerts-fixture.js';

const T0 = 1_764_000_000_000;

const link = (metrics: DeviceStatus['metrics'], p: Partial<DeviceStatus> = {}): DeviceStatus =>
  ({ id: 'wan-a', kind: 'network_link', health: 'up', last_seen: 0, metrics, ...p });
const ups = (metrics: DeviceStatus['metrics']): DeviceStatus =>
  ({ id: 'ups-1', kind: 'ups', rack: 'A-01', hall: 'A', health: 'up', last_seen: 0, metrics });

function harness(alertname: string): (minutes: number, devices: DeviceStatus[]) => string[] {
  const model = siteModel([{ id: 'wan-a', kind: 'network_link' }, { id: 'ups-1', kind: 'ups', hall: 'A', rack: 'A-01' }]);
  const engine = createAlertEngine(defaultRules());
  return (minutes, devices) => {
    const now = T0 + minutes * MIN;
    return engine.evaluate({ now, model, devices, figures: figures(), lastReadingAt: now })
      .filter((c) => c.alertname === alertname).map((c) => `${c.state} ${c.scope}`);
  };
}

describe('connectivity alert rules', () => {
  it('UplinkDown: the interface down for a minute fires; up again resolves; no status is no alert', () => {
    const at = harness('UplinkDown');
    expect(at(0, [link({ oper_up: null })])).toEqual([]);
    expect(at(0.5, [link({ oper_up: 0 })])).toEqual(['pending device:wan-a']);
    expect(at(1.5, [link({ oper_up: 0 })])).toEqual(['firing device:wan-a']);
    expect(at(2, [link({ oper_up: 1 })])).toEqual(['resolved device:wan-a']);
  });

  // UplinkLossHigh reads the link's figures (the loss the wall shows: its probe's, figures/connectivity.ts),
  // not the network_link device's own metric, which SNMP never fills.
  const linkFig = (p: Partial<LinkFigures>): LinkFigures => ({
    id: 'wan-a', capacity_bps: 100_000_000, up: true, reason: null, rx_bps: 0, tx_bps: 0, utilisation: 0,
    latency_ms: 20, loss_pct: null, ...p,
  });
  function linkHarness(): (minutes: number, links: LinkFigures[], devices?: DeviceStatus[]) => string[] {
    const model = siteModel([{ id: 'wan-a', kind: 'network_link' }]);
    const engine = createAlertEngine(defaultRules());
    return (minutes, links, devices = []) => {
      const now = T0 + minutes * MIN;
      const f = figures();
      f.site.connectivity = { links, ups: [], links_down: links.filter((l) => l.up === false).length, all_links_down: false };
      return engine.evaluate({ now, model, devices, figures: f, lastReadingAt: now })
        .filter((c) => c.alertname === 'UplinkLossHigh').map((c) => `${c.state} ${c.scope}`);
    };
  }

  it('UplinkLossHigh: the link figures\' loss above 5 % for 2 min, clears under 2.5 %; unknown loss never fires', () => {
    const at = linkHarness();
    expect(at(0, [linkFig({ loss_pct: null })])).toEqual([]);
    expect(at(1, [linkFig({ loss_pct: 8 })])).toEqual(['pending link:wan-a']);
    expect(at(3, [linkFig({ loss_pct: 8 })])).toEqual(['firing link:wan-a']);
    expect(at(4, [linkFig({ loss_pct: 4 })])).toEqual([]); // between clear (2.5) and threshold: still firing
    expect(at(5, [linkFig({ loss_pct: 1 })])).toEqual(['resolved link:wan-a']);
  });

  it('UplinkLossHigh: judges the figures, not the device metric; a link known down leaves it to UplinkDown', () => {
    const at = linkHarness();
    // the device says 0 % (a stale push) while the figures carry the probe's 100 %: the figures win
    expect(at(0, [linkFig({ loss_pct: 100 })], [link({ oper_up: 1, loss_pct: 0 })])).toEqual(['pending link:wan-a']);
    // and the device's 50 % with the figures at 0 % raises nothing
    const other = linkHarness();
    expect(other(0, [linkFig({ loss_pct: 0 })], [link({ oper_up: 1, loss_pct: 50 })])).toEqual([]);
    // the interface went down: loss says nothing more, the pending alert resolves at once
    expect(at(1, [linkFig({ up: false, reason: 'interface down', loss_pct: 100 })])).toEqual(['resolved link:wan-a']);
    // up unknown (no SNMP yet) with a probe's loss: still judged
    expect(at(2, [linkFig({ up: null, loss_pct: 30 })])).toEqual(['pending link:wan-a']);
  });

  it('UpsOnBattery: 30 s on battery fires, back on mains resolves', () => {
    const at = harness('UpsOnBattery');
    expect(at(0, [ups({ on_battery: 1 })])).toEqual(['pending device:ups-1']);
    expect(at(0.25, [ups({ on_battery: 1 })])).toEqual([]);
    expect(at(0.5, [ups({ on_battery: 1 })])).toEqual(['firing device:ups-1']);
    expect(at(1, [ups({ on_battery: 0 })])).toEqual(['resolved device:ups-1']);
  });

  it('UpsBatteryLow: below the band fires at once, clears 10 points above it', () => {
    const at = harness('UpsBatteryLow');
    expect(UPS_BATTERY_LOW_PCT).toBe(40);
    expect(at(0, [ups({ battery_charge_pct: 39 })])).toEqual(['firing device:ups-1']);
    expect(at(1, [ups({ battery_charge_pct: 45 })])).toEqual([]);
    expect(at(2, [ups({ battery_charge_pct: 51 })])).toEqual(['resolved device:ups-1']);
  });
});
