// What the hub adds for the wall (issue 17): each alert's hall, so a hall view can show its devices'
// alerts, and the newest reading's place, so a wall whose socket stays up still sees ingest stop.
import { describe, expect, it } from 'vitest';
import type { AlertView, Figures, LiveUpdate } from '../../server/core/types.js';
import { alertHall, createHub, type AlertSource } from '../../server/live/hub.js';
import { createLiveState } from '../../server/live/state.js';
import { smallSite } from '../helpers/site.js';

function alert(key: string, scope: string): AlertView {
  return {
    key, alertname: 'X', severity: 'warning', scope, state: 'firing', summary: key, value: null, threshold: null,
    since: 0, fired_at: 0, resolved_at: null,
  };
}

describe('alertHall', () => {
  const model = smallSite();
  it('places device, rack, hall and loop scopes in their hall; site and collector scopes in none', () => {
    expect(alertHall(model, 'device:M-01-02')).toBe('M');
    // A GPU of a node: a device of the rack like any other.
    const gpu = [...model.devices.values()].find((d) => d.kind === 'gpu')!;
    expect(alertHall(model, `device:${gpu.id}`)).toBe('G');
    expect(alertHall(model, 'rack:G-01')).toBe('G');
    expect(alertHall(model, 'hall:M')).toBe('M');
    expect(alertHall(model, 'loop:G-LOOP')).toBe('G');
    expect(alertHall(model, 'site')).toBeUndefined();
    expect(alertHall(model, 'collector:cgminer')).toBeUndefined();
    expect(alertHall(model, 'device:nope')).toBeUndefined();
  });
});

describe('hub payloads for the wall', () => {
  it('sends the newest reading place and each alert with its hall, in snapshot, update and alert events', () => {
    const model = smallSite();
    let t = 1_000_000;
    const live = createLiveState(model, { now: () => t });
    const active = [alert('a', 'device:M-01-01'), alert('b', 'site')];
    let rev = 1;
    const source: AlertSource = {
      evaluate: (_f: Figures) => [alert('c', 'rack:G-01')],
      active: () => active,
      revision: () => rev,
    };
    const hub = createHub({ model, live, alerts: source, now: () => t });
    expect(hub.snapshot().newest_reading_ts).toBeNull();
    live.apply({ device: 'M-01-01', ts: t - 500, metrics: { hashrate_ths: 200 } }, t);
    t += 1000;
    const updates: LiveUpdate[] = [];
    const events: AlertView[] = [];
    hub.on('update', (u) => updates.push(u));
    hub.on('alert', (a) => events.push(a));
    hub.tick();
    expect(updates[0].newest_reading_ts).toBe(999_500);
    expect(updates[0].alerts?.map((a) => [a.key, a.hall])).toEqual([['a', 'M'], ['b', undefined]]);
    expect(events.map((a) => [a.key, a.hall])).toEqual([['c', 'G']]);
    const snap = hub.snapshot();
    expect(snap.newest_reading_ts).toBe(999_500);
    expect(snap.alerts.find((a) => a.key === 'a')?.hall).toBe('M');
    // The engine's own views are not changed: the hall is added to copies.
    expect(active[0].hall).toBeUndefined();
    rev++;
    // With no new reading, the place stays where it was while time moves on: the wall sees it age.
    t += 5000;
    hub.tick();
    expect(updates[1].ts - (updates[1].newest_reading_ts ?? 0)).toBe(6500);
  });
});
