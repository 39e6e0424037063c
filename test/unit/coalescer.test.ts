// The socket update's coalescer (issue 15) and the partial figures pass it relies on, as pure code: a
// fake clock and timer for the one, a full pass to compare with for the other.
import { describe, expect, it } from 'vitest';
import { createCoalescer, type SetTimer } from '../../server/live/coalescer.js';
import { computeFigures, computePass } from '../../server/figures/compute.js';
import { prepareIndex } from '../../server/figures/site-index.js';
import { createHub } from '../../server/live/hub.js';
import { createLiveState } from '../../server/live/state.js';
import type { LiveInput, LiveUpdate } from '../../server/core/types.js';
import { smallSite } from '../helpers/site.js';

/** A clock and timers that move only when told. */
function fakeTime() {
  let t = 0;
  let timers: { at: number; fn: () => void; live: boolean }[] = [];
  const setTimer: SetTimer = (fn, ms) => {
    const timer = { at: t + ms, fn, live: true };
    timers.push(timer);
    return () => void (timer.live = false);
  };
  /** moves the clock to `to`, running each timer due on the way at its own time */
  const advance = (to: number): void => {
    for (;;) {
      const due = timers.filter((x) => x.live && x.at <= to).sort((a, b) => a.at - b.at)[0];
      if (due === undefined) break;
      t = Math.max(t, due.at);
      due.live = false;
      timers = timers.filter((x) => x.live);
      due.fn();
    }
    t = Math.max(t, to); // a timer's send may have spent past `to`
  };
  /** time taken by the code under test itself: the clock moves on, no timer runs */
  const spend = (ms: number): void => void (t += ms);
  return { now: () => t, setTimer, advance, spend, pending: () => timers.filter((x) => x.live).length };
}

