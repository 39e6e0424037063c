// The demo's miners during a curtailment event (server/sim/curtail.ts through the simulator): whole air racks
// of the mining hall go to sleep over a minute until 560 kW is covered, the second one over 8 minutes, and they
// wake up over a minute after the event. The readings are what goes through the one path in.
// Every number below is from the demo config: 40 S21 (3.5 kW nominal) per air rack, the dead miner in M-A04.
import { describe, expect, it } from 'vitest';
import { DEMO_CONFIG_PATH, loadConfigFile } from '../../server/config/load.js';
import { createSimulator, type SimReading } from '../../server/sim/simulator.js';
import type { SimCurtailment } from '../../server/sim/curtail.js';

const model = loadConfigFile(DEMO_CONFIG_PATH);
const T0 = Date.UTC(2026, 11, 2, 10, 0, 0);

function sleeping(readings: SimReading[], rack: string): number {
  return readings.filter((r) => r.device.startsWith(`${rack}-`) && r.metrics.hashrate_ths === 0 && r.metrics.power_w === 15).length;
}
const pduW = (readings: SimReading[], rack: string): number => readings.find((r) => r.device === `${rack}-pdu`)?.metrics.power_w ?? NaN;

describe('simulated miners during a curtailment event', () => {
  it('shed whole racks over a minute, one rack too slowly, and come back after the event', () => {
    let events: SimCurtailment[] = [{ id: 'e1', scope: 'hall:M', target_w: 540_000, active: true }];
    const sim = createSimulator({ model, submit: async () => undefined, now: () => T0, curtailments: () => events });
    sim.stop();
    const at = (s: number) => sim.readingsAt(T0 + s * 1000);
    // The demo config carries the drill that drives this in `npm start`.
    expect(model.curtailment?.recurring.map((w) => [w.scope, w.target, w.every_ms, w.duration_ms])).toEqual([['hall:M', { reduction_kw: 540 }, 1_800_000, 300_000]]);
    const racks = ['M-A01', 'M-A02', 'M-A03', 'M-A04', 'M-A05'];
    expect(racks.map((r) => sleeping(at(0), r))).toEqual([0, 0, 0, 0, 0]);
    // Racks until 540 × 1.02 = 550.8 kW is covered: 4 × 140 kW = 560 kW, M-A01..M-A04; M-A05 is not needed.
    // 30 s: half of each fast rack (20 of 40; in M-A04 the dead miner, the 12th, sends nothing: 19);
    // the slow one, M-A02, 30 s / 600 s × 40 = 2 miners
    const half = at(30);
    expect(racks.map((r) => sleeping(half, r))).toEqual([20, 2, 20, 19, 0]);
    const full = at(60);
    expect(racks.map((r) => sleeping(full, r))).toEqual([40, 4, 40, 39, 0]);
    expect(sleeping(full, 'M-A06')).toBe(0);
    // a sleeping rack's PDU: 40 × 15 W + 3 % losses
    expect(pduW(full, 'M-A01')).toBe(Math.round(40 * 15 * 1.03));
    events = [{ ...events[0], active: false }];
    at(90);
    const back = at(120);
    expect(racks.map((r) => sleeping(back, r))).toEqual([0, 0, 0, 0, 0]);
  });
});
