// The tick reads every device's live entry by its place in the site index (LiveInput.byRef) and hands the
// alert rules each device's nameplate on its status, instead of two lookups by id per device: both must
// give exactly what the lookups by id give, on a site with every kind of state the rules judge.

import { describe, expect, it } from 'vitest';
import type { DeviceStatus, LiveInput, Reading } from '../../server/core/types.js';
import { createLiveState } from '../../server/live/state.js';
import { liveByRef, prepareIndex } from '../../server/figures/site-index.js';
import { computeFigures } from '../../server/figures/compute.js';
import { deviceStatus, visitDeviceStatuses } from '../../server/figures/devices.js';
import { createAlertEngine } from '../../server/alerts/engine.js';
import { siteRules } from '../../server/live/alerts.js';
import { benchSite } from '../bench/site.js';
import { benchMetrics } from '../bench/scale.js';

const T0 = Date.UTC(2026, 11, 6, 12, 0, 0);

function site() {
  const model = benchSite({ devices: 1200, gpu_share: 0.2 });
  const index = prepareIndex(model);
  const live = createLiveState(model, { now: () => T0 });
  const all = [...model.devices.values()];
  const feed = (now: number) => all.forEach((d, i) => {
    if (i % 17 === 3) return; // never heard of: down, "no data"
    const m: Reading['metrics'] = { ...benchMetrics(d.kind, i) };
    const ts = i % 13 === 5 ? now - 300_000 : now - 1000; // some stale
    if (d.kind === 'asic') {
      if (i % 11 === 0) m.hashrate_ths = 0; // not hashing
      if (i % 7 === 0) m.hashrate_ths = 20; // far below nominal, warmed up
      m.uptime_s = 7200;
      if (i % 5 === 0) m.chip_temp_c = 120; // over the model's limit
    }
    if (d.kind === 'gpu') {
      if (i % 3 === 0) m.temp_c = 99;
      if (i % 4 === 0) m.xid_last = 79;
    }
    live.apply({ device: d.id, ts, metrics: m }, ts);
  });
  feed(T0);
  live.setError(all[20].id, 'refused', T0 - 500);
  return { model, index, live, feed };
}

describe('the tick reads devices by place, not by id', () => {
  it('figures with byRef are the figures without it', () => {
    const { model, index, live } = site();
    const byId: LiveInput = { model, devices: live.devices, now: T0, stale_after_ms: 60_000 };
    const byPlace: LiveInput = { ...byId, byRef: liveByRef(index, live.devices) };
    const a = computeFigures(byId, undefined, index);
    const b = computeFigures(byPlace, undefined, index);
    expect(b).toEqual(a);
    // the site is not trivial: every health occurs
    expect(a.site.health.down).toBeGreaterThan(50);
    expect(a.site.health.degraded).toBeGreaterThan(50);
    expect(a.site.health.up).toBeGreaterThan(100);
  });

  it('the visitor shows every device once, in index order, as deviceStatus() does (one object, overwritten)', () => {
    const { model, index, live } = site();
    const input: LiveInput = { model, devices: live.devices, byRef: liveByRef(index, live.devices), now: T0, stale_after_ms: 60_000 };
    const seen: DeviceStatus[] = [];
    const objects = new Set<DeviceStatus>();
    visitDeviceStatuses(input, index, (d) => {
      objects.add(d);
      // a copy without the undefined keys, the shape deviceStatus() answers
      const copy = Object.fromEntries(Object.entries(d).filter(([k, v]) => v !== undefined && k !== 'nameplate' && !(k === 'curtailed' && v === false))) as unknown as DeviceStatus;
      seen.push({ ...copy, metrics: { ...d.metrics } });
    });
    expect(objects.size).toBe(1);
    expect(seen.map((d) => d.id)).toEqual([...index.devices.keys()]);
    for (const d of seen) expect(d).toEqual(deviceStatus({ ...input, byRef: undefined }, d.id, index));
  });

  it('alerts judged on the visitor (nameplates on the statuses) are the alerts judged on statuses without them', () => {
    const { model, index, live, feed } = site();
    const rules = siteRules(model, 60);
    const withNameplate = createAlertEngine(rules);
    const without = createAlertEngine(rules);
    const byRef = liveByRef(index, live.devices);
    // Three passes: pending, then past every rule's `for` (10 min), firing.
    for (const now of [T0, T0 + 61_000, T0 + 11 * 60_000]) {
      if (now > T0) feed(now);
      const input: LiveInput = { model, devices: live.devices, byRef, now, stale_after_ms: 60_000 };
      const figures = computeFigures(input, undefined, index);
      const a = withNameplate.evaluate({ now, figures, model, devices: (v) => visitDeviceStatuses(input, index, v) });
      const plain = [...index.devices.keys()].map((id) => deviceStatus(input, id, index)!);
      expect(plain.every((d) => d.nameplate === undefined)).toBe(true);
      const b = without.evaluate({ now, figures, model, devices: plain });
      expect(a).toEqual(b);
    }
    const firing = withNameplate.active().filter((v) => v.state === 'firing');
    const names = new Set(firing.map((v) => v.alertname));
    // the rules that read the nameplate (nominal hashrate, temperature limits) are among those firing
    expect(names).toContain('MinerHashrateLow');
    expect([...names].some((n) => /Temp|Hot/i.test(n))).toBe(true);
    expect(names).toContain('DeviceDown');
    expect(firing.length).toBeGreaterThan(100);
  });
});