describe('update coalescer', () => {
  const setup = () => {
    const clock = fakeTime();
    const sent: number[] = [];
    const c = createCoalescer({ minGapMs: 250, now: clock.now, setTimer: clock.setTimer, send: () => sent.push(clock.now()) });
    return { clock, sent, c };
  };

  it('sends at the next turn when none went in the last 250 ms (leading edge), not within the request', () => {
    const { clock, sent, c } = setup();
    c.request();
    expect(sent).toEqual([]); // the same turn's other commits get in first
    clock.advance(0);
    expect(sent).toEqual([0]);
    clock.advance(400);
    c.request();
    clock.advance(400);
    expect(sent).toEqual([0, 400]);
  });

  it('sends at lastSent + 250 ms when one went recently (trailing edge), once for every request in between', () => {
    const { clock, sent, c } = setup();
    c.request();
    clock.advance(0);
    for (const at of [10, 60, 120, 249]) {
      clock.advance(at);
      c.request();
    }
    expect(sent).toEqual([0]);
    clock.advance(249);
    expect(sent).toEqual([0]);
    clock.advance(250);
    expect(sent).toEqual([0, 250]);
    clock.advance(2000);
    expect(sent).toEqual([0, 250]); // nothing asked since: nothing sent
  });

  it('counts the window from when a send has finished: a slow send leaves 250 ms before the next one goes', () => {
    const clock = fakeTime();
    const done: number[] = [];
    // each send takes 40 ms of the clock (a full pass and the socket's encoding), then emits
    const c = createCoalescer({
      minGapMs: 250, setTimer: clock.setTimer, now: clock.now,
      send: () => {
        clock.spend(40);
        done.push(clock.now());
      },
    });
    const advance = clock.advance;
    c.request();
    advance(0);
    expect(done).toEqual([40]);
    advance(100);
    c.request();
    advance(289);
    expect(done).toEqual([40]);
    advance(400);
    expect(done).toEqual([40, 330]);
    // requestNow within the window (a tick) waits for it too
    advance(500);
    c.requestNow();
    expect(done).toEqual([40, 330]);
    advance(700);
    expect(done).toEqual([40, 330, 620]);
    // and a send that throws still starts the window
    const bad = createCoalescer({ minGapMs: 250, setTimer: clock.setTimer, now: clock.now, send: () => { throw new Error('boom'); } });
    expect(() => bad.requestNow()).toThrow('boom');
    expect(bad.lastSent()).toBe(clock.now());
  });

  it('never sends two within 250 ms under a request every 10 ms, and sends every window', () => {
    const { clock, sent, c } = setup();
    for (let at = 0; at <= 2000; at += 10) {
      clock.advance(at);
      c.request();
    }
    clock.advance(2000);
    for (let i = 1; i < sent.length; i++) expect(sent[i] - sent[i - 1]).toBeGreaterThanOrEqual(250);
    expect(sent).toEqual([0, 250, 500, 750, 1000, 1250, 1500, 1750, 2000]);
  });

  it('requestNow sends within the call when the window allows, else waits for the window like request', () => {
    const { clock, sent, c } = setup();
    c.requestNow();
    expect(sent).toEqual([0]);
    clock.advance(100);
    c.requestNow();
    expect(sent).toEqual([0]);
    expect(c.pending()).toBe(true);
    clock.advance(250);
    expect(sent).toEqual([0, 250]);
    // A pending leading-edge send is taken over by requestNow: one send, not two.
    clock.advance(600);
    c.request();
    c.requestNow();
    clock.advance(600);
    expect(sent).toEqual([0, 250, 600]);
    expect(clock.pending()).toBe(0);
  });

  it('a timer that runs early waits out the rest of the window; a clock that goes back does not stall it', () => {
    const clock = fakeTime();
    const sent: number[] = [];
    let early: (() => void) | null = null;
    const c = createCoalescer({
      minGapMs: 250, now: clock.now, send: () => sent.push(clock.now()),
      setTimer: (fn, ms) => (ms > 0 && early === null ? ((early = fn), () => {}) : clock.setTimer(fn, ms)),
    });
    c.request();
    clock.advance(0);
    clock.advance(50);
    c.request();
    clock.advance(200);
    early!(); // fired 50 ms before its time
    expect(sent).toEqual([0]);
    clock.advance(250);
    expect(sent).toEqual([0, 250]);
    const back = createCoalescer({ minGapMs: 250, now: () => 0, setTimer: clock.setTimer, send: () => sent.push(-1) });
    back.requestNow();
    expect(sent).toEqual([0, 250, -1]);
  });

  it('with maxShare, a costly send widens the window so sending takes at most that share; cheap ones keep 250 ms', () => {
    const clock = fakeTime();
    const sent: number[] = [];
    let cost = 60;
    const c = createCoalescer({ minGapMs: 250, maxShare: 0.15, now: clock.now, setTimer: clock.setTimer, send: () => { sent.push(clock.now()); clock.spend(cost); } });
    c.requestNow();
    expect(sent).toEqual([0]);
    // 60 ms a send at 15 %: the next one no sooner than 60 × 0.85 / 0.15 = 340 ms after it finished (t = 60)
    c.request();
    clock.advance(399);
    expect(sent).toEqual([0]);
    clock.advance(400);
    expect(sent).toEqual([0, 400]);
    // the send at 400 took 60 ms too: the next no sooner than 460 + 340 = 800; that one takes 10 ms,
    // and the window after it is back to 250 ms (10 × 0.85 / 0.15 = 57 is less): 810 + 250 = 1060
    cost = 10;
    c.request();
    clock.advance(799);
    expect(sent).toEqual([0, 400]);
    clock.advance(800);
    expect(sent).toEqual([0, 400, 800]);
    c.request();
    clock.advance(1059);
    expect(sent).toEqual([0, 400, 800]);
    clock.advance(1060);
    expect(sent).toEqual([0, 400, 800, 1060]);
    // over a second of requests every 10 ms at 60 ms a send, sending stays at or under 15 % of the clock
    cost = 60;
    const from = sent.length;
    for (let t = 1070; t <= 3070; t += 10) {
      c.request();
      clock.advance(t);
    }
    expect((sent.length - from) * 60).toBeLessThanOrEqual(0.15 * 2000 + 60);
  });

  it('cancel drops the pending send', () => {
    const { clock, sent, c } = setup();
    c.requestNow();
    clock.advance(10);
    c.request();
    c.cancel();
    clock.advance(1000);
    expect(sent).toEqual([0]);
  });
});

