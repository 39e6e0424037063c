// The hub's own cost at a large site, in process: what one 1 s tick costs (figures, the alert pass, the
// pool figures) and what one socket update between ticks costs, so the update rate can be chosen on
// measurements rather than guesses (issue 15: an update no longer waits for the tick).
//   node dist/test/bench/hub.js [devices=100000] [rounds=15]
// Run under `node --cpu-prof` to see where a tick goes.

import { fileURLToPath } from 'node:url';
import { resolve } from 'node:path';
import type { AlertView, Figures, LiveInput } from '../../server/core/types.js';
import { createLiveState } from '../../server/live/state.js';
import { createHub, type AlertSource } from '../../server/live/hub.js';
import { prepareIndex } from '../../server/figures/site-index.js';
import { computeFigures } from '../../server/figures/compute.js';
import { poolFigures } from '../../server/figures/pools.js';
import { visitDeviceStatuses } from '../../server/figures/devices.js';
import { createAlertEngine } from '../../server/alerts/engine.js';
import { siteRules } from '../../server/live/alerts.js';
import { benchSite } from './site.js';
import { benchMetrics } from './scale.js';
import { percentile } from './proc.js';

export interface HubBench {
  devices: number;
  racks: number;
  rounds: number;
  /** median and p90 ms of each step */
  figures_ms: [number | null, number | null];
  pools_ms: [number | null, number | null];
  alerts_ms: [number | null, number | null];
  tick_ms: [number | null, number | null];
  /** one socket update between ticks after a push of `push_readings` readings */
  update_ms: [number | null, number | null];
  push_readings: number;
}

function timed(rounds: number, fn: (i: number) => void): [number | null, number | null] {
  const ms: number[] = [];
  for (let i = 0; i < rounds; i++) {
    const t = performance.now();
    fn(i);
    ms.push(performance.now() - t);
  }
  ms.sort((a, b) => a - b);
  return [percentile(ms, 50), percentile(ms, 90)];
}

export function benchHub(opts: { devices: number; rounds: number; push_readings?: number }): HubBench {
  const model = benchSite({ devices: opts.devices });
  const index = prepareIndex(model);
  let t = Date.now();
  const now = () => t;
  const live = createLiveState(model, { now });
  const all = [...model.devices.values()];
  const fill = (vary: number, from: number, n: number) => {
    for (let i = 0; i < n; i++) {
      const d = all[(from + i) % all.length];
      live.apply({ device: d.id, ts: t, metrics: benchMetrics(d.kind, from + i + vary) }, t);
    }
  };
  fill(0, 0, all.length);
  const engine = createAlertEngine(siteRules(model, 60));
  const alerts: AlertSource = {
    evaluate: (figures: Figures, input: LiveInput): AlertView[] =>
      engine.evaluate({ now: input.now, figures, devices: (v) => visitDeviceStatuses(input, index, v), model, offline: input.offline, curtailed: input.curtailed }),
    active: () => engine.active(),
    revision: () => 1,
  };
  const hub = createHub({ model, live, alerts, index, now });
  const input = (): LiveInput => hub.input();
  const step = () => void (t += 1000);
  hub.tick();
  const figures_ms = timed(opts.rounds, () => { step(); computeFigures(input(), undefined, index); });
  const pools_ms = timed(opts.rounds, () => { step(); poolFigures(input()); });
  const alerts_ms = timed(opts.rounds, () => { step(); alerts.evaluate(hub.figures(), input()); });
  const tick_ms = timed(opts.rounds, (i) => { step(); fill(i + 1, i * 997, 100); hub.tick(); });
  // Between ticks: the readings of one push (the bench's 20 pushes a second spread every device over 10 s).
  const push = opts.push_readings ?? Math.ceil(opts.devices / 200);
  const update_ms = timed(opts.rounds, (i) => {
    t += 250;
    fill(i + 7, i * 1_013, push);
    hub.changed();
    hub.flush();
  });
  hub.stop();
  return { devices: model.devices.size, racks: index.racks.size, rounds: opts.rounds, figures_ms, pools_ms, alerts_ms, tick_ms, update_ms, push_readings: push };
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === resolve(process.argv[1])) {
  const devices = Number(process.argv[2] ?? 100_000);
  const rounds = Number(process.argv[3] ?? 15);
  const r = benchHub({ devices, rounds });
  const ms = ([a, b]: [number | null, number | null]) => `median ${a?.toFixed(1)} ms, p90 ${b?.toFixed(1)} ms`;
  console.log(`hub at ${r.devices.toLocaleString('en-US')} devices in ${r.racks.toLocaleString('en-US')} racks, ${r.rounds} rounds`);
  console.log(`  figures (every rack)   ${ms(r.figures_ms)}`);
  console.log(`  pool figures           ${ms(r.pools_ms)}`);
  console.log(`  alert pass             ${ms(r.alerts_ms)}`);
  console.log(`  tick (all of it)       ${ms(r.tick_ms)}`);
  console.log(`  update after a push    ${ms(r.update_ms)} (${r.push_readings} readings)`);
}