describe('partial figures pass', () => {
  it('reading again only the racks that changed gives what a full pass gives', () => {
    const model = smallSite();
    const index = prepareIndex(model);
    const t = 1_000_000;
    const live = createLiveState(model, { now: () => t });
    const input = (): LiveInput => ({ model, devices: live.devices, now: t, stale_after_ms: 60_000 });
    for (const d of model.devices.values()) {
      if (d.kind === 'asic') live.apply({ device: d.id, ts: t, metrics: { hashrate_ths: 200, power_w: 3500, chip_temp_c: 70 } }, t);
      if (d.kind === 'gpu') live.apply({ device: d.id, ts: t, metrics: { util_pct: 50, power_w: 600, temp_c: 60 } }, t);
    }
    const first = computePass(input(), undefined, index);
    live.takeChangedRacks();
    const gpu = [...model.devices.values()].find((d) => d.kind === 'gpu')!;
    live.apply({ device: gpu.id, ts: t, metrics: { util_pct: 90, power_w: 700, temp_c: 81 } }, t);
    const dirty = live.takeChangedRacks();
    expect([...dirty]).toEqual([gpu.rack]);
    const partial = computePass(input(), undefined, index, undefined, { prev: first, dirty });
    expect(partial.figures).toEqual(computeFigures(input(), undefined, index));
    // the racks left out are the previous pass's own objects, not copies
    const other = partial.figures.racks.findIndex((r) => r.id !== gpu.rack);
    expect(partial.figures.racks[other]).toBe(first.figures.racks[other]);
  });
});

describe('hub updates between ticks', () => {
  it('a change after the first tick sends an update at the next turn with the changed rack and the next seq', () => {
    const model = smallSite();
    const t = 1_000_000;
    const live = createLiveState(model, { now: () => t });
    const clock = fakeTime();
    const hub = createHub({ model, live, now: () => t, clock: clock.now, setTimer: clock.setTimer });
    const updates: LiveUpdate[] = [];
    hub.on('update', (u) => updates.push(u));
    const ticks: number[] = [];
    hub.on('tick', (f) => ticks.push(f.site.ts));
    hub.changed();
    clock.advance(0);
    expect(updates).toEqual([]); // before the first tick the view may still be restoring: nothing goes out
    hub.tick();
    expect(updates.map((u) => u.seq)).toEqual([1]);
    clock.advance(1000);
    const gpu = [...model.devices.values()].find((d) => d.kind === 'gpu')!;
    live.apply({ device: gpu.id, ts: t, metrics: { util_pct: 42, power_w: 600 } }, t);
    hub.changed();
    hub.changed();
    clock.advance(1000);
    expect(updates.map((u) => u.seq)).toEqual([1, 2]);
    expect(updates[1].racks?.map((r) => [r.id, r.gpu_util_pct])).toEqual([[gpu.rack, 42]]);
    expect(hub.snapshot().seq).toBe(2);
    expect(hub.snapshot().figures.racks.find((r) => r.id === gpu.rack)?.gpu_util_pct).toBe(42);
    // A tick within 250 ms of that update waits for the window; rollups and remote write see every tick at once.
    clock.advance(1100);
    hub.tick();
    expect(updates).toHaveLength(2);
    expect(ticks).toHaveLength(2);
    clock.advance(1250);
    expect(updates.map((u) => u.seq)).toEqual([1, 2, 3]);
    hub.stop();
  });
});
